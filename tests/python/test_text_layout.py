"""The start-up code layout (text_layout.py): what the qemu trace sees, and what is added for what it
cannot see (CPU variants of glibc's string functions, GCC's cold parts), on a small C program
built here and traced under qemu-user like the interpreter."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from shrinkpy import text_layout

# Each function runs only in the situation its name says; main ignores the interpreter's options.
PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
__attribute__((noinline)) void stdin_is_a_pipe(void) { puts("pipe"); }
__attribute__((noinline)) void without_locale(void) { puts("no LANG"); }
__attribute__((noinline)) void unbuffered(void) { puts("unbuffered"); }
__attribute__((noinline)) void ran_a_script(void) { puts("script"); }
__attribute__((noinline)) void never_runs(void) { puts("never"); }
__attribute__((noinline)) void started_relative(void) { puts("relative"); }
__attribute__((noinline)) void started_through_path(void) { puts("PATH"); }
int main(int argc, char **argv) {
    if (strchr(argv[0], '/') == NULL) started_through_path();
    else if (argv[0][0] != '/') started_relative();
    if (lseek(0, 0, SEEK_CUR) < 0) stdin_is_a_pipe();
    if (getenv("LANG") == NULL) without_locale();
    if (getenv("PYTHONUNBUFFERED") != NULL) unbuffered();
    if (argc == 2 && strlen(argv[1]) > 3 && strcmp(argv[1] + strlen(argv[1]) - 3, ".py") == 0 &&
        access(argv[1], R_OK) == 0) ran_a_script();
    if (argc > 100) never_runs();
    return 0;
}
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory) -> Path:
    if shutil.which("gcc") is None:
        pytest.skip("no gcc")
    d = tmp_path_factory.mktemp("layout")
    (d / "p.c").write_text(PROGRAM)
    subprocess.run(["gcc", "-O1", "-static", "-ffunction-sections", "-o", str(d / "p"), str(d / "p.c")], check=True)
    return d / "p"


def test_the_trace_covers_pipes_no_locale_container_variables_paths_and_scripts(program, monkeypatch):
    if shutil.which("qemu-x86_64") is None:
        pytest.skip("no qemu-x86_64 (apt-get install qemu-user)")
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.delenv("PYTHONUNBUFFERED", raising=False)
    symbols = text_layout.function_symbols("readelf", program)
    by_command = text_layout.first_run_functions(["qemu-x86_64"], program, symbols)
    assert len(by_command) == len(text_layout.TRACED)
    first, functions = by_command[0], [name for command in by_command for name in command]
    assert first.index("_start") < first.index("main")
    for name in ("stdin_is_a_pipe", "without_locale", "unbuffered", "started_relative", "started_through_path"):
        assert name in first  # the bare start is run every way
    assert "ran_a_script" in by_command[-1]  # only the script's command runs it
    assert len(functions) == len(set(functions))
    assert "never_runs" not in functions
    # crtstuff's functions have no size in the symbol table; qemu names no block in them
    assert "frame_dummy" in functions


def test_function_symbols_reads_the_symbol_table(program):
    symbols = dict((name, address) for address, name in text_layout.function_symbols("readelf", program))
    assert {"main", "never_runs", "_start"} <= set(symbols)
    assert "environ" not in symbols  # an object, not a function
    nm = subprocess.run(["nm", str(program)], capture_output=True, text=True, check=True).stdout
    assert f"{symbols['main']:016x} T main" in nm


def test_variants_follow_the_first_command_and_cold_parts_come_last():
    traced = [["_start", "__memmove_sse2_unaligned_erms", "parse", "__strlen_sse2"], ["import_json"]]
    names = traced[0] + traced[1] + [
        "__memmove_avx512_unaligned_erms", "__memmove_evex_unaligned", "__strlen_evex", "__strlen_avx2",
        "__strchr_evex",  # a family the trace did not run
        "__memmove_chk",  # no variant word
        "parse.cold", "unparse.cold", "__libc_start_main", "__ieee754_log_fma",
    ]
    order = text_layout.with_unseen_relatives(traced, [(0x1000 + i, name) for i, name in enumerate(names)])
    assert order == [
        "_start", "__memmove_sse2_unaligned_erms", "parse", "__strlen_sse2",
        # grouped by variant word, the AVX-512 machines' picks together, in VARIANT_WORDS' order
        "__memmove_evex_unaligned", "__strlen_evex", "__memmove_avx512_unaligned_erms", "__strlen_avx2",
        "import_json",
        "parse.cold",
    ]


def test_aarch64_variants_are_recognised():
    symbols = [(1, "__memcpy_generic"), (2, "__memcpy_simd"), (3, "__memcpy_a64fx")]
    order = text_layout.with_unseen_relatives([["__memcpy_sve"]], symbols)
    assert order == ["__memcpy_sve", "__memcpy_generic", "__memcpy_simd", "__memcpy_a64fx"]


def test_profiled_order_puts_hot_functions_first_and_leaves_out_never_run_ones(tmp_path):
    if shutil.which("gcc") is None or shutil.which("ar") is None:
        pytest.skip("no gcc or ar")
    # GCC names the sections as a profile would: hot and cold attributes stand in for its counts.
    (tmp_path / "a.c").write_text("__attribute__((cold)) int never_trained(int x) { return x * 3; }\n"
                                  "int warm_a(int x) { return x + 1; }\n"
                                  "__attribute__((hot)) int hot_a(int x) { return x * 2; }\n")
    (tmp_path / "b.c").write_text("__attribute__((hot)) int hot_b(int x) { return x - 2; }\n"
                                  "int warm_b(int x) { return x - 1; }\n")
    for name in ("a", "b"):
        subprocess.run(["gcc", "-O2", "-ffunction-sections", "-c", "-o", str(tmp_path / f"{name}.o"),
                        str(tmp_path / f"{name}.c")], check=True)
    archive = tmp_path / "libx.a"
    subprocess.run(["ar", "rcs", str(archive), str(tmp_path / "a.o"), str(tmp_path / "b.o")], check=True)
    assert text_layout.profiled_order("readelf", archive) == ["hot_a", "hot_b", "warm_a", "warm_b"]
