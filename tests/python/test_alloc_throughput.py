"""`make bench-alloc` (alloc_throughput.py): reading bench_alloc's Google Benchmark report, the
throughput target, and the README section, on reports the tests write and on a short real run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shrinkpy import alloc_throughput, locate


def entry(family: int, run_name: str, aggregate: str, items_per_second: float) -> dict:
    return {"name": f"{run_name}_{aggregate}", "family_index": family, "run_name": run_name,
            "run_type": "aggregate", "aggregate_name": aggregate, "items_per_second": items_per_second}


# Shuffled as random interleaving leaves them; means that differ from the medians; pymalloc's
# Random/medium far ahead of the arena, which must not count: those sizes are not small.
REPORT = {"benchmarks": [
    entry(5, "PythonMix/arena", "median", 60e6),
    entry(1, "Random/small/pymalloc", "median", 80e6),
    entry(0, "Lifo/1/32/pymalloc", "mean", 1e6),
    entry(4, "Random/small/arena", "median", 72e6),
    entry(3, "Lifo/1/32/arena", "median", 400e6),
    entry(0, "Lifo/1/32/pymalloc", "median", 200e6),
    entry(2, "PythonMix/pymalloc", "median", 60e6),
    entry(6, "Random/medium/pymalloc", "median", 100e6),
    entry(7, "Random/medium/arena", "median", 10e6),
    entry(8, "Lifo/1/32/glibc", "median", 100e6),
]}


def test_medians_patterns_and_the_target():
    med = alloc_throughput.medians(REPORT)
    assert med[("Lifo/1/32", "pymalloc")] == 200e6  # the median, not the mean
    assert alloc_throughput.patterns(med) == ["Lifo/1/32", "Random/small", "PythonMix", "Random/medium"]
    geomean, lowest, low = alloc_throughput.target(med)
    assert lowest == "Random/small" and low == pytest.approx(0.9)
    assert geomean == pytest.approx((2.0 * 0.9 * 1.0) ** (1 / 3))


def test_the_table_says_what_is_met_and_what_is_missed():
    text = alloc_throughput.markdown(alloc_throughput.medians(REPORT), "make bench-alloc", 10, "2026-12-03")
    assert "| pattern | glibc | pymalloc | arena |" in text  # mimalloc not measured: no column
    assert "| Lifo/1/32 | 100.0 (0.50x) | 200.0 (1.00x) | 400.0 (2.00x) |" in text
    assert "| Random/medium (not small) |" in text
    assert "geometric mean 1.22x (target >= 0.95: met)" in text
    assert "lowest 0.90x on Random/small (target >= 0.95: missed by 5.3%)" in text


def test_the_command_runs_the_binary_and_rewrites_the_readme(tmp_path):
    fake = tmp_path / "bench_alloc"
    fake.write_text(f"#!/bin/sh\ncat <<'EOF'\n{json.dumps(REPORT)}\nEOF\n")
    fake.chmod(0o755)
    readme = tmp_path / "README.md"
    readme.write_text("before\n<!-- bench-alloc:begin -->\nold\n<!-- bench-alloc:end -->\nafter\n")
    assert alloc_throughput.main(["--binary", str(fake), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("before\n<!-- bench-alloc:begin -->\nMeasured by `python -m shrinkpy.alloc_throughput")
    assert "old" not in text and text.endswith("<!-- bench-alloc:end -->\nafter\n")
    assert "missed by 5.3%" in text


def test_a_missing_binary_is_a_clear_error(tmp_path, capsys):
    assert alloc_throughput.main(["--binary", str(tmp_path / "bench_alloc")]) == 2
    assert "cmake --build build --target bench_alloc" in capsys.readouterr().err


def test_bench_alloc_reports_what_the_reader_expects():
    binary = Path(locate.shrinkpython()).parents[1] / "benchmarks" / "bench_alloc"
    if not binary.is_file():
        pytest.skip(f"{binary} is not built")
    out = subprocess.run([binary, "--benchmark_format=json", "--benchmark_repetitions=2", "--benchmark_min_time=0.001",
                          "--benchmark_enable_random_interleaving=true", "--benchmark_report_aggregates_only=true",
                          "--benchmark_filter=Lifo/1/32/(pymalloc|arena)$"], capture_output=True, check=True).stdout
    med = alloc_throughput.medians(json.loads(out))
    assert set(med) == {("Lifo/1/32", "pymalloc"), ("Lifo/1/32", "arena")}
    assert all(value > 0 for value in med.values())
