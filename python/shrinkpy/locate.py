"""Where shrinkpy's executables are: `shrinkpython` and the `shrinkpy-measure` helper.

Looked for, in order: the directory in SHRINKPY_BIN_DIR; the scripts directory of the running
interpreter (where `pip install` puts them); the CMake build of a source checkout (build/runtime);
PATH.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

STOCK_PYTHON = "/usr/bin/python3.11"


class NotFound(RuntimeError):
    pass


def _candidates(name: str):
    if os.environ.get("SHRINKPY_BIN_DIR"):
        yield Path(os.environ["SHRINKPY_BIN_DIR"]) / name
    yield Path(sysconfig.get_path("scripts")) / name
    yield Path(__file__).resolve().parents[2] / "build" / "runtime" / name
    found = shutil.which(name)
    if found:
        yield Path(found)


def executable(name: str) -> str:
    for path in _candidates(name):
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    raise NotFound(
        f"cannot find {name}: build it with `make` in the source tree, install shrinkpy with pip, "
        f"or point SHRINKPY_BIN_DIR at the directory that holds it"
    )


def shrinkpython() -> str:
    return executable("shrinkpython")


def measure_tool() -> str:
    return executable("shrinkpy-measure")
