"""The `shrinkpy` command: `run` passes the program through shrinkpython, `run --compare` measures it
side by side with Debian's python3.11 under pymalloc, glibc malloc and mimalloc."""

from __future__ import annotations

import sys

import pytest

from conftest import REPO, clean_env, run
from shrinkpy import configs, locate
from shrinkpy.compare import format_table
from shrinkpy.measure import Measurement, measure

CLI = [sys.executable, "-m", "shrinkpy"]
SENSOR = str(REPO / "benchmarks" / "workloads" / "sensor_pipeline.py")


def cli_env(**extra):
    return clean_env(PYTHONPATH=str(REPO / "python"), **extra)


def test_run_passes_arguments_exit_code_and_prints_the_report(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("import sys\nprint(sys.argv[1:])\nsys.exit(5)\n")
    r = run([*CLI, "run", "--allocator", "mimalloc", str(script), "a", "--flag"], env=cli_env())
    assert r.returncode == 5
    assert r.stdout == b"['a', '--flag']\n"
    assert b"allocator              mimalloc" in r.stderr


def test_run_without_report(tmp_path):
    script = tmp_path / "s.py"
    script.write_text("print('quiet')\n")
    r = run([*CLI, "run", "--no-report", str(script)], env=cli_env())
    assert (r.returncode, r.stdout, r.stderr) == (0, b"quiet\n", b"")


def test_compare_prints_a_row_per_configuration_with_ratios_to_stock():
    r = run([*CLI, "run", "--compare", "--repeat", "1", SENSOR, "--hours", "1"], env=cli_env())
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert "checksum" in out.splitlines()[0]
    rows = [line.split() for line in out.splitlines() if line.startswith(("stock", "shrinkpython"))]
    assert [row[0] for row in rows] == ["stock", "stock-malloc", "stock-mimalloc", "shrinkpython"]
    assert rows[0][3] == "1.00x" and rows[0][6] == "1.00x" and rows[0][8] == "1.00x"
    assert "Same output under every configuration" in out


def test_compare_flags_a_program_whose_output_differs(tmp_path):
    script = tmp_path / "which.py"
    script.write_text("import os\nprint(os.environ.get('SHRINKPY_ALLOCATOR'))\n")
    r = run([*CLI, "run", "--compare", "--repeat", "1", "--allocator", "malloc", str(script)], env=cli_env())
    assert r.returncode == 1
    assert b"output differs from stock python3.11 under: shrinkpython (malloc)" in r.stderr


def test_compare_stops_on_a_failing_program(tmp_path):
    script = tmp_path / "fail.py"
    script.write_text("raise SystemExit(3)\n")
    r = run([*CLI, "run", "--compare", "--repeat", "1", str(script)], env=cli_env())
    assert r.returncode == 3
    assert b"stock exited with 3" in r.stderr


def test_table_medians_and_ratios():
    def m(rss, priv, wall):
        return Measurement(0, rss, priv, 10, wall, wall)
    stock = configs.anchors()[0]
    other = configs.shrinkpython("malloc")
    table = format_table([(stock, [m(100 << 20, 80 << 20, 1.0), m(110 << 20, 90 << 20, 3.0), m(90 << 20, 70 << 20, 2.0)]),
                          (other, [m(50 << 20, 40 << 20, 2.0), m(60 << 20, 45 << 20, 2.0), m(40 << 20, 20 << 20, 2.0)])])
    lines = table.splitlines()
    assert lines[2].split() == ["stock", "100.0", "MiB", "1.00x", "80.0", "MiB", "1.00x", "2.00s", "1.00x"]
    assert lines[3].split() == ["shrinkpython-malloc", "50.0", "MiB", "0.50x", "40.0", "MiB", "0.50x", "2.00s", "1.00x"]


def test_measure_reports_the_childs_peak_not_the_parents():
    """Linux folds the pre-exec image into ru_maxrss; shrinkpy-measure keeps that image tiny."""
    ballast = bytearray(200 << 20)  # this process: 200 MiB resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = measure([locate.STOCK_PYTHON, "-S", "-I", "-c", "pass"])
    # The child holds its 100 MiB for 200 ms, so that samples every 10 ms cannot all miss it.
    big = measure([locate.STOCK_PYTHON, "-c",
                   "import time; b = bytearray(100 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(0.2)"])
    assert small.exit_code == 0 and small.peak_rss_bytes < 40 << 20
    assert 100 << 20 < big.peak_rss_bytes < 180 << 20
    assert big.peak_private_bytes > 90 << 20
    del ballast


def test_missing_executable_is_a_clear_error():
    with pytest.raises(locate.NotFound, match="cannot find no-such-tool: build it with `make`"):
        locate.executable("no-such-tool")
