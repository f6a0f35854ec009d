"""Pictures of measurements, drawn with matplotlib (Debian's python3-matplotlib), headless."""

from __future__ import annotations


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise SystemExit("shrinkpy: plotting needs matplotlib: apt-get install python3-matplotlib") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def peak_rss_bars(medians: dict, config_names: list[str], workload_names: list[str], path: str, title: str) -> None:
    """Grouped bars: peak RSS (MiB) of each workload under each configuration."""
    plt = _pyplot()
    # Wide enough for the bars, not so wide that a page shrinks it to a strip.
    fig, ax = plt.subplots(figsize=(min(18, max(8, 0.2 * len(workload_names) * max(1, len(config_names)))), 6))
    width = 0.8 / max(1, len(config_names))
    for i, config in enumerate(config_names):
        heights = [(medians.get((w, config)) or {}).get("peak_rss_bytes") or 0 for w in workload_names]
        xs = [n + (i - (len(config_names) - 1) / 2) * width for n in range(len(workload_names))]
        ax.bar(xs, [h / 2**20 for h in heights], width, label=config)
        for x, h in zip(xs, heights):
            if not h:  # a pair that was not run (bench.unrunnable_pairs)
                ax.text(x, 0, "n/a", rotation=90, ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(range(len(workload_names)))
    ax.set_xticklabels(workload_names, rotation=30, ha="right")
    ax.set_ylabel("peak RSS (MiB, median)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def memory_timeline(samples: list[dict], path: str, title: str) -> None:
    """RSS and the allocator's bytes over time; vertical ticks where pages went back to the OS
    or early frees happened (when the samples carry those counters)."""
    plt = _pyplot()
    t = [s["t_ms"] / 1000 for s in samples]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    ax.plot(t, [s["rss_bytes"] / 2**20 for s in samples], label="RSS", linewidth=1.5, color="tab:blue")
    for key, label, colour in (("committed_bytes", "allocator committed", "tab:orange"),
                               ("allocated_bytes", "allocator bytes in use", "tab:purple")):
        if any(key in s for s in samples):
            ax.plot(t, [s.get(key, 0) / 2**20 for s in samples], label=label, linewidth=1, color=colour)
    # Short ticks in a band of their own (bottom, top), so that frequent events do not hide the curves.
    for key, label, colour, band in (("pages_released", "pages returned to the OS", "tab:green", (0, 0.06)),
                                     ("early_frees", "early frees", "tab:red", (0.94, 1))):
        marks = [t[i] for i in range(1, len(samples)) if samples[i].get(key, 0) > samples[i - 1].get(key, 0)]
        if marks:
            ax.vlines(marks, *band, transform=ax.get_xaxis_transform(), colors=colour, alpha=0.6, label=label)
    ax.set_xlabel("seconds")
    ax.set_ylabel("MiB")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
