"""Early freeing inside shrinkpython: the embedded loader hook and the built-in rewriter rewrite
__main__ (script, -c, -m) and, by scope, user modules and the standard library; the program's output
never changes; tracers get the original code back; escape hatches work; the report says what
happened; with SHRINKPY_EARLY_FREE=off nothing of it is loaded."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from conftest import REPO, clean_env, run

SEMANTICS = Path(__file__).parent / "early_free" / "semantics.py"


def report_of(shrinkpython, argv, tmp_path, cwd=None, input=None, **env):
    path = tmp_path / "report.json"
    r = run([shrinkpython, *argv], env=clean_env(SHRINKPY_REPORT=str(path), **env), cwd=cwd or tmp_path, input=input)
    assert path.exists(), r.stderr.decode()
    return r, json.loads(path.read_text())["early_free"]


@pytest.mark.parametrize("mode", ["safe", "aggressive"])
def test_output_and_tracebacks_are_unchanged(mode, shrinkpython, stock, analyzer):
    expected = run([stock, str(SEMANTICS)], cwd=SEMANTICS.parent)
    got = run([shrinkpython, str(SEMANTICS)], env=clean_env(SHRINKPY_REWRITE="all", SHRINKPY_EARLY_FREE=mode),
              cwd=SEMANTICS.parent)
    assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr)
    assert expected.returncode == 1 and b"ValueError: bad row 2" in expected.stderr
    # ... and not because nothing was released there.
    code = compile(SEMANTICS.read_text(), str(SEMANTICS), "exec")
    program = {"__name__": "semantics"}
    exec(code, program)
    _, releases, _ = analyzer.rewrite(code, main=True)
    got_released = {}
    for qualname, _, name, *_ in releases:
        got_released.setdefault(qualname, set()).add(name)
    for function, names in program["RELEASED"].items():
        assert names <= got_released.get(function, set()), function


def test_script_c_and_m_rewrite_main(shrinkpython, tmp_path):
    program = ("import sys\nrows = [str(i) * 4 for i in range(1000)]\nsize = len(rows)\n"
               "print(size, sum(map(len, rows[:3])), 'rows' in sys.modules['__main__'].__dict__)\n")
    (tmp_path / "prog.py").write_text(program)
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "__main__.py").write_text(program)
    for argv in (["prog.py"], ["-c", program], ["-m", "pkg"]):
        r, early = report_of(shrinkpython, argv, tmp_path)
        assert r.returncode == 0 and r.stdout == b"1000 12 False\n", argv  # rows released at module level
        assert early["mode"] == "safe" and early["scope"] == "user"
        assert early["releases"] >= 1 and early["code_objects"] >= 1, argv  # rows, at module level


def test_scope_main_user_all(shrinkpython, tmp_path):
    (tmp_path / "helper.py").write_text("def work(n):\n    rows = list(range(n))\n    return sum(rows) + len(rows)\n")
    (tmp_path / "prog.py").write_text("import helper, json\nprint(helper.work(10), json.dumps([1]))\n")
    counts = {}
    for scope in ("main", "user", "all"):
        r, early = report_of(shrinkpython, ["prog.py"], tmp_path, SHRINKPY_REWRITE=scope)
        assert r.stdout == b"55 [1]\n"
        counts[scope] = (early["modules"], early["releases"])
    assert counts["main"][0] == 1
    assert counts["user"][0] == 2 and counts["user"][1] > counts["main"][1]  # helper too
    assert counts["all"][0] > 2 and counts["all"][1] > counts["user"][1]  # json and friends too


def test_inspect_mode_keeps_module_level_names(shrinkpython, tmp_path):
    (tmp_path / "prog.py").write_text("rows = [1, 2, 3] * 100\nsize = len(rows)\n")
    r = run([shrinkpython, "-i", "prog.py"], input=b"print(len(rows), size)\n", cwd=tmp_path)
    assert r.returncode == 0 and b"300 300" in r.stdout


def test_a_tracer_gets_the_original_code(shrinkpython, tmp_path):
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import dis, sys
        def work(n):
            rows = list(range(n))
            return len(rows) + sum(rows)
        def deletes(f):
            return sum(i.opname == "DELETE_FAST" for i in dis.get_instructions(f))
        before = deletes(work)
        sys.settrace(lambda *a: None)
        sys.settrace(None)
        print(before > 0, deletes(work) == 0, work(4))
    """))
    r, early = report_of(shrinkpython, ["prog.py"], tmp_path)
    assert r.stdout == b"True True 10\n", r.stderr.decode()
    assert early["skipped"].get("tracer") == 1


def test_threads_setting_tracers_at_once_all_get_them(shrinkpython, tmp_path):
    """The first tracer gives functions their original code back, which reads and compiles sources:
    other threads run meanwhile. One that sets its own tracer then must not fail ("Cannot install a
    trace function while another trace function is being installed": CPython holds a flag around
    its audit event, Python/ceval.c), as threading.settrace makes every new thread do."""
    for i in range(8):
        (tmp_path / f"mod{i}.py").write_text(f"def work(n):\n    rows = list(range(n))\n    return len(rows) + {i}\n")
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import sys, threading
        import mod0, mod1, mod2, mod3, mod4, mod5, mod6, mod7
        errors = []
        sys.setswitchinterval(1e-6)  # threads take turns as often as they can
        def tracer(frame, event, arg):
            return None
        def run():
            start.wait()
            try:
                sys.settrace(tracer)
                sys.settrace(None)
            except RuntimeError as e:
                errors.append(str(e))
        start = threading.Event()
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        start.set()
        for t in threads:
            t.join()
        print(errors, mod3.work.__code__.co_filename.endswith("mod3.py"))
    """))
    r, early = report_of(shrinkpython, ["prog.py"], tmp_path)
    assert r.stdout == b"[] True\n", r.stderr.decode()
    assert early["skipped"].get("tracer") == 1


def test_a_tracer_leaves_each_function_its_own_code(shrinkpython, tmp_path):
    """Code objects compare equal by value, whatever their file: the same function in two modules
    gets back its own original, not the other's."""
    same = "def work(n):\n    rows = list(range(n))\n    return len(rows)\n"
    (tmp_path / "first.py").write_text(same)
    (tmp_path / "second.py").write_text(same)
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import sys, first, second
        sys.settrace(lambda *a: None)
        sys.settrace(None)
        print(first.work.__code__.co_filename.endswith("first.py"),
              second.work.__code__.co_filename.endswith("second.py"), first.work(3), second.work(4))
    """))
    r, early = report_of(shrinkpython, ["prog.py"], tmp_path)
    assert r.stdout == b"True True 3 4\n", r.stderr.decode()
    assert early["modules"] >= 3 and early["releases"] >= 2  # __main__, first and second were rewritten


def test_escape_hatches(shrinkpython, tmp_path):
    (tmp_path / "prog.py").write_text(textwrap.dedent("""
        import dis
        import shrinkpy
        def deletes(f):
            return sum(i.opname == "DELETE_FAST" for i in dis.get_instructions(f))
        def plain(n):
            rows = list(range(n))
            return len(rows) + sum(rows)
        def pragma(n):  # shrinkpy: keep
            rows = list(range(n))
            return len(rows) + sum(rows)
        def line_pragma(n):
            rows = list(range(n))  # shrinkpy: keep
            return len(rows) + sum(rows)
        @shrinkpy.no_early_free
        def decorated(n):
            rows = list(range(n))
            return len(rows) + sum(rows)
        def late(n):
            rows = list(range(n))
            return len(rows) + sum(rows)
        late = shrinkpy.no_early_free(late)  # applied by a call: the original code comes back
        def kept(n):
            rows = list(range(n))
            total = sum(rows)
            shrinkpy.keep_alive(rows)
            return total
        print([deletes(f) > 0 for f in (plain, pragma, line_pragma, decorated, late)], kept(4))
    """))
    r, early = report_of(shrinkpython, ["prog.py"], tmp_path, PYTHONPATH=str(REPO / "python"))
    assert r.stdout == b"[True, False, False, False, False] 6\n", r.stderr.decode()
    assert early["skipped"] == {"pragma": 1, "no_early_free": 1}


def test_failures_are_reported_and_the_program_runs(shrinkpython, tmp_path):
    (tmp_path / "prog.py").write_text("print('ran')\n")
    r = run([shrinkpython, "prog.py"], env=clean_env(SHRINKPY_EARLY_FREE_IGNORE="no-such-rule"), cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b"ran\n"
    assert b"no early-freeing rule named 'no-such-rule'" in r.stderr


# The import pass (SHRINKPY_IMPORTS, tests/python/test_shrinkpython_imports.py) rides on the same hook.
ALL_OFF = {"SHRINKPY_EARLY_FREE": "off", "SHRINKPY_IMPORTS": "off"}
IMPORT_PASS = {b"_shrinkpy_imports", b"_shrinkpy_deferred", b"_shrinkpy_import_pass"}


def test_off_loads_nothing(shrinkpython, tmp_path):
    probe = ("import sys, importlib._bootstrap_external as e\n"
             "print(sorted(m for m in sys.modules if 'shrinkpy' in m), e.SourceLoader.get_code.__module__)")
    off = run([shrinkpython, "-c", probe], env=clean_env(**ALL_OFF))
    assert off.stdout == b"[] _frozen_importlib_external\n"  # SourceLoader.get_code as CPython has it
    on = run([shrinkpython, "-c", probe], env=clean_env(SHRINKPY_IMPORTS="off"))
    assert on.stdout == b"['_shrinkpy', '_shrinkpy_loader'] _shrinkpy_loader\n"
    imports_only = run([shrinkpython, "-c", probe], env=clean_env(SHRINKPY_EARLY_FREE="off"))
    assert imports_only.stdout == (b"['_shrinkpy_deferred', '_shrinkpy_import_pass', '_shrinkpy_imports', "
                                   b"'_shrinkpy_loader'] _shrinkpy_loader\n")


def test_start_up_imports_nothing_more_than_the_hook(shrinkpython):
    probe = "import sys; print(' '.join(sorted(sys.modules)))"
    for flags in ([], ["-S"]):
        off = set(run([shrinkpython, *flags, "-c", probe], env=clean_env(**ALL_OFF)).stdout.split())
        on = set(run([shrinkpython, *flags, "-c", probe]).stdout.split())
        assert on - off == {b"_shrinkpy", b"_shrinkpy_loader"} | IMPORT_PASS


def test_rewritten_user_modules_are_cached(shrinkpython, tmp_path):
    (tmp_path / "helper.py").write_text("def work(n):\n    rows = list(range(n))\n    return sum(rows) + len(rows)\n")
    (tmp_path / "prog.py").write_text("import helper\nprint(helper.work(10))\n")
    env = clean_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    for _ in range(2):
        r = run([shrinkpython, "prog.py"], env=env, cwd=tmp_path)
        assert r.stdout == b"55\n"
    cached = list((tmp_path / "__pycache__").glob("helper.cpython-311.shrinkpy-*-safe.pyc"))
    assert len(cached) == 1
