"""The interpreter configurations shrinkpy measures side by side: the anchors (Debian's python3.11
with pymalloc, with glibc malloc, with mimalloc preloaded) and shrinkpython set up to pull one or
more of shrinkpy's levers. `shrinkpy run --compare` and `shrinkpy bench` both take them from here.

A configuration whose lever is not built yet (an allocator shrinkpython does not offer, no trimmed
interpreter in dist/) is reported as unavailable, with the reason, rather than silently dropped.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from shrinkpy import locate

# Variables that would make two configurations differ in more than what they name.
_CONTROLLED = ("PYTHONMALLOC", "LD_PRELOAD", "SHRINKPY_ALLOCATOR", "SHRINKPY_REPORT", "SHRINKPY_EARLY_FREE",
               "SHRINKPY_TIMELINE", "SHRINKPY_IMPORTS")
REPO = Path(__file__).resolve().parents[2]
# shrinkpython with early freeing and the import pass off: one lever measured alone.
ONE_LEVER = {"SHRINKPY_EARLY_FREE": "off", "SHRINKPY_IMPORTS": "off"}


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    interpreter: str  # "stock", "shrinkpython" or a path to another interpreter (a trimmed build)
    env: dict[str, str] = field(default_factory=dict)

    def executable(self) -> str:
        if self.interpreter == "stock":
            return locate.STOCK_PYTHON
        if self.interpreter == "shrinkpython":
            return locate.shrinkpython()
        return self.interpreter

    def command(self, args: list[str]) -> list[str]:
        return [self.executable(), *args]

    def environment(self, base: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _CONTROLLED}
        env.update(self.env)
        return env


def mimalloc_library() -> str:
    return os.path.join("/usr/lib", sysconfig.get_config_var("MULTIARCH") or "", "libmimalloc.so.2")


def anchors() -> list[Config]:
    return [
        Config("stock", "Debian's python3.11, pymalloc", "stock"),
        Config("stock-malloc", "python3.11, PYTHONMALLOC=malloc (glibc)", "stock", {"PYTHONMALLOC": "malloc"}),
        Config("stock-mimalloc", "python3.11, mimalloc preloaded", "stock",
               {"PYTHONMALLOC": "malloc", "LD_PRELOAD": mimalloc_library()}),
    ]


def shrinkpython(allocator: str) -> Config:
    """shrinkpython with `allocator`, early freeing and the import pass off: the allocator lever alone."""
    return Config(f"shrinkpython-{allocator}", f"shrinkpython, {allocator}", "shrinkpython",
                  {"SHRINKPY_ALLOCATOR": allocator, **ONE_LEVER})


def as_installed(allocator: str | None = None) -> Config:
    """shrinkpython as a user runs it: every lever at its default (the arena, early freeing,
    deferred imports), or `allocator` instead of the arena."""
    if allocator is None:
        return Config("shrinkpython", "shrinkpython, its defaults", "shrinkpython")
    return Config(f"shrinkpython ({allocator})", f"shrinkpython, its defaults but {allocator}", "shrinkpython",
                  {"SHRINKPY_ALLOCATOR": allocator})


def trimmed_interpreter(board: str = "host") -> Path:
    """The interpreter `shrinkpy build --board BOARD` packs (fully static, its board's defaults)."""
    return REPO / "dist" / board / "bin" / "python3.11"


def trimmed(board: str = "host") -> Config:
    return Config(f"trimmed-{board}", f"trimmed {board} interpreter, its board's defaults",
                  str(trimmed_interpreter(board)))


def named() -> dict[str, Config]:
    """Every configuration the benchmark matrix knows, by name."""
    # The full configurations pull every lever: the arena, early freeing and deferred imports.
    full = {"SHRINKPY_ALLOCATOR": "arena", "SHRINKPY_EARLY_FREE": "safe", "SHRINKPY_IMPORTS": "defer"}
    configs = [
        *anchors(),
        shrinkpython("pymalloc"), shrinkpython("malloc"), shrinkpython("mimalloc"), shrinkpython("pymalloc-indirect"),
        Config("pymalloc+early", "shrinkpython, pymalloc, early freeing (safe)", "shrinkpython",
               {**ONE_LEVER, "SHRINKPY_ALLOCATOR": "pymalloc", "SHRINKPY_EARLY_FREE": "safe"}),
        Config("pymalloc+aggressive", "shrinkpython, pymalloc, early freeing (aggressive)", "shrinkpython",
               {**ONE_LEVER, "SHRINKPY_ALLOCATOR": "pymalloc", "SHRINKPY_EARLY_FREE": "aggressive"}),
        Config("arena", "shrinkpython, arena allocator", "shrinkpython",
               {"SHRINKPY_ALLOCATOR": "arena", **ONE_LEVER}),
        Config("arena+early", "shrinkpython, arena allocator, early freeing, deferred imports", "shrinkpython", full),
        Config("trimmed+arena+early", "trimmed host interpreter, arena, early freeing, deferred imports",
               str(trimmed_interpreter()), full),
        # The deferred-imports benchmark (shrinkpy bench --suite cli): the same shrinkpython but for imports.
        Config("imports-eager", "shrinkpython, imports as written (SHRINKPY_IMPORTS=off)", "shrinkpython",
               {"SHRINKPY_IMPORTS": "off"}),
        Config("imports-defer", "shrinkpython, deferred imports (SHRINKPY_IMPORTS=defer)", "shrinkpython",
               {"SHRINKPY_IMPORTS": "defer"}),
    ]
    return {c.name: c for c in configs}


@functools.cache
def _option_table(executable: str) -> dict[str, dict]:
    out = subprocess.run([executable, "--print-options=json"], capture_output=True, check=True).stdout
    return {row["env"]: row for row in json.loads(out)}


def unavailable_reason(config: Config) -> str | None:
    """Why `config` cannot run here, or None when it can."""
    try:
        exe = config.executable()
    except locate.NotFound as e:
        return str(e)
    if not os.access(exe, os.X_OK):
        return f"{exe} is not built (`shrinkpy build --board host`)"
    if config.interpreter == "stock":
        if "LD_PRELOAD" in config.env and not os.path.exists(config.env["LD_PRELOAD"]):
            return f"{config.env['LD_PRELOAD']} is missing (apt-get install libmimalloc2.0)"
        return None
    table = _option_table(exe)
    for var, value in config.env.items():
        row = table.get(var)
        if row is None:
            return f"{os.path.basename(exe)} has no {var} yet"
        if row["choices"] and value not in row["choices"]:
            return f"{os.path.basename(exe)} offers no {var}={value} yet"
    return None
