"""Every workload prints the same checksum under every configuration that can run here (at a small
scale, so this stays a test), and marks the point where it has dropped its data."""

from __future__ import annotations

import pytest

from conftest import run
from shrinkpy import bench, configs

CONFIGS = [c for c in configs.named().values() if configs.unavailable_reason(c) is None]
WORKLOADS = bench.workloads()


@pytest.mark.parametrize("workload", sorted(WORKLOADS))
def test_same_checksum_under_every_configuration(workload, tmp_path):
    outputs = {}
    for config in CONFIGS:
        marks = tmp_path / f"{config.name}.marks"
        env = config.environment()
        env["SHRINKPY_BENCH_MARKS"] = str(marks)
        r = run(config.command([str(WORKLOADS[workload]), "--scale", "0.02"]), env=env)
        assert r.returncode == 0, f"{config.name}: {r.stderr.decode()[-2000:]}"
        assert b"checksum" in r.stdout or b"skipped" in r.stdout
        outputs[config.name] = r.stdout
        if b"skipped" not in r.stdout:
            names = [line.split()[0] for line in marks.read_text().splitlines()]
            expected = ["before", "retained"] if workload.startswith("spike_") else ["retained"]
            assert names == expected, f"{config.name}: marks {names}"
    assert len(set(outputs.values())) == 1, outputs


def test_the_matrix_has_the_anchors_and_shrinkpython():
    names = {c.name for c in CONFIGS}
    assert {"stock", "stock-malloc", "stock-mimalloc", "shrinkpython-pymalloc"} <= names
    assert len(WORKLOADS) >= 10
