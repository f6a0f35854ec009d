"""Running the long steps of `shrinkpy build` (download, configure, make, link, pack): one progress
line when a step starts and one when it ends, the step's whole output in a log file, and on failure
the log's tail and the exact command, so that the user can rerun it by hand."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

TAIL_LINES = 40


class StepFailed(RuntimeError):
    """A step that did not succeed; str() is what the user needs to see."""


def _printable(command: list[str], cwd: Path | None, env_changes: dict[str, str]) -> str:
    parts = []
    if cwd is not None:
        parts.append(f"cd {shlex.quote(str(cwd))} &&")
    parts += [f"{k}={shlex.quote(v)}" for k, v in env_changes.items()]
    parts.append(shlex.join(command))
    return " ".join(parts)


class Steps:
    """Runs the steps of one build, numbering them for the progress lines."""

    def __init__(self, log_dir: Path, label: str, out=None):
        self.log_dir = log_dir
        self.label = label
        self.out = out or sys.stderr
        log_dir.mkdir(parents=True, exist_ok=True)

    def say(self, text: str) -> None:
        print(f"[{self.label}] {text}", file=self.out, flush=True)

    def run(self, name: str, command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
            log: str | None = None) -> None:
        """Runs `command` as the step `name`; raises StepFailed with the log's tail on failure.
        `env` holds only the variables that differ from this process's environment."""
        env = env or {}
        log_path = self.log_dir / f"{log or name.replace(' ', '-')}.log"
        printable = _printable(command, cwd, env)
        self.say(f"{name} ... (log: {log_path})")
        started = time.monotonic()
        with open(log_path, "w") as f:
            f.write(printable + "\n\n")
            f.flush()
            try:
                code = subprocess.call(command, cwd=cwd, env={**os.environ, **env}, stdout=f,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            except OSError as e:
                raise StepFailed(f"{name} could not start: {e}\n  command: {printable}") from None
        seconds = time.monotonic() - started
        if code != 0:
            raise StepFailed(f"{name} failed (exit code {code}) after {seconds:.0f} s.\n"
                             f"--- last lines of {log_path} ---\n{tail(log_path)}\n--- end of log ---\n"
                             f"The command was:\n  {printable}")
        self.say(f"{name}: done in {seconds:.0f} s")

    def skip(self, name: str, why: str) -> None:
        self.say(f"{name}: {why}")


def tail(path: Path, lines: int = TAIL_LINES) -> str:
    with open(path, errors="replace") as f:
        return "".join(f.readlines()[-lines:]).rstrip()
