"""`shrinkpy analyze --imports [--measure] FILE.py`: every import of a module with the import pass's
verdict (defer, drop, keep) and its reason, and with --measure what importing each module costs here,
ranked: RSS and tracemalloc deltas and wall time of importing it alone in a fresh interpreter.

The verdicts are the ones shrinkpython applies to the file run as __main__ (SHRINKPY_IMPORTS, rules
in analyzer/include/shrinkpy/analyzer/import_plan.hpp), including the loader's probe (a module that
cannot be found, a user module whose import has effects).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys

# Run in a fresh interpreter: they import nothing but sys (and time, tracemalloc), so the module
# measured is not already loaded; each prints a Python literal. RSS and time come from a plain run,
# the traced bytes from a second one: tracemalloc's own tables would inflate RSS and time.
MEASURE_RSS_AND_TIME = r"""
import sys, time
def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
before_rss = rss_kib()
start = time.perf_counter()
try:
    __import__(sys.argv[1])
    error = None
except BaseException as e:
    error = f"{type(e).__name__}: {e}"
seconds = time.perf_counter() - start
print(repr({"rss_kib": rss_kib() - before_rss, "seconds": seconds, "error": error}))
"""

MEASURE_TRACED = r"""
import sys, tracemalloc
tracemalloc.start()
before = tracemalloc.get_traced_memory()[0]
try:
    __import__(sys.argv[1])
except BaseException:
    pass
print(repr({"tracemalloc_kib": (tracemalloc.get_traced_memory()[0] - before) // 1024}))
"""


def interpreter():
    """shrinkpython when the build provides it (SHRINKPY_SHRINKPYTHON), else this interpreter."""
    candidate = os.environ.get("SHRINKPY_SHRINKPYTHON")
    return candidate if candidate and os.access(candidate, os.X_OK) else sys.executable


def _run_literal(snippet, module, cwd):
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what a user's machine does: with .pyc caches
    proc = subprocess.run([interpreter(), "-c", snippet, module], capture_output=True, text=True, cwd=cwd, env=env,
                          timeout=120)
    try:
        return ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError, SyntaxError):
        return {"error": proc.stderr.strip()[-200:] or "no output"}


def measure_import(module, cwd):
    """RSS delta (KiB) and wall time (s) of importing `module` in a fresh interpreter, and the
    bytes tracemalloc sees it allocate (KiB) in another."""
    cost = {"rss_kib": None, "tracemalloc_kib": None, "seconds": None, "error": None}
    cost.update(_run_literal(MEASURE_RSS_AND_TIME, module, cwd))
    if not cost["error"]:
        cost.update(_run_literal(MEASURE_TRACED, module, cwd))
    return cost


def startup_modules():
    """The modules a fresh interpreter has loaded before the program's first line (not this process's:
    the analyzer and its CLI load many more)."""
    proc = subprocess.run([interpreter(), "-c", "import sys; print(repr(sorted(sys.modules)))"], capture_output=True,
                          text=True, timeout=60)
    try:
        return set(ast.literal_eval(proc.stdout.strip()))
    except (ValueError, SyntaxError):
        return set()


def _load_import_pass():
    """runtime/import_pass.py: from the source tree, or the copy installed with the package."""
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "import_pass.py"),
                      os.path.join(os.path.dirname(os.path.dirname(here)), "runtime", "import_pass.py")):
        if os.path.exists(candidate):
            spec = importlib.util.spec_from_file_location("_shrinkpy_import_pass", candidate)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    return None


def verdicts(module_code, source, path, mode):
    """import_plan()'s rows for the file run as __main__, with the loader's probe applied."""
    from shrinkpy import _analyzer

    import_pass = _load_import_pass()
    if import_pass is None:
        return _analyzer.import_plan(module_code, mode, True, [], [])
    import sysconfig

    # As the loader hook draws the line (runtime/loader_hook.py, _library_prefixes): the standard
    # library and every site-packages or dist-packages directory on the path are not user code.
    library = [sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")]
    library += [p for p in sys.path if os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages")]
    excluded = tuple(os.path.join(os.path.realpath(p), "") for p in library)
    script_dir = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, script_dir)  # the probe finds modules as the script would
    try:
        passer = import_pass.ImportPass(_analyzer.rewrite_imports, _analyzer.import_effects, mode,
                                        lambda p: not os.path.realpath(p).startswith(excluded),
                                        loaded=startup_modules())
        return _analyzer.import_plan(module_code, mode, True, list(import_pass.eager_lines(source)), [],
                                     lambda m, level, imported: passer.probe(m, level, imported, None),
                                     passer.is_implicit_submodule)
    finally:
        sys.path.remove(script_dir)


def report(module_code, source, path, mode, measure):
    rows = verdicts(module_code, source, path, mode)
    if measure:
        cwd = os.path.dirname(os.path.abspath(path))
        costs = {}
        for row in rows:
            if row["level"]:
                row["cost"] = {"error": "relative import: not measured alone"}
                continue
            if row["module"] not in costs:
                costs[row["module"]] = measure_import(row["module"], cwd)
            row["cost"] = costs[row["module"]]
        rows.sort(key=lambda r: -(r["cost"].get("rss_kib") or 0))
    return rows


def statement(row):
    if row["imported"]:
        text = f"from {'.' * row['level']}{row['module']} import {row['imported']}"
        return text + (f" as {row['bound']}" if row["bound"] and row["bound"] != row["imported"] else "")
    binds_top = row["module"].split(".")[0] == row["bound"]
    return f"import {row['module']}" + ("" if binds_top else f" as {row['bound']}")


def format_text(path, rows, mode, measure):
    lines = [f"{path}: imports under SHRINKPY_IMPORTS={mode}" +
             (", ranked by what importing each costs alone in a fresh interpreter" if measure else "")]
    for row in rows:
        where = f"line {row['line']}" + ("" if row["scope"] == "module" else f" in {row['code']}")
        head = f"  {where:<9} {statement(row):<44} {row['action']:<5}"
        if measure:
            c = row["cost"]
            if c.get("error"):
                head += f"  [{c['error']}]"
            else:
                head += (f"  {c['rss_kib'] / 1024:6.2f} MiB RSS  {c['tracemalloc_kib'] / 1024:6.2f} MiB traced"
                         f"  {c['seconds'] * 1000:6.1f} ms")
        lines.append(head)
        lines.append(f"            {row['verdict_reason']}")
    changed = [r for r in rows if r["action"] != "keep"]
    summary = f"\n{sum(r['action'] == 'defer' for r in rows)} deferred, {sum(r['action'] == 'drop' for r in rows)} dropped"
    if measure and changed:
        modules = {r["module"]: r["cost"] for r in changed if not r["cost"].get("error")}
        summary += (f"; importing them alone costs {sum(c['rss_kib'] for c in modules.values()) / 1024:.1f} MiB RSS "
                    f"and {sum(c['seconds'] for c in modules.values()) * 1000:.0f} ms (each measured alone, so "
                    f"dependencies they share are counted in each)")
    lines.append(summary)
    return "\n".join(lines)
