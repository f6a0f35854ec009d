"""Reading pyperf's JSON result files (what `pyperformance run -o FILE` writes) and comparing them.

The format (pyperf's doc/api.rst, "perf JSON"): {"version": "1.0", "metadata": {...common...},
"benchmarks": [{"metadata": {"name": ..., "unit": ...}, "runs": [{"metadata": {...}, "values":
[...], "warmups": [[loops, value], ...]}, ...]}]}. Metadata missing from a benchmark is inherited
from the suite's; a run without "values" is a calibration run. Files may be gzip-compressed. With
--track-memory the values are peak private memory in bytes (unit "byte"), otherwise seconds.
"""

from __future__ import annotations

import gzip
import json
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class BenchmarkResult:
    name: str
    unit: str  # "second", "byte" or "integer"
    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)


def load(path: str) -> dict[str, BenchmarkResult]:
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        suite = json.load(f)
    common = suite.get("metadata", {})
    results = {}
    for bench in suite.get("benchmarks", []):
        metadata = {**common, **bench.get("metadata", {})}
        runs = bench.get("runs", [])
        name = metadata.get("name") or next((r["metadata"]["name"] for r in runs if "name" in r.get("metadata", {})), None)
        if name is None:
            raise ValueError(f"{path}: a benchmark has no name")
        values = tuple(v for r in runs for v in r.get("values", []))
        if values:
            results[name] = BenchmarkResult(name, metadata.get("unit", "second"), values)
    return results


def compare(base: dict[str, BenchmarkResult], other: dict[str, BenchmarkResult]) -> tuple[dict[str, float], float | None]:
    """Per-benchmark ratio of means (other / base) over the benchmarks both have, and their geometric mean."""
    common = sorted(set(base) & set(other))
    for name in common:
        if base[name].unit != other[name].unit:
            raise ValueError(f"{name}: unit {base[name].unit} vs {other[name].unit}")
    ratios = {name: other[name].mean / base[name].mean for name in common}
    geo = statistics.geometric_mean(ratios.values()) if ratios else None
    return ratios, geo
