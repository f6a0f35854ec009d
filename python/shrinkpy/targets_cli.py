"""shrinkpy targets: the trimmed interpreter's targets (issue 7), measured side by side with
Debian's python3.11 in one run and optionally written into README.md's own section:

    -S -I -c pass                          peak RSS at most 0.6x python3.11's (goal 0.45x)
    -c "import json, re, collections, asyncio"   at most 0.6x
    the demo (benchmarks/workloads/sensor_pipeline.py)   at most 0.7x, with the same output

One warm-up run per interpreter and command, then runs alternating between them; medians.
Measured through shrinkpy-measure (measure.py) without PYTHONDONTWRITEBYTECODE, as FACTS.md asks.
shrinkpython as `make build` and the wheel install it (Debian's python3.11 with libshrinkpython.so
preloaded, its defaults) runs alongside where it is built: not a target, but what a user without
the trimmed build starts with.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
from pathlib import Path

from shrinkpy import configs
from shrinkpy.bench_cli import machine, update_readme
from shrinkpy.measure import measure

README_BEGIN, README_END = "<!-- targets:begin -->", "<!-- targets:end -->"
DEMO = configs.REPO / "benchmarks" / "workloads" / "sensor_pipeline.py"
# (label, arguments, target ratio of peak RSS, goal ratio or None)
TARGETS = [
    ("`-S -I -c pass`", ["-S", "-I", "-c", "pass"], 0.6, 0.45),
    ("`import json, re, collections, asyncio`", ["-c", "import json, re, collections, asyncio"], 0.6, None),
    ("demo: `sensor_pipeline.py`", [str(DEMO)], 0.7, None),
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", default="host", help="the dist/<board> interpreter to measure (default host)")
    parser.add_argument("--repeat", type=int, default=5, metavar="N", help="measured runs per command (default 5)")
    parser.add_argument("--readme", metavar="FILE", help=f"replace the table between {README_BEGIN} and {README_END}")


def main(args: argparse.Namespace) -> int:
    stock = configs.anchors()[0]
    trimmed = configs.trimmed(args.board)
    reason = configs.unavailable_reason(trimmed)
    if reason:
        print(f"shrinkpy targets: {reason}", file=sys.stderr)
        return 2
    installed = configs.as_installed()
    measured = [stock, trimmed] + ([installed] if configs.unavailable_reason(installed) is None else [])
    base = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    rows = []
    for label, argv, target, goal in TARGETS:
        peaks: dict[str, list[int]] = {config.name: [] for config in measured}
        outputs = {}
        for round_ in range(max(1, args.repeat) + 1):
            for config in measured:
                m = measure(config.command(argv), env=config.environment(base), capture_stdout=True)
                if m.exit_code != 0:
                    print(f"shrinkpy targets: {config.name} exited with {m.exit_code} on {label}", file=sys.stderr)
                    return 1
                outputs[config.name] = m.stdout
                if round_:
                    peaks[config.name].append(m.peak_rss_bytes)
        ref, ours = statistics.median(peaks[stock.name]), statistics.median(peaks[trimmed.name])
        untrimmed = statistics.median(peaks[installed.name]) if peaks.get(installed.name) else None
        rows.append((label, ref, ours, ours / ref, target, goal, outputs[stock.name] == outputs[trimmed.name],
                     untrimmed))
        print(f"  {label}: {ours / ref:.2f}x", file=sys.stderr)
    table = format_table(rows, args.board, max(1, args.repeat))
    print(table)
    if args.readme:
        update_readme(Path(args.readme), table, README_BEGIN, README_END)
    return 0


def format_table(rows, board: str, repeat: int) -> str:
    lines = [f"Measured by `make targets` (`shrinkpy targets --readme README.md`: dist/{board}/bin/python3.11 "
             f"against Debian's python3.11, and beside them shrinkpython as `make build` installs it, one warm-up, "
             f"then {repeat} alternating runs each, medians of peak RSS) on {datetime.date.today()}, {machine()}:", "",
             "| command | python3.11 | trimmed | ratio | target | met | same output | shrinkpython, not trimmed |",
             "|---|---|---|---|---|---|---|---|"]
    for label, ref, ours, ratio, target, goal, same, untrimmed in rows:
        aim = f"<= {target}x" + (f" (goal {goal}x)" if goal else "")
        beside = f"{untrimmed / 2**20:.1f} MiB ({untrimmed / ref:.2f}x)" if untrimmed else "-"
        lines.append(f"| {label} | {ref / 2**20:.1f} MiB | {ours / 2**20:.1f} MiB | {ratio:.2f}x | {aim} | "
                     f"{'yes' if ratio <= target else 'no'} | {'yes' if same else 'NO'} | {beside} |")
    return "\n".join(lines)
