"""Every workload of every suite prints the same checksum under every configuration that can run
here and can import what the workload needs (at a small scale, so this stays a test); memory
workloads mark the point where they have dropped their data."""

from __future__ import annotations

import pytest

from conftest import run
from shrinkpy import bench, configs

CONFIGS = [c for c in configs.named().values() if configs.unavailable_reason(c) is None]
WORKLOADS = bench.workloads()
# Suites that name some workloads of another's directory (spikes) are covered by that one; the cli
# suite's tools take subcommands, not --scale: test_shrinkpython_imports.py runs every path of them.
EVERY = {f"{suite}/{name}": (suite, path) for suite in bench.SUITES
         if not bench.SUITES[suite].names and bench.SUITES[suite].commands is None
         for name, path in bench.workloads(suite).items()}


@pytest.mark.parametrize("workload", sorted(EVERY))
def test_same_checksum_under_every_configuration(workload, tmp_path):
    suite, path = EVERY[workload]
    # Not run where the interpreter lacks what the workload needs (the static trimmed one: numpy, sqlite3).
    excluded = bench.unrunnable_pairs([path.stem], CONFIGS)
    outputs = {}
    for config in CONFIGS:
        if (path.stem, config.name) in excluded:
            continue
        marks = tmp_path / f"{config.name}.marks"
        env = config.environment()
        env["SHRINKPY_BENCH_MARKS"] = str(marks)
        env["PYTHONPATH"] = str(bench.WORKLOADS_DIR)
        r = run(config.command([str(path), "--scale", "0.02"]), env=env)
        assert r.returncode == 0, f"{config.name}: {r.stderr.decode()[-2000:]}"
        assert b"checksum" in r.stdout or b"skipped" in r.stdout
        outputs[config.name] = r.stdout
        if b"skipped" not in r.stdout and suite != "cpu":
            names = [line.split()[0] for line in marks.read_text().splitlines()]
            points = [n for n in names if "." not in n]  # without the arena's census (retained.live_pages...)
            expected = ["before", "retained"] if path.stem.startswith("spike_") else ["retained"]
            assert points == expected, f"{config.name}: marks {names}"
            census = [n for n in names if n.startswith("retained.")]
            runs_arena = not config.name.startswith("stock") and \
                config.environment().get("SHRINKPY_ALLOCATOR", "arena") == "arena"
            assert bool(census) == runs_arena, f"{config.name}: marks {names}"
    assert len(set(outputs.values())) == 1, outputs


def test_the_matrix_has_the_anchors_and_shrinkpython():
    names = {c.name for c in CONFIGS}
    assert {"stock", "stock-malloc", "stock-mimalloc", "shrinkpython-pymalloc"} <= names
    assert len(WORKLOADS) >= 10
    assert len(bench.workloads("temporaries")) >= 8 and len(bench.workloads("cpu")) >= 5
    assert {"shrinkpython-pymalloc", "pymalloc+early"} <= names
