"""The parts of `shrinkpy build` that need no CPython build: board profiles read through the options
table, the module set over a small stdlib tree, configure lines, Setup.local, the private apt
sources, trimmed-module messages, and how a failed step reports itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shrinkpy import board_profile, cpython_build, dist_pack, module_set, private_apt, speed_build
from shrinkpy.build_steps import StepFailed, Steps
from shrinkpy.stdlib_index import StdlibIndex

BOARDS = ("host", "rpi-zero-2w", "rpi3b", "rpi4", "rpi5")


# ---- profiles -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def table():
    return board_profile.option_table()


@pytest.mark.parametrize("name", BOARDS)
def test_every_profile_loads_and_its_options_are_in_the_table(name, table):
    profile = board_profile.load(name)
    defaults = board_profile.board_defaults(profile, table, fully_static=True)
    assert set(defaults) <= {row["env"] for row in table}
    assert defaults["SHRINKPY_ALLOCATOR"] != "mimalloc"
    assert profile.keep and profile.ram_mib > 0
    assert profile.cross == (name != "host")


def test_board_facts():
    assert set(board_profile.available()) == set(BOARDS)
    assert board_profile.load("rpi5").page_size == 16384
    assert all(board_profile.load(b).page_size == 4096 for b in ("rpi-zero-2w", "rpi3b", "rpi4", "host"))
    assert "cortex-a53" in board_profile.load("rpi-zero-2w").cpu_flags
    assert board_profile.load("rpi-zero-2w").ram_mib == 512


def _profile(**options) -> board_profile.Profile:
    return board_profile.Profile("test", "a test board", "", "", 4096, 512, options, ("json",))


def test_allocator_preferences_take_the_first_the_runtime_offers(table):
    offered = next(row for row in table if row["env"] == "SHRINKPY_ALLOCATOR")["choices"]
    got = board_profile.board_defaults(_profile(allocator=["no-such-allocator", offered[0]]), table, True)
    assert got == {"SHRINKPY_ALLOCATOR": offered[0]}


def test_bad_profile_options_are_errors(table):
    with pytest.raises(StepFailed, match="not in the options table"):
        board_profile.board_defaults(_profile(no_such_option=1), table, True)
    with pytest.raises(StepFailed, match="not offered"):
        board_profile.board_defaults(_profile(allocator="tcmalloc"), table, True)
    with pytest.raises(StepFailed, match="fully static interpreter has no mimalloc"):
        board_profile.board_defaults(_profile(allocator="mimalloc"), table, True)
    assert board_profile.board_defaults(_profile(allocator="mimalloc"), table, False) == {
        "SHRINKPY_ALLOCATOR": "mimalloc"}
    with pytest.raises(StepFailed, match="no board profile 'atari'"):
        board_profile.load("atari")


@pytest.mark.parametrize("key, default, other", [("optimize", "speed", "size"), ("docstrings", "strip", "keep"),
                                                  ("debug_ranges", "strip", "keep")])
def test_a_profile_choice_has_a_default_and_refuses_other_values(tmp_path, monkeypatch, key, default, other):
    # optimize: CPython built for speed (-O2, PGO) unless "size"; docstrings and debug_ranges (column
    # positions): the stdlib's stripped unless "keep".
    monkeypatch.setattr(board_profile, "PROFILES", tmp_path)
    facts = 'description = "a board"\npage_size = 4096\nram_mib = 512\n'
    (tmp_path / "plain.toml").write_text(facts)
    (tmp_path / "other.toml").write_text(facts + f'{key} = "{other}"\n')
    (tmp_path / "odd.toml").write_text(facts + f'{key} = "fast"\n')
    assert getattr(board_profile.load("plain"), key) == default and getattr(board_profile.load("other"), key) == other
    with pytest.raises(StepFailed, match=f"{key} = 'fast': {default} or {other}"):
        board_profile.load("odd")


def test_the_profile_training_run_runs_on_python311():
    # The build's profile comes from this run (speed_build.py): it must run on any kept module set.
    r = subprocess.run([sys.executable, str(speed_build.TRAINING)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# ---- module set ---------------------------------------------------------------------------------

def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


@pytest.fixture
def tree(tmp_path) -> StdlibIndex:
    """A stdlib of a few modules, with the Setup templates of a CPython source tree."""
    _write(tmp_path, {
        "Lib/encodings/__init__.py": "import codecs\n",
        "Lib/encodings/utf_8.py": "import codecs\n",
        "Lib/codecs.py": "",
        "Lib/jsonish/__init__.py": "from .decoder import decode\n",
        "Lib/jsonish/decoder.py": "try:\n    from _json import scan\nexcept ImportError:\n    scan = None\n",
        "Lib/netish.py": "import ssl\ndef fetch():\n    import zlib\n    import doctest\n",
        "Lib/ssl.py": "import _ssl\n",
        "Lib/doctest.py": "import unittestish\n",
        "Lib/unittestish.py": "",
        "Lib/selftest.py": "import jsonish\nif __name__ == '__main__':\n    import netish\n",
        "Lib/guitk.py": "",
        "Lib/test/test_x.py": "import netish\n",
        "Modules/Setup.bootstrap.in": "*static*\nposix posixmodule.c\n",
        "Modules/Setup.stdlib.in": ("*@MODULE_BUILDTYPE@*\n@MODULE__JSON_TRUE@_json _json.c\n"
                                    "@MODULE_ZLIB_TRUE@zlib zlibmodule.c\n@MODULE__SSL_TRUE@_ssl _ssl.c\n"),
    })
    return StdlibIndex.of(tmp_path)


def test_index_reads_the_tree(tree):
    assert "jsonish.decoder" in tree.python and "jsonish" in tree.packages
    assert "test.test_x" not in tree.python  # test suites are never packed
    assert "posix" in tree.core and "sys" in tree.core
    assert tree.optional["_json"] == "_json _json.c"
    assert tree.c_available("zlib") and not tree.c_available("_ssl")


def test_closure_follows_module_and_function_imports_but_not_tools_or_main_blocks(tree):
    result = module_set.compute(tree, excluded={}, roots=[("selftest", "asked"), ("netish", "asked")])
    assert {"selftest", "jsonish", "jsonish.decoder", "netish", "ssl", "encodings", "codecs"} <= set(result.python)
    assert "encodings.utf_8" in result.python  # encodings is kept whole
    assert result.python["jsonish.decoder"].startswith("imported by jsonish (module level")
    assert set(result.c) == {"_json", "zlib"}
    assert result.c["zlib"] == "imported by netish (function scope, line 3)"
    assert "doctest" not in result.python  # a function-level import of a development tool
    assert "_ssl" in result.trimmed and "OpenSSL" in result.trimmed["_ssl"]


def test_profile_exclusions_and_the_apps_own_modules(tree, tmp_path):
    app_dir = tmp_path / "app"
    _write(app_dir, {"main.py": "import mylib\nimport numpyish\ndef f():\n    import guitk\n",
                     "mylib.py": "import jsonish\n"})
    result = module_set.compute(tree, excluded={"guitk": "no display"}, roots=[], app=app_dir / "main.py",
                                traced=["selftest"])
    assert "jsonish" in result.python and "imported by mylib.py" in result.python["jsonish"]
    assert result.trimmed["guitk"] == "excluded by the board profile: no display"
    assert "mylib" not in result.python and "mylib" not in result.foreign
    assert "numpyish" in result.foreign
    assert result.python["selftest"] == "imported in the traced run"


def test_trimmed_modules_get_one_stub_per_subtree(tree):
    result = module_set.compute(tree, excluded={"guitk": "no display"}, roots=[("jsonish", "asked")])
    trimmed = dist_pack.trimmed_modules(tree, result, {"guitk": "no display"})
    assert trimmed["guitk"] == "excluded by the board profile: no display"
    assert trimmed["netish"] == "not imported by what this board keeps"
    assert "_ssl" in trimmed and "zlib" in trimmed
    assert "jsonish" not in trimmed


def test_stub_messages_say_why_and_how_to_keep():
    text = dist_pack.stub_message("imaplib", "not imported by what this board keeps", "rpi5", "app.py")
    assert "trimmed" in text and "shrinkpy build --board rpi5 --modules FILE" in text and "--app app.py" in text
    assert "OpenSSL" in dist_pack.stub_message("_ssl", "", "rpi5", None)
    assert "[modules.exclude] in boards/profiles/rpi5.toml" in dist_pack.stub_message(
        "tkinter", "excluded by the board profile: no display", "rpi5", None)


def test_trace_sees_computed_imports(tmp_path):
    app = tmp_path / "app.py"
    app.write_text("import importlib, sys\nimportlib.import_module('color' + 'sys')\nprint(sys.argv[1:])\n")
    assert "colorsys" in module_set.trace_imports(app, ["x"])
    bad = tmp_path / "bad.py"
    bad.write_text("raise SystemExit(4)\n")
    assert "colorsys" not in module_set.trace_imports(bad, [])  # exits are fine: the list is written at exit


# ---- configure, Setup.local ----------------------------------------------------------------------

def test_trimmed_configure_line(tree):
    src = tree.src
    native, env = cpython_build.configure_command(src, tree, cpython_build.Target("", ""), ["_json"], None)
    assert "CFLAGS=-Os -fno-pie -ffunction-sections -fdata-sections" in native
    assert {"--without-doc-strings", "--disable-test-modules", "--without-ensurepip"} <= set(native)
    assert "py_cv_module_zlib=n/a" in native and "py_cv_module__json=n/a" not in native
    assert env == {}
    target = cpython_build.Target("aarch64-linux-gnu", "-mcpu=cortex-a76", Path("/sysroot"))
    cross, env = cpython_build.configure_command(src, tree, target, [], Path("/bp/python"))
    assert {"--host=aarch64-linux-gnu", "--with-build-python=/bp/python", "ac_cv_buggy_getaddrinfo=no"} <= set(cross)
    assert "CFLAGS=-Os -fno-pie -ffunction-sections -fdata-sections -mcpu=cortex-a76" in cross
    assert any(a.startswith("LDFLAGS=") and "-L/sysroot/usr/lib/aarch64-linux-gnu" in a for a in cross)
    assert env["PKG_CONFIG_LIBDIR"] and "-I/sysroot/usr/include" in env["CPPFLAGS"]


def test_setup_local_builds_kept_modules_in(tree):
    text = cpython_build.setup_local(tree, ["_json", "zlib"])
    static, disabled = text.split("*disabled*")
    assert "*static*" in static and "_json _json.c" in static and "zlib zlibmodule.c" in static
    assert "readline" in disabled and "_ctypes" in disabled


# ---- apt, steps -----------------------------------------------------------------------------------

def test_private_apt_sources_come_from_the_machines_without_security(tmp_path, monkeypatch):
    sources = tmp_path / "debian.sources"
    sources.write_text("Types: deb\nURIs: http://mirror/debian\nSuites: bookworm bookworm-updates\n"
                       "Components: main\nSigned-By: /k.gpg\n\nTypes: deb\nURIs: http://mirror/security\n"
                       "Suites: bookworm-security\nComponents: main\n")
    monkeypatch.setattr(private_apt, "SYSTEM_SOURCES", (sources,))
    text = private_apt.debian_sources("deb-src")
    assert "Types: deb-src" in text and "Suites: bookworm bookworm-updates" in text and "Signed-By: /k.gpg" in text
    assert "security" not in text
    command = private_apt.PrivateApt(tmp_path / "state", "deb-src").command("update")
    assert "Dir::State::status=/dev/null" in command and f"Dir::State::Lists={tmp_path}/state/lists" in command


def test_a_failed_step_shows_the_log_tail_and_the_command(tmp_path):
    steps = Steps(tmp_path, "test", out=open(tmp_path / "progress.txt", "w"))
    command = [sys.executable, "-c", "import sys\nfor i in range(100): print('line', i)\nsys.exit(7)"]
    with pytest.raises(StepFailed) as e:
        steps.run("configure", command, cwd=tmp_path, env={"FOO": "bar"})
    text = str(e.value)
    assert "configure failed (exit code 7)" in text and "line 99" in text and "line 10\n" not in text
    assert f"cd {tmp_path} && FOO=bar {sys.executable} -c" in text
    steps.run("ok step", [sys.executable, "-c", "pass"])
    steps.out.close()
    assert "[test] ok step: done in" in (tmp_path / "progress.txt").read_text()


def test_the_cli_rejects_bad_input_before_building(tmp_path):
    def build(*args):
        return subprocess.run([sys.executable, "-m", "shrinkpy", "build", *args], capture_output=True, text=True)
    r = build("--board", "atari")
    assert r.returncode == 1 and "no board profile 'atari'" in r.stderr
    r = build("--board", "host", "--trace-run", "x")
    assert r.returncode == 1 and "--trace-run needs --app" in r.stderr
    r = build("--board", "host", "--app", str(tmp_path / "missing.py"))
    assert r.returncode == 1 and "no such file" in r.stderr
    listing = tmp_path / "mods.txt"
    listing.write_text("json\nnot a module\n")
    r = build("--board", "host", "--modules", str(listing))
    assert r.returncode == 1 and "not module names: not a module" in r.stderr


def test_gc_threshold_option_sets_generation_0(shrinkpython):
    code = "import gc; print(gc.get_threshold())"
    r = subprocess.run([shrinkpython, "-c", code], capture_output=True, text=True,
                       env={"SHRINKPY_GC_THRESHOLD": "500"})
    assert r.stdout == "(500, 10, 10)\n", r.stderr
    r = subprocess.run([shrinkpython, "-c", code], capture_output=True, text=True, env={})
    assert r.stdout == "(700, 10, 10)\n", r.stderr
