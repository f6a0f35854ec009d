"""CPython 3.11's source tree, from Debian's source package python3.11 (the same 3.11.2 as Debian's
/usr/bin/python3.11), fetched once into the cache with a private apt state (private_apt.py).

Only the upstream tarball inside the source package is unpacked; Debian's patches adapt CPython to
Debian's file system layout and packaging, which a self-contained board interpreter does not use.
`--cpython-src DIR` uses a given tree instead (checked to be CPython 3.11).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from shrinkpy.build_cache import cache_dir, locked
from shrinkpy.build_steps import StepFailed, Steps
from shrinkpy.private_apt import PrivateApt

SOURCE_PACKAGE = "python3.11"


def cpython_version(tree: Path) -> str:
    """"3.11.2" from Include/patchlevel.h; StepFailed when `tree` is not a CPython 3.11 source tree."""
    header = tree / "Include" / "patchlevel.h"
    try:
        text = header.read_text()
    except OSError:
        raise StepFailed(f"{tree} is not a CPython source tree (no Include/patchlevel.h)") from None
    m = re.search(r'#define PY_VERSION\s+"([^"]+)"', text)
    if not m or not m.group(1).startswith("3.11.") or not (tree / "configure").exists():
        raise StepFailed(f"{tree} is not a CPython 3.11 source tree (found {m.group(1) if m else 'no version'})")
    return m.group(1)


def given_tree(path: str) -> Path:
    tree = Path(path).resolve()
    cpython_version(tree)
    if (tree / "pyconfig.h").exists() or (tree / "Makefile").exists():
        raise StepFailed(f"{tree} has been configured in place; out-of-tree builds need a clean tree "
                         f"(`make distclean` there)")
    return tree


def fetch(steps: Steps) -> Path:
    """The unpacked upstream tree, downloading and unpacking it the first time."""
    root = cache_dir()
    with locked("source"):
        done = sorted((root / "src").glob("Python-3.11.*/.shrinkpy-unpacked"))
        if done:
            tree = done[-1].parent
            steps.skip("source", f"CPython {cpython_version(tree)} from the cache ({tree})")
            return tree
        apt = PrivateApt(root / "apt" / "source", "deb-src")
        downloads = root / "apt" / "source" / "downloads"
        downloads.mkdir(parents=True, exist_ok=True)
        steps.run("source: apt-get update (private deb-src state)", apt.command("update"), log="source-update")
        steps.run(f"source: apt-get source {SOURCE_PACKAGE}", apt.command("source", "--download-only", SOURCE_PACKAGE),
                  cwd=downloads, log="source-download")
        tarballs = sorted(downloads.glob(f"{SOURCE_PACKAGE}_3.11.*.orig.tar.*"))
        if not tarballs:
            raise StepFailed(f"apt-get source {SOURCE_PACKAGE} left no upstream tarball in {downloads}")
        staging = root / "src" / "unpacking"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        steps.run("source: unpack", ["tar", "-xf", str(tarballs[-1]), "-C", str(staging)], log="source-unpack")
        unpacked = [p for p in staging.iterdir() if p.is_dir()]
        if len(unpacked) != 1:
            raise StepFailed(f"{tarballs[-1]} did not unpack into one directory")
        version = cpython_version(unpacked[0])
        tree = root / "src" / f"Python-{version}"
        shutil.rmtree(tree, ignore_errors=True)
        unpacked[0].rename(tree)
        staging.rmdir()
        (tree / ".shrinkpy-unpacked").write_text(tarballs[-1].name + "\n")
        return tree
