"""Which stdlib modules a board's interpreter keeps, and why each one.

The kept set is an import closure over the stdlib of the source tree being built (stdlib_index.py):
  - roots: what the interpreter needs to start (STARTUP), plus either the app (`--app`: the script and
    the modules a traced run of it imported), a module list (`--modules FILE`), or the profile's list;
  - edges: the import statements of each module, from the analyzer's import facts
    (shrinkpy._analyzer.imports, analyzer/imports.hpp), at module level, in class bodies and inside
    functions alike: a function that imports on first call must find its module on the board too
    (hashlib imports its built-in hashes that way). Two kinds of edges are not followed, because
    following them reaches half the stdlib from `site` alone (measured: 366 of 717 modules, 42 C
    modules, against 255 and 35 without them): imports in a library's `if __name__ == "__main__":`
    block (its self-test or command line), and function-level imports of development tools
    (TOOLS: doctest, pdb, pydoc, unittest, ...), e.g. pickle's _test() or site's help().
    Dynamic imports (importlib.import_module with a computed name) are what the traced run is for.
  - a package's __init__ is kept with any of its modules; a few packages are kept whole (WHOLE).

A module the closure reaches but the board cannot have (a C module in stdlib_index.UNAVAILABLE, a
module the profile excludes) is listed as trimmed with the reason; importing it on the board raises
the trimmed-module ImportError (dist_pack.py).
"""

from __future__ import annotations

import ast
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from shrinkpy.stdlib_index import StdlibIndex, unavailable_reason

# Imported while the interpreter starts (python3.11 -X importtime -c pass, with and without -S), or
# by the start-up paths every program can take: -m (runpy), warnings and tracebacks, site's set-up.
STARTUP = ("encodings", "codecs", "io", "abc", "site", "os", "stat", "posixpath", "genericpath", "_collections_abc",
           "_sitebuiltins", "runpy", "importlib", "importlib.util", "importlib.machinery", "zipimport", "warnings",
           "linecache", "traceback", "sysconfig")
# Kept whole: codecs are looked up by name at run time (encodings.search_function).
WHOLE = ("encodings",)
# Development tools: a function-level import of one of these is not followed (a program that uses
# them imports them itself, or names them in --modules).
TOOLS = frozenset({
    "doctest", "pdb", "pydoc", "pydoc_data", "unittest", "bdb", "cmd", "code", "codeop", "rlcompleter", "tkinter",
    "idlelib", "turtle", "webbrowser", "lib2to3", "ensurepip", "venv", "distutils", "trace", "profile", "cProfile",
    "pstats", "timeit", "tabnanny", "pyclbr", "modulefinder", "zipapp", "py_compile", "compileall", "dis", "inspect",
    "ast", "tracemalloc", "_aix_support", "_osx_support", "_bootsubprocess",
})


@dataclass
class ModuleSet:
    python: dict[str, str] = field(default_factory=dict)  # kept Python module -> why
    c: dict[str, str] = field(default_factory=dict)  # kept optional C module -> why
    trimmed: dict[str, str] = field(default_factory=dict)  # reached but left out -> why
    foreign: dict[str, str] = field(default_factory=dict)  # imported by the app, not in the stdlib -> by whom

    def kept(self) -> list[str]:
        return sorted(self.python) + sorted(self.c)


def _resolve(importer: str, is_package: bool, fact: dict) -> list[str]:
    """Module names an import statement in `importer` may load, outermost first."""
    level = fact["level"]
    if level:
        base = importer.split(".") if is_package else importer.split(".")[:-1]
        if level - 1 >= len(base):
            return []  # beyond the top-level package: an ImportError in CPython too
        base = base[:len(base) - (level - 1)]
        target = ".".join(base + ([fact["module"]] if fact["module"] else []))
    else:
        target = fact["module"]
    if not target:
        return []
    parts = target.split(".")
    names = [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
    if fact["imported"] and fact["imported"] != "*":
        names.append(f"{target}.{fact['imported']}")
    return names


def _main_block_lines(tree: ast.Module) -> list[range]:
    """Lines of the module-level `if __name__ == "__main__":` blocks (a library's self-test or
    command-line entry, run only by `python -m`)."""
    blocks = []
    for node in tree.body:
        test = node.test if isinstance(node, ast.If) else None
        if (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name) and test.left.id == "__name__"
                and len(test.comparators) == 1 and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value == "__main__"):
            blocks.append(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return blocks


def import_facts(path: Path, *, as_main: bool = False) -> list[dict]:
    """The import facts of one source file (empty when it does not compile: a file for another
    platform or a syntax-error test fixture). Unless the file runs as __main__, imports in its
    `if __name__ == "__main__":` blocks are left out."""
    from shrinkpy import _analyzer

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            source = path.read_bytes()
            tree = ast.parse(source, str(path))
            facts = _analyzer.imports(compile(tree, str(path), "exec", dont_inherit=True))
    except (SyntaxError, ValueError, _analyzer.AnalyzerError):
        return []
    if as_main:
        return facts
    blocks = _main_block_lines(tree)
    return [f for f in facts if f["scope"] != "module" or not any(f["line"] in b for b in blocks)]


class Closure:
    def __init__(self, index: StdlibIndex, excluded: dict[str, str]):
        self.index = index
        self.excluded = excluded  # module -> why the profile leaves it out
        self.result = ModuleSet()
        self._queue: list[str] = []
        self._facts: dict[str, list[dict]] = {}

    def add(self, name: str, why: str, *, from_app: bool = False) -> None:
        """Keeps `name` (when the board can have it) and, later, what it imports."""
        r, index = self.result, self.index
        if name in r.python or name in r.c or name in r.trimmed or name in index.core:
            return
        top = name.split(".")[0]
        if name in self.excluded or top in self.excluded:
            r.trimmed[name] = f"excluded by the board profile: {self.excluded.get(name) or self.excluded[top]}"
            return
        if name in index.python:
            r.python[name] = why
            self._queue.append(name)
            if "." in name:
                self.add(name.rsplit(".", 1)[0], f"package of {name}")
            for whole in WHOLE:
                if name == whole:
                    for sub in index.submodules(whole):
                        self.add(sub, f"kept whole with {whole}")
            return
        reason = unavailable_reason(name)
        if reason is None and name in index.optional:
            r.c[name] = why
        elif reason is not None or name in index.setup_py_only:
            r.trimmed[name] = f"C module the trimmed build cannot include: {reason or 'built by setup.py'}"
        elif from_app and top not in index.python and top not in index.optional:
            r.foreign.setdefault(top, why)

    def run(self) -> ModuleSet:
        while self._queue:
            name = self._queue.pop()
            is_package = name in self.index.packages
            for fact in import_facts(self.index.python[name]):
                for target in _resolve(name, is_package, fact):
                    if fact["scope"] == "function" and target.split(".")[0] in TOOLS:
                        continue
                    where = f"{fact['scope']} scope" if fact["scope"] != "module" else "module level"
                    self.add(target, f"imported by {name} ({where}, line {fact['line']})")
        return self.result


def app_imports(app: Path) -> list[tuple[str, str]]:
    """(module, why) for every import statement of the app's own source, relative ones resolved
    against the app's directory as a top-level script would see them."""
    out = []
    for fact in import_facts(app, as_main=True):
        if fact["level"]:
            continue  # a script has no package; a relative import in it fails under python3.11 too
        for target in _resolve("__main__", False, fact):
            out.append((target, f"imported by {app.name} (line {fact['line']})"))
    return out


def local_modules(app: Path, names: list[str]) -> set[str]:
    """The app's own modules next to it (they are found on sys.path[0], not in the stdlib)."""
    return {n for n in names if (app.parent / f"{n.split('.')[0]}.py").exists() or
            (app.parent / n.split(".")[0] / "__init__.py").exists()}


def compute(index: StdlibIndex, *, excluded: dict[str, str], roots: list[tuple[str, str]],
            app: Path | None = None, traced: list[str] | None = None) -> ModuleSet:
    closure = Closure(index, excluded)
    for name in STARTUP:
        closure.add(name, "needed to start the interpreter")
    for name, why in roots:
        closure.add(name, why, from_app=True)
    if app is not None:
        imported = app_imports(app)
        own = local_modules(app, [n for n, _ in imported])
        for name, why in imported:
            if name.split(".")[0] not in own:
                closure.add(name, why, from_app=True)
        # The app's own modules are analysed like the app: their stdlib imports are roots too.
        for name in sorted(own):
            path = app.parent / f"{name.split('.')[0]}.py"
            if path.exists():
                for target, why in app_imports(path):
                    if target.split(".")[0] not in own:
                        closure.add(target, why, from_app=True)
    for name in traced or []:
        closure.add(name, "imported in the traced run", from_app=True)
    result = closure.run()
    return result


def trace_imports(app: Path, args: list[str], python: str = sys.executable) -> list[str]:
    """Modules a run of the app under Debian's python3.11 imported (sys.modules at exit)."""
    import subprocess
    import tempfile

    tracer = (
        "import sys, runpy, atexit\n"
        "out = sys.argv.pop(1)\n"
        "def dump():\n"
        "    with open(out, 'w') as f:\n"
        "        f.write('\\n'.join(sorted(sys.modules)))\n"
        "atexit.register(dump)\n"
        "sys.argv.pop(0)\n"
        "sys.path[0] = __import__('os').path.dirname(sys.argv[0]) or '.'\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    with tempfile.TemporaryDirectory(prefix="shrinkpy-trace-") as tmp:
        out = Path(tmp) / "modules.txt"
        proc = subprocess.run([python, "-c", tracer, str(out), str(app), *args], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if not out.exists():
            raise RuntimeError(f"the traced run of {app} wrote no module list (exit code {proc.returncode}):\n"
                               f"{proc.stderr[-2000:]}")
        return [n for n in out.read_text().split("\n") if n and n != "__main__"]
