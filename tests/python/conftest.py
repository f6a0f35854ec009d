"""Shared fixtures: the two interpreters under comparison and a way to run them alike."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from shrinkpy import locate

STOCK = locate.STOCK_PYTHON
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without the variables that would make two runs differ."""
    env = {k: v for k, v in os.environ.items()
           if (not k.startswith("SHRINKPY_") or k == "SHRINKPY_BIN_DIR")
           and k not in ("PYTHONMALLOC", "PYTHONDEVMODE", "LD_PRELOAD")}
    env.update(extra)
    return env


def run(argv: list[str], *, env: dict[str, str] | None = None, input: bytes | None = None,
        cwd: str | os.PathLike | None = None, timeout: float = 300) -> Result:
    p = subprocess.run(argv, input=input, capture_output=True, env=clean_env() if env is None else env,
                       cwd=cwd, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="session")
def shrinkpython() -> str:
    return locate.shrinkpython()


@pytest.fixture(scope="session")
def stock() -> str:
    if not os.path.exists(STOCK):
        pytest.fail(f"{STOCK} is missing: apt-get install python3.11")
    return STOCK


# ---- analyzer fixtures: the stdlib compiled once per session, the tricky corpus -------------------

import sys as _sys
import sysconfig as _sysconfig
import warnings as _warnings

_sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"))


def stdlib_files():
    root = _sysconfig.get_paths()["stdlib"]
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "dist-packages", "__pycache__"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield os.path.join(dirpath, name)


def walk_codes(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            yield from walk_codes(const)


@pytest.fixture(scope="session")
def stdlib_modules():
    """Every stdlib module that compiles, as (path, module code object)."""
    modules = []
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        for path in stdlib_files():
            with open(path, "rb") as f:
                source = f.read()
            try:
                modules.append((path, compile(source, path, "exec", dont_inherit=True)))
            except (SyntaxError, ValueError):
                pass  # test data written to be invalid (lib2to3 fixtures, bad_coding, ...)
    assert len(modules) > 1000
    return modules


@pytest.fixture(scope="session")
def stdlib_codes(stdlib_modules):
    return [code for _, module in stdlib_modules for code in walk_codes(module)]


@pytest.fixture(scope="session")
def analyzer():
    from shrinkpy import _analyzer
    return _analyzer
