"""The deferred-imports benchmark (issue 9), run by `shrinkpy bench --suite cli` (`make bench-imports`):
the suite's workloads (bench.SUITES["cli"]) and the summary printed after its tables.

Every path of the command-line tools in benchmarks/cli/ (`--help`, the light subcommand, the heavy
ones) runs under stock python3.11 (the anchor) and under shrinkpython with imports as written
(SHRINKPY_IMPORTS=off) and deferred (SHRINKPY_IMPORTS=defer): the two shrinkpython configurations
differ in nothing else. bench.run_matrix alternates them run by run. The summary gives, per path,
the ratio deferred/eager of the median peak RSS and wall time (a light path's wall time is the
tool's start-up), geometric means over the light and the heavy paths, and the targets:
- light paths: peak RSS at least 30% lower, start-up at least 25% faster (geometric means);
- no workload slower: every path's wall-time ratio at most 1.02 (2% for timer noise).
"""

from __future__ import annotations

import importlib.util
import statistics

from shrinkpy import bench, configs

CLI_DIR = configs.REPO / "benchmarks" / "cli"
EAGER, DEFER = "imports-eager", "imports-defer"
DEFAULT_CONFIGS = f"stock,{EAGER},{DEFER}"
TARGET_LIGHT_RSS = 0.70
TARGET_LIGHT_WALL = 0.75
TARGET_ANY_WALL = 1.02

# tool -> (light subcommand, heavy subcommands); benchmarks/cli/README.md says what each one uses.
TOOLS = {
    "devicectl": ("status", ("serve", "export")),
    "meterdb": ("config", ("ingest", "bill")),
    "feedtool": ("version", ("parse", "mail", "fetch")),
    "imgcli": ("info", ("process",)),
    "logtool": ("count", ("analyse", "export")),
}
NEEDS = {"imgcli": "numpy"}  # a tool is left out when the stock interpreter lacks this


def missing_needs() -> dict[str, str]:
    """Tools that cannot run here, with the reason."""
    return {tool: f"{module} is not installed (apt-get install python3-{module})"
            for tool, module in NEEDS.items() if importlib.util.find_spec(module) is None}


def commands() -> dict[str, list[str]]:
    """Workload name ("devicectl status") -> script and arguments, light paths first per tool."""
    out = {}
    skipped = missing_needs()
    for tool, (light, heavy) in TOOLS.items():
        if tool in skipped:
            continue
        script = str(CLI_DIR / f"{tool}.py")
        for path in ("--help", light, *heavy):
            out[f"{tool} {path}"] = [script, path]
    return out


def is_light(workload: str) -> bool:
    tool, path = workload.split(" ", 1)
    return path == "--help" or path == TOOLS[tool][0]


def _geomean(values: list[float]) -> float | None:
    return statistics.geometric_mean(values) if values else None


def summary(runs: list[bench.Run], workloads: list[str], markdown: bool = False) -> str:
    """Deferred against eager, per path and as geometric means, with the targets."""
    med = bench.medians(runs)
    if not all((w, c) in med for w in workloads for c in (EAGER, DEFER)):
        return f"(no {EAGER} / {DEFER} pair was measured: shrinkpython lacks SHRINKPY_IMPORTS)"
    rows, ratios = [], {}
    for w in workloads:
        eager, defer = med[(w, EAGER)], med[(w, DEFER)]
        rss = defer["peak_rss_bytes"] / eager["peak_rss_bytes"]
        wall = defer["wall_seconds"] / eager["wall_seconds"]
        ratios[w] = (rss, wall)
        ok = "" if eager["output_ok"] and defer["output_ok"] else " WRONG OUTPUT"
        rows.append([w + ("" if is_light(w) else " (heavy)"),
                     f"{eager['peak_rss_bytes'] / 2**20:.1f} MiB", f"{defer['peak_rss_bytes'] / 2**20:.1f} MiB",
                     f"{rss:.2f}x", f"{eager['wall_seconds'] * 1000:.0f} ms", f"{defer['wall_seconds'] * 1000:.0f} ms",
                     f"{wall:.2f}x{ok}"])
    light = [w for w in workloads if is_light(w)]
    heavy = [w for w in workloads if not is_light(w)]
    light_rss = _geomean([ratios[w][0] for w in light])
    light_wall = _geomean([ratios[w][1] for w in light])
    for label, group in (("light paths, geometric mean", light), ("heavy paths, geometric mean", heavy)):
        rss, wall = _geomean([ratios[w][0] for w in group]), _geomean([ratios[w][1] for w in group])
        if rss is not None:
            rows.append([label, "", "", f"{rss:.2f}x", "", "", f"{wall:.2f}x"])
    slowest = max(workloads, key=lambda w: ratios[w][1])
    verdicts = []
    if light_rss is not None:  # a run of heavy paths only has no light-path targets
        verdicts += [
            f"light paths' peak RSS {(1 - light_rss) * 100:.0f}% lower (target: at least 30%): "
            f"{'met' if light_rss <= TARGET_LIGHT_RSS else 'NOT met'}",
            f"light paths' start-up {(1 - light_wall) * 100:.0f}% faster (target: at least 25%): "
            f"{'met' if light_wall <= TARGET_LIGHT_WALL else 'NOT met'}",
        ]
    verdicts.append(
        f"slowest path {slowest}: {ratios[slowest][1]:.3f}x eager's wall time (target: no workload slower, at most "
        f"{TARGET_ANY_WALL:.2f}x): {'met' if ratios[slowest][1] <= TARGET_ANY_WALL else 'NOT met'}")
    header = ["path", "peak RSS eager", "deferred", "ratio", "wall eager", "deferred", "ratio"]
    lines = bench.grid(header, rows, markdown)
    if markdown:
        return "\n".join(lines + [""] + [f"- {v}" for v in verdicts])
    return "\n".join([f"deferred imports ({DEFER}) against imports as written ({EAGER}), medians"] + lines +
                     [""] + verdicts)
