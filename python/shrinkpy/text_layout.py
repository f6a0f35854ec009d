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
board. The traced binary is linked by lld too, so that both links keep the same copy of each C++
template instance under the same name.

What the trace cannot see, found on the host board with perf's page-fault events (each such
function cost a 64 KiB window of its own; together `-S -I -c pass` went from 4.67 to 4.29 MiB and
`import json, re, collections, asyncio` from 11.2 to 10.6 MiB):
- the paths other environments take: see TRACED;
- the other variants of each string function glibc picks by CPU at start (memmove, strlen, ...:
  qemu's CPU picks the AVX2 or SSE2 ones, a board's the AVX-512 or SVE ones): they follow the bare
  start's functions, grouped by variant so that one CPU's picks sit together;
- the cold parts GCC splits off the functions it saw (`f.cold`): they follow as well;
- assembler functions without a size in the symbol table (crtstuff's frame_dummy), in which qemu
  names no block: named after the nearest symbol.

After the start-up code, the rest of the interpreter in the order GNU ld's default script would give
it (profiled_order): the functions the profile found hot, then the ones it ran, and last, by not
being named, those it never ran. lld merges every .text.* section into one .text in input order, so
without this the hot code was spread among 7 000 cold ones (`f.cold` parts and functions the
training never ran) in the relocatable LTO object (speed_build.py).
"""

from __future__ import annotations

import bisect
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

# What is traced: a bare start, a start with site, the imports most programs make, and a script;
# isolated (-I) and not, since without -I start-up also reads PYTHON* variables, computes
# sys.path[0] and asks site for the user's site directory. Each runs with the caller's environment
# (without its PYTHON* variables, which may point anywhere), with none (no locale: locale coercion),
# and with the two variables container images commonly set, its standard streams pipes (as under
# another program); then with the caller's environment, with /dev/null as its streams (as a
# service's: io takes other paths, a pipe's tell() fails where /dev/null's does not), and started
# the two other ways a user starts it, by a relative path and through PATH, since getpath finds the
# prefix differently for each (measured on the host board, `-S -I -c pass` traced by absolute path
# only: 4.36 MiB started that way, 4.65 MiB by a relative path, 4.47 MiB through PATH).
SCRIPT = "import sys\nprint(len(sys.argv))\n"
TRACED = (["-S", "-I", "-c", "pass"], ["-I", "-c", "pass"], ["-c", "pass"],
          ["-c", "import json, re, collections, asyncio"], ["{script}"])
CONTAINER_VARIABLES = {"PYTHONUNBUFFERED": "1", "PYTHONDONTWRITEBYTECODE": "1"}

# The words that start the variant part of glibc's CPU-specific function names
# (sysdeps/x86_64/multiarch, sysdeps/aarch64/multiarch, and libm's fma/avx builds):
# __memmove_avx512_unaligned_erms, __strlen_evex, __memcpy_simd, __ieee754_log_fma. In the order
# their groups are laid out: what one CPU picks together (AVX-512 machines: evex and avx512;
# Cortex-A cores: generic, asimd, simd), the common picks first.
VARIANT_WORDS = ("evex", "avx512", "evex512", "avx2", "avx", "fma", "fma4", "erms", "sse4", "sse42", "ssse3", "sse2",
                 "generic", "asimd", "simd", "nosimd", "zva64", "mops", "sve", "a64fx", "thunderx", "thunderx2",
                 "falkor", "kunpeng", "emag")
_SECTION = re.compile(r"^\s*\[\s*\d+\]\s+(\S+)\s+PROGBITS\b")  # a line of `readelf -SW`
_VARIANT = re.compile(r"^(__\w+?)_(" + "|".join(sorted(VARIANT_WORDS, key=len, reverse=True)) + r")(_\w+)?$")


def first_run_functions(qemu: list[str], binary: Path, symbols: list[tuple[int, str]]) -> list[list[str]]:
    """For each TRACED command, the functions it runs first (none run before), in the order they
    first run; `symbols` are `binary`'s (function_symbols)."""
    order: dict[str | int, None] = {}
    ends: list[int] = []  # len(order) after each command
    caller = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "SHRINKPY_"))}
    with tempfile.TemporaryDirectory(prefix="shrinkpy-trace-") as tmp:
        log = Path(tmp) / "in_asm.log"
        script = Path(tmp) / "script.py"
        script.write_text(SCRIPT)
        binary = binary.resolve()
        pipes = {"input": b"", "capture_output": True}
        devnull = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        through_path = {**caller, "PATH": os.pathsep.join([str(binary.parent), caller.get("PATH", os.defpath)])}
        runs = [(str(binary), env, pipes) for env in (caller, {}, {**caller, **CONTAINER_VARIABLES})]
        runs += [(str(binary), caller, devnull), (os.path.relpath(binary, tmp), caller, pipes),
                 (binary.name, through_path, pipes)]
        for command in TRACED:
            args = [str(script) if a == "{script}" else a for a in command]
            for argv0, env, stdio in runs:
                # In the temporary directory: without -I the current directory is on sys.path.
                subprocess.run([*qemu, "-0", argv0, "-d", "in_asm", "-D", str(log), str(binary), *args], check=True,
                               cwd=tmp, env=env, timeout=600, **stdio)
                with open(log, errors="replace") as f:
                    order.update(dict.fromkeys(translated_blocks(f)))
            ends.append(len(order))
    items, seen, symbols = list(order), set(), sorted(symbols)
    return [name_addresses(items[start:end], symbols, seen) for start, end in zip([0, *ends], ends)]


def translated_blocks(log: Iterable[str]) -> Iterator[str | int]:
    """Each block in a qemu `-d in_asm` log: the name of the function it starts in, or, where qemu
    names none (no symbol with a size there, or a library it did not load), its first address."""
    unnamed = False
    for line in log:
        if unnamed and line.startswith("0x"):
            yield int(line.split(":")[0], 16)
        unnamed = line.rstrip("\n") in ("IN:", "IN: ")
        if line.startswith("IN: ") and not unnamed:
            yield line[4:].strip()


def name_addresses(items: list[str | int], symbols: list[tuple[int, str]], seen: set[str]) -> list[str]:
    """`items` named, each name once over every call with the same `seen`; `symbols` sorted. qemu
    names a block only inside a symbol with a size: the assembler's functions without one
    (crtstuff's frame_dummy and __do_global_dtors_aux, which start and exit run) get the nearest
    symbol at or before their address."""
    starts = [address for address, _ in symbols]
    names = []
    for item in items:
        if isinstance(item, int):
            i = bisect.bisect_right(starts, item) - 1
            if i < 0:
                continue
            item = symbols[i][1]
        if item not in seen:
            seen.add(item)
            names.append(item)
    return names


def function_symbols(readelf: str, binary: Path) -> list[tuple[int, str]]:
    """The functions in `binary`'s symbol table, as (address, name) (readelf reads any target's ELF)."""
    out = subprocess.run([readelf, "-sW", str(binary)], capture_output=True, text=True, check=True).stdout
    functions = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] != "UND":
            functions.append((int(fields[1], 16), fields[7].split("@")[0]))
    return functions


def with_unseen_relatives(by_command: list[list[str]], symbols: list[tuple[int, str]]) -> list[str]:
    """The traced functions (first_run_functions) with what the trace cannot see: the other CPU
    variants of the variant functions it saw, grouped by their variant word and then by name, right
    after the first command's functions (every start runs some: the picks of a CPU then share a window
    with the bare start's code); and at the end the cold parts of every function it saw, in the order
    it saw them. `symbols`: function_symbols."""
    functions = [name for command in by_command for name in command]
    seen = set(functions)
    families = {m.group(1) for m in map(_VARIANT.match, functions) if m}
    variants = sorted((VARIANT_WORDS.index(m.group(2)), name) for _, name in symbols
                      if (m := _VARIANT.match(name)) and m.group(1) in families and name not in seen)
    present = {name for _, name in symbols}
    cold = [f"{name}.cold" for name in functions if f"{name}.cold" in present]
    first = by_command[0] if by_command else []
    return list(dict.fromkeys(first + [name for _, name in variants] + functions[len(first):] + cold))


def profiled_order(readelf: str, archive: Path) -> list[str]:
    """The functions of `archive` (objects compiled with -ffunction-sections) whose sections GCC
    named .text.hot.NAME (the profile's hot ones), then those in plain .text.NAME sections; the ones
    in .text.unlikely.NAME (never run in training, and the `.cold` parts) are left out."""
    out = subprocess.run([readelf, "-SW", str(archive)], capture_output=True, text=True, check=True).stdout
    names = [m.group(1) for m in map(_SECTION.match, out.splitlines()) if m]
    hot = [name[len(".text.hot."):] for name in names if name.startswith(".text.hot.")]
    warm = [name[len(".text."):] for name in names
            if name.startswith(".text.") and not name.startswith((".text.hot.", ".text.unlikely.", ".text.startup.",
                                                                   ".text.exit."))]
    return list(dict.fromkeys(hot + warm))


def symbol_order(functions: list[str]) -> str:
    """The ordering file: one symbol a line."""
    return "".join(f"{name}\n" for name in functions)
