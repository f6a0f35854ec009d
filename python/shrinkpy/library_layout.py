"""The preloaded library's start-up code laid out together: libshrinkpython.so, which shrinkpython
(as `make build` and the wheel install it) preloads into Debian's python3.11. text_layout.py does the
same for the trimmed interpreter; this traces the library inside python3.11, preloaded the way the
launcher preloads it (runtime/launcher.cpp), and writes lld's symbol ordering file for the library's
second link (runtime/CMakeLists.txt).

Why it matters: every start runs a few hundred of the library's functions (options, the allocator,
the loader hook, with the rewriter on the program's own modules), spread over its whole text, and
fault-around maps 64 KiB of text around each of them. Measured (peak RSS, medians of 7, library
copies made with `dd bs=4096`), with the defaults: `-c pass` 10 216 -> 9 904 KiB,
`import json, re, collections, asyncio` 20 404 -> 20 204 KiB; the levers off under pymalloc:
`-c pass` 9 352 -> 9 144 KiB.

How: qemu-user names a translated block only by the main program's symbols, so the library's
blocks are logged unnamed, by address; with -strace the same log (-D) holds the library's mapping:
its load base is what the first mmap of its file descriptor at offset 0 returned.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile
from pathlib import Path

from shrinkpy import text_layout

# text_layout's commands under each configuration in turn, the one that runs the fewest functions
# first, so that each one's code follows what it shares with those before it: the levers off under
# pymalloc, then under the arena (the configurations the benchmarks measure each lever by), then
# shrinkpython's defaults (the rewriter on the program's own modules).
LEVERS_OFF = {"SHRINKPY_EARLY_FREE": "off", "SHRINKPY_IMPORTS": "off"}
CONFIGURATIONS = ({**LEVERS_OFF, "SHRINKPY_ALLOCATOR": "pymalloc"}, LEVERS_OFF, {})

# qemu -strace: `PID openat(-100,"/path/lib.so",O_RDONLY|O_CLOEXEC) = 3` and
# `PID mmap(NULL,1069056,PROT_READ,MAP_PRIVATE|MAP_DENYWRITE,3,0) = 0x00007f0000000000`.
_OPENAT = re.compile(r' openat\([^,]+,"([^"]*)",.*\) = (\d+)$')
_MMAP = re.compile(r" mmap\(.*,(\d+),0\) = (0x[0-9a-f]+)$")


def load_base(log: list[str], library: Path) -> int | None:
    """Where the dynamic linker mapped `library`, from a qemu -strace log."""
    fd = None
    for line in log:
        if fd is None:
            if (m := _OPENAT.search(line)) and Path(m.group(1)).name == library.name:
                fd = m.group(2)
        elif (m := _MMAP.search(line)) and m.group(1) == fd:
            return int(m.group(2), 16)
    return None


def load_span(readelf: str, library: Path) -> int:
    """The bytes from the library's base to the end of its last LOAD segment."""
    out = subprocess.run([readelf, "-lW", str(library)], capture_output=True, text=True, check=True).stdout
    ends = [int(f[2], 16) + int(f[5], 16) for f in (line.split() for line in out.splitlines()) if f[:1] == ["LOAD"]]
    return max(ends)


def first_run_functions(qemu: str, python: Path, library: Path, symbols: list[tuple[int, str]],
                        span: int) -> list[list[str]]:
    """For each configuration and traced command, the library's functions it runs first (none run
    before), in the order they first run; `symbols` are the library's (text_layout.function_symbols)."""
    caller = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SHRINKPY_", "LD_PRELOAD"))}
    # -E: these reach python3.11 only; LD_PRELOAD in qemu's own environment would load the library
    # into qemu. "unset": what the launcher sets when the user had no LD_PRELOAD of their own.
    guest = ["-E", f"LD_PRELOAD={library.resolve()}", "-E", "SHRINKPY_PRELOAD_RESTORE=unset"]
    by_command, seen, symbols = [], set(), sorted(symbols)
    with tempfile.TemporaryDirectory(prefix="shrinkpy-trace-") as tmp:
        log_path = Path(tmp) / "in_asm.log"
        script = Path(tmp) / "script.py"
        script.write_text(text_layout.SCRIPT)
        for configuration in CONFIGURATIONS:
            for command in text_layout.TRACED:
                args = [str(script) if a == "{script}" else a for a in command]
                subprocess.run([qemu, *guest, "-strace", "-d", "in_asm", "-D", str(log_path), str(python), *args],
                               check=True, cwd=tmp, env={**caller, **configuration}, input=b"", capture_output=True,
                               timeout=600)
                with open(log_path, errors="replace") as f:
                    log = f.read().splitlines()
                base = load_base(log, library)
                if base is None:
                    raise RuntimeError(f"{library.name} is not in {python}'s trace (not preloaded?)")
                by_command.append(text_layout.name_addresses(_block_offsets(log, base, span), symbols, seen))
    return by_command


def _block_offsets(log: list[str], base: int, span: int) -> list[int]:
    """The library's blocks (qemu names none of them), as offsets from its base."""
    addresses = (block for block in text_layout.translated_blocks(log) if isinstance(block, int))
    return [a - base for a in addresses if 0 <= a - base < span]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shrinkpy.library_layout", description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, required=True, help="the library to trace (its first link)")
    parser.add_argument("--python", type=Path, required=True, help="the python3.11 the launcher runs")
    parser.add_argument("--qemu", required=True, help="qemu-user for this machine, e.g. qemu-x86_64")
    parser.add_argument("--readelf", default="readelf")
    parser.add_argument("--out", type=Path, required=True, help="lld's symbol ordering file")
    args = parser.parse_args(argv)
    symbols = text_layout.function_symbols(args.readelf, args.library)
    span = load_span(args.readelf, args.library)
    by_command = first_run_functions(args.qemu, args.python, args.library, symbols, span)
    functions = text_layout.with_unseen_relatives(by_command, symbols)
    args.out.write_text(text_layout.symbol_order(functions))
    print(f"{args.out.name}: {len(functions)} of the library's {len(symbols)} functions run at start-up")


if __name__ == "__main__":
    main()
