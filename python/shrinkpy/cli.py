"""The `shrinkpy` command: one subcommand per module, each with `add_arguments(parser)` and
`main(args) -> int`. Subcommand modules import anything heavy (the analyzer, matplotlib) inside
main(), so that building the parser stays cheap."""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
COMMANDS = {
    "run": ("shrinkpy.run_cli", "run a script under shrinkpython, optionally side by side with python3.11"),
    "bench": ("shrinkpy.bench_cli", "measure the workloads (or pyperformance) under a matrix of configurations"),
    "analyze": ("shrinkpy.analyze_cli", "where each function's locals die, imports never read, skipped code"),
    "build": ("shrinkpy.build_cli", "a trimmed, static python3.11 for a board (boards/profiles), packed into dist/"),
    "targets": ("shrinkpy.targets_cli", "the trimmed interpreter's peak RSS against python3.11 (issue 7's targets)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="shrinkpy", description="Make unmodified CPython 3.11 programs use less memory: run, measure, analyze.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, help_text) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(_module=module)
        importlib.import_module(module).add_arguments(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    return int(importlib.import_module(args._module).main(args) or 0)
