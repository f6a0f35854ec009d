"""`shrinkpy analyze FILE.py`: where each function's locals die, which imports are never read, and
why a code object was skipped. --json for machines, --explain for the reasons (and every release
early freeing inserts, with its line and reason, and every function it skips, with the rule),
--measure for what each unused import costs (RSS and tracemalloc delta of importing it in a fresh
interpreter), --rules for the rules of the early-freeing policy. --imports reports every import with
the import pass's verdict instead (shrinkpy/import_report.py)."""

from __future__ import annotations

import json
import os
import sys


def add_arguments(parser):
    parser.add_argument("file", nargs="?", help="a Python 3.11 source file")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--explain", action="store_true",
                        help="say why: the last use of each local, the reason for each import verdict, every "
                             "release early freeing inserts and every function it skips")
    parser.add_argument("--mode", choices=("safe", "aggressive"), default="safe",
                        help="the early-freeing policy to explain (default safe, as SHRINKPY_EARLY_FREE)")
    parser.add_argument("--as-module", action="store_true",
                        help="explain the file as an imported module, not as __main__ (no module-level releases)")
    parser.add_argument("--rules", action="store_true", help="list the rules of the early-freeing policy")
    parser.add_argument("--measure", action="store_true",
                        help="for each unused import (every import with --imports), the memory importing it "
                             "costs, ranked by cost")
    parser.add_argument("--imports", action="store_true",
                        help="every import with what SHRINKPY_IMPORTS does to it (defer, drop, keep) and why")
    parser.add_argument("--imports-mode", choices=("defer", "drop", "off"), default="defer",
                        help="with --imports: the SHRINKPY_IMPORTS mode to judge under (default defer)")


def function_facts(report, explain):
    """Per local: the lines where it is read for the last time, and where it dies on block entry."""
    from shrinkpy.analyzer import AnalyzerError  # noqa: F401  (import-time check of the module)

    dies = {}
    for ins in report.instructions:
        for name in ins.last_uses:
            dies.setdefault(name, set()).add(ins.line)
    # A local with no last-use load dies on a block entry instead (a loop variable when the loop
    # ends); entry deaths on exception paths of locals that have a last use would only be noise.
    lines_by_offset = {ins.offset: ins.line for ins in report.instructions}
    read_last = set(dies)
    for offset, name, bound in report.deaths:
        if name not in read_last:
            dies.setdefault(name, set()).add(lines_by_offset.get(offset, -1))
    out = {"qualname": report.qualname, "line": report.firstlineno, "locals": list(report.locals),
           "dies": {name: sorted(l for l in lines if l >= 0) for name, lines in sorted(dies.items())}}
    if report.error is not None:
        out["skipped"] = f"could not be analysed: {report.error}"
    elif report.observers:
        out["skipped"] = "its locals can be observed: " + "; ".join(report.observers)
    never = [name for name in report.locals if name not in dies and not any(name in i.live_before for i in report.instructions)]
    if explain:
        out["never_read"] = never
    return out


def main(args) -> int:
    from shrinkpy import analyzer, early_free_explain

    if args.rules:
        early_free_explain.print_rules()
        return 0
    if args.file is None:
        print("shrinkpy analyze: give a FILE.py (or --rules)", file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb") as f:
            source = f.read()
    except OSError as e:
        print(f"shrinkpy analyze: {args.file}: {e.strerror or e}", file=sys.stderr)
        return 2
    try:
        module = compile(source, args.file, "exec", dont_inherit=True)
    except SyntaxError as e:
        print(f"shrinkpy analyze: {args.file}: {e}", file=sys.stderr)
        return 2
    except ValueError as e:  # null bytes: a .pyc or another binary file
        print(f"shrinkpy analyze: {args.file}: not Python source ({e}); give the .py file", file=sys.stderr)
        return 2
    if args.imports:
        from shrinkpy import import_report

        rows = import_report.report(module, source, args.file, args.imports_mode, args.measure)
        if args.json:
            json.dump({"file": args.file, "mode": args.imports_mode, "imports": rows}, sys.stdout, indent=2)
            print()
        else:
            print(import_report.format_text(args.file, rows, args.imports_mode, args.measure))
        return 0
    report = analyzer.analyze(module)
    functions = [function_facts(r, args.explain) for r in analyzer.walk(report)]
    try:
        imports = analyzer.imports(module)
        names = analyzer.module_names(module)
    except analyzer.AnalyzerError as e:
        imports, names = [], {"names": [], "dynamic": [f"module not analysed: {e}"]}
    unused = [f for f in imports if f["use"] == "never"]
    if args.measure:
        from shrinkpy.import_report import measure_import

        cwd = os.path.dirname(os.path.abspath(args.file))
        for fact in unused:
            fact["cost"] = measure_import(fact["module"] if not fact["level"] else fact["module"] or ".", cwd)
        unused.sort(key=lambda f: -(f["cost"].get("rss_kib") or 0))
    result = {"file": args.file, "functions": functions, "imports": imports, "unused_imports": unused,
              "module_only_names": [n["name"] for n in names["names"] if n["module_only"]],
              "dynamic": names["dynamic"]}
    try:
        result["early_free"] = early_free_explain.facts(module, source.decode("utf-8", "replace"), args.mode,
                                                        main=not args.as_module)
    except analyzer.AnalyzerError as e:
        result["early_free"] = {"error": str(e)}
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
        return 0
    print_text(result, args.explain, args.measure)
    return 0


def print_text(result, explain, measure):
    print(f"{result['file']}")
    for fn in result["functions"]:
        print(f"\n{fn['qualname']} (line {fn['line']})")
        if "skipped" in fn:
            print(f"  skipped: {fn['skipped']}")
        for name, lines in fn["dies"].items():
            where = ", ".join(str(l) for l in lines) or "-"
            print(f"  {name:<20} dies after line {where}" if explain else f"  {name:<20} {where}")
        if explain and fn.get("never_read"):
            print(f"  never read: {', '.join(fn['never_read'])}")
    print("\nimports never read:" if result["unused_imports"] else "\nimports never read: none")
    for f in result["unused_imports"]:
        what = f"from {'.' * f['level']}{f['module']} import {f['imported']}" if f["imported"] else f"import {f['module']}"
        line = f"  line {f['line']}: {what}" + (f" as {f['bound']}" if f["bound"] not in (f["imported"], f["module"]) else "")
        if measure and "cost" in f:
            c = f["cost"]
            line += (f"  [{c['error']}]" if c.get("error") else
                     f"  costs {c['rss_kib']} KiB RSS, {c['tracemalloc_kib']} KiB traced")
        print(line)
    if explain:
        print("\nevery import:")
        for f in result["imports"]:
            print(f"  line {f['line']} {f['bound'] or f['imported']}: {f['use']} ({f['reason']})")
        if result["module_only_names"]:
            print("\nmodule-level names no function reads: " + ", ".join(result["module_only_names"]))
        for reason in result["dynamic"]:
            print(f"dynamic access: {reason}")
        if "error" in result["early_free"]:
            print(f"\nearly freeing: not analysed: {result['early_free']['error']}")
        else:
            from shrinkpy import early_free_explain
            early_free_explain.print_facts(result["early_free"])
