"""Where `shrinkpy build` keeps what outlives one build: CPython's source, the native build python,
the arm64 sysroot and the CPython builds per board and configuration. Downloads and builds take
minutes on a Raspberry Pi-class budget of cores, so each is done once and reused.

Layout under the cache directory ($SHRINKPY_CACHE_DIR, else $XDG_CACHE_HOME/shrinkpy, else
~/.cache/shrinkpy):
    apt/            the private apt state (source indexes, arm64 indexes, downloaded packages)
    src/            CPython's source trees, unpacked from Debian's source package
    build-python/   the native build of the same CPython, the build python of cross builds
    sysroot/        arm64 libraries (zlib, libffi) extracted from Debian's packages
    cpython/        trimmed CPython builds, one directory per board and configuration hash
    runtime/        shrinkpy's runtime built against each of them
    logs/           the log of every step
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("SHRINKPY_CACHE_DIR"):
        root = Path(os.environ["SHRINKPY_CACHE_DIR"])
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "shrinkpy"
    root.mkdir(parents=True, exist_ok=True)
    return root


@contextlib.contextmanager
def locked(name: str):
    """Holds an exclusive lock on one cached artefact, so that two builds started at once (a test
    and a user's build) do not download or build the same thing into the same directory."""
    path = cache_dir() / "locks" / f"{name}.lock"
    path.parent.mkdir(exist_ok=True)
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
