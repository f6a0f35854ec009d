"""Side-by-side measurement of one program under several configurations (shrinkpy run --compare)."""

from __future__ import annotations

import statistics
import sys

from shrinkpy import configs
from shrinkpy.measure import Measurement, measure


def mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


def format_table(rows: list[tuple[configs.Config, list[Measurement]]]) -> str:
    """Medians per configuration and their ratio to the first row (stock python3.11)."""
    def med(ms, attr):
        return statistics.median(getattr(m, attr) for m in ms)

    base = rows[0][1]
    header = f"{'configuration':<22} {'peak RSS':>10} {'ratio':>6} {'private peak':>13} {'ratio':>6} {'wall':>8} {'ratio':>6}"
    lines = [header, "-" * len(header)]
    for config, ms in rows:
        rss, priv, wall = med(ms, "peak_rss_bytes"), med(ms, "peak_private_bytes"), med(ms, "wall_seconds")
        lines.append(
            f"{config.name:<22} {mib(rss):>10} {rss / med(base, 'peak_rss_bytes'):>5.2f}x"
            f" {mib(priv):>13} {priv / max(1, med(base, 'peak_private_bytes')):>5.2f}x"
            f" {wall:>7.2f}s {wall / med(base, 'wall_seconds'):>5.2f}x")
    return "\n".join(lines)


def compare(script_args: list[str], allocator: str | None, repeat: int) -> int:
    # shrinkpython as it runs by default, and the trimmed host interpreter when it is built.
    trimmed = configs.trimmed("host")
    mine = [configs.as_installed(allocator), *([trimmed] if configs.unavailable_reason(trimmed) is None else [])]
    rows = [(c, []) for c in [*configs.anchors(), *mine]]
    outputs = {}
    # One unmeasured warm-up per configuration (bytecode caches, page cache), then measured runs
    # alternating between configurations, so that drift on a noisy machine hits all of them alike.
    total = len(rows) * (repeat + 1)
    done = 0
    progress = sys.stderr.isatty()
    for round_ in range(repeat + 1):
        for config, ms in rows:
            done += 1
            label = "warm-up" if round_ == 0 else f"run {round_}/{repeat}"
            if progress:
                print(f"\r[{done}/{total}] {config.name}: {label}".ljust(60), end="", file=sys.stderr, flush=True)
            m = measure(config.command(script_args), env=config.environment(), capture_stdout=True)
            if m.exit_code != 0:
                print(f"\nshrinkpy: {config.name} exited with {m.exit_code}", file=sys.stderr)
                sys.stderr.buffer.write(m.stdout or b"")
                return m.exit_code
            outputs.setdefault(config.name, m.stdout)
            if round_ > 0:
                ms.append(m)
    if progress:
        print("\r" + " " * 60 + "\r", end="", file=sys.stderr)

    reference = outputs[rows[0][0].name]
    sys.stdout.buffer.write(reference)
    print()
    print(format_table(rows))
    differing = [name for name, out in outputs.items() if out != reference]
    if differing:
        print(f"\nshrinkpy: output differs from stock python3.11 under: {', '.join(differing)}", file=sys.stderr)
        return 1
    print(f"\nSame output under every configuration. Medians of {repeat} runs; private peak sampled every 10 ms.")
    return 0
