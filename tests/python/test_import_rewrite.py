"""The import pass end to end under plain python3.11: scripts and user modules rewritten by the
analyzer (shrinkpy._analyzer.rewrite_imports through runtime/import_pass.py), run with the proxies
of runtime/deferred_imports.py, compared with the same run with the pass off. One test per case of
issue 9's Build (3), plus the clear errors, sys.modules and the effects probe. Paired with
tests/cpp/test_import_rewrite.cpp."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from conftest import STOCK, clean_env, run

RUNNER = Path(__file__).with_name("import_pass_runner.py")


def write(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def run_pass(tmp_path, mode, main="main.py", args=(), eager=""):
    report = tmp_path / f"decisions-{mode}.txt"
    r = run([STOCK, str(RUNNER), mode, main if main == "-m" else str(tmp_path / main), *args],
            env=clean_env(SHRINKPY_TEST_DECISIONS=str(report), SHRINKPY_TEST_EAGER=eager), cwd=tmp_path)
    decisions = ast.literal_eval(report.read_text()) if report.exists() else {"decisions": {}, "deferred": []}
    return r, decisions


def check(tmp_path, files, mode="defer", main="main.py", args=(), eager="", same_output=True):
    """Runs with the pass off and in `mode`; both must exit alike and, unless the test prints what
    the pass changes on purpose (sys.modules), print the same. Returns the output with the pass on,
    {module: {bound name or imported name: (action, reason)}} and the proxies' report."""
    write(tmp_path, files)
    off, _ = run_pass(tmp_path, "off", main, args)
    on, report = run_pass(tmp_path, mode, main, args, eager)
    assert on.returncode == off.returncode, on.stderr.decode()
    if same_output:
        assert on.stdout == off.stdout, (on.stdout.decode(), off.stdout.decode(), on.stderr.decode())
    verdicts = {module: {(d["bound"] or d["imported"]): (d["action"], d["verdict_reason"]) for d in rows}
                for module, rows in report["decisions"].items()}
    return on.stdout.decode(), verdicts, report["deferred"]


def test_an_import_read_only_in_functions_is_loaded_at_first_use_and_replaced(tmp_path):
    out, verdicts, deferred = check(tmp_path, {"main.py": """
        import sys
        import colorsys
        def hue():
            return colorsys.rgb_to_hsv(0.2, 0.4, 0.4)[0]
        print("colorsys" in sys.modules)
        print(round(hue(), 3), "colorsys" in sys.modules, type(sys.modules[__name__].__dict__["colorsys"]).__name__)
    """}, same_output=False)
    assert verdicts["__main__"]["colorsys"][0] == "defer"
    assert verdicts["__main__"]["sys"][0] == "keep"
    assert out == "False\n0.5 True module\n"
    assert deferred == [(str(tmp_path / "main.py") + ":3", "colorsys", None, True)]


def test_light_path_never_loads_the_heavy_modules(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import sys
        import decimal, fractions, difflib
        def heavy():
            return decimal.Decimal(1) + fractions.Fraction(1, 3).numerator, difflib.SequenceMatcher
        def light():
            return sorted(m for m in ("decimal", "fractions", "difflib") if m in sys.modules)
        print(light())
    """}, same_output=False)
    assert {verdicts["__main__"][m][0] for m in ("decimal", "fractions", "difflib")} == {"defer"}
    assert out == "[]\n"
    assert run_pass(tmp_path, "off")[0].stdout == b"['decimal', 'difflib', 'fractions']\n"


def test_from_import_of_several_names_calls_and_isinstance(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        from decimal import Decimal, Context
        from fractions import Fraction, Fraction as F2
        def f(x):
            return (isinstance(x, Decimal), isinstance(x, (Fraction, Context)), issubclass(bool, Fraction),
                    Decimal(1) + 1, Context().prec)
        print(f(3), f(F2(1, 2)))
    """})
    assert verdicts["__main__"]["Decimal"][0] == verdicts["__main__"]["Context"][0] == "defer"
    assert verdicts["__main__"]["Fraction"][0] == "keep"  # the statement imports F2 eagerly
    assert "same statement" in verdicts["__main__"]["Fraction"][1]
    assert out == "(False, False, False, Decimal('2'), 28) (False, True, False, Decimal('2'), 28)\n"


def test_except_on_an_attribute_of_a_deferred_module(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import decimal
        from fractions import Fraction
        def parse(text):
            try:
                return decimal.Decimal(text)
            except decimal.InvalidOperation:
                return "invalid"
        def catch_class():
            try:
                Fraction(1, 0)
            except ZeroDivisionError:
                return "zero"
        print(parse("1.5"), parse("x"), catch_class())
    """})
    assert verdicts["__main__"]["decimal"][0] == "defer"
    assert out == "1.5 invalid zero\n"


def test_except_on_a_from_imported_exception_class_stays_eager(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        from decimal import InvalidOperation, Decimal
        def parse(text):
            try:
                return Decimal(text)
            except InvalidOperation:
                return "invalid"
        print(parse("x"))
    """})
    action, reason = verdicts["__main__"]["InvalidOperation"]
    assert action == "keep" and "except" in reason
    assert verdicts["__main__"]["Decimal"][0] == "keep" and "same statement" in verdicts["__main__"]["Decimal"][1]
    assert out == "invalid\n"


def test_annotations_keep_what_get_type_hints_evaluates(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        from __future__ import annotations
        import typing
        from fractions import Fraction
        from decimal import Decimal
        def f(x: Fraction) -> int:
            return 1
        def g():
            return Decimal(2)
        print(typing.get_type_hints(f)["x"] is typing.sys.modules["fractions"].Fraction, g())
    """})
    assert verdicts["__main__"]["Fraction"][0] == "keep" and "annotation" in verdicts["__main__"]["Fraction"][1]
    assert verdicts["__main__"]["Decimal"][0] == "defer"
    assert out == "True 2\n"


def test_evaluated_annotations_of_nested_functions_keep_the_import(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        from fractions import Fraction
        def outer():
            def inner(x: Fraction):
                return x
            return inner.__annotations__["x"].__name__
        print(outer())
    """})
    assert verdicts["__main__"]["Fraction"][0] == "keep"
    assert out == "Fraction\n"


def test_all_and_star_imports_of_a_user_module_copy_real_objects(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "helpers.py": """
            import colorsys
            import fractions as _fractions
            __all__ = ["third"]
            def third():
                return _fractions.Fraction(1, 3)
            def hue():
                return colorsys.rgb_to_hsv(1, 0, 0)
        """,
        "nohelpers.py": """
            import difflib
            def ratio():
                return difflib.SequenceMatcher(None, "ab", "ac").ratio()
        """,
        "main.py": """
            import sys
            from helpers import *
            from nohelpers import *
            print(third(), "colorsys" in globals(), type(difflib).__name__, ratio())
        """})
    assert verdicts["helpers"]["_fractions"][0] == "defer"
    assert verdicts["helpers"]["colorsys"][0] == "defer"  # not in __all__: a star import skips it
    action, reason = verdicts["nohelpers"]["difflib"]
    assert action == "keep" and "__all__" in reason
    assert out == "1/3 False module 0.5\n"


def test_a_star_import_in_the_module_keeps_the_rebinding_it_makes(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "shadow.py": "colorsys = 'shadowed'\n",
        "main.py": """
            import colorsys
            from shadow import *
            def f():
                return colorsys.upper()
            print(f())
        """})
    assert verdicts["__main__"]["*"][0] == "keep"
    assert out == "SHADOWED\n"


def test_global_rebinding_keeps_the_import_eager(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import colorsys
        def swap():
            global colorsys
            colorsys = None
        def use():
            return colorsys.rgb_to_hls(0, 0, 0) if colorsys.__name__ else None
        print(use())
        swap()
    """})
    action, reason = verdicts["__main__"]["colorsys"]
    assert action == "keep" and "global" in reason
    assert out == "(0.0, 0.0, 0.0)\n"


def test_module_getattr_keeps_the_module_eager(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "lazy.py": """
            import colorsys
            def __getattr__(name):
                if name == "hsv":
                    return colorsys.rgb_to_hsv
                raise AttributeError(name)
            __all__ = []
        """,
        "main.py": """
            import lazy
            print(lazy.hsv(1, 0, 0), lazy.colorsys.__name__)
        """})
    action, reason = verdicts["lazy"]["colorsys"]
    assert action == "keep" and "__getattr__" in reason
    assert out == "(0.0, 1.0, 1) colorsys\n"


def test_importlib_reload_rebinds_a_fresh_proxy_that_still_works(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "mod.py": """
            import colorsys as _colorsys
            def hue():
                return _colorsys.rgb_to_hsv(0, 1, 0)[0]
        """,
        "main.py": """
            import importlib, sys
            import mod
            first = mod.hue()
            importlib.reload(mod)
            print(first, mod.hue(), type(mod._colorsys).__name__, "colorsys" in sys.modules)
        """})
    assert verdicts["mod"]["_colorsys"][0] == "defer"
    assert out.startswith("0.333")
    assert out.endswith(" module True\n")


def test_a_from_import_of_a_missing_name_says_where_it_was_written(tmp_path):
    write(tmp_path, {"main.py": """
        from colorsys import rgb_to_hsv, no_such_function
        def f():
            return rgb_to_hsv(1, 0, 0), no_such_function(1)
        print("started")
        f()
    """})
    r, report = run_pass(tmp_path, "defer")
    assert r.returncode == 1
    assert r.stdout == b"started\n"
    err = r.stderr.decode()
    assert "ImportError: cannot import name 'no_such_function' from 'colorsys'" in err
    assert f"deferred import written at {tmp_path / 'main.py'}:2" in err


def test_a_missing_module_stays_eager_so_its_error_is_raised_at_the_import(tmp_path):
    write(tmp_path, {"main.py": """
        print("started")
        import no_such_module_xyz
        def f():
            return no_such_module_xyz.x
    """})
    r, report = run_pass(tmp_path, "defer")
    assert r.returncode == 1 and r.stdout == b"started\n"
    assert "line 3, in <module>" in r.stderr.decode() and "ModuleNotFoundError" in r.stderr.decode()
    row = next(d for d in report["decisions"]["__main__"] if d["bound"] == "no_such_module_xyz")
    assert row["action"] == "keep" and "cannot be found" in row["verdict_reason"]


def test_drop_removes_imports_never_read_and_defer_keeps_them(tmp_path):
    files = {"main.py": """
        import sys
        import colorsys
        import difflib
        def f():
            return difflib.SequenceMatcher
        print(f() is not None, sys.maxsize > 0)
    """}
    write(tmp_path, files)
    dropped, report = run_pass(tmp_path, "drop")
    assert dropped.stdout == b"True True\n"
    rows = {d["bound"]: d["action"] for d in report["decisions"]["__main__"]}
    assert rows == {"sys": "keep", "colorsys": "drop", "difflib": "defer"}
    _, verdicts, _ = check(tmp_path, files)
    assert verdicts["__main__"]["colorsys"][0] == "keep"


def test_a_dropped_import_leaves_the_module_unloaded(tmp_path):
    write(tmp_path, {"main.py": "import sys\nimport colorsys\nprint('colorsys' in sys.modules)\n"})
    assert run_pass(tmp_path, "drop")[0].stdout == b"False\n"
    assert run_pass(tmp_path, "defer")[0].stdout == b"True\n"


def test_side_effect_table_pragma_and_user_marks(tmp_path):
    _, verdicts, _ = check(tmp_path, {"main.py": """
        import logging
        import colorsys  # shrinkpy: eager
        import difflib
        import fractions
        def f():
            return logging.getLogger, colorsys.rgb_to_hsv, difflib.ndiff, fractions.Fraction
        print(len(f()))
    """}, eager="difflib")
    assert verdicts["__main__"]["logging"] == ("keep", verdicts["__main__"]["logging"][1])
    assert "atexit" in verdicts["__main__"]["logging"][1]
    assert verdicts["__main__"]["colorsys"][1] == "marked `# shrinkpy: eager`"
    assert verdicts["__main__"]["difflib"][1] == "marked eager by the user (difflib)"
    assert verdicts["__main__"]["fractions"][0] == "defer"


def test_a_user_module_that_registers_a_plugin_stays_eager(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "registry.py": "PLUGINS = []\n\ndef register(f):\n    PLUGINS.append(f.__name__)\n    return f\n",
        "plugin.py": "from registry import register\n\n@register\ndef shout():\n    return 'HI'\n",
        "plain.py": "def twice(x):\n    return 2 * x\n",
        "main.py": """
            import registry
            import plugin
            import plain
            def run():
                return plugin.shout(), plain.twice(2)
            print(registry.PLUGINS, run())
        """})
    action, reason = verdicts["__main__"]["plugin"]
    assert action == "keep" and "effects" in reason and "register" in reason
    assert verdicts["__main__"]["plain"][0] == "defer"
    assert out == "['shout'] ('HI', 4)\n"


def test_relative_imports_of_a_main_module_run_with_dash_m(tmp_path):
    files = {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def double(x):\n    return 2 * x\n",
        "pkg/cli.py": """
            import sys
            from . import helpers
            from .helpers import double
            def quad(x):
                return double(helpers.double(x))
            print("pkg.helpers" in sys.modules, quad(3), "pkg.helpers" in sys.modules)
        """}
    write(tmp_path, files)
    r, report = run_pass(tmp_path, "defer", main="-m", args=("pkg.cli",))
    assert r.stdout == b"False 12 True\n", r.stderr
    rows = {d["bound"]: d for d in report["decisions"]["__main__"]}
    assert rows["helpers"]["action"] == rows["double"]["action"] == "defer"
    assert rows["helpers"]["level"] == 1 and rows["double"]["module"] == "helpers"
    off, _ = run_pass(tmp_path, "off", main="-m", args=("pkg.cli",))
    assert off.stdout == b"True 12 True\n"


def test_imports_inside_try_and_unsafe_uses_stay_eager(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        try:
            import colorsys
        except ImportError:
            colorsys = None
        import difflib, fractions, decimal, calendar
        def f(x):
            print(difflib is not None, fractions == x, repr(decimal)[:8], [calendar][0].isleap(2024))
            return colorsys.rgb_to_hsv(0, 0, 0)
        print(f(1))
    """})
    for name, word in (("colorsys", "try"), ("difflib", "identity"), ("fractions", "compared"),
                       ("decimal", "argument"), ("calendar", "container")):
        action, reason = verdicts["__main__"][name]
        assert action == "keep" and word in reason, (name, reason)
    assert out.endswith("(0.0, 0.0, 0)\n")


def test_two_imports_of_one_package_load_together(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import sys
        import email.headerregistry
        import email.charset
        def f():
            return email.headerregistry.Address("a", "b", "c.org").addr_spec, email.charset.Charset().input_charset
        print("email.headerregistry" in sys.modules or "deferred")
        print(f())
    """}, same_output=False)
    assert verdicts["__main__"]["email"][0] == "defer"
    assert out == "deferred\n('b@c.org', 'us-ascii')\n"


def test_class_bodies_read_at_import_time_keep_the_import(tmp_path):
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import enum, colorsys
        class Color(enum.Enum):
            RED = 1
        class Tools:
            hsv = colorsys.rgb_to_hsv
        print(Color.RED.name, Tools.hsv(0, 0, 1))
    """})
    assert verdicts["__main__"]["colorsys"][0] == "keep" and "imported" in verdicts["__main__"]["colorsys"][1]
    assert out == "RED (0.6666666666666666, 1.0, 1)\n"


# The benchmark's command-line tools: what each path must not load when imports are deferred.
HEAVY = {
    "devicectl": ("asyncio", "decimal", "json", "random"),
    "meterdb": ("sqlite3", "decimal", "statistics", "tempfile"),
    "feedtool": ("email.message", "email.policy", "http.client", "xml.etree.ElementTree", "socket"),
    "imgcli": ("numpy", "hashlib"),
    "logtool": ("csv", "gzip", "json", "statistics"),
}


@pytest.mark.parametrize("tool", sorted(HEAVY))
def test_benchmark_cli_light_paths_never_load_the_heavy_modules(tool, tmp_path):
    from shrinkpy import import_bench

    if tool in import_bench.missing_needs():
        pytest.skip(import_bench.missing_needs()[tool])
    light, heavy = import_bench.TOOLS[tool]
    script = str(import_bench.CLI_DIR / f"{tool}.py")
    for path in ("--help", light, *heavy):
        report = tmp_path / f"{path}.txt"
        eager = run([STOCK, script, path], cwd=tmp_path)
        on = run([STOCK, str(RUNNER), "defer", script, path], cwd=tmp_path,
                 env=clean_env(SHRINKPY_TEST_DECISIONS=str(report)))
        assert eager.returncode == on.returncode == 0, on.stderr.decode()
        assert on.stdout == eager.stdout  # checksums included
        loaded = set(ast.literal_eval(report.read_text())["modules"])
        if path in ("--help", light):
            assert not loaded & set(HEAVY[tool]), (path, sorted(loaded & set(HEAVY[tool])))


def test_the_probe_finds_modules_without_importing_them(tmp_path):
    write(tmp_path, {"pkg/__init__.py": "raise RuntimeError('imported')\n", "pkg/sub.py": "",
                     "main.py": f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("p", {str(RUNNER.parents[2] / "runtime" / "import_pass.py")!r})
        p = importlib.util.module_from_spec(spec); spec.loader.exec_module(p)
        sys.path.insert(0, ".")
        print(p.find_spec("pkg.sub").name, p.find_spec("pkg.nope"), p.find_spec("email.mime.text").name,
              "pkg" in sys.modules, "email.mime" in sys.modules)
        print(p.absolute_name("x", 1, "a.b"), p.absolute_name("", 2, "a.b"), p.absolute_name("x", 1, None),
              p.absolute_name("x", 3, "a.b"), p.eager_lines(b"import a\\nimport b  # shrinkpy: eager\\n"))
    """})
    r = run([STOCK, "main.py"], cwd=tmp_path)
    assert r.stdout.decode() == "pkg.sub None email.mime.text False False\na.b.x a None None (2,)\n", r.stderr


def test_a_submodule_read_but_never_imported_comes_with_its_deferred_binding(tmp_path):
    # email/_header_value_parser.py does this: `import urllib`, then urllib.parse works only
    # because `from email import utils` loaded urllib.parse first. A deferred binding imports
    # what it is read for; a module whose binding stays eager keeps every import as written.
    write(tmp_path, {
        "loader.py": "import urllib.parse\n",
        "main.py": """
            import sys
            import urllib
            import loader
            import email as _email
            def quote(text):
                return urllib.parse.quote(text), _email.utils.quote("x"), loader.__name__
            print("urllib.parse" in sys.modules)
            print(quote("a b"))
        """,
        "eager.py": """
            import sys
            import urllib
            import loader
            import colorsys
            print(urllib.__name__)
            def quote(text):
                return urllib.parse.quote(text), colorsys.rgb_to_hsv(0, 0, 0), loader.__name__
            print(quote("a b"))
        """})
    r, report = run_pass(tmp_path, "defer")
    assert r.stdout == b"False\n('a%20b', 'x', 'loader')\n", r.stderr
    rows = {d["bound"]: d for d in report["decisions"]["__main__"]}
    assert rows["urllib"]["action"] == "defer" and rows["urllib"]["also_import"] == ["urllib.parse"]
    assert rows["_email"]["action"] == "defer" and rows["_email"]["also_import"] == ["email.utils"]
    assert rows["loader"]["action"] == "defer"  # so the import of urllib.parse it makes comes late
    _, verdicts, _ = check(tmp_path, {}, main="eager.py")
    for name in ("loader", "colorsys"):
        action, reason = verdicts["__main__"][name]
        assert action == "keep" and "reads urllib.parse" in reason, reason


def test_modules_other_than_main_keep_imports_that_load_submodules(tmp_path):
    out, verdicts, _ = check(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def double(x):\n    return 2 * x\n",
        "pkg/mod.py": """
            import email.utils as _utils
            import colorsys as _colorsys
            from . import helpers as _helpers
            from email import charset as _charset
            __all__ = ["f"]
            def f():
                return _utils.quote("a"), _colorsys.rgb_to_hsv(0, 0, 0), _helpers.double(2), _charset.Charset
        """,
        "main.py": """
            import pkg.mod, sys
            print(pkg.mod.f()[:3], "email.utils" in sys.modules)
        """})
    rows = verdicts["pkg.mod"]
    assert rows["_colorsys"][0] == "defer"
    for name in ("_utils", "_helpers", "_charset"):
        assert rows[name][0] == "keep" and "loads the submodule" in rows[name][1], rows[name]
    assert out == "('a', (0.0, 0.0, 0), 4) True\n"


def test_a_name_read_in_del_stays_eager_as_del_can_run_at_shutdown(tmp_path):
    # CPython's test_traceback: an object kept in a module global prints its exception from __del__
    # while the interpreter shuts down, when imports fail.
    out, verdicts, _ = check(tmp_path, {"main.py": """
        import sys
        import traceback
        import colorsys
        class Holder:
            def __init__(self):
                try:
                    1 / 0
                except ZeroDivisionError:
                    self.exc_info = sys.exc_info()
            def __del__(self):
                traceback.print_exception(*self.exc_info)
            def hue(self):
                return colorsys.rgb_to_hsv(0, 0, 0)
        holder = Holder()
        print(holder.hue())
    """})
    action, reason = verdicts["__main__"]["traceback"]
    assert action == "keep" and "Holder.__del__" in reason and "shuts down" in reason
    assert verdicts["__main__"]["colorsys"][0] == "defer"
    assert out == "(0.0, 0.0, 0)\n"  # shrinkpython's own test runs it to the traceback __del__ prints at exit
