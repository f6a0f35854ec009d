"""shrinkpy's own runtime (runtime/, allocator/) built against a trimmed CPython: this project's
CMake configured a second time, with SHRINKPY_CPYTHON_BUILD pointing at the CPython build instead of
Debian's libpython (cmake/TrimmedPython.cmake), and only the shrinkpython target built. Whatever
shrinkpython links in the checkout (the allocators, the report, later the analyzer) is what the
board's interpreter links: nothing of runtime/ is copied."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from shrinkpy.build_cache import cache_dir
from shrinkpy.build_steps import Steps
from shrinkpy.cpython_build import jobs
from shrinkpy.locate import STOCK_PYTHON

REPO = Path(__file__).resolve().parents[2]


def build_runtime(steps: Steps, *, board: str, cpython: Path, defaults: dict[str, str], fully_static: bool,
                  triple: str, cpu_flags: str, symbol_order: str = "") -> Path:
    """Builds shrinkpython against `cpython` and returns the executable; with `symbol_order`
    (text_layout.py), links it again with its functions in that order."""
    key = hashlib.sha256(f"{REPO}\n{cpython}\n{fully_static}".encode()).hexdigest()[:12]
    build = cache_dir() / "runtime" / f"{board}-{key}"
    order_file = ""
    if symbol_order:
        # Named by content, so that a new order changes the link line and CMake relinks.
        digest = hashlib.sha256(symbol_order.encode()).hexdigest()[:12]
        order_path = build / f"symbol-order-{digest}.txt"
        build.mkdir(parents=True, exist_ok=True)
        order_path.write_text(symbol_order)
        order_file = str(order_path)
    flags = f"{cpu_flags} -ffunction-sections -fdata-sections".strip()
    command = [
        "cmake", "-S", str(REPO), "-B", str(build), "-DCMAKE_BUILD_TYPE=MinSizeRel",
        f"-DSHRINKPY_PYTHON={STOCK_PYTHON}", f"-DSHRINKPY_CPYTHON_BUILD={cpython}",
        f"-DSHRINKPY_LIBPYTHON={'fully-static' if fully_static else 'static'}",
        f"-DSHRINKPY_BOARD={board}", "-DSHRINKPY_BOARD_DEFAULTS=" + ",".join(f"{k}={v}" for k, v in defaults.items()),
        "-DSHRINKPY_BUILD_TESTS=OFF", "-DSHRINKPY_BUILD_BENCHMARKS=OFF", "-DSHRINKPY_BUILD_PYTHON_EXTENSION=OFF",
        f"-DCMAKE_C_FLAGS={flags}", f"-DCMAKE_CXX_FLAGS={flags}", f"-DSHRINKPY_SYMBOL_ORDER={order_file}",
    ]
    if triple:
        command.append(f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'cmake' / f'{triple}.cmake'}")
    what = " (start-up code grouped)" if symbol_order else ""
    steps.run(f"runtime: cmake configure{what}", command, log=f"runtime-configure-{board}")
    steps.run(f"runtime: build shrinkpython{what}", ["cmake", "--build", str(build), f"-j{jobs()}", "--target", "shrinkpython"],
              log=f"runtime-build-{board}")
    exe = build / "runtime" / "shrinkpython"
    if not os.access(exe, os.X_OK):
        raise FileNotFoundError(exe)
    return exe
