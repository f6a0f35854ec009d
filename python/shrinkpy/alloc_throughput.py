"""Allocation throughput of the arena against pymalloc, glibc malloc and mimalloc, from bench_alloc
(benchmarks/bench_alloc.cpp), checked against issue 4's target and optionally written into
README.md's bench-alloc section:

    small-object alloc/free throughput at least 0.95x pymalloc's

bench_alloc calls each allocator through the PyMemAllocatorEx CPython would call. It runs with
Google Benchmark's random interleaving, so that a slow spell of this shared machine falls on every
allocator alike, and repeats each pattern; each allocator's median is compared with pymalloc's in
the same run. The small-object patterns are Lifo and Fifo of 32-, 64- and 256-byte blocks,
Random/small (1 to 512 bytes) and PythonMix (request sizes recorded from the workloads).
Random/medium (513 bytes to 16 KiB) is shown but not in the target: pymalloc hands those sizes to
glibc malloc.

    python -m shrinkpy.alloc_throughput --binary build/benchmarks/bench_alloc [--readme README.md]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import subprocess
import sys
from pathlib import Path

from shrinkpy.bench_cli import machine, update_readme

README_BEGIN, README_END = "<!-- bench-alloc:begin -->", "<!-- bench-alloc:end -->"
ALLOCATORS = ("glibc", "pymalloc", "mimalloc", "arena")
BASELINE = "pymalloc"
TARGET = 0.95


def is_small(pattern: str) -> bool:
    return pattern != "Random/medium"


def medians(report: dict) -> dict[tuple[str, str], float]:
    """Median items per second by (pattern, allocator) from bench_alloc's JSON report (Google
    Benchmark's format: an aggregate entry per benchmark, run_name "Pattern/.../allocator")."""
    entries = [e for e in report.get("benchmarks", [])
               if e.get("run_type") == "aggregate" and e.get("aggregate_name") == "median"]
    out = {}
    # Registration order (family_index): the report's own order is shuffled by the interleaving.
    for entry in sorted(entries, key=lambda e: e.get("family_index", 0)):
        pattern, _, allocator = entry["run_name"].rpartition("/")
        out[(pattern, allocator)] = float(entry["items_per_second"])
    return out


def patterns(med: dict[tuple[str, str], float]) -> list[str]:
    """Patterns measured under pymalloc and the arena, in the order bench_alloc registers them."""
    seen = dict.fromkeys(p for p, _ in med)
    return [p for p in seen if (p, BASELINE) in med and (p, "arena") in med]


def target(med: dict[tuple[str, str], float]) -> tuple[float, str, float]:
    """The arena's throughput over pymalloc's on the small-object patterns: geometric mean, and the
    lowest pattern with its ratio."""
    ratios = {p: med[(p, "arena")] / med[(p, BASELINE)] for p in patterns(med) if is_small(p)}
    if not ratios:
        raise SystemExit("shrinkpy: bench_alloc reported no small-object pattern under pymalloc and the arena")
    geomean = statistics.geometric_mean(ratios.values())
    lowest = min(ratios, key=ratios.get)
    return geomean, lowest, ratios[lowest]


def verdict(ratio: float) -> str:
    return "met" if ratio >= TARGET else f"missed by {1 - ratio / TARGET:.1%}"


def markdown(med: dict[tuple[str, str], float], command: str, repeat: int, when: str) -> str:
    measured = patterns(med)
    allocators = [a for a in ALLOCATORS if any((p, a) in med for p in measured)]
    lines = [
        f"Measured by `{command}` on {when}, {machine()}; medians of {repeat} repetitions, allocators "
        f"interleaved at random; millions of operations (a malloc or a free) per second, and the ratio "
        f"to pymalloc's in the same run (higher is faster).",
        "",
        "| pattern | " + " | ".join(allocators) + " |",
        "|---|" + "---|" * len(allocators),
    ]
    for p in measured:
        cells = []
        for a in allocators:
            value = med.get((p, a))
            cells.append("-" if value is None else f"{value / 1e6:.1f} ({value / med[(p, BASELINE)]:.2f}x)")
        lines.append(f"| {p}{'' if is_small(p) else ' (not small)'} | " + " | ".join(cells) + " |")
    geomean, lowest, low = target(med)
    lines += [
        "",
        f"- small-object throughput vs pymalloc: geometric mean {geomean:.2f}x (target >= {TARGET:.2f}: "
        f"{verdict(geomean)}), lowest {low:.2f}x on {lowest} (target >= {TARGET:.2f}: {verdict(low)})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shrinkpy.alloc_throughput", description=__doc__.split("\n\n")[0])
    parser.add_argument("--binary", required=True, help="bench_alloc, built by `cmake --build build --target bench_alloc`")
    parser.add_argument("--repeat", type=int, default=10, metavar="N", help="repetitions of each benchmark (default 10)")
    parser.add_argument("--min-time", type=float, default=0.05, metavar="S", help="seconds per repetition (default 0.05)")
    parser.add_argument("--filter", default="", help="only the benchmarks matching this regular expression")
    parser.add_argument("--json", metavar="FILE", help="keep bench_alloc's own JSON report")
    parser.add_argument("--readme", metavar="FILE", help=f"replace the section between {README_BEGIN} and {README_END}")
    args = parser.parse_args(argv)
    if not Path(args.binary).is_file():
        print(f"shrinkpy: {args.binary} is missing: build it with `cmake --build build --target bench_alloc`",
              file=sys.stderr)
        return 2
    command = [args.binary, "--benchmark_format=json", f"--benchmark_repetitions={max(1, args.repeat)}",
               f"--benchmark_min_time={args.min_time}", "--benchmark_enable_random_interleaving=true",
               "--benchmark_report_aggregates_only=true"]
    if args.filter:
        command.append(f"--benchmark_filter={args.filter}")
    print(f"shrinkpy: running {' '.join(command)} (a few minutes)", file=sys.stderr, flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, check=False)
    if result.returncode != 0:
        print(f"shrinkpy: bench_alloc failed with exit code {result.returncode}", file=sys.stderr)
        return 1
    report = json.loads(result.stdout)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    med = medians(report)
    shown = " ".join(["python -m shrinkpy.alloc_throughput"] + (sys.argv[1:] if argv is None else argv))
    body = markdown(med, shown, max(1, args.repeat), datetime.date.today().isoformat())
    print(body)
    if args.readme:
        update_readme(Path(args.readme), body, README_BEGIN, README_END)
    return 0


if __name__ == "__main__":
    sys.exit(main())
