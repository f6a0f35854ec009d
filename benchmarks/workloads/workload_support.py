"""What every benchmark workload shares: the scale argument, the checksum line, and marks.

A mark records this process's resident memory at a named point, for the benchmark runner:
`mark("retained")` after the program has dropped its big data measures what the allocator still
holds. Marks go to the file named by SHRINKPY_BENCH_MARKS as lines `name rss_bytes`; without the
variable, mark() does nothing. Kept free of imports a workload would not otherwise make (no json),
so that the support code does not change what is measured.
"""

import argparse
import gc
import hashlib
import os

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
    with open(_MARKS, "a") as f:
        f.write(f"{name} {resident_bytes()}\n")


def checksum(value):
    """A short digest of repr(value): equal across interpreters and allocators for equal results."""
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]
