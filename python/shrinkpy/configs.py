"""The interpreter configurations shrinkpy measures side by side: the anchors (Debian's python3.11
with pymalloc, with glibc malloc, with mimalloc preloaded) and shrinkpython with a chosen allocator.
`shrinkpy run --compare` and the benchmark runner both take their configurations from here."""

from __future__ import annotations

import os
import sysconfig
from dataclasses import dataclass, field

from shrinkpy import locate

# Variables that would make two configurations differ in more than what they name.
_CONTROLLED = ("PYTHONMALLOC", "LD_PRELOAD", "SHRINKPY_ALLOCATOR", "SHRINKPY_REPORT")


@dataclass(frozen=True)
class Config:
    name: str
    description: str
    interpreter: str  # "stock" or "shrinkpython"
    env: dict[str, str] = field(default_factory=dict)

    def command(self, args: list[str]) -> list[str]:
        exe = locate.STOCK_PYTHON if self.interpreter == "stock" else locate.shrinkpython()
        return [exe, *args]

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


def shrinkpython(allocator: str | None = None) -> Config:
    """shrinkpython with `allocator`, or with its default when None."""
    if allocator is None:
        return Config("shrinkpython", "shrinkpython, default allocator", "shrinkpython")
    return Config(f"shrinkpython-{allocator}", f"shrinkpython, {allocator}", "shrinkpython",
                  {"SHRINKPY_ALLOCATOR": allocator})
