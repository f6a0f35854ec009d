"""The import pass inside shrinkpython (SHRINKPY_IMPORTS, default defer): a command-line program
whose --help and light subcommand never load the modules only its heavy subcommand needs, the same
output as python3.11, the report of deferred imports, the modes, the user's marks, the errors."""

from __future__ import annotations

import json
import textwrap

import jsonschema
import pytest

from conftest import REPO, clean_env, run

HEAVY = ("asyncio", "sqlite3", "xml.etree.ElementTree", "email.message", "decimal", "json", "csv")

CLI = textwrap.dedent('''\
    """tool: a command-line program with a light and a heavy subcommand."""
    import argparse
    import atexit
    import sys
    import asyncio
    import sqlite3
    import xml.etree.ElementTree as ET
    import email.message
    from decimal import Decimal
    import json, csv

    HEAVY = {heavy!r}
    atexit.register(lambda: print("loaded:", [m for m in HEAVY if m in sys.modules], file=sys.stderr))


    def light(args):
        print("light", args.n * 2)


    def heavy(args):
        async def double(x):
            return 2 * x
        db = sqlite3.connect(":memory:")
        total = db.execute("SELECT ?", (args.n,)).fetchone()[0]
        msg = email.message.EmailMessage()
        msg["Subject"] = "x"
        rows = list(csv.reader(["a,b"]))
        print("heavy", asyncio.run(double(args.n)), total, ET.fromstring("<a/>").tag, msg["Subject"],
              Decimal("1.5") * 2, json.dumps(rows))


    def main():
        parser = argparse.ArgumentParser(prog="tool")
        parser.add_argument("--n", type=int, default=21)
        sub = parser.add_subparsers(required=True)
        sub.add_parser("light").set_defaults(run=light)
        sub.add_parser("heavy").set_defaults(run=heavy)
        args = parser.parse_args()
        args.run(args)


    main()
''').format(heavy=HEAVY)


def loaded(stderr: bytes) -> list[str]:
    line = next(l for l in stderr.decode().splitlines() if l.startswith("loaded:"))
    return eval(line.partition(":")[2])  # a list literal printed by the program itself


@pytest.fixture()
def tool(tmp_path):
    path = tmp_path / "tool.py"
    path.write_text(CLI)
    return path


@pytest.mark.parametrize("argv", [["--help"], ["light"], ["heavy"]])
def test_help_and_the_light_subcommand_never_load_the_heavy_modules(shrinkpython, stock, tool, argv):
    expected = run([stock, str(tool), *argv])
    got = run([shrinkpython, str(tool), *argv])
    assert got.returncode == expected.returncode == 0, got.stderr.decode()
    assert got.stdout == expected.stdout
    assert loaded(expected.stderr) == list(HEAVY)  # python3.11 loads them all, every time
    if argv == ["heavy"]:
        assert loaded(got.stderr) == list(HEAVY)
        assert got.stdout.startswith(b"heavy 42 21 a x 3.0")
    else:
        assert loaded(got.stderr) == []


def test_off_imports_as_written_and_drop_removes_what_is_never_read(shrinkpython, tool, tmp_path):
    assert loaded(run([shrinkpython, str(tool), "light"], env=clean_env(SHRINKPY_IMPORTS="off")).stderr) == list(HEAVY)
    script = tmp_path / "unused.py"
    script.write_text("import sys\nimport colorsys\nimport difflib\nprint(sorted(m for m in ('colorsys', 'difflib') "
                      "if m in sys.modules))\n")
    outputs = {mode: run([shrinkpython, str(script)], env=clean_env(SHRINKPY_IMPORTS=mode)).stdout
               for mode in ("off", "defer", "drop")}
    assert outputs == {"off": b"['colorsys', 'difflib']\n", "defer": b"['colorsys', 'difflib']\n", "drop": b"[]\n"}


def test_without_early_freeing_the_import_pass_still_runs(shrinkpython, tool):
    r = run([shrinkpython, str(tool), "light"], env=clean_env(SHRINKPY_EARLY_FREE="off"))
    assert r.stdout == b"light 42\n" and loaded(r.stderr) == []


def test_the_report_lists_each_deferred_import_and_whether_it_was_loaded(shrinkpython, tool, tmp_path):
    report = tmp_path / "report.json"
    r = run([shrinkpython, str(tool), "--n", "1", "light"], env=clean_env(SHRINKPY_REPORT=str(report)))
    assert r.returncode == 0, r.stderr.decode()
    doc = json.loads(report.read_text())
    jsonschema.validate(doc, json.loads((REPO / "python" / "shrinkpy" / "report.schema.json").read_text()))
    imports = doc["imports"]
    assert imports["mode"] == "defer" and imports["modules"] >= 1
    # argparse, asyncio, sqlite3, ET, email, Decimal, json, csv (sys and atexit are loaded already)
    assert imports["deferred"] == len(imports["deferred_imports"]) == 8
    by_module = {(d["module"], d["name"]): d for d in imports["deferred_imports"]}
    assert by_module[("argparse", "")]["loaded"] is True
    assert by_module[("decimal", "Decimal")]["loaded"] is False
    assert by_module[("asyncio", "")]["where"] == f"{tool}:5"
    text = run([shrinkpython, str(tool), "light"], env=clean_env(SHRINKPY_REPORT="-")).stderr.decode()
    assert "imports                defer: 8 deferred and 0 dropped" in text
    assert f"    never loaded         import asyncio  ({tool}:5)" in text


def test_eager_marks_keep_modules_as_written(shrinkpython, tool):
    r = run([shrinkpython, str(tool), "light"], env=clean_env(SHRINKPY_IMPORTS_EAGER="asyncio, json"))
    assert loaded(r.stderr) == ["asyncio", "json"]
    source = CLI.replace("import sqlite3\n", "import sqlite3  # shrinkpy: eager\n")
    tool.write_text(source)
    assert loaded(run([shrinkpython, str(tool), "light"]).stderr) == ["sqlite3"]


def test_a_deferred_import_that_fails_names_where_it_was_written(shrinkpython, tmp_path):
    script = tmp_path / "app.py"
    script.write_text("from colorsys import rgb_to_hsv, no_such_name\n\n\ndef f():\n    return rgb_to_hsv(1, 0, 0), "
                      "no_such_name()\n\n\nprint('started')\nf()\n")
    r = run([shrinkpython, str(script)])
    assert r.returncode == 1 and r.stdout == b"started\n"
    assert (f"ImportError: cannot import name 'no_such_name' from 'colorsys' (/usr/lib/python3.11/colorsys.py) "
            f"(deferred import written at {script}:1;") in r.stderr.decode()
    missing = tmp_path / "missing.py"
    missing.write_text("print('started')\nimport no_such_module_xyz\n\n\ndef f():\n    return no_such_module_xyz\n")
    r = run([shrinkpython, str(missing)])  # not found when loaded: the error stays at the import
    assert r.returncode == 1 and r.stdout == b"started\n" and "line 2, in <module>" in r.stderr.decode()


def test_dash_c_and_dash_m_mains_are_rewritten_and_dash_i_is_not(shrinkpython, tmp_path):
    code = "import sys, colorsys\ndef f():\n    return colorsys.rgb_to_hsv(1, 0, 0)\nprint('colorsys' in sys.modules)\n"
    assert run([shrinkpython, "-c", code]).stdout == b"False\n"
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "cli.py").write_text(code.replace("import sys, colorsys", "import sys\nfrom . import helpers"
                                                          ).replace("colorsys.rgb_to_hsv(1, 0, 0)", "helpers.__name__")
                                             .replace("'colorsys'", "'pkg.helpers'"))
    (tmp_path / "pkg" / "helpers.py").write_text("")
    assert run([shrinkpython, "-m", "pkg.cli"], cwd=tmp_path).stdout == b"False\n"
    r = run([shrinkpython, "-i", "-c", code], input=b"print(type(colorsys).__name__)\n")
    assert r.stdout.startswith(b"True\nmodule\n")  # at the prompt the names are the real modules


def test_the_options_table_has_the_import_pass(shrinkpython):
    rows = {row["env"]: row for row in json.loads(run([shrinkpython, "--print-options=json"]).stdout)}
    assert rows["SHRINKPY_IMPORTS"]["default"] == "defer"
    assert rows["SHRINKPY_IMPORTS"]["choices"] == ["off", "defer", "drop"]
    assert "SHRINKPY_IMPORTS_EAGER" in rows


@pytest.mark.parametrize("tool_name", ["devicectl", "meterdb", "feedtool", "imgcli", "logtool"])
def test_the_benchmark_tools_light_paths_import_none_of_their_heavy_modules(shrinkpython, stock, tool_name):
    """-X importtime lists every module a run imports: the light paths of benchmarks/cli/ must not
    import what only their heavy subcommands use, and every path prints what python3.11 prints."""
    from shrinkpy import import_bench

    if tool_name in import_bench.missing_needs():
        pytest.skip(import_bench.missing_needs()[tool_name])
    heavy = {"devicectl": {"asyncio", "decimal", "json"}, "meterdb": {"sqlite3", "decimal", "statistics"},
             "feedtool": {"email.message", "http.client", "xml.etree.ElementTree"}, "imgcli": {"numpy"},
             "logtool": {"csv", "gzip", "json", "statistics"}}[tool_name]
    light, heavy_paths = import_bench.TOOLS[tool_name]
    script = str(import_bench.CLI_DIR / f"{tool_name}.py")
    for path in ("--help", light, *heavy_paths):
        expected = run([stock, script, path])
        got = run([shrinkpython, "-X", "importtime", script, path])
        assert got.returncode == 0 and got.stdout == expected.stdout, (path, got.stderr.decode()[-2000:])
        imported = {line.rsplit("|", 1)[1].strip() for line in got.stderr.decode().splitlines()
                    if line.startswith("import time:") and "|" in line}
        if path in ("--help", light):
            assert not imported & heavy, (path, sorted(imported & heavy))


def test_a_module_used_by_del_at_shutdown_is_imported_as_written(shrinkpython, stock, tmp_path):
    """CPython's test_traceback: __del__ of an object in a module global runs while the interpreter
    shuts down, when nothing can be imported any more."""
    script = tmp_path / "atexit.py"
    script.write_text(textwrap.dedent("""\
        import sys
        import traceback
        class PrintExceptionAtExit:
            def __init__(self):
                try:
                    1 / 0
                except ZeroDivisionError:
                    self.exc_info = sys.exc_info()
            def __del__(self):
                traceback.print_exception(*self.exc_info)
        obj = PrintExceptionAtExit()
    """))
    expected, got = run([stock, str(script)]), run([shrinkpython, str(script)])
    assert got.stderr == expected.stderr and got.stderr.endswith(b"ZeroDivisionError: division by zero\n")


# CPython test modules that are one file and need no data files next to them.
AS_USER_CODE = ["test_heapq", "test_textwrap", "test_fractions", "test_calendar", "test_pprint", "test_shlex",
                "test_getopt", "test_ipaddress", "test_bisect", "test_colorsys", "test_string", "test_functools",
                "test_operator", "test_dataclasses", "test_argparse", "test_csv", "test_typing", "test_enum",
                "test_statistics", "test_decimal", "test_contextlib", "test_abc", "test_copy", "test_keyword"]


def unittest_outcomes(python, cwd, env_for):
    """{test: outcome} of every module run as a script (each is __main__ once), and the exit codes."""
    outcomes, codes = {}, {}
    for module in AS_USER_CODE:
        r = run([python, f"{module}.py", "-v"], cwd=cwd, env=env_for(module), timeout=600)
        codes[module] = r.returncode
        for line in r.stderr.decode().splitlines():
            name, sep, outcome = line.rpartition(" ... ")
            if sep and name.startswith("test"):
                outcomes[f"{module}: {name}"] = outcome.split(" ")[0]
    return codes, outcomes


def test_cpython_tests_run_as_user_code_give_the_same_results(shrinkpython, stock, tmp_path):
    """CPython's own test modules copied out of the standard library and run as scripts: the import
    pass rewrites each as __main__ (its module-level imports read only in test methods are deferred)
    and each test case must end as it does under python3.11."""
    import shutil
    import sysconfig

    for name in AS_USER_CODE:
        shutil.copy(f"{sysconfig.get_paths()['stdlib']}/test/{name}.py", tmp_path)
    # Outside their package a few of them fail under python3.11 too (reprs name `test.`): the same way.
    expected_codes, expected = unittest_outcomes(stock, tmp_path, lambda module: clean_env())
    assert len(expected) > 4000
    reports = tmp_path / "reports"
    reports.mkdir()
    codes, got = unittest_outcomes(shrinkpython, tmp_path,
                                   lambda module: clean_env(SHRINKPY_REPORT=str(reports / f"{module}.json")))
    assert {k: (expected.get(k), got.get(k)) for k in expected.keys() | got.keys() if expected.get(k) != got.get(k)} == {}
    assert codes == expected_codes
    imports = [json.loads(p.read_text())["imports"] for p in reports.iterdir()]
    assert sum(i["deferred"] for i in imports) > 20  # the pass did defer imports of these programs
    assert any(d["loaded"] for i in imports for d in i["deferred_imports"])
