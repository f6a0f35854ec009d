"""Import facts and module-level names; paired with tests/cpp/test_imports.cpp."""

import textwrap


def facts(analyzer, source):
    return {(f["bound"] or f["imported"]): f for f in analyzer.imports(compile(textwrap.dedent(source), "m", "exec"))}


def test_use_kinds(analyzer):
    got = facts(analyzer, """
        import os, sys, json as j
        import xml.etree.ElementTree as ET
        from collections import OrderedDict, deque
        import a.b.c
        def g():
            return os.getcwd()
        print(sys.argv, a)
    """)
    assert got["os"]["use"] == "functions_only" and got["os"]["readers"] == ["g"]
    assert got["sys"]["use"] == "module_level"
    assert got["j"]["use"] == "never" and got["j"]["module"] == "json"
    assert got["ET"]["use"] == "never" and got["ET"]["module"] == "xml.etree.ElementTree"
    assert got["OrderedDict"]["imported"] == "OrderedDict" and got["OrderedDict"]["use"] == "never"
    assert got["a"]["use"] == "module_level" and got["a"]["module"] == "a.b.c"


def test_all_and_star(analyzer):
    got = facts(analyzer, """
        from typing import *
        from collections import deque, Counter
        __all__ = ["deque", "x", "y"]
    """)
    assert got["*"]["use"] == "unknown"
    assert got["deque"]["use"] == "exported"
    assert got["Counter"]["use"] == "never"
    short = facts(analyzer, "from m import p, q\n__all__ = ['p']\n")
    assert short["p"]["use"] == "exported" and short["q"]["use"] == "never"


def test_computed_all_and_dynamic_access_make_it_unknown(analyzer):
    got = facts(analyzer, """
        import os
        __all__ = []
        __all__.extend(["os"])
    """)
    assert got["os"]["use"] == "unknown" and "__all__" in got["os"]["reason"]
    got = facts(analyzer, """
        import os
        def f(name):
            return globals()[name]
    """)
    assert got["os"]["use"] == "unknown" and "globals" in got["os"]["reason"]


def test_rebinding_before_read_makes_the_import_unread(analyzer):
    got = facts(analyzer, """
        import json
        json = None
        print(json)
    """)
    assert got["json"]["use"] == "never"


def test_function_and_class_imports(analyzer):
    got = facts(analyzer, """
        def f():
            import os
            import sys
            return sys.path
        class C:
            import re
        def outer():
            import math
            def inner():
                return math.pi
            return inner
    """)
    assert got["os"]["scope"] == "function" and got["os"]["use"] == "never"
    assert got["sys"]["use"] == "module_level" and got["sys"]["readers"] == ["f"]
    assert got["re"]["scope"] == "class" and got["re"]["use"] == "unknown"
    assert got["math"]["use"] == "unknown"  # a cell read by inner


def test_class_body_reads_count(analyzer):
    got = facts(analyzer, """
        import enum
        class Color(enum.Enum):
            RED = 1
    """)
    assert got["enum"]["use"] == "module_level"
    got = facts(analyzer, """
        import enum
        def f():
            class Color(enum.Enum):
                RED = 1
            return Color
    """)
    assert got["enum"]["use"] == "functions_only"


def test_module_names(analyzer):
    code = compile(textwrap.dedent("""
        data = load()
        small = summarize(data)
        def report():
            return small
        print(small)
        other = 1
    """), "m", "exec")
    names = {n["name"]: n for n in analyzer.module_names(code)["names"]}
    assert names["data"]["module_only"] and names["data"]["last_use_lines"] == [3]
    assert not names["small"]["module_only"] and names["small"]["read_by"] == ["report"]
    assert names["other"]["module_only"] and names["other"]["last_use_lines"] == []


def test_stdlib_import_facts_are_total(stdlib_modules, analyzer):
    """Every import statement of the stdlib is found and classified."""
    uses = {}
    for _, module in stdlib_modules[::5]:
        for fact in analyzer.imports(module):
            assert fact["use"] in ("never", "functions_only", "module_level", "exported", "unknown")
            assert fact["imported"] == "*" or fact["bound"]
            uses[fact["use"]] = uses.get(fact["use"], 0) + 1
    assert uses["module_level"] > 100 and uses["functions_only"] > 10 and uses["never"] > 0


def test_vars_of_an_object_is_not_dynamic_access(analyzer):
    got = facts(analyzer, """
        import os
        def f(obj):
            return vars(obj), os.sep
    """)
    assert got["os"]["use"] == "functions_only"
    got = facts(analyzer, """
        import os
        def f():
            return vars()
    """)
    assert got["os"]["use"] == "unknown" and "vars" in got["os"]["reason"]
