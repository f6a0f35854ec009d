"""shrinkpy run: run a script under shrinkpython; with --compare, also under Debian's python3.11
with pymalloc, glibc malloc and mimalloc, and print the measurements side by side."""

from __future__ import annotations

import argparse
import os
import sys

from shrinkpy import locate


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--compare", action="store_true",
                        help="also run under /usr/bin/python3.11 (pymalloc, glibc malloc, mimalloc) and print a table")
    parser.add_argument("--allocator", help="SHRINKPY_ALLOCATOR for shrinkpython (default: shrinkpython's own)")
    parser.add_argument("--repeat", type=int, default=3, metavar="N",
                        help="with --compare: measured runs per configuration, alternating (default 3; medians)")
    parser.add_argument("--no-report", action="store_true", help="without --compare: no memory report at exit")
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")


def main(args: argparse.Namespace) -> int:
    try:
        shrinkpython = locate.shrinkpython()
    except locate.NotFound as e:
        print(f"shrinkpy: {e}", file=sys.stderr)
        return 2
    if not args.compare:
        env = dict(os.environ)
        if args.allocator:
            env["SHRINKPY_ALLOCATOR"] = args.allocator
        if not args.no_report:
            env.setdefault("SHRINKPY_REPORT", "-")
        os.execve(shrinkpython, [shrinkpython, args.script, *args.args], env)
    from shrinkpy.compare import compare
    return compare([args.script, *args.args], args.allocator, max(1, args.repeat))
