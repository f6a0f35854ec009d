"""The C++ sources are formatted with the repository's .clang-format (`make format` fixes them)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from conftest import REPO


def test_cpp_sources_are_clang_formatted():
    if shutil.which("clang-format") is None:
        pytest.fail("clang-format is missing: apt-get install clang-format")
    files = subprocess.run(["git", "ls-files", "*.cpp", "*.hpp"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.split()
    r = subprocess.run(["clang-format", "--dry-run", "-Werror", *files], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, "run `make format`:\n" + r.stderr[-4000:]
