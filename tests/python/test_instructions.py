"""`shrinkpy bench --instructions`: valgrind's count read, the commands that run shrinkpython and a
preloading configuration under valgrind, the table on recorded counts, and real counts of a small
program under stock python3.11 and shrinkpython."""

from __future__ import annotations

import json
import os
import sys

import pytest

from conftest import REPO, clean_env, run
from shrinkpy import instructions, locate
from shrinkpy.configs import Config
from shrinkpy.instructions import Count

SUMMARY = """==4242== Cachegrind, a cache and branch-prediction profiler
==4242== Command: /usr/bin/python3.11 log_analyser.py --scale 0.2
==4242==
--4242-- WARNING: unhandled amd64-linux syscall: 440
25000 requests
==4242== I   refs:      3,445,453,174
"""


def test_the_count_is_read_from_valgrinds_summary():
    assert instructions.parse_count(SUMMARY) == 3_445_453_174
    assert instructions.parse_count(SUMMARY.replace("I   refs", "D   refs")) is None
    assert instructions.parse_count("valgrind: no such file\n") is None


def test_shrinkpython_runs_under_the_dynamic_loader_with_its_library_preloaded(tmp_path, monkeypatch):
    (tmp_path / "shrinkpython").write_text("#!/bin/sh\n")
    (tmp_path / "shrinkpython").chmod(0o755)
    (tmp_path / "libshrinkpython.so").write_text("")
    monkeypatch.setenv("SHRINKPY_BIN_DIR", str(tmp_path))
    env = {"SHRINKPY_ALLOCATOR": "arena", "LD_PRELOAD": "/opt/libuser.so"}
    config = Config("arena", "shrinkpython, arena", "shrinkpython", {"SHRINKPY_ALLOCATOR": "arena"})
    command = instructions.counted_command(config, ["app.py", "--scale", "0.2"], env)
    loader = instructions.dynamic_loader()
    assert command == [*instructions.VALGRIND, loader, "--preload",
                       f"{tmp_path / 'libshrinkpython.so'}:/opt/libuser.so", locate.STOCK_PYTHON,
                       "app.py", "--scale", "0.2"]
    # The preloads moved to the loader; the launcher's mark makes the library take over main.
    assert env == {"SHRINKPY_ALLOCATOR": "arena", "SHRINKPY_PRELOAD_RESTORE": "unset"}
    assert os.path.basename(loader).startswith("ld-linux")


def test_other_interpreters_run_as_they_are_unless_they_preload(tmp_path):
    stock = Config("stock", "python3.11", "stock")
    env: dict[str, str] = {}
    assert instructions.counted_command(stock, ["-c", "pass"], env) == [*instructions.VALGRIND, locate.STOCK_PYTHON,
                                                                        "-c", "pass"]
    mimalloc = Config("stock-mimalloc", "python3.11, mimalloc", "stock", {"LD_PRELOAD": "/usr/lib/libmimalloc.so.2"})
    env = {"PYTHONMALLOC": "malloc", "LD_PRELOAD": "/usr/lib/libmimalloc.so.2"}
    command = instructions.counted_command(mimalloc, ["-c", "pass"], env)
    assert command[len(instructions.VALGRIND):] == [instructions.dynamic_loader(), "--preload",
                                                    "/usr/lib/libmimalloc.so.2", locate.STOCK_PYTHON, "-c", "pass"]
    assert env == {"PYTHONMALLOC": "malloc"}
    with pytest.raises(locate.NotFound, match="libshrinkpython.so"):
        instructions.preload_library(str(tmp_path / "shrinkpython"))


def test_the_table_gives_ratios_to_stock_and_leaves_out_failed_runs():
    counts = [Count("a", "stock", 1_000_000_000, True), Count("a", "arena", 900_000_000, True),
              Count("b", "stock", 2_000_000_000, True), Count("b", "arena", 2_500_000_000, True),
              Count("c", "stock", 1_000_000_000, True), Count("c", "arena", 500_000_000, False),
              Count("d", "stock", None, False), Count("d", "arena", 1_000_000, True)]
    text = instructions.table(counts, ["stock", "arena"], ["a", "b", "c", "d"], markdown=True)
    lines = text.splitlines()
    assert lines[0] == "| workload | stock | arena |"
    assert "| a | 1,000 M (1.00x) | 900 M (0.90x) |" in lines
    assert "| c | 1,000 M (1.00x) | - |" in lines  # its output differed: not counted
    assert "| d | - | - |" in lines  # no stock count to compare with
    assert lines[-1] == f"| geometric mean | 1.00x | {(0.9 * 1.25) ** 0.5:.2f}x |"


def test_a_program_is_counted_under_stock_and_shrinkpython(tmp_path):
    if instructions.available():
        pytest.fail(instructions.available())  # `make test` installs valgrind (PACKAGES_DEMO)
    env = clean_env(PYTHONPATH=str(REPO / "python"), SHRINKPY_BIN_DIR=str(REPO / "build" / "runtime"))
    (tmp_path / "README.md").write_text("x\n<!-- bench-instructions:begin -->\n<!-- bench-instructions:end -->\n")
    out = run([sys.executable, "-m", "shrinkpy", "bench", "--instructions", "image_filters", "--configs",
               "stock,arena", "--scale", "0.02", "--json", str(tmp_path / "counts.json"),
               "--readme", str(tmp_path / "README.md")], env=env)
    assert out.returncode == 0, out.stderr[-3000:].decode(errors="replace")
    counts = {c["config"]: c for c in json.loads((tmp_path / "counts.json").read_text())["counts"]}
    assert counts["stock"]["output_ok"] and counts["arena"]["output_ok"]
    # Both run the same Python program; the arena's start-up and allocator differ by a few percent.
    assert 0.8 < counts["arena"]["instructions"] / counts["stock"]["instructions"] < 1.25
    readme = (tmp_path / "README.md").read_text()
    assert "| image_filters | " in readme and "--scale 0.02" in readme
