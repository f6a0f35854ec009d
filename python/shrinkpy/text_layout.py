"""Start-up code laid out together: the order in which the interpreter's functions first run, for
the linker (lld's --symbol-ordering-file), so that the code every start touches fills a few
contiguous pages instead of being spread over the whole text.

Why it matters: the kernel maps file pages around each faulting address (fault-around, 64 KiB by
default), so RSS counts every 64 KiB window of text that start-up touches. Measured on the host
board's fully static interpreter: `-S -I -c pass` ran 1 960 functions (615 KB of code) spread
over 40 of the 48 windows of a 3 MB text, 2.5 MB of RSS. Grouped, they need about 10.

How: every object is compiled with -ffunction-sections (cpython_build.py, runtime_build.py); the
interpreter is run under qemu-user with `-d in_asm`, which logs each translated block once with
the function it starts in; the first-seen order of those functions is the symbol order. lld moves
the section holding each symbol, which also covers libc.a (one function an object there, but all
named .text: gold's section-name ordering could not move them; measured 5.2 MB with gold, 5.0 MB
with lld). qemu-user runs the board's own binary, so a cross build gets its own order without the
board. Runs are traced with the caller's locale and with none, since locale coercion takes other
paths.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

# What is traced: a bare start, a start with site, and the imports most programs make.
TRACED = (["-S", "-I", "-c", "pass"], ["-I", "-c", "pass"], ["-I", "-c", "import json, re, collections, asyncio"])


def first_run_functions(qemu: list[str], binary: Path) -> list[str]:
    """Functions in the order they first run over the TRACED commands (`binary` must have symbols)."""
    order: dict[str, None] = {}
    caller = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SHRINKPY_"))}
    with tempfile.TemporaryDirectory(prefix="shrinkpy-trace-") as tmp:
        log = Path(tmp) / "in_asm.log"
        for args, env in [(args, env) for env in (caller, {}) for args in TRACED]:
            subprocess.run([*qemu, "-d", "in_asm", "-D", str(log), str(binary), *args], check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                           timeout=600)
            with open(log, errors="replace") as f:
                for line in f:
                    if line.startswith("IN: ") and len(line) > 5:
                        order.setdefault(line[4:].strip(), None)
    return list(order)


def symbol_order(functions: list[str]) -> str:
    """The ordering file: one symbol a line."""
    return "".join(f"{name}\n" for name in functions)
