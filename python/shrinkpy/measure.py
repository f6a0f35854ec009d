"""Running a command and measuring its memory and time through `shrinkpy-measure`, which keeps
the measuring process out of the numbers (see runtime/measure_main.cpp)."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass

from shrinkpy import locate


@dataclass(frozen=True)
class Measurement:
    exit_code: int  # the command's exit status, or 128 + signal
    peak_rss_bytes: int  # ru_maxrss: the kernel's VmHWM of the command
    peak_private_bytes: int  # highest sampled Private_Clean + Private_Dirty (pyperf's metric)
    private_samples: int
    wall_seconds: float
    cpu_seconds: float
    stdout: bytes | None = None  # when captured


def measure(command: list[str], env: dict[str, str] | None = None, capture_stdout: bool = False,
            interval_ms: int = 10, stdin=None) -> Measurement:
    with tempfile.TemporaryDirectory(prefix="shrinkpy-measure-") as tmp:
        result_path = os.path.join(tmp, "result.json")
        proc = subprocess.run(
            [locate.measure_tool(), "--interval", str(interval_ms), "--json", result_path, "--", *command],
            env=env, stdout=subprocess.PIPE if capture_stdout else None, stdin=stdin, check=False)
        try:
            with open(result_path) as f:
                data = json.load(f)
        except FileNotFoundError:
            raise RuntimeError(f"shrinkpy-measure failed ({proc.returncode}) running {command[0]}") from None
    return Measurement(
        exit_code=data["exit_code"] if not data["signal"] else 128 + data["signal"],
        peak_rss_bytes=data["peak_rss_bytes"],
        peak_private_bytes=data["peak_private_bytes"],
        private_samples=data["private_samples"],
        wall_seconds=data["wall_seconds"],
        cpu_seconds=data["cpu_seconds"],
        stdout=proc.stdout if capture_stdout else None,
    )
