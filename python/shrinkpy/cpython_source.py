"""CPython 3.11's source tree, from Debian's source package python3.11 (the same 3.11.2 as Debian's
/usr/bin/python3.11), fetched once into the cache with a private apt state (private_apt.py).

Only the upstream tarball inside the source package is unpacked; Debian's patches adapt CPython to
Debian's file system layout and packaging, which a self-contained board interpreter does not use.
`--cpython-src DIR` uses a given tree instead (checked to be CPython 3.11, and left as it is).

One change is made to the unpacked tree: fewer deep-frozen modules (freeze_fewer).
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from shrinkpy.build_cache import cache_dir, locked
from shrinkpy.build_steps import StepFailed, Steps
from shrinkpy.private_apt import PrivateApt

SOURCE_PACKAGE = "python3.11"
FROZEN_MARK = ".shrinkpy-frozen-v1"


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


def freeze_fewer(steps: Steps, tree: Path) -> None:
    """Deep-freezes only the modules every start imports: the import system, abc, codecs and io.

    Deep-frozen code objects are static data of the binary, and every start writes to all of them
    (_Py_Deepfreeze_Init interns their strings: Tools/scripts/deepfreeze.py), imported or not. 3.11
    also freezes the modules `site` imports (os, posixpath, stat, ...), ntpath (never imported on
    POSIX), runpy and importlib.util (-m only) and test modules: 0.7 MB of data. Measured on the
    host board: `-S -I -c pass` 4.9 -> 4.2 MB, `import json, re, collections, asyncio` 11.6 ->
    11.2 MB, and `-c pass` with site the same, as those modules now come from their .pyc.
    Tools/scripts/freeze_modules.py regenerates Makefile.pre.in and Python/frozen.c from its list.
    """
    if (tree / FROZEN_MARK).exists():
        return
    script = tree / "Tools" / "scripts" / "freeze_modules.py"
    text = script.read_text()
    trimmed = re.sub(r"\('stdlib - startup, with site', \[.*?\]\),", "", text, flags=re.S)
    trimmed = re.sub(r"\('runpy - run module with -m', \[.*?\]\),", "", trimmed, flags=re.S)
    # The generator needs one test module; __hello__ is 2 KB.
    trimmed = re.sub(r"\(TESTS_SECTION, \[.*?\]\),", "(TESTS_SECTION, ['__hello__']),", trimmed, flags=re.S)
    if "'stdlib - startup, with site'" in trimmed or "'runpy - run module with -m'" in trimmed:
        raise StepFailed(f"{script}: its FROZEN list is not laid out as in CPython 3.11.2")
    script.write_text(trimmed)
    steps.run("source: freeze fewer modules", [sys.executable, str(script)], cwd=tree, log="source-freeze")
    (tree / FROZEN_MARK).write_text("import system, abc, codecs, io\n")


def fetch(steps: Steps) -> Path:
    """The unpacked upstream tree, downloading and unpacking it the first time."""
    root = cache_dir()
    with locked("source"):
        done = sorted((root / "src").glob("Python-3.11.*/.shrinkpy-unpacked"))
        if done:
            tree = done[-1].parent
            freeze_fewer(steps, tree)
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
        freeze_fewer(steps, tree)
        (tree / ".shrinkpy-unpacked").write_text(tarballs[-1].name + "\n")
        return tree
