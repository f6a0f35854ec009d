"""shrinkpython on Debian is Debian's own python3.11 running shrinkpython's main (runtime/preload.cpp):
the interpreter binary is python3.11's, sys.executable is the launcher, and the program sees the
environment it was started with (the launcher's LD_PRELOAD is gone before it runs)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import clean_env, run

LIBRARY = "libshrinkpython.so"


@pytest.fixture()
def launcher(shrinkpython) -> Path:
    path = Path(shrinkpython)
    if not (path.parent / LIBRARY).exists() and not (path.parent.parent / "lib" / "shrinkpy" / LIBRARY).exists():
        pytest.skip("shrinkpython is built as an executable of its own (SHRINKPY_SHRINKPYTHON=linked)")
    return path


def test_the_interpreter_is_python311_and_sys_executable_the_launcher(launcher, stock):
    code = "import os, sys, _shrinkpy_alloc; print(os.readlink('/proc/self/exe'), sys.executable, " \
           "_shrinkpy_alloc.installed_allocator())"
    r = run([str(launcher), "-c", code])
    assert r.returncode == 0, r.stderr
    binary, executable, allocator = r.stdout.decode().split()
    assert binary == os.path.realpath(stock)
    assert executable == str(launcher)
    assert allocator == "arena"


@pytest.mark.parametrize("preload", [None, "", "/nonexistent/libx.so"])
def test_the_program_sees_the_ld_preload_it_was_given(launcher, preload):
    env = clean_env() if preload is None else clean_env(LD_PRELOAD=preload)
    code = ("import os; print(repr(os.environ.get('LD_PRELOAD')), "
            "[k for k in os.environ if k.startswith('SHRINKPY_PRE')])")
    r = run([str(launcher), "-c", code], env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == f"{preload!r} []"


def test_a_child_through_sys_executable_is_shrinkpython_too(launcher):
    code = ("import subprocess, sys; print(subprocess.run([sys.executable, '-c', "
            "'import _shrinkpy_alloc; print(_shrinkpy_alloc.installed_allocator())'], "
            "capture_output=True, text=True).stdout.strip())")
    r = run([str(launcher), "-c", code])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == "arena"


def test_python311_with_the_library_preloaded_by_hand_stays_python311(launcher, stock):
    # Without the launcher's mark the library leaves the program's main alone.
    r = run([stock, "-c", "import sys; print('_shrinkpy_alloc' in sys.builtin_module_names)"],
            env=clean_env(LD_PRELOAD=str(launcher.parent / LIBRARY)))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"False\n"


def test_a_launcher_without_its_library_says_so(launcher, tmp_path):
    alone = tmp_path / "shrinkpython"
    shutil.copy(launcher, alone)
    r = run([str(alone), "-c", "print('ran')"])
    assert r.returncode == 2
    assert r.stdout == b""
    assert b"libshrinkpython.so is missing" in r.stderr
