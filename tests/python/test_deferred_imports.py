"""The deferred-import proxy compiled into shrinkpython (runtime/deferred_imports.py), exercised the
way rewritten module code calls it, in fresh python3.11 processes (imports are process-wide)."""

from __future__ import annotations

import textwrap

from conftest import REPO, clean_env, run

PRELUDE = textwrap.dedent(f"""
    import importlib.util, sys
    spec = importlib.util.spec_from_file_location("_shrinkpy_deferred", {str(REPO / "runtime" / "deferred_imports.py")!r})
    deferred = importlib.util.module_from_spec(spec); spec.loader.exec_module(deferred)
    deferred.install()
""")


def check(tmp_path, body, files=None):
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    script = tmp_path / "main.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    r = run(["/usr/bin/python3.11", str(script)], env=clean_env(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    return r.stdout.decode()


def test_module_is_imported_on_first_attribute_access_and_replaces_the_proxy(tmp_path):
    out = check(tmp_path, """
        colorsys = __shrinkpy_defer__("colorsys", None, 0, "colorsys", False, "main.py:1")
        assert "colorsys" not in sys.modules
        def use():
            return colorsys.rgb_to_hsv(1.0, 0.0, 0.0)
        print(use(), "colorsys" in sys.modules, type(colorsys).__name__, deferred.report())
    """)
    assert out == "(0.0, 1.0, 1.0) True module [('main.py:1', 'colorsys', None, True)]\n"


def test_from_import_call_and_isinstance(tmp_path):
    out = check(tmp_path, """
        OrderedDict = __shrinkpy_defer__("collections", "OrderedDict", 0, "OrderedDict", False, "main.py:2")
        Fraction = __shrinkpy_defer__("fractions", "Fraction", 0, "Fraction", False, "main.py:3")
        d = OrderedDict(a=1)
        print(isinstance(d, OrderedDict), OrderedDict is sys.modules["collections"].OrderedDict,
              isinstance(1, Fraction), issubclass(bool, Fraction))
    """)
    assert out == "True True False False\n"


def test_dotted_import_binds_the_top_package_or_the_submodule(tmp_path):
    out = check(tmp_path, """
        xml = __shrinkpy_defer__("xml.etree.ElementTree", None, 0, "xml", False, "main.py:1")
        ET = __shrinkpy_defer__("xml.etree.ElementTree", None, 0, "ET", True, "main.py:2")
        print(ET.fromstring("<a/>").tag, xml.etree.ElementTree is ET, xml.__name__)
    """)
    assert out == "a True xml\n"


def test_relative_import_from_a_package(tmp_path):
    out = check(tmp_path, """
        sys.path.insert(0, ".")
        import pkg.mod
        print(pkg.mod.twice(21))
    """, files={"pkg/__init__.py": "", "pkg/helpers.py": "def double(x):\n    return 2 * x\n",
                "pkg/mod.py": """
                    double = __shrinkpy_defer__("helpers", "double", 1, "double", False, "pkg/mod.py:1")
                    def twice(x):
                        return double(x)
                """})
    assert out == "42\n"


def test_a_missing_module_says_where_the_import_was_written(tmp_path):
    out = check(tmp_path, """
        nosuch = __shrinkpy_defer__("no_such_module_xyz", None, 0, "nosuch", False, "app.py:7")
        try:
            nosuch.thing
        except ModuleNotFoundError as e:
            print(type(e).__name__, e.name, "|", e)
    """)
    assert out.startswith("ModuleNotFoundError no_such_module_xyz | No module named 'no_such_module_xyz' "
                          "(deferred import written at app.py:7;")


def test_a_name_rebound_meanwhile_is_not_clobbered(tmp_path):
    out = check(tmp_path, """
        json = __shrinkpy_defer__("json", None, 0, "json", False, "main.py:1")
        proxy = json
        json = "rebound"
        print(proxy.dumps([1]), json)
    """)
    assert out == "[1] rebound\n"


def test_a_second_plain_import_of_the_same_package_loads_the_first_too(tmp_path):
    out = check(tmp_path, """
        email = __shrinkpy_defer__("email.headerregistry", None, 0, "email", False, "main.py:1")
        email = __shrinkpy_defer__("email.charset", None, 0, "email", False, "main.py:2")
        print("email.headerregistry" in sys.modules, email.headerregistry.Address.__name__, email.charset.__name__)
    """)
    assert out == "False Address email.charset\n"


def test_dunders_come_from_the_imported_object(tmp_path):
    out = check(tmp_path, """
        import types
        colorsys = __shrinkpy_defer__("colorsys", None, 0, "colorsys", False, "main.py:1")
        proxy = colorsys
        print(proxy.__name__, proxy.__doc__ == sys.modules["colorsys"].__doc__, proxy.__class__.__name__,
              isinstance(proxy, types.ModuleType), type(colorsys).__name__)
    """)
    assert out == "colorsys True module True module\n"


def test_an_error_inside_the_deferred_module_names_where_the_import_was_written(tmp_path):
    out = check(tmp_path, """
        broken = __shrinkpy_defer__("broken", None, 0, "broken", False, "app.py:3")
        sys.path.insert(0, ".")
        try:
            broken.f()
        except ZeroDivisionError as e:
            print(type(e).__name__, e.__notes__)
    """, files={"broken.py": "1 / 0\n"})
    assert out == ("ZeroDivisionError [\"raised while importing 'broken', deferred by shrinkpy from app.py:3 "
                   "(SHRINKPY_IMPORTS=off imports eagerly)\"]\n")


def test_a_missing_name_in_a_from_import(tmp_path):
    out = check(tmp_path, """
        nope = __shrinkpy_defer__("json", "no_such_name", 0, "nope", False, "app.py:9")
        try:
            nope()
        except ImportError as e:
            print(e)
    """)
    assert out.startswith("cannot import name 'no_such_name' from 'json' (/usr/lib/python3.11/json/__init__.py) "
                          "(deferred import written at app.py:9;")


def test_the_launcher_hears_of_each_proxy_and_each_load(tmp_path):
    out = check(tmp_path, """
        events = []
        deferred.install(lambda where, module, attribute: events.append(("defer", where, module, attribute)) or len(events),
                         lambda token: events.append(("load", token)))
        colorsys = __shrinkpy_defer__("colorsys", None, 0, "colorsys", False, "main.py:1")
        hsv = __shrinkpy_defer__("colorsys", "rgb_to_hsv", 0, "hsv", False, "main.py:2")
        colorsys.hls_to_rgb
        print(events)
    """)
    assert out == ("[('defer', 'main.py:1', 'colorsys', None), ('defer', 'main.py:2', 'colorsys', 'rgb_to_hsv'), "
                   "('load', 1)]\n")
