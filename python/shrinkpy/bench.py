"""The benchmark runner behind `shrinkpy bench`: every workload under every configuration,
alternating configurations run by run, with medians, ratios to stock python3.11 and geometric means.

A run records, through shrinkpy-measure: peak RSS (VmHWM), peak private memory (smaps, sampled),
wall and CPU time; through the workload's own mark: the RSS it retains after dropping its data; and
its output, which must equal stock python3.11's (every workload prints a checksum).
"""

from __future__ import annotations

import math
import os
import statistics
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from shrinkpy import configs
from shrinkpy.configs import Config
from shrinkpy.measure import measure

WORKLOADS_DIR = configs.REPO / "benchmarks" / "workloads"
METRICS = ("peak_rss_bytes", "peak_private_bytes", "retained_bytes", "wall_seconds", "cpu_seconds")
BASELINE = "stock"


@dataclass(frozen=True)
class Suite:
    """A directory of workloads, the configurations it is meant to compare, and the one its ratios
    are taken against. Workloads of every suite import benchmarks/workloads/workload_support.py.
    `commands`, when set, gives the workloads with their arguments instead of every script."""
    directory: Path
    configs: str
    baseline: str
    about: str
    commands: Callable[[], dict[str, list[str]]] | None = None


def _cli_commands() -> dict[str, list[str]]:
    from shrinkpy import import_bench  # it reads this module's statistics

    return import_bench.commands()


EARLY_FREE_PAIR = "stock,shrinkpython-pymalloc,pymalloc+early"
SUITES = {
    "workloads": Suite(WORKLOADS_DIR, "stock,stock-malloc,stock-mimalloc,arena,arena+early,trimmed+arena+early",
                       BASELINE, "realistic programs for every lever"),
    "temporaries": Suite(configs.REPO / "benchmarks" / "temporaries", EARLY_FREE_PAIR, "shrinkpython-pymalloc",
                         "early freeing: programs whose large intermediates are dead long before they go out of scope"),
    "cpu": Suite(configs.REPO / "benchmarks" / "cpu", EARLY_FREE_PAIR, "shrinkpython-pymalloc",
                 "early freeing's cost in time: CPU-bound kernels in the style of pyperformance"),
    "cli": Suite(configs.REPO / "benchmarks" / "cli", "stock,imports-eager,imports-defer", "imports-eager",
                 "deferred imports: every path (--help, light and heavy subcommands) of command-line tools",
                 _cli_commands),
}


def workloads(suite: str = "workloads") -> dict[str, Path]:
    """A suite's workloads, by name: every script in its directory."""
    directory = SUITES[suite].directory
    return {p.stem: p for p in sorted(directory.glob("*.py")) if p.stem != "workload_support"}


def commands(suite: str = "workloads") -> dict[str, list[str]]:
    """A suite's workloads, by name, as the script and arguments to run."""
    if SUITES[suite].commands is not None:
        return SUITES[suite].commands()
    return {name: [str(path)] for name, path in workloads(suite).items()}


@dataclass(frozen=True)
class Run:
    workload: str
    config: str
    index: int  # 1-based; warm-up runs are not recorded
    exit_code: int
    output_ok: bool  # stdout equal to the baseline's
    peak_rss_bytes: int
    peak_private_bytes: int
    retained_bytes: int | None  # the workload's last "retained" mark, if it has one
    wall_seconds: float
    cpu_seconds: float


def _retained(marks_path: str) -> int | None:
    try:
        with open(marks_path) as f:
            values = [int(v) for name, v in (line.split() for line in f) if name == "retained"]
    except FileNotFoundError:
        return None
    return values[-1] if values else None


def run_once(name: str, argv: list[str], config: Config, extra_args: list[str]) -> tuple[Run, bytes]:
    """One measured run of the script and arguments `argv` (a workload) under `config`."""
    with tempfile.TemporaryDirectory(prefix="shrinkpy-bench-") as tmp:
        marks = os.path.join(tmp, "marks")
        env = config.environment()
        env["SHRINKPY_BENCH_MARKS"] = marks
        env["PYTHONPATH"] = str(WORKLOADS_DIR)  # workload_support, for the workloads of every suite
        m = measure(config.command([*argv, *extra_args]), env=env, capture_stdout=True)
        retained = _retained(marks)
    run = Run(name, config.name, 0, m.exit_code, True, m.peak_rss_bytes, m.peak_private_bytes, retained,
              m.wall_seconds, m.cpu_seconds)
    return run, m.stdout or b""


def run_matrix(names: list[str], matrix: list[Config], repeat: int, extra_args: list[str],
               progress=None, suite: str = "workloads") -> tuple[list[Run], dict[str, bytes]]:
    """Warm-up once per (workload, configuration), then `repeat` rounds; inside a round every
    workload runs under every configuration in turn, so that drift on a noisy machine spreads
    evenly. Returns the runs and the baseline's output per workload."""
    argv = commands(suite)
    runs: list[Run] = []
    reference: dict[str, bytes] = {}
    total = len(names) * len(matrix) * (repeat + 1)
    step = 0
    for round_ in range(repeat + 1):
        for name in names:
            for config in matrix:
                step += 1
                if progress:
                    progress(step, total, name, config.name, "warm-up" if round_ == 0 else f"run {round_}/{repeat}")
                run, stdout = run_once(name, argv[name], config, extra_args)
                if config.name == matrix[0].name:
                    reference.setdefault(name, stdout)
                ok = run.exit_code == 0 and stdout == reference.get(name, stdout)
                if round_ > 0:
                    runs.append(Run(**{**asdict(run), "index": round_, "output_ok": ok}))
    return runs, reference


# --- statistics ----------------------------------------------------------------------------------

def medians(runs: list[Run]) -> dict[tuple[str, str], dict[str, float | None]]:
    """{(workload, config): {metric: median}}; a metric with no values (no retained mark) is None."""
    grouped: dict[tuple[str, str], list[Run]] = {}
    for r in runs:
        grouped.setdefault((r.workload, r.config), []).append(r)
    out = {}
    for key, rs in grouped.items():
        row = {}
        for metric in METRICS:
            values = [getattr(r, metric) for r in rs if getattr(r, metric) is not None]
            row[metric] = statistics.median(values) if values else None
        row["output_ok"] = all(r.output_ok for r in rs)
        out[key] = row
    return out


def ratios(med: dict, baseline: str = BASELINE) -> dict[tuple[str, str], dict[str, float | None]]:
    """Each median divided by the baseline configuration's median for the same workload."""
    out = {}
    for (workload, config), row in med.items():
        base = med.get((workload, baseline))
        out[(workload, config)] = {
            m: (row[m] / base[m] if base and row[m] is not None and base[m] else None) for m in METRICS}
    return out


def geometric_means(rat: dict, config_names: list[str], workload_names: list[str]) -> dict[str, dict[str, float | None]]:
    out = {}
    for config in config_names:
        row = {}
        for metric in METRICS:
            values = [rat[(w, config)][metric] for w in workload_names
                      if (w, config) in rat and rat[(w, config)][metric]]
            row[metric] = math.exp(sum(math.log(v) for v in values) / len(values)) if values else None
        out[config] = row
    return out


# --- tables --------------------------------------------------------------------------------------

TABLES = [("peak RSS", "peak_rss_bytes"), ("peak private memory", "peak_private_bytes"),
          ("RSS retained after the program drops its data", "retained_bytes"), ("wall time", "wall_seconds")]


def _cell(value, ratio, metric) -> str:
    if value is None:
        return "-"
    shown = f"{value:.2f} s" if metric.endswith("seconds") else f"{value / 2**20:.1f} MiB"
    return shown if ratio is None else f"{shown} ({ratio:.2f}x)"


def format_tables(runs: list[Run], config_names: list[str], workload_names: list[str], markdown: bool = False,
                  baseline: str = BASELINE) -> str:
    med = medians(runs)
    rat = ratios(med, baseline)
    geo = geometric_means(rat, config_names, workload_names)
    blocks = []
    for title, metric in TABLES:
        header = ["workload", *config_names]
        rows = []
        for w in workload_names:
            cells = [w]
            for c in config_names:
                row = med.get((w, c))
                if row is None:
                    cells.append("-")
                    continue
                cell = _cell(row[metric], rat[(w, c)][metric], metric)
                cells.append(cell if row["output_ok"] else cell + " WRONG OUTPUT")
            rows.append(cells)
        rows.append(["geometric mean", *[f"{geo[c][metric]:.2f}x" if geo[c][metric] else "-" for c in config_names]])
        if markdown:
            lines = [f"**{title}** (median, ratio to {baseline})", "",
                     "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(r) + " |" for r in rows]
        else:
            widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
            lines = [f"{title} (median, ratio to {baseline})"]
            lines += ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r))
                      for r in [header, *rows]]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def progress_printer(step: int, total: int, workload: str, config: str, label: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{step}/{total}] {workload} / {config}: {label}".ljust(78), end="", file=sys.stderr, flush=True)
        if step == total:
            print("\r" + " " * 78 + "\r", end="", file=sys.stderr, flush=True)
