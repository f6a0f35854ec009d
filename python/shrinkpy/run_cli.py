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
    parser.add_argument("--timeline", metavar="PNG",
                        help="draw RSS and the allocator's bytes over time for this run (and keep the samples as PNG.json)")
    parser.add_argument("script", help="the Python script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")


def main(args: argparse.Namespace) -> int:
    try:
        shrinkpython = locate.shrinkpython()
    except locate.NotFound as e:
        print(f"shrinkpy: {e}", file=sys.stderr)
        return 2
    if args.compare:
        from shrinkpy.compare import compare
        return compare([args.script, *args.args], args.allocator, max(1, args.repeat))
    env = dict(os.environ)
    if args.allocator:
        env["SHRINKPY_ALLOCATOR"] = args.allocator
    if not args.no_report:
        env.setdefault("SHRINKPY_REPORT", "-")
    argv = [shrinkpython, args.script, *args.args]
    if not args.timeline:
        os.execve(shrinkpython, argv, env)
    return run_with_timeline(argv, env, args.timeline)


def run_with_timeline(argv: list[str], env: dict[str, str], png: str) -> int:
    import json
    import subprocess

    from shrinkpy.plot import memory_timeline

    samples_path = png + ".json"
    env["SHRINKPY_TIMELINE"] = os.path.abspath(samples_path)
    code = subprocess.call(argv, env=env)
    try:
        with open(samples_path) as f:
            samples = json.load(f)["samples"]
    except (OSError, ValueError, KeyError) as e:
        print(f"shrinkpy: no timeline was written ({e})", file=sys.stderr)
        return code or 1
    allocator = env.get("SHRINKPY_ALLOCATOR", "default allocator")
    memory_timeline(samples, png, f"{os.path.basename(argv[1])} under shrinkpython ({allocator})")
    print(f"shrinkpy: timeline of {len(samples)} samples drawn in {png}", file=sys.stderr)
    return code
