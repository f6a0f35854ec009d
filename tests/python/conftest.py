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
