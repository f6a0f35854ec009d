"""`shrinkpython -m venv DIR` makes a venv whose python is shrinkpython, with a working pip."""

from __future__ import annotations

import os

from conftest import clean_env, run


def test_venv_python_is_shrinkpython_with_pip(shrinkpython, tmp_path):
    venv = tmp_path / "venv"
    r = run([shrinkpython, "-m", "venv", str(venv)])
    assert r.returncode == 0, r.stderr
    python = venv / "bin" / "python"
    assert os.path.realpath(python) == os.path.realpath(shrinkpython)

    r = run([str(python), "-c", "import sys; print(sys.prefix, sys.base_prefix, sys.executable)"])
    assert r.stdout.decode().split() == [str(venv), "/usr", str(python)]
    # The venv's python is shrinkpython: its report shows up.
    r = run([str(python), "-c", "pass"], env=clean_env(SHRINKPY_REPORT="-", SHRINKPY_ALLOCATOR="mimalloc"))
    assert b"allocator              mimalloc" in r.stderr

    r = run([str(python), "-m", "pip", "--version"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(b"pip ") and str(venv).encode() in r.stdout


def test_pip_installs_a_local_package_into_the_venv(shrinkpython, tmp_path):
    """What pyperformance demands of an interpreter: a venv, then pip install of a local package."""
    venv = tmp_path / "venv"
    assert run([shrinkpython, "-m", "venv", str(venv)]).returncode == 0
    pkg = tmp_path / "hello_pkg"
    (pkg / "hello_pkg").mkdir(parents=True)
    (pkg / "hello_pkg" / "__init__.py").write_text("GREETING = 'hello from a local package'\n")
    (pkg / "setup.py").write_text("from setuptools import setup\nsetup(name='hello_pkg', version='1.0', packages=['hello_pkg'])\n")
    r = run([str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--no-build-isolation", str(pkg)])
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    r = run([str(venv / "bin" / "python"), "-c", "import hello_pkg; print(hello_pkg.GREETING)"])
    assert r.stdout == b"hello from a local package\n"


def test_a_venv_of_copies_runs_shrinkpython(shrinkpython, tmp_path):
    """venv.create() copies the interpreter by default (`-m venv --copies` too): the copied launcher
    finds its library through the venv's home in pyvenv.cfg, as python3.11 finds its own."""
    venv = tmp_path / "venv"
    r = run([shrinkpython, "-c", f"import venv; venv.create({str(venv)!r}, symlinks=False)"])
    assert r.returncode == 0, r.stderr
    python = venv / "bin" / "python"
    assert not python.is_symlink()
    r = run([str(python), "-c", "import sys; print(sys.prefix)"], env=clean_env(SHRINKPY_REPORT="-"))
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode().split() == [str(venv)]
    assert b"shrinkpy report" in r.stderr  # shrinkpython, not python3.11 alone
