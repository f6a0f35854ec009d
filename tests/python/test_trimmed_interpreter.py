"""The trimmed interpreter's smoke suite: `shrinkpy build --board B --app board_app/smoke_app.py`,
then what a user of dist/B/ relies on. B is $SHRINKPY_SMOKE_BOARD (default host; `make test-cross`
runs it for rpi5 under qemu-aarch64). The build is cached between runs (~/.cache/shrinkpy); the
first build of a board takes minutes, hence `slow`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, STOCK, clean_env

BOARD = os.environ.get("SHRINKPY_SMOKE_BOARD", "host")
APP = REPO / "tests" / "python" / "board_app" / "smoke_app.py"
APP_ARGS = ["one", "two"]
CROSS = BOARD != "host"

pytestmark = pytest.mark.slow


class Board:
    def __init__(self, out: Path, build: subprocess.CompletedProcess):
        self.out = out
        self.build = build
        self.manifest = json.loads((out / "manifest.json").read_text())
        self.python = out / "bin" / ("python3.11-qemu" if CROSS else "python3.11")

    def run(self, *args: str, env: dict[str, str] | None = None, cwd=None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.python), *args], capture_output=True, text=True, env=env or clean_env(),
                              cwd=cwd, timeout=600)

    def kept(self) -> dict[str, dict]:
        return {row["name"]: row for row in self.manifest["modules"]}

    def trimmed(self) -> dict[str, str]:
        return {row["name"]: row["why"] for row in self.manifest["trimmed"]}


OUT = REPO / "build" / "boards-test" / BOARD
BUILD = [sys.executable, "-m", "shrinkpy", "build", "--board", BOARD, "--app", str(APP), "--trace-run",
         " ".join(APP_ARGS), "--out", str(OUT)]


@pytest.fixture(scope="module")
def board() -> Board:
    build = subprocess.run([*BUILD, "--explain"], capture_output=True, text=True, timeout=3600)
    assert build.returncode == 0, build.stderr[-6000:]
    return Board(OUT, build)


def test_build_shows_progress_and_explains(board):
    for step in (f"[{BOARD}] module set:", f"[{BOARD}] pack:", f"[{BOARD}] start-up check:"):
        assert step in board.build.stderr
    explained = board.build.stdout
    assert "why kept" in explained
    assert "imported by smoke_app.py" in explained
    assert "trimmed (" in explained


def test_a_second_build_reuses_the_cache(board):
    again = subprocess.run(BUILD, capture_output=True, text=True, timeout=3600)
    assert again.returncode == 0, again.stderr[-4000:]
    assert f"[{BOARD}] source: CPython 3.11" in again.stderr and "from the cache" in again.stderr
    assert f"[{BOARD}] cpython: trimmed build from the cache" in again.stderr
    if CROSS:
        assert f"[{BOARD}] build python: from the cache" in again.stderr
    assert f"[{BOARD}] configure ..." not in again.stderr
    assert json.loads((OUT / "manifest.json").read_text())["modules"] == board.manifest["modules"]


def test_dash_c(board):
    r = board.run("-c", "import sys; print(6 * 7, sys.version_info[:2])")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "42 (3, 11)\n"


def test_script_with_arguments_and_exit_code(board, tmp_path):
    script = tmp_path / "script.py"
    script.write_text("import sys\nprint(sys.argv[1:])\nsys.exit(3)\n")
    r = board.run(str(script), "a", "b c")
    assert (r.returncode, r.stdout) == (3, "['a', 'b c']\n"), r.stderr


def test_json_re_collections_asyncio(board):
    code = ("import json, re, collections, asyncio\n"
            "async def f(): return json.dumps(collections.Counter(re.findall('a', 'banana')))\n"
            "print(asyncio.run(f()))\n")
    r = board.run("-c", code)
    assert (r.returncode, r.stdout) == (0, '{"a": 3}\n'), r.stderr


def test_the_stdlib_has_lines_without_columns_and_code_compiled_on_the_board_has_both(board):
    # debug_ranges = "strip", the profiles' default (pyc_compile.py).
    code = ("import json, re, asyncio\n"
            "def columns(f): return {col is not None for line, _, col, _ in f.__code__.co_positions() if line}\n"
            "def mine(x): return x[0] + 1\n"
            "print(columns(json.dumps) | columns(re.compile) | columns(asyncio.run), columns(mine))\n")
    r = board.run("-c", code)
    assert (r.returncode, r.stdout) == (0, "{False} {True}\n"), r.stderr
    assert board.manifest["debug_ranges"] == "strip"
    # The packed stdlib is sourceless: its frames in a traceback had no source line to mark anyway.
    r = board.run("-c", "import json; json.loads('{')")
    assert 'File "json/decoder.py", line ' in r.stderr and "^" not in r.stderr, r.stderr


def test_the_allocator_is_ours(board, tmp_path):
    report = tmp_path / "report.json"
    r = board.run("-c", "x = [str(i) for i in range(10000)]", env=clean_env(SHRINKPY_REPORT=str(report)))
    assert r.returncode == 0, r.stderr
    data = json.loads(report.read_text())
    expected = board.manifest["option_defaults"]["SHRINKPY_ALLOCATOR"]
    assert data["allocator"]["name"] == expected
    assert data["allocations"]["domains"]["obj"]["allocs"] > 10000
    options = {row["env"]: row for row in json.loads(board.run("--print-options=json").stdout)}
    assert options["SHRINKPY_ALLOCATOR"]["source"] == "board"
    assert options["SHRINKPY_ALLOCATOR"]["value"] == expected


def test_shrinkpy_allocator_stats_see_the_launchers_allocator(board):
    # A fully static interpreter loads no extension module: shrinkpy takes the built-in
    # _shrinkpy_alloc there, which answers with the interpreter's own allocator.
    code = ("import json, shrinkpy; s = shrinkpy.allocator_stats(); "
            "print(json.dumps([s['allocator'], s['arena'] is not None]))")
    r = board.run("-c", code, env=clean_env(PYTHONPATH=str(REPO / "python")))
    assert r.returncode == 0, r.stderr
    expected = board.manifest["option_defaults"]["SHRINKPY_ALLOCATOR"]
    assert json.loads(r.stdout) == [expected, expected == "arena"]


WORKOUT = REPO / "tests" / "python" / "board_app" / "arena_workout.py"


def check_arena_workout(r: subprocess.CompletedProcess, page_size: int) -> None:
    assert r.returncode == 0, r.stderr[-3000:]
    seen = json.loads(r.stdout.splitlines()[-1])
    assert (seen["os_page"], seen["arena_page"]) == (page_size, page_size)
    assert seen["problems"] == []
    assert seen["live_pages_after_drop"] < seen["live_pages_before_drop"]


def test_the_arena_holds_at_the_boards_page_size(board):
    # Under qemu-aarch64 the wrapper gives python3.11 the board's pages when this qemu can (-p:
    # dist_pack.write_qemu_wrapper), else this machine's.
    board_pages = not CROSS or f"-p {board.manifest['page_size']}" in board.python.read_text()
    expected = board.manifest["page_size"] if board_pages else os.sysconf("SC_PAGESIZE")
    check_arena_workout(board.run(str(WORKOUT)), expected)


@pytest.mark.skipif(not CROSS, reason="qemu-user's -p: an aarch64 board's interpreter only")
def test_the_arena_holds_at_64_kib_pages(board):
    # Kernels of other aarch64 boards and servers have 64 KiB pages.
    from shrinkpy.build_cli import CROSS_LIBC, QEMU

    if "-p " not in board.python.read_text():
        pytest.skip(f"this {QEMU} cannot show a program another page size (-p)")
    r = subprocess.run([QEMU, "-L", CROSS_LIBC, "-p", "65536", str(board.out / "bin" / "python3.11"), str(WORKOUT)],
                       capture_output=True, text=True, env=clean_env(), timeout=600)
    check_arena_workout(r, 65536)


def test_the_workloads_print_what_python3_11_prints(board):
    # The memory workloads at a small scale, with the board's option defaults (early freeing, deferred
    # imports, the arena), and for rpi5 under qemu with the board's pages; those that need what the
    # board cannot have (numpy, sqlite3) are left out.
    from shrinkpy import bench

    compared = []
    for name, path in bench.workloads().items():
        env = clean_env(PYTHONPATH=str(bench.WORKLOADS_DIR))
        ours = board.run(str(path), "--scale", "0.02", env=env)
        if "skipped" in ours.stdout or "it was trimmed from this interpreter" in ours.stderr:
            continue
        stock = subprocess.run([STOCK, str(path), "--scale", "0.02"], capture_output=True, text=True, env=env)
        assert ours.returncode == 0, f"{name}: {ours.stderr[-3000:]}"
        assert (name, ours.stdout) == (name, stock.stdout)
        compared.append(name)
    assert len(compared) >= 10, compared


def test_mimalloc_is_refused_clearly_in_a_static_interpreter(board):
    r = board.run("-c", "pass", env=clean_env(SHRINKPY_ALLOCATOR="mimalloc"))
    assert r.returncode == 2
    assert "not available in a fully static interpreter" in r.stderr


def test_a_trimmed_module_says_so_and_how_to_keep_it(board):
    trimmed = board.trimmed()
    assert "imaplib" in trimmed and "tkinter" in trimmed and "_ssl" in trimmed
    for name, expected in (("imaplib", "was trimmed"), ("tkinter", "excluded by the board profile"),
                           ("_ssl", "trimmed interpreters cannot have it")):
        r = board.run("-c", f"import {name}")
        assert r.returncode == 1
        assert "ModuleNotFoundError" in r.stderr and expected in r.stderr, r.stderr
    r = board.run("-c", "import imaplib")
    assert f"shrinkpy build --board {BOARD} --modules FILE" in r.stderr
    # An ImportError like any other: optional imports keep working.
    r = board.run("-c", "try:\n import ssl\nexcept ImportError as e:\n print(type(e).__name__, e.name)")
    assert r.stdout == "ModuleNotFoundError _ssl\n", r.stderr


def test_the_app_prints_what_python3_11_prints(board):
    ours = board.run(str(APP), *APP_ARGS)
    stock = subprocess.run([STOCK, str(APP), *APP_ARGS], capture_output=True, text=True, env=clean_env())
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == stock.stdout
    kept = board.kept()
    assert kept["colorsys"]["why"] == "imported in the traced run"  # a computed name: only the trace sees it
    assert "smoke_app.py" in kept["textwrap"]["why"]  # a function-level import of the app
    assert "smoke_helper.py" in kept["zlib"]["why"] and kept["zlib"]["kind"] == "c"


def test_fully_static(board):
    readelf = f"{board.manifest['triple']}-readelf" if CROSS else "readelf"
    binary = board.out / "bin" / "python3.11"
    headers = subprocess.run([readelf, "-lW", str(binary)], capture_output=True, text=True, check=True).stdout
    dynamic = subprocess.run([readelf, "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    assert "INTERP" not in headers and "NEEDED" not in dynamic
    assert board.manifest["linking"] == "fully-static"


def test_manifest_sizes_and_reasons(board):
    rows = board.manifest["modules"]
    assert all(row["why"] for row in rows)
    assert all(row["bytes"] > 0 for row in rows if row["kind"] != "c")
    assert board.manifest["stdlib_bytes"] == sum(r["bytes"] for r in rows if r["kind"] != "c")
    assert "--without-doc-strings" in board.manifest["configure"]
    assert "py_cv_module__tkinter=n/a" in board.manifest["configure"]


def test_the_dist_directory_can_move(board, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.copytree(board.out, moved, symlinks=True)
    python = moved / "bin" / board.python.name
    if CROSS:  # the wrapper runs the binary next to it
        assert "dirname" in python.read_text()
    r = subprocess.run([str(python), "-c", "import sys, json; print(sys.prefix)"], capture_output=True, text=True,
                       env=clean_env(), timeout=600)
    assert r.returncode == 0, r.stderr
    assert Path(r.stdout.strip()) == moved
