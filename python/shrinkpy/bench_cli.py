"""shrinkpy bench: the whole-program workloads under a matrix of configurations, or pyperformance."""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from dataclasses import asdict
from pathlib import Path

DEFAULT_CONFIGS = "stock,stock-malloc,stock-mimalloc,arena,arena+early,trimmed+arena+early"
README_BEGIN, README_END = "<!-- bench:begin -->", "<!-- bench:end -->"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="workloads to run (default: the suite's)")
    parser.add_argument("--suite", default="workloads", choices=("workloads", "temporaries", "cpu", "spikes", "cli"),
                        help="benchmarks/workloads (default), benchmarks/temporaries (early freeing's memory), "
                             "benchmarks/cpu (early freeing's time), spikes (the arena allocator's spike workloads "
                             "and its targets) or cli (every path of the tools of benchmarks/cli: deferred imports); "
                             "each has its own default configurations, ratio baseline and README section")
    parser.add_argument("--configs", default=None,
                        help=f"comma-separated configurations (default for the workloads suite: {DEFAULT_CONFIGS}); "
                             "'stock' is always measured first, as the reference for every output")
    parser.add_argument("--repeat", type=int, default=3, metavar="N", help="measured runs per pair (default 3)")
    parser.add_argument("--scale", type=float, default=None,
                        help="workload size factor (default 1.0; with --instructions 0.2)")
    parser.add_argument("--json", metavar="FILE", help="write every run and the summary as JSON")
    parser.add_argument("--plot", metavar="PNG", help="bar chart of peak RSS per workload and configuration")
    parser.add_argument("--readme", metavar="FILE",
                        help=f"replace the results between {README_BEGIN} and {README_END} "
                             "(another suite's between <!-- bench-SUITE:begin --> and <!-- bench-SUITE:end -->)")
    parser.add_argument("--list", action="store_true", help="list workloads and configurations, then stop")
    parser.add_argument("--instructions", action="store_true",
                        help="count the instructions each workload executes under each configuration, one run each "
                             "under valgrind, instead of measuring memory and time (python/shrinkpy/instructions.py)")
    parser.add_argument("--pyperformance", action="store_true", help="run pyperformance per configuration instead")
    parser.add_argument("-b", "--benchmarks", help="with --pyperformance: pyperformance's -b list")
    parser.add_argument("--metrics", default="memory,time", help="with --pyperformance: memory, time or both")
    parser.add_argument("--output-dir", default="pyperformance-results", help="with --pyperformance: result files")


def machine() -> str:
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            model = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "")
    except OSError:
        pass
    return f"{model or platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def resolve_configs(names: str):
    from shrinkpy import configs

    known = configs.named()
    wanted = ["stock"] + [n for n in (s.strip() for s in names.split(",")) if n and n != "stock"]
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"shrinkpy bench: unknown configuration {', '.join(unknown)}; known: {', '.join(known)}")
    usable, skipped = [], []
    for name in wanted:
        reason = configs.unavailable_reason(known[name])
        if reason:
            skipped.append((name, reason))
        else:
            usable.append(known[name])
    return usable, skipped


def command_line() -> str:
    return "shrinkpy bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 1 else "shrinkpy bench"


def selected_workloads(asked: list[str], available: dict) -> list[str] | None:
    """The workloads asked for (all of `available` when none), or None, said why, when one is unknown."""
    missing = [n for n in asked if n not in available]
    if missing:
        print(f"shrinkpy bench: no workload {', '.join(missing)}; known: {', '.join(available)}", file=sys.stderr)
        return None
    return asked or list(available)


def main(args: argparse.Namespace) -> int:
    if args.pyperformance:
        return pyperformance_main(args)
    if args.instructions:
        return instructions_main(args)
    from shrinkpy import bench, import_bench

    scale = 1.0 if args.scale is None else args.scale
    if args.suite == "cli" and scale != 1.0:
        print("shrinkpy bench: --scale does not apply to --suite cli", file=sys.stderr)
        return 2
    suite = bench.SUITES[args.suite]
    available = bench.commands(args.suite)
    matrix, skipped = resolve_configs(args.configs or suite.configs)
    baseline = suite.baseline if any(c.name == suite.baseline for c in matrix) else "stock"
    if args.suite == "cli":
        skipped += [(f"{tool} (every path)", reason) for tool, reason in import_bench.missing_needs().items()]
    if args.list:
        print("workloads:", " ".join(available))
        print("configurations:", " ".join(c.name for c in matrix))
        for name, reason in skipped:
            print(f"  unavailable: {name}: {reason}")
        return 0
    names = selected_workloads(args.workloads, available)
    if names is None:
        return 2
    for name, reason in skipped:
        print(f"shrinkpy bench: skipping {name}: {reason}", file=sys.stderr)

    excluded = bench.unrunnable_pairs(names, matrix)
    for (name, config), reason in excluded.items():
        print(f"shrinkpy bench: not measuring {name} under {config}: {reason}", file=sys.stderr)
    skipped += [(f"{name} under {config}", reason) for (name, config), reason in excluded.items()]

    extra = ["--scale", str(scale)] if scale != 1.0 else []
    runs, _ = bench.run_matrix(names, matrix, max(1, args.repeat), extra, progress=bench.progress_printer,
                               suite=args.suite, excluded=excluded)
    config_names = [c.name for c in matrix]
    tables = suite.tables or bench.TABLES
    print(bench.format_tables(runs, config_names, names, baseline=baseline, tables=tables))
    judged, judge = bench.SUITE_TARGETS.get(args.suite, ("", None))
    targets = judge(runs, names) if judge else []
    live = {}
    if args.suite == "workloads" and any(c.name == bench.BASELINE for c in matrix):
        print("shrinkpy bench: live Python data: each workload once under tracemalloc", file=sys.stderr)
        live = bench.live_data_peaks(names, extra)
        targets += bench.live_data_lines(runs, live, names)
    if targets:
        print(f"\ntargets of {judged}:\n" + "\n".join(f"  {line}" for line in targets))
    if args.suite == "cli":
        print("\n" + import_bench.summary(runs, names))
    wrong = sorted({(r.workload, r.config) for r in runs if not r.output_ok})

    against = "Debian's python3.11 (pymalloc)" if baseline == "stock" else baseline
    header = (f"Measured by `{command_line()}` on {datetime.date.today().isoformat()}, {machine()}; "
              f"medians of {args.repeat} runs after one warm-up, configurations alternating run by run; "
              f"ratios to {against} in the same run.")
    if skipped:
        header += " Not measured: " + "; ".join(f"{n} ({r})" for n, r in skipped) + "."
    if args.json:
        med = bench.medians(runs)
        summary = {"baseline": baseline,
                   "geometric_means": bench.geometric_means(bench.ratios(med, baseline), config_names, names),
                   "medians": [{"workload": w, "config": c, **row} for (w, c), row in med.items()],
                   "live_peak_bytes": live}
        doc = {"schema": "shrinkpy-bench/1", "date": datetime.datetime.now().isoformat(timespec="seconds"),
               "machine": machine(), "command": command_line(), "scale": scale, "repeat": args.repeat,
               "configs": [{"name": c.name, "description": c.description, "env": c.env} for c in matrix],
               "skipped": [{"name": n, "reason": r} for n, r in skipped],
               "workloads": names, "runs": [asdict(r) for r in runs], "summary": summary}
        Path(args.json).write_text(json.dumps(doc, indent=1) + "\n")
    if args.plot:
        from shrinkpy.plot import peak_rss_bars
        peak_rss_bars(bench.medians(runs), config_names, names, args.plot, "Peak RSS per workload (lower is better)")
    if args.readme:
        body = header + "\n\n"
        if args.suite == "cli":
            body += import_bench.summary(runs, names, markdown=True) + "\n\n"
        body += bench.format_tables(runs, config_names, names, markdown=True, baseline=baseline, tables=tables)
        if targets:
            body += f"\n\nTargets of {judged}:\n\n" + "\n".join(f"- {line}" for line in targets)
        update_readme(Path(args.readme), body, *readme_markers(args.suite))
    if wrong:
        print("shrinkpy bench: output differs from stock python3.11 for: " +
              ", ".join(f"{w} under {c}" for w, c in wrong), file=sys.stderr)
        return 1
    return 0


def readme_markers(suite: str = "workloads") -> tuple[str, str]:
    """The comments around a suite's results section: `bench` for the workloads, `bench-SUITE` else."""
    if suite == "workloads":
        return README_BEGIN, README_END
    return f"<!-- bench-{suite}:begin -->", f"<!-- bench-{suite}:end -->"


def update_readme(path: Path, body: str, begin: str = README_BEGIN, end: str = README_END) -> None:
    text = path.read_text()
    if begin not in text or end not in text:
        raise SystemExit(f"shrinkpy: {path} has no {begin} ... {end} section")
    before, rest = text.split(begin, 1)
    _, after = rest.split(end, 1)
    path.write_text(f"{before}{begin}\n{body}\n{end}{after}")


def instructions_main(args: argparse.Namespace) -> int:
    from shrinkpy import bench, instructions

    if args.suite != "workloads":
        print("shrinkpy bench: --instructions runs the workloads suite only", file=sys.stderr)
        return 2
    unavailable = instructions.available()
    if unavailable:
        print(f"shrinkpy bench: {unavailable}", file=sys.stderr)
        return 2
    matrix, skipped = resolve_configs(args.configs or DEFAULT_CONFIGS)
    available = bench.commands()
    names = selected_workloads(args.workloads, available)
    if names is None:
        return 2
    excluded = bench.unrunnable_pairs(names, matrix)
    skipped += [(f"{name} under {config}", reason) for (name, config), reason in excluded.items()]
    for name, reason in skipped:
        print(f"shrinkpy bench: not counting {name}: {reason}", file=sys.stderr)
    scale = instructions.DEFAULT_SCALE if args.scale is None else args.scale
    counts = instructions.run_matrix(names, matrix, ["--scale", str(scale)], progress=bench.progress_printer,
                                     excluded=excluded)
    config_names = [c.name for c in matrix]
    print(instructions.table(counts, config_names, names))
    if args.readme:
        body = (f"Measured by `{command_line()}` on {datetime.date.today().isoformat()}, {machine()}; "
                f"instructions executed (valgrind's cachegrind), one run per pair at --scale {scale}, "
                "ratios to Debian's python3.11 (pymalloc) in the same run.")
        if skipped:
            body += " Not counted: " + "; ".join(f"{name} ({reason})" for name, reason in skipped) + "."
        body += "\n\n" + instructions.table(counts, config_names, names, markdown=True)
        update_readme(Path(args.readme), body, *instructions.README_MARKERS)
    if args.json:
        Path(args.json).write_text(json.dumps({"date": datetime.date.today().isoformat(), "machine": machine(),
                                               "command": command_line(), "scale": scale,
                                               "counts": [asdict(c) for c in counts]}, indent=2) + "\n")
    wrong = sorted((c.workload, c.config) for c in counts if not c.output_ok)
    if wrong:
        print("shrinkpy bench: failed or output differs from stock python3.11 for: " +
              ", ".join(f"{w} under {c}" for w, c in wrong), file=sys.stderr)
        return 1
    return 0


def pyperformance_main(args: argparse.Namespace) -> int:
    from shrinkpy import pyperf_results, pyperformance_driver

    if pyperformance_driver.command() is None:
        print(pyperformance_driver.INSTALL_HINT, file=sys.stderr)
        return 2
    matrix, skipped = resolve_configs(args.configs or DEFAULT_CONFIGS)
    for name, reason in skipped:
        print(f"shrinkpy bench: skipping {name}: {reason}", file=sys.stderr)
    metrics = [m.strip() for m in args.metrics.split(",") if m.strip()]
    files = pyperformance_driver.run(matrix, Path(args.output_dir), args.benchmarks, metrics)
    for metric in metrics:
        base = pyperf_results.load(str(files[("stock", metric)]))
        print(f"\npyperformance {metric}: ratio of means to stock python3.11 (geometric mean over benchmarks)")
        for config in matrix[1:]:
            _, geo = pyperf_results.compare(base, pyperf_results.load(str(files[(config.name, metric)])))
            print(f"  {config.name:<24} {geo:.3f}x" if geo else f"  {config.name:<24} -")
    return 0
