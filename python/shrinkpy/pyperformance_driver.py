"""Driving an installed pyperformance with shrinkpython as the interpreter under test.

pyperformance and pyperf are not packaged in Debian and PyPI is not reachable from every machine,
so this only runs where the user installed pyperformance; elsewhere it explains how to get it.
For each configuration it runs `pyperformance run --python EXE -o FILE` (with --track-memory for
memory, without for time), passing the configuration's environment variables through to pyperf's
worker processes with --inherit-environ (pyperf starts workers with a cleaned environment).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from shrinkpy.configs import Config

INSTALL_HINT = ("pyperformance is not installed for this Python. On a machine with network access:\n"
                "    python3 -m pip install pyperformance     (it brings pyperf)\n"
                "then run `shrinkpy bench --pyperformance` again. It builds a venv per configuration\n"
                "with the interpreter under test and pip-installs each benchmark's requirements, so the\n"
                "board needs network access while it runs.")


def command() -> list[str] | None:
    """How to start pyperformance here, or None when it is not installed."""
    if importlib.util.find_spec("pyperformance") is not None:
        return [sys.executable, "-m", "pyperformance"]
    found = shutil.which("pyperformance")
    return [found] if found else None


def run_config(config: Config, output: Path, benchmarks: str | None, track_memory: bool) -> list[str]:
    """The pyperformance command line for one configuration (not run)."""
    base = command()
    if base is None:
        raise RuntimeError(INSTALL_HINT)
    argv = [*base, "run", "--python", config.executable(), "-o", str(output)]
    if benchmarks:
        argv += ["-b", benchmarks]
    if track_memory:
        argv.append("--track-memory")
    if config.env:
        argv += ["--inherit-environ", ",".join(sorted(config.env))]
    return argv


def run(configs: list[Config], output_dir: Path, benchmarks: str | None, metrics: list[str]) -> dict[tuple[str, str], Path]:
    """Runs every configuration for every metric ("memory", "time"); returns the result files."""
    output_dir.mkdir(parents=True, exist_ok=True)
    files = {}
    for metric in metrics:
        for config in configs:
            out = output_dir / f"{config.name}-{metric}.json"
            if out.exists():
                out.unlink()  # pyperformance refuses to overwrite
            argv = run_config(config, out, benchmarks, track_memory=metric == "memory")
            print(f"shrinkpy: {config.name} ({metric}): {' '.join(argv)}", file=sys.stderr)
            rc = subprocess.call(argv, env=config.environment())
            if rc != 0:
                raise RuntimeError(f"pyperformance failed ({rc}) for {config.name}")
            files[(config.name, metric)] = out
    return files
