"""The standard library of one CPython 3.11 source tree, as `shrinkpy build` sees it: every Python
module under Lib/ (test suites left out), and every C module with how it gets into the interpreter:

    core       always built in (Modules/config.c.in, Modules/Setup.bootstrap.in)
    optional   Modules/Setup.stdlib.in: built in when kept (a `*static*` line in Setup.local),
               switched off with py_cv_module_<name>=n/a otherwise
    unavailable  never in a trimmed interpreter, with the reason (UNAVAILABLE)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Built into every interpreter by Modules/config.c.in itself.
CONFIG_C_MODULES = ("marshal", "_imp", "_ast", "_tokenize", "builtins", "sys", "gc", "_warnings", "_string")
# Frozen into every interpreter as the import system itself (Python/frozen.c); our embedded modules import them.
FROZEN_IMPORT_SYSTEM = ("_frozen_importlib", "_frozen_importlib_external")

# C modules a trimmed interpreter never has. The libraries are not linked (statically, for every
# board), or the module cannot work in a static binary, or it is a test or another platform's module.
UNAVAILABLE = {
    "_ssl": "needs OpenSSL (asyncio and http.client work without it; TLS is what is lost)",
    "_hashlib": "needs OpenSSL (hashlib falls back to its built-in md5, sha1, sha2, sha3 and blake2)",
    "_tkinter": "needs Tcl/Tk",
    "_sqlite3": "needs libsqlite3",
    "_lzma": "needs liblzma",
    "_bz2": "needs libbz2",
    "_uuid": "needs libuuid (uuid falls back to pure Python)",
    "_gdbm": "needs libgdbm",
    "_dbm": "needs libgdbm or ndbm",
    "nis": "needs libnsl",
    "_crypt": "needs libcrypt",
    "readline": "needs libreadline",
    "_curses": "needs ncurses",
    "_curses_panel": "needs ncurses",
    "_ctypes": "loads shared libraries with dlopen",
    "ossaudiodev": "OSS audio, not on Raspberry Pi OS",
    "_scproxy": "macOS only",
    "_xxsubinterpreters": "experimental",
}
TEST_MODULE = re.compile(r"^(_test.*|_ctypes_test|_xxtestfuzz|xxlimited(_35)?|xx.*)$")
# Directories of Lib/ that are test suites or demos, never packed.
SKIPPED_DIRS = {"test", "tests", "idle_test", "__pycache__", "site-packages", "turtledemo"}


def unavailable_reason(name: str) -> str | None:
    if name in UNAVAILABLE:
        return UNAVAILABLE[name]
    if TEST_MODULE.match(name):
        return "a test module"
    return None


@dataclass
class StdlibIndex:
    src: Path
    python: dict[str, Path] = field(default_factory=dict)  # module -> its .py (a package's __init__.py)
    packages: set[str] = field(default_factory=set)
    core: set[str] = field(default_factory=set)
    optional: dict[str, str] = field(default_factory=dict)  # C module -> its Setup line
    setup_py_only: tuple[str, ...] = ("readline", "_curses", "_curses_panel", "_dbm", "_ctypes")

    @classmethod
    def of(cls, src: Path) -> "StdlibIndex":
        index = cls(src)
        lib = src / "Lib"
        for path in sorted(lib.rglob("*.py")):
            rel = path.relative_to(lib)
            if SKIPPED_DIRS.intersection(rel.parts[:-1]):
                continue
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
                index.packages.add(".".join(parts))
            if parts and all(p.isidentifier() for p in parts):
                index.python[".".join(parts)] = path
        index.core = (set(CONFIG_C_MODULES) | set(FROZEN_IMPORT_SYSTEM)
                      | set(_setup_lines(src / "Modules" / "Setup.bootstrap.in")))
        index.optional = _setup_lines(src / "Modules" / "Setup.stdlib.in")
        return index

    def c_available(self, name: str) -> bool:
        return name in self.optional and unavailable_reason(name) is None

    def submodules(self, package: str) -> list[str]:
        prefix = package + "."
        return [name for name in self.python if name.startswith(prefix)]


def _setup_lines(path: Path) -> dict[str, str]:
    """module -> "module sources..." for every module line of a Setup file template."""
    lines = {}
    for raw in path.read_text().splitlines():
        line = re.sub(r"^@MODULE_\w+_TRUE@", "", raw.split("#", 1)[0]).strip()
        if not line or line.startswith("*") or "=" in line.split()[0]:
            continue
        lines[line.split()[0]] = line
    return lines
