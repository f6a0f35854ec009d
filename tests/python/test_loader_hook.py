"""The loader hook compiled into shrinkpython (runtime/loader_hook.py), driven under plain python3.11
with a recording stand-in for the rewriter: which modules reach the rewriter, the cache of rewritten
code, pragmas, tracers, and failures of the rewriter. The real rewriter is tested in
test_early_free.py through shrinkpython itself."""

from __future__ import annotations

import json
import textwrap

from conftest import REPO, clean_env, run

HOOK = REPO / "runtime" / "loader_hook.py"

DRIVER = textwrap.dedent("""
    import importlib.util, json, sys, types
    spec = importlib.util.spec_from_file_location("_shrinkpy_loader", {hook!r})
    hook = importlib.util.module_from_spec(spec); spec.loader.exec_module(hook)
    calls, records = [], []

    def rewrite(code, module_level, keep_lines):
        calls.append([code.co_filename.rsplit("/", 1)[-1], module_level, list(keep_lines)])
        if {fail!r}:
            raise RuntimeError("boom")
        release = ("f", 3, "x", "after_last_use", "after its last use", False)
        return code.replace(co_consts=code.co_consts + ("rewritten",)), (release,), ()

    def record(module, releases, skips):
        records.append([module, len(releases), [list(s[2:]) for s in skips]])

    hook.install(rewrite, record, {scope!r}, "safe", "test1", None)
    sys.path.insert(0, {path!r})
""")
REPORT = '\nprint(json.dumps({"calls": calls, "records": records}))\n'



def drive(tmp_path, body, scope="user", fail=False, env=None):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.format(hook=str(HOOK), scope=scope, path=str(tmp_path / "pkg"), fail=fail)
                      + textwrap.dedent(body) + REPORT)
    # The stdlib's rewritten code is cached in the user's cache: the test's own, so that no earlier
    # run's cache (same stand-in version, same source) answers instead of the rewriter.
    env = {**(env or clean_env()), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    r = run(["/usr/bin/python3.11", str(script)], env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout.decode().splitlines()[-1])


def user_module(tmp_path, name="usermod", text="def f(x):\n    y = x + 1  # shrinkpy: keep\n    return y\n"):
    (tmp_path / "pkg").mkdir(exist_ok=True)
    (tmp_path / "pkg" / f"{name}.py").write_text(text)


def test_user_modules_reach_the_rewriter_and_the_stdlib_does_not(tmp_path):
    user_module(tmp_path)
    out = drive(tmp_path, """
        import usermod, colorsys
        assert usermod.__spec__.loader.get_code("usermod").co_consts[-1] == "rewritten"
        assert usermod.f(1) == 2
    """)
    assert ["usermod.py", False, [2]] in out["calls"]
    assert not any(c[0] == "colorsys.py" for c in out["calls"])
    assert ["usermod", 1, []] in out["records"]


def test_scope_all_includes_the_stdlib_and_main_excludes_modules(tmp_path):
    user_module(tmp_path)
    out = drive(tmp_path, "import usermod, colorsys", scope="all")
    assert {c[0] for c in out["calls"]} >= {"usermod.py", "colorsys.py"}
    out = drive(tmp_path, "import usermod, colorsys", scope="main")
    assert out["calls"] == []


def test_rewritten_code_is_cached_by_source_hash(tmp_path):
    user_module(tmp_path)
    body = "import usermod\nassert usermod.__spec__.loader.get_code('usermod').co_consts[-1] == 'rewritten'"
    env = clean_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    first = drive(tmp_path, body, env=env)
    cached = list((tmp_path / "pkg" / "__pycache__").glob("usermod.cpython-311.shrinkpy-test1-safe.pyc"))
    assert len(first["calls"]) >= 1 and len(cached) == 1
    second = drive(tmp_path, body, env=env)
    assert second["calls"] == []  # served from the cache
    assert ["usermod", 1, []] in second["records"]
    user_module(tmp_path, text="def f(x):\n    return x * 2\n")  # new source, new hash
    third = drive(tmp_path, body, env=env)
    assert ["usermod.py", False, []] in third["calls"]


def test_a_failing_rewriter_leaves_the_module_unmodified_and_says_why(tmp_path):
    user_module(tmp_path)
    out = drive(tmp_path, "import usermod\nassert usermod.f(1) == 2", fail=True)
    assert ["usermod", 0, [["error", "rewriter error: boom"]]] in out["records"]


def test_nothing_is_rewritten_while_a_tracer_is_set(tmp_path):
    user_module(tmp_path)
    out = drive(tmp_path, "sys.settrace(lambda *a: None)\nimport usermod\nsys.settrace(None)")
    assert out["calls"] == []


def test_a_tracer_set_later_gets_functions_their_original_code(tmp_path):
    user_module(tmp_path, text="def f():\n    return 1\n")
    out = drive(tmp_path, """
        import usermod
        module_code = usermod.__spec__.loader.get_code("usermod")
        # Functions made from rewritten module code carry rewritten code objects; the stand-in
        # rewrites only the module level, so mark f's code as rewritten by hand.
        marked = usermod.f.__code__.replace(co_name="rewritten_f")
        hook._state.originals[id(marked)] = (marked, usermod.f.__code__)
        usermod.f.__code__ = marked
        hook.restore_originals()
        assert usermod.f.__code__.co_name == "f"
        # ... and the hook is out of the import system: a debugger sees python3.11's frames there.
        assert hook._bootstrap_external.SourceLoader.get_code is hook._state.original_get_code
        import colorsys  # nothing more is rewritten once a tracer was seen
    """, scope="all")
    assert not any(c[0] == "colorsys.py" for c in out["calls"])


def test_a_failure_of_the_hook_itself_loads_the_module_as_it_is(tmp_path):
    user_module(tmp_path)
    user_module(tmp_path, "broken", "def f(:\n")
    out = drive(tmp_path, """
        def boom(path):
            raise AttributeError("half-built os")  # as when a program runs os's source again
        hook._in_scope = boom
        import usermod
        assert usermod.f(1) == 2 and "rewritten" not in usermod.__spec__.loader.get_code("usermod").co_consts
        try:
            import broken
        except SyntaxError as e:  # the module's own error, raised as under python3.11
            assert e.__context__ is None
        else:
            raise AssertionError("no SyntaxError")
    """)
    assert out["calls"] == []
    assert ["usermod", 0, [["error", "loader hook error: AttributeError('half-built os')"]]] in out["records"]


def test_original_code_is_found_for_no_early_free(tmp_path):
    user_module(tmp_path)
    out = drive(tmp_path, """
        import usermod
        mod_code = usermod.__spec__.loader.get_code("usermod")
        assert hook.original_code(mod_code) is not mod_code
        assert "rewritten" not in hook.original_code(mod_code).co_consts
    """)
    assert out["records"]


def test_a_cache_file_in_another_format_is_a_miss(tmp_path):
    user_module(tmp_path)
    env = clean_env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    drive(tmp_path, "import usermod", env=env)
    cached = next((tmp_path / "pkg" / "__pycache__").glob("usermod.cpython-311.shrinkpy-test1-safe.pyc"))
    header = cached.read_bytes()[:16]  # magic, mark, source hash: then anything another writer put there
    cached.write_bytes(header + b"\x00" * 8 + cached.read_bytes()[16:])
    out = drive(tmp_path, "import usermod\nassert usermod.f(1) == 2", env=env)
    assert ["usermod.py", False, [2]] in out["calls"]  # rewritten again, not loaded from the bad file
