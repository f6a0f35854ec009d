"""The preloaded library's start-up code layout (library_layout.py): finding the library in qemu's
trace by its load base, the order of what each configuration runs, and the built libshrinkpython.so
laid out in that order."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shrinkpy import library_layout, text_layout

# A library whose constructor runs one function per configuration library_layout traces; /bin/true,
# a dynamically linked program, plays python3.11 (the traced commands' arguments mean nothing to it).
LIBRARY = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
__attribute__((noinline)) void runs_always(void) { fputs("", stderr); }
__attribute__((noinline)) void runs_under_pymalloc(void) { fputs("", stderr); }
__attribute__((noinline)) void runs_under_the_arena(void) { fputs("", stderr); }
__attribute__((noinline)) void runs_with_early_freeing(void) { fputs("", stderr); }
__attribute__((noinline)) void never_runs(void) { fputs("never", stderr); }
__attribute__((constructor)) static void start(void) {
    const char *allocator = getenv("SHRINKPY_ALLOCATOR"), *early = getenv("SHRINKPY_EARLY_FREE");
    runs_always();
    if (allocator != NULL && strcmp(allocator, "pymalloc") == 0) runs_under_pymalloc();
    else runs_under_the_arena();
    if (early == NULL) runs_with_early_freeing();
    if (getenv("SHRINKPY_PRELOAD_RESTORE") == NULL) never_runs();
}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    d = tmp_path_factory.mktemp("library")
    (d / "l.c").write_text(LIBRARY)
    subprocess.run(["gcc", "-O1", "-shared", "-fPIC", "-o", str(d / "libtraced.so"), str(d / "l.c")], check=True)
    return d / "libtraced.so"


def test_the_load_base_is_the_first_mapping_of_the_librarys_file_at_offset_zero():
    log = ['7 openat(-100,"/lib/x86_64-linux-gnu/libm.so.6",O_RDONLY|O_CLOEXEC) = 3',
           "7 mmap(NULL,913680,PROT_READ,MAP_PRIVATE|MAP_DENYWRITE,3,0) = 0x000000400090a000",
           '7 openat(-100,"/build/runtime/libshrinkpython.so",O_RDONLY|O_CLOEXEC) = 4',
           "7 mmap(NULL,8192,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0) = 0x0000004000838000",
           "7 mmap(NULL,803840,PROT_READ,MAP_PRIVATE|MAP_DENYWRITE,4,0) = 0x000000400083a000",
           "7 mmap(0x0000004000875000,532480,PROT_EXEC|PROT_READ,MAP_PRIVATE|MAP_FIXED,4,0x3a000) = 0x0000004000875000"]
    assert library_layout.load_base(log, Path("/elsewhere/libshrinkpython.so")) == 0x400083A000
    assert library_layout.load_base(log[:2], Path("libshrinkpython.so")) is None


def test_each_configuration_follows_the_ones_that_run_less(library):
    if shutil.which("qemu-x86_64") is None:
        pytest.skip("no qemu-x86_64 (apt-get install qemu-user)")
    symbols = text_layout.function_symbols("readelf", library)
    span = library_layout.load_span("readelf", library)
    by_command = library_layout.first_run_functions("qemu-x86_64", Path("/bin/true"), library, symbols, span)
    assert len(by_command) == len(library_layout.CONFIGURATIONS) * len(text_layout.TRACED)
    functions = [name for command in by_command for name in command]
    assert len(functions) == len(set(functions))
    first_of_configuration = by_command[::len(text_layout.TRACED)]
    assert {"runs_always", "runs_under_pymalloc"} <= set(first_of_configuration[0])
    assert first_of_configuration[1] == ["runs_under_the_arena"]
    assert first_of_configuration[2] == ["runs_with_early_freeing"]
    assert "never_runs" not in functions  # the launcher's variable reaches the library
    assert not any(name.startswith(("main", "__libc_start")) for name in functions)  # /bin/true's, not the library's


def _text_section(library: Path) -> range:
    out = subprocess.run(["readelf", "-SW", str(library)], capture_output=True, text=True, check=True).stdout
    fields = next(line.split("]", 1)[1].split() for line in out.splitlines() if "] .text " in line)
    return range(int(fields[2], 16), int(fields[2], 16) + int(fields[4], 16))


def test_the_built_library_starts_its_text_with_what_start_up_runs(shrinkpython):
    built = Path(shrinkpython).parent / "libshrinkpython.so"
    order_file = built.with_suffix(".order")
    if not order_file.exists():
        pytest.skip("libshrinkpython.so was linked without a start-up layout (no lld or qemu-user when configured)")
    text = _text_section(built)
    address = {name: a for a, name in text_layout.function_symbols("readelf", built) if a in text}
    ordered = [name for name in order_file.read_text().split() if name in address]
    assert len(ordered) > 100, "the start-up trace names few of the library's functions: is it stale?"
    # lld placed them in the file's order (but for crtstuff's functions, which share one section),
    # and together: no function that start-up does not run lies among them
    backwards = [(a, b) for a, b in zip(ordered, ordered[1:]) if address[b] < address[a]]
    assert len(backwards) <= 3, backwards
    run = set(map(address.get, ordered))  # aliases too: a C1 constructor at its C2's address
    assert [name for name, a in address.items() if a < max(run) and a not in run] == []
