"""What every benchmark workload shares: the scale argument, the checksum line, and marks.

A mark records this process's resident memory at a named point, for the benchmark runner:
`mark("retained")` after the program has dropped its big data measures what the allocator still
holds. Marks go to the file named by SHRINKPY_BENCH_MARKS as lines `name rss_bytes`; without the
variable, mark() does nothing. Under shrinkpython with the arena, a mark also records the arena's
census (`name.live_pages`, `name.empty_pages`, ...: which resident pages hold live blocks), taken
after the RSS is read. Kept free of imports a workload would not otherwise make (no json; the
census comes from a module built into shrinkpython), so that the support code does not change what
is measured.
"""

import argparse
import gc
import hashlib
import os
import sys

_MARKS = os.environ.get("SHRINKPY_BENCH_MARKS")


def arguments(description, **defaults):
    """An argument parser with --scale (work size factor, 1.0 = the benchmark size) and --seed."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", type=float, default=1.0, help="work size factor (tests use 0.02)")
    parser.add_argument("--seed", type=int, default=defaults.pop("seed", 2026))
    for name, value in defaults.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    return parser


def scaled(n, scale, minimum=1):
    return max(minimum, int(n * scale))


def resident_bytes():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def mark(name):
    if not _MARKS:
        return
    gc.collect()
    lines = [f"{name} {resident_bytes()}"]
    if "_shrinkpy_alloc" in sys.builtin_module_names:
        import _shrinkpy_alloc

        census = _shrinkpy_alloc.census()  # None unless the arena is the allocator
        lines += [f"{name}.{key} {value}" for key, value in (census or {}).items()]
    with open(_MARKS, "a") as f:
        f.write("".join(line + "\n" for line in lines))


def checksum(value):
    """A short digest of repr(value): equal across interpreters and allocators for equal results."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]
