"""The benchmark runner behind `shrinkpy bench`: every workload under every configuration,
alternating configurations run by run, with medians, ratios to stock python3.11 and geometric means.

A run records, through shrinkpy-measure: peak RSS (VmHWM), peak private memory (smaps, sampled),
wall and CPU time; through the workload's own marks: the RSS it retains after dropping its data
("retained") and, for the spike workloads, the RSS before the spike ("before"); under the arena,
the retained RSS less the resident pages that hold no live block (its census at the mark: what an
allocator that does not move blocks could at best retain at this page size, "retained floor");
and its output, which must equal stock python3.11's (every workload prints a checksum). For the
`workloads` matrix also, once per workload, the live Python data at its peak: tracemalloc's peak
under python3.11 (live_data_peaks), a floor that no allocator or interpreter build goes below
without shrinking the program's own objects (live_data_lines).

Suites (SUITES) name the workloads and the configurations measured together, each with its own
README section; `spikes` is the arena allocator's (issue #4): the spike workloads under arena,
pymalloc, glibc malloc and mimalloc, and whether the arena meets its targets (spike_targets);
the `workloads` matrix is judged by issue #8's targets for the full configuration (workload_targets).
A target's verdict comes with the spread of the paired runs (round_spread), so that a reader can
tell a miss from this machine's run-to-run noise.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from shrinkpy import configs
from shrinkpy.configs import Config
from shrinkpy.measure import measure

WORKLOADS_DIR = configs.REPO / "benchmarks" / "workloads"
METRICS = ("peak_rss_bytes", "peak_private_bytes", "retained_bytes", "before_bytes", "retained_floor_bytes",
           "wall_seconds", "cpu_seconds")
BASELINE = "stock"


@dataclass(frozen=True)
class Suite:
    """A directory of workloads (or the named ones of it), the configurations it is meant to
    compare, the one its ratios are taken against, and the tables it shows (TABLES when empty).
    Workloads of every suite import benchmarks/workloads/workload_support.py. `commands`, when set,
    gives the workloads with their arguments instead (a suite of command lines)."""
    directory: Path
    configs: str
    baseline: str
    about: str
    names: tuple[str, ...] = ()  # every script of the directory when empty
    tables: tuple[tuple[str, str], ...] = ()  # (title, metric)
    commands: Callable[[], dict[str, list[str]]] | None = None  # name -> script and arguments


def _cli_commands() -> dict[str, list[str]]:
    from shrinkpy import import_bench  # it reads this module's statistics

    return import_bench.commands()


EARLY_FREE_PAIR = "stock,shrinkpython-pymalloc,pymalloc+early"
# pymalloc reached through the allocator pointer, as the arena is (SHRINKPY_ALLOCATOR=pymalloc-indirect):
# python3.11 inlines pymalloc where it calls it, which no other allocator can have.
INDIRECT_PYMALLOC = "shrinkpython-pymalloc-indirect"
SPIKE_TABLES = (("peak RSS", "peak_rss_bytes"), ("RSS before the spike", "before_bytes"),
                ("RSS retained after the program drops its data", "retained_bytes"),
                ("retained floor: the retained RSS less the arena's resident pages without a live block (the best an "
                 "allocator that does not move blocks can do at this page size)", "retained_floor_bytes"),
                ("wall time", "wall_seconds"))
SUITES = {
    "workloads": Suite(WORKLOADS_DIR, "stock,stock-malloc,stock-mimalloc,arena,arena+early,trimmed+arena+early",
                       BASELINE, "realistic programs for every lever"),
    "temporaries": Suite(configs.REPO / "benchmarks" / "temporaries", EARLY_FREE_PAIR, "shrinkpython-pymalloc",
                         "early freeing: programs whose large intermediates are dead long before they go out of scope"),
    "cpu": Suite(configs.REPO / "benchmarks" / "cpu", EARLY_FREE_PAIR, "shrinkpython-pymalloc",
                 "early freeing's cost in time: CPU-bound kernels in the style of pyperformance"),
    "spikes": Suite(WORKLOADS_DIR, "stock,stock-malloc,stock-mimalloc,shrinkpython-pymalloc,"
                    f"{INDIRECT_PYMALLOC},arena", BASELINE,
                    "the arena allocator: programs that build a large structure and drop it (issue #4), with its "
                    "targets", ("spike_dict_dropped", "spike_dict_every50", "spike_dict_random2", "spike_records",
                                "service_spikes"), SPIKE_TABLES),
    "cli": Suite(configs.REPO / "benchmarks" / "cli", "stock,imports-eager,imports-defer", "imports-eager",
                 "deferred imports: every path (--help, light and heavy subcommands) of command-line tools",
                 commands=_cli_commands),
}


def workloads(suite: str = "workloads") -> dict[str, Path]:
    """A suite's workloads, by name: its scripts (the helpers they share, *_support.py, excepted)."""
    s = SUITES[suite]
    found = {p.stem: p for p in sorted(s.directory.glob("*.py")) if not p.stem.endswith("_support")}
    return {name: found[name] for name in s.names if name in found} if s.names else found


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
    before_bytes: int | None = None  # the workload's last "before" mark (spike workloads)
    # retained_bytes less the resident pages the arena's census found without a live block (its
    # empty pages and cached large mappings); None without the arena's census
    retained_floor_bytes: int | None = None


def _marks(marks_path: str) -> dict[str, int]:
    """The last value of each mark the workload wrote."""
    try:
        with open(marks_path) as f:
            return {name: int(v) for name, v in (line.split() for line in f)}
    except FileNotFoundError:
        return {}


def workload_environment(config: Config) -> dict[str, str]:
    """`config`'s environment for running a workload: with workload_support importable, which the
    workloads of every suite use."""
    env = config.environment()
    env["PYTHONPATH"] = str(WORKLOADS_DIR)
    return env


def run_once(name: str, argv: list[str], config: Config, extra_args: list[str]) -> tuple[Run, bytes]:
    """One measured run of the script and arguments `argv` (a workload) under `config`."""
    with tempfile.TemporaryDirectory(prefix="shrinkpy-bench-") as tmp:
        marks = os.path.join(tmp, "marks")
        env = workload_environment(config)
        env["SHRINKPY_BENCH_MARKS"] = marks
        m = measure(config.command([*argv, *extra_args]), env=env, capture_stdout=True)
        marked = _marks(marks)
    run = Run(name, config.name, 0, m.exit_code, True, m.peak_rss_bytes, m.peak_private_bytes,
              marked.get("retained"), m.wall_seconds, m.cpu_seconds, marked.get("before"), retained_floor(marked))
    return run, m.stdout or b""


def retained_floor(marked: dict[str, int]) -> int | None:
    """The retained RSS less what the arena's census at that mark found resident without a live
    block, or None when the mark carries no census (not the arena)."""
    if "retained" not in marked or "retained.empty_pages" not in marked:
        return None
    empty = marked["retained.empty_pages"] * marked["retained.page_size"] + marked["retained.large_cached_bytes"]
    return marked["retained"] - empty


# Modules a workload (of any suite) cannot do without. A configuration whose interpreter cannot
# import one that the baseline can (the fully static trimmed interpreter has no numpy, which needs
# dlopen, and no _sqlite3) does not run that workload: it is reported as not measured, with the
# import's error.
NEEDS = {"numpy_pipeline": ("numpy",), "signal_steps": ("numpy",), "sqlite_ingest": ("sqlite3",)}


def _import_error(config: Config, module: str) -> str | None:
    r = subprocess.run(config.command(["-c", f"import {module}"]), env=config.environment(),
                       capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = r.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit status {r.returncode}"


def unrunnable_pairs(names: list[str], matrix: list[Config]) -> dict[tuple[str, str], str]:
    """{(workload, configuration): why it is not measured} for the workloads of NEEDS."""
    out: dict[tuple[str, str], str] = {}
    errors: dict[tuple[str, str], str | None] = {}
    for name in names:
        for module in NEEDS.get(name, ()):
            for config in matrix:
                if (config.name, module) not in errors:
                    errors[(config.name, module)] = _import_error(config, module)
            if errors[(matrix[0].name, module)] is not None:
                continue  # the baseline lacks it too: the workload says it was skipped, alike everywhere
            for config in matrix[1:]:
                error = errors[(config.name, module)]
                if error is not None:
                    out[(name, config.name)] = f"cannot import {module}: {error}"
    return out


def run_matrix(names: list[str], matrix: list[Config], repeat: int, extra_args: list[str],
               progress=None, suite: str = "workloads",
               excluded: dict[tuple[str, str], str] | None = None) -> tuple[list[Run], dict[str, bytes]]:
    """Warm-up once per (workload, configuration), then `repeat` rounds; inside a round every
    workload runs under every configuration in turn, so that drift on a noisy machine spreads
    evenly. Pairs in `excluded` do not run. Returns the runs and the baseline's output per workload."""
    argv = commands(suite)
    excluded = excluded or {}
    runs: list[Run] = []
    reference: dict[str, bytes] = {}
    total = (len(names) * len(matrix) - len(excluded)) * (repeat + 1)
    step = 0
    for round_ in range(repeat + 1):
        for name in names:
            for config in matrix:
                if (name, config.name) in excluded:
                    continue
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


# tracemalloc from the start (-X tracemalloc: the interpreter's own start-up allocations count too),
# the script run as __main__ with its arguments, the peak of traced bytes written at exit.
_LIVE_PEAK = """import runpy, sys, tracemalloc
out, path = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
try:
    runpy.run_path(path, run_name="__main__")
finally:
    with open(out, "w") as f:
        f.write(str(tracemalloc.get_traced_memory()[1]))
"""


def live_data_peaks(names: list[str], extra_args: list[str], suite: str = "workloads") -> dict[str, int]:
    """{workload: the peak of the bytes it holds through CPython's allocators}, from one run each
    under python3.11 with tracemalloc: the live Python data at its peak (numpy's buffers included:
    numpy reports them to tracemalloc). Workloads that fail under it are left out."""
    stock = configs.named()[BASELINE]
    argv = commands(suite)
    out = {}
    for name in names:
        with tempfile.TemporaryDirectory(prefix="shrinkpy-live-") as tmp:
            peak = os.path.join(tmp, "peak")
            command = stock.command(["-X", "tracemalloc", "-c", _LIVE_PEAK, peak, *argv[name], *extra_args])
            r = subprocess.run(command, env=workload_environment(stock), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0 and os.path.exists(peak):
                out[name] = int(Path(peak).read_text())
    return out


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
            row[metric] = statistics.geometric_mean(values) if values else None
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
                  baseline: str = BASELINE, tables=TABLES) -> str:
    med = medians(runs)
    rat = ratios(med, baseline)
    geo = geometric_means(rat, config_names, workload_names)
    blocks = []
    for title, metric in tables:
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
            lines = [f"**{title}** (median, ratio to {baseline})", "", *grid(header, rows, markdown)]
        else:
            lines = [f"{title} (median, ratio to {baseline})", *grid(header, rows, markdown)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def grid(header: list[str], rows: list[list[str]], markdown: bool = False) -> list[str]:
    """The lines of a table: a markdown table, or columns padded for a terminal (the first, the row's
    name, to the left; the values to the right)."""
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                *("| " + " | ".join(r) + " |" for r in rows)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(r))
            for r in [header, *rows]]


# --- the arena's targets (issue #4) ------------------------------------------------------------

def _worst(med: dict, config: str, metric: str, workload_names: list[str], baseline: str):
    """(highest ratio of `config` to `baseline` over the workloads, its workload), or (None, None)."""
    worst = (None, None)
    for w in workload_names:
        row, base = med.get((w, config)), med.get((w, baseline))
        if not row or not base or row[metric] is None or not base[metric]:
            continue
        ratio = row[metric] / base[metric]
        if worst[0] is None or ratio > worst[0]:
            worst = (ratio, w)
    return worst


def _geomean(med: dict, config: str, metric: str, workload_names: list[str], baseline: str,
             baseline_metric: str | None = None) -> float | None:
    """Geometric mean over the workloads of `config`'s `metric` to `baseline`'s `baseline_metric`
    (the same metric by default)."""
    base_metric = baseline_metric or metric
    values = [med[(w, config)][metric] / med[(w, baseline)][base_metric] for w in workload_names
              if (w, config) in med and (w, baseline) in med and med[(w, config)][metric] is not None
              and med[(w, baseline)][base_metric]]
    return statistics.geometric_mean(values) if values else None


def round_spread(runs: list[Run], config: str, metric: str, workload_names: list[str],
                 baseline: str = BASELINE) -> tuple[float, float] | None:
    """(lowest, highest) over the rounds of the geometric mean of the round's paired ratios of
    `config` to `baseline` over the workloads (a single workload: its paired ratios), or None with
    fewer than two rounds. run_matrix runs a round's configurations side by side, so a paired ratio
    compares runs that met the same moment of a noisy machine. With n rounds the median paired ratio
    lies between the two with probability 1 - 2**(1 - n) (94% for 5): a target between them is
    within the machine's run-to-run noise. Rounds missing a workload (not run, no value) are left out."""
    values = {(r.workload, r.config, r.index): getattr(r, metric) for r in runs}
    per_round = []
    for index in sorted({r.index for r in runs}):
        pairs = [(values.get((w, config, index)), values.get((w, baseline, index))) for w in workload_names]
        if pairs and all(ours is not None and base for ours, base in pairs):
            per_round.append(statistics.geometric_mean([ours / base for ours, base in pairs]))
    return (min(per_round), max(per_round)) if len(per_round) >= 2 else None


def verdict(value: float | None, limit: float, spread: tuple[float, float] | None = None) -> str:
    """Whether `value`, which must stay at most `limit`, does ("met", "missed by N%"); with the
    paired runs' spread (round_spread), their range, and whether they fall on both sides of the limit."""
    if value is None:
        return "-"
    said = "met" if value <= limit else f"missed by {value / limit - 1:.1%}"
    if spread:
        low, high = spread
        said += f"; paired runs {low:.2f}-{high:.2f}x" + (", on both sides of the target" if low <= limit < high else "")
    return said


def spike_targets(runs: list[Run], workload_names: list[str], config: str = "arena",
                  dropped: str = "spike_dict_dropped") -> list[str]:
    """One line per target of issue #4, with the measured value and whether it is met: retained
    RSS at most 0.5x pymalloc's (geometric mean) and never above it, at most 0.35x glibc's and
    mimalloc's, the all-dropped workload within 2 MiB of its RSS before the spike, peak RSS at most
    pymalloc's and wall time at most 1.05x pymalloc's on every workload. pymalloc is measured twice:
    Debian's python3.11 ("stock") and shrinkpython with pymalloc (the same executable as the arena,
    so only the allocator differs). With the arena's census, also the retained floor (what an
    allocator that does not move blocks could at best retain) against pymalloc: whether the
    retained target is reachable at all, and how close the arena comes to it. With pymalloc reached
    through the allocator pointer (INDIRECT_PYMALLOC), also the wall time against it: the arena's
    own speed, without the inlining python3.11 gives pymalloc alone."""
    med = medians(runs)
    lines = []
    def highest(metric: str, label: str, limit: float, baseline: str, shown: str) -> str:
        worst, where = _worst(med, config, metric, workload_names, baseline)
        spread = round_spread(runs, config, metric, [where], baseline) if where else None
        return f"{label} vs {shown}: highest {_fmt(worst)} on {where} (target <= {limit:.2f}: {verdict(worst, limit, spread)})"

    for baseline in ("stock", "shrinkpython-pymalloc"):
        if not any(c == baseline for _, c in med):
            continue
        geo = _geomean(med, config, "retained_bytes", workload_names, baseline)
        worst, where = _worst(med, config, "retained_bytes", workload_names, baseline)
        lines.append(f"retained RSS vs {baseline}: geometric mean {_fmt(geo)} (target <= 0.50: {verdict(geo, 0.5)}), "
                     f"highest {_fmt(worst)} on {where} (target <= 1.00: {verdict(worst, 1.0)})")
        floor = _geomean(med, config, "retained_floor_bytes", workload_names, baseline, "retained_bytes")
        if floor is not None:
            lines.append(f"retained floor vs {baseline}'s retained RSS: geometric mean {_fmt(floor)} (the best an "
                         f"allocator that does not move blocks can do at this page size; the arena is at "
                         f"{_fmt(geo / floor if geo else None)} of it)")
        lines.append(highest("peak_rss_bytes", "peak RSS", 1.0, baseline, baseline))
        lines.append(highest("wall_seconds", "wall time", 1.05, baseline, baseline))
    if any(c == INDIRECT_PYMALLOC for _, c in med):
        lines.append(highest("wall_seconds", "wall time", 1.05, INDIRECT_PYMALLOC,
                             f"{INDIRECT_PYMALLOC} (called as the arena is, not inlined)"))
    for baseline in ("stock-malloc", "stock-mimalloc"):
        geo = _geomean(med, config, "retained_bytes", workload_names, baseline)
        lines.append(f"retained RSS vs {baseline}: geometric mean {_fmt(geo)} (target <= 0.35: {verdict(geo, 0.35)})")
    row = med.get((dropped, config))
    if row and row["retained_bytes"] is not None and row["before_bytes"] is not None:
        grown = (row["retained_bytes"] - row["before_bytes"]) / 2**20
        lines.append(f"{dropped}: RSS after the drop {grown:+.1f} MiB from before the spike "
                     f"(target <= 2 MiB: {'met' if grown <= 2 else 'missed'})")
    return lines


def workload_targets(runs: list[Run], workload_names: list[str], config: str = "trimmed+arena+early",
                     baseline: str = BASELINE) -> list[str]:
    """One line per target of issue #8 for the full configuration, with the measured value and
    whether it is met: peak RSS at most 0.6x stock's (geometric mean) at no more than 1.0x its wall
    time; then the three workloads with the highest peak ratio. Nothing when either configuration
    was not measured."""
    med = medians(runs)
    if not any(c == config for _, c in med) or not any(c == baseline for _, c in med):
        return []
    lines = []
    for metric, label, limit in (("peak_rss_bytes", "peak RSS", 0.6), ("wall_seconds", "wall time", 1.0)):
        geo = _geomean(med, config, metric, workload_names, baseline)
        measured = [w for w in workload_names if (w, config) in med]
        spread = round_spread(runs, config, metric, measured, baseline)
        lines.append(f"{config} {label} vs {baseline}: geometric mean {_fmt(geo)} "
                     f"(target <= {limit:.2f}: {verdict(geo, limit, spread)})")
    peaks = sorted(((med[(w, config)]["peak_rss_bytes"] / med[(w, baseline)]["peak_rss_bytes"], w)
                    for w in workload_names if (w, config) in med and (w, baseline) in med), reverse=True)
    if peaks:
        lines.append("highest peak RSS ratios: " + ", ".join(f"{w} {r:.2f}x" for r, w in peaks[:3]))
    return lines


def live_data_lines(runs: list[Run], live: dict[str, int], workload_names: list[str],
                    config: str = "trimmed+arena+early", baseline: str = BASELINE, limit: float = 0.6) -> list[str]:
    """What the live Python data (live_data_peaks) says of issue #8's peak target: its geometric mean
    against the baseline's peak RSS, the workloads where it alone is above the target (no allocator
    or build can meet the target there), and how far above it the configuration's peak is."""
    med = medians(runs)
    rows = [(w, live[w] / med[(w, baseline)]["peak_rss_bytes"]) for w in workload_names
            if w in live and (w, baseline) in med and med[(w, baseline)]["peak_rss_bytes"]]
    if not rows:
        return []
    above = sorted(((r, w) for w, r in rows if r > limit), reverse=True)
    where = (f"{len(above)} of {len(rows)} workloads, where no allocator or interpreter build can meet the peak target "
             "without shrinking the program's objects: " + ", ".join(f"{w} {r:.2f}x" for r, w in above)) if above \
        else f"none of {len(rows)} workloads"
    share = statistics.geometric_mean(r for _, r in rows)
    lines = [f"live Python data at the peak (tracemalloc's peak under python3.11, one run each) vs {baseline}'s peak "
             f"RSS: geometric mean {_fmt(share)}; above {limit:.2f}x on {where}"]
    over = [med[(w, config)]["peak_rss_bytes"] / live[w] for w, _ in rows if (w, config) in med]
    if over:
        lines.append(f"{config} peak RSS vs the live Python data: geometric mean "
                     f"{_fmt(statistics.geometric_mean(over))}")
    return lines


# The targets each suite is judged by: (what they are of, the function that states them).
SUITE_TARGETS = {"spikes": ("the arena allocator (issue #4)", spike_targets),
                 "workloads": ("the full configuration (issue #8)", workload_targets)}


def _fmt(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2f}x"


def progress_printer(step: int, total: int, workload: str, config: str, label: str) -> None:
    if sys.stderr.isatty():
        print(f"\r[{step}/{total}] {workload} / {config}: {label}".ljust(78), end="", file=sys.stderr, flush=True)
        if step == total:
            print("\r" + " " * 78 + "\r", end="", file=sys.stderr, flush=True)
