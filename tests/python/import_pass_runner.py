"""Run a script under plain python3.11 with the import pass applied as shrinkpython's loader applies
it: __main__'s code and every user module's code go through runtime/import_pass.py (the analyzer's
rewrite_imports) before they run, with runtime/deferred_imports.py installed.

    python3.11 import_pass_runner.py MODE script.py [args...]
    python3.11 import_pass_runner.py MODE -m module [args...]

A stand-in for the loader hook (runtime/loader_hook.py does the same for early freeing), so the
pass is tested on its own. With SHRINKPY_TEST_DECISIONS=path, writes every module's decisions,
the proxies' report and the modules loaded there at exit. With SHRINKPY_TEST_SCOPE=all, rewrites the
standard library's modules too (a Python literal: the runner imports no json).
"""

import atexit
import builtins
import importlib.util
import os
import sys
import sysconfig
import types
from importlib import _bootstrap_external

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "python"))

from shrinkpy import _analyzer  # noqa: E402


def load(name, relative):
    spec = importlib.util.spec_from_file_location(name, os.path.join(REPO, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


deferred = load("_shrinkpy_deferred_imports", "runtime/deferred_imports.py")
import_pass = load("_shrinkpy_import_pass", "runtime/import_pass.py")
EXCLUDED = tuple(os.path.join(os.path.realpath(sysconfig.get_paths()[k]), "") for k in ("stdlib", "purelib", "platlib"))


def is_user_path(path):
    if os.environ.get("SHRINKPY_TEST_SCOPE") == "all":  # the standard library too
        return True
    real = os.path.realpath(path)
    return not real.startswith(EXCLUDED) and "site-packages" not in real and "dist-packages" not in real


mode, script, *args = sys.argv[1:]
main_module = args[0] if script == "-m" else None
passer = import_pass.ImportPass(_analyzer.rewrite_imports, _analyzer.import_effects, mode, is_user_path,
                                [m for m in os.environ.get("SHRINKPY_TEST_EAGER", "").split(",") if m])
decisions = {}
original_get_code = _bootstrap_external.SourceLoader.get_code


def get_code(loader, fullname):
    code = original_get_code(loader, fullname)
    path = loader.get_filename(fullname)
    if is_user_path(path):
        package = fullname if loader.is_package(fullname) else fullname.rpartition(".")[0]
        is_main = fullname == main_module  # -m: runpy asks the loader for __main__'s code
        key = "__main__" if is_main else fullname
        code, rows = passer.rewrite(code, loader.get_data(path), is_main, package)
        decisions.setdefault(key, rows)  # a reload's decisions do not replace the first load's
    return code


_bootstrap_external.SourceLoader.get_code = get_code
deferred.install()


def dump():
    target = os.environ.get("SHRINKPY_TEST_DECISIONS")
    if target:
        with open(target, "w") as f:
            f.write(repr({"decisions": decisions, "deferred": deferred.report(), "modules": sorted(sys.modules)}))


atexit.register(dump)
if script == "-m":  # like python -m: the module's code comes through get_code above
    import runpy

    sys.argv = [args[0], *args[1:]]
    sys.path[0] = os.getcwd()
    runpy._run_module_as_main(args[0])
    sys.exit(0)
sys.argv = [script, *args]
sys.path[0] = os.path.dirname(os.path.abspath(script))
with open(script, "rb") as f:
    source = f.read()
main = types.ModuleType("__main__")
main.__file__ = script
main.__builtins__ = builtins
sys.modules["__main__"] = main
code, decisions["__main__"] = passer.rewrite(compile(source, script, "exec", dont_inherit=True), source, True, None)
exec(code, main.__dict__)
