"""The import pass as the loader runs it: the analyzer's rewrite_imports() plus what only the running
interpreter knows (issue 9; rules in analyzer/include/shrinkpy/analyzer/import_plan.hpp).

Compiled into shrinkpython next to the loader hook and deferred_imports.py, and written like them
against the standard library only, taking the analyzer's functions as arguments, so it runs under a
plain python3.11 with shrinkpy._analyzer in the tests.

Before an import is deferred or dropped, the probe answers three questions without importing anything:
- Is the module loaded already (sys, os, ...)? Then deferring it saves nothing.
- Can the module be found? If not, the import stays eager, so its ImportError is raised where the
  program wrote it and not at first use.
- Does importing a user module (outside the standard library and site-packages) do something outside
  itself: register a plugin, a signal handler, an exit hook, patch another module? Its module-level
  code is read by the analyzer (module_effects.hpp); if so, the import stays eager. Standard-library
  modules with effects are in the analyzer's table instead (eager_modules.cpp).
"""

import _frozen_importlib as _bootstrap  # what the interpreter has loaded at start-up, even under -S -I
import _frozen_importlib_external as _bootstrap_external
import sys

EAGER_PRAGMA = b"shrinkpy: eager"


def eager_lines(source):
    """Lines carrying the `# shrinkpy: eager` pragma."""
    if EAGER_PRAGMA not in source:
        return ()
    return tuple(n for n, line in enumerate(source.splitlines(), 1) if EAGER_PRAGMA in line)


def absolute_name(module, level, package):
    """The absolute module name of a (possibly relative) import, or None outside a package."""
    if level == 0:
        return module
    if not package:
        return None
    bits = package.rsplit(".", level - 1)
    if len(bits) < level:
        return None
    return f"{bits[0]}.{module}" if module else bits[0]


def find_spec(name):
    """The spec of `name` without importing it or its parents (importlib.util.find_spec imports the
    parents): sys.modules, then the meta path for a top-level name, the parent's search locations for
    a submodule. None when it cannot be found."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return getattr(loaded, "__spec__", None) or _bootstrap.ModuleSpec(name, None)
    parent, _, _ = name.rpartition(".")
    if parent:
        parent_spec = find_spec(parent)
        if parent_spec is None:
            return None
        parent_module = sys.modules.get(parent)
        path = getattr(parent_module, "__path__", None) if parent_module else parent_spec.submodule_search_locations
        return _bootstrap_external.PathFinder.find_spec(name, path) if path is not None else None
    for finder in sys.meta_path:
        find = getattr(finder, "find_spec", None)
        if find is not None:
            spec = find(name, None)
            if spec is not None:
                return spec
    return None


def is_submodule(name, find=find_spec):
    """Whether `name` is a module inside a package (`urllib.parse`, not `os.path`), found without
    importing anything."""
    parent = name.rpartition(".")[0]
    parent_spec = find(parent) if parent else None
    if parent_spec is None or parent_spec.submodule_search_locations is None:
        return False
    return find(name) is not None


def submodules_imported_by(decisions, package):
    """The submodules of `package` its own __init__ imports, from its import decisions: importing
    the package loads them, so `package.sub` needs no other import."""
    out = set()
    for d in decisions:
        if d["level"] == 1:
            out.add(d["module"].partition(".")[0] if d["module"] else d["imported"])
        elif d["level"] == 0 and d["module"].startswith(package + "."):
            out.add(d["module"][len(package) + 1:].partition(".")[0])
    return out


class ImportPass:
    """The loader hook calls rewrite() on every module it loads and record() with the result.
    shrinkpython sets `record` (its report) and the hook sets `is_user_path`."""

    record = None  # (module, decisions) -> None

    def __init__(self, rewrite_imports, import_effects, mode, is_user_path, eager_modules=(), loaded=None):
        self.rewrite_imports = rewrite_imports  # shrinkpy._analyzer.rewrite_imports
        self.import_effects = import_effects  # shrinkpy._analyzer.import_effects
        self.mode = mode  # "defer", "drop" or "off"
        self.is_user_path = is_user_path  # path -> bool: outside the stdlib and site-packages
        self.eager_modules = tuple(eager_modules)  # marked eager by the user
        self.loaded = sys.modules if loaded is None else loaded  # modules already imported
        self._effects = {}  # origin -> effects found there
        self._init_imports = {}  # a package's __init__ -> the submodules it imports
        self._specs = {}  # name -> spec or None, for one module's rewrite (the path may change between)

    def find(self, name):
        if name not in self._specs:
            self._specs[name] = find_spec(name)
        return self._specs[name]

    def rewrite(self, code, source, is_main, package):
        """(code, decisions) for a module's code object; `package` is its __package__."""
        if self.mode == "off":
            return code, []
        self._specs.clear()
        return self.rewrite_imports(code, self.mode, is_main, eager_lines(source), list(self.eager_modules),
                                    lambda module, level, imported: self.probe(module, level, imported, package),
                                    self.is_implicit_submodule)

    def probe(self, module, level, imported, package):
        """A reason to keep the import eager, or None."""
        name = absolute_name(module, level, package)
        if name is None:
            return "relative import outside a package: kept eager so its ImportError stays where it is written"
        if name in self.loaded and (not imported or f"{name}.{imported}" in self.loaded or
                                    self.find(f"{name}.{imported}") is None):
            return "already loaded: deferring it saves nothing"
        spec = self.find(name)
        if spec is None:
            return f"{name} cannot be found: kept eager so its ImportError is raised where the import is written"
        names = [name[:end] for end in range(len(name)) if name[end] == "."] + [name]
        if imported and spec.submodule_search_locations is not None and self.find(f"{name}.{imported}") is not None:
            names.append(f"{name}.{imported}")  # `from pkg import submodule`
        for part in names:
            effects = self.effects(self.find(part))
            if effects:
                return f"importing {part} has effects beyond the module: {effects[0]}"
        return None

    def is_implicit_submodule(self, name):
        """A submodule that importing its package does not load: `pkg.sub` exists only once some
        import of it ran (urllib.parse after `import urllib`; not unittest.main, which unittest's
        __init__ imports itself)."""
        if not is_submodule(name, self.find):
            return False
        package, _, child = name.rpartition(".")
        return child not in self.init_imports(package)

    def init_imports(self, package):
        origin = getattr(self.find(package), "origin", None)
        if not origin or not origin.endswith(".py"):
            return set()
        found = self._init_imports.get(origin)
        if found is None:
            try:
                with open(origin, "rb") as f:
                    code = compile(f.read(), origin, "exec", dont_inherit=True)
                found = submodules_imported_by(self.rewrite_imports(code, "off", False, (), (), None, None)[1],
                                               package)
            except (OSError, SyntaxError, ValueError):
                found = set()
            self._init_imports[origin] = found
        return found

    def effects(self, spec):
        origin = getattr(spec, "origin", None)
        if not origin or not origin.endswith(".py") or not self.is_user_path(origin):
            return ()
        found = self._effects.get(origin)
        if found is None:
            try:
                with open(origin, "rb") as f:
                    code = compile(f.read(), origin, "exec", dont_inherit=True)
                found = tuple(self.import_effects(code))
            except (OSError, SyntaxError, ValueError) as e:
                found = (f"its source cannot be read or compiled ({type(e).__name__})",)
            self._effects[origin] = found
        return found
