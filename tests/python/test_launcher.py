"""shrinkpython behaves exactly like /usr/bin/python3.11 for everything a user types: the same
stdout, the same stderr (with the program's own path swapped), the same exit code."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import time

import pytest

from conftest import Result, clean_env, run

SCRIPT = """\
import sys
print("argv", sys.argv[1:])
print("flags", sys.flags)
print("version", sys.version_info[:2], sys.prefix, sys.base_prefix)
data = sys.stdin.read() if not sys.stdin.isatty() else ""
print("stdin", repr(data))
"""

# (name, argv after the interpreter, stdin)
CASES = [
    ("script with arguments", ["{script}", "a", "-b", "--c=d"], b""),
    ("script reading stdin", ["{script}"], b"line 1\nline 2\n"),
    ("-c", ["-c", "import sys; print(sys.argv, sum(range(10)))", "x", "y"], None),
    ("-m module", ["-m", "json.tool", "--sort-keys"], b'{"b": 1, "a": [1, 2]}'),
    ("-m package", ["-m", "json", "--compact"], b'{"b": 1}'),
    ("program on stdin", [], b"import sys\nprint('from stdin', sys.argv)\n"),
    ("- with args", ["-", "q"], b"import sys\nprint(sys.argv)\n"),
    ("REPL on a pipe", ["-i", "-q"], b"x = 6 * 7\nprint(x)\nx\n"),
    ("-X utf8 and -X dev", ["-X", "utf8", "-X", "dev", "-c", "import sys; print(sys.flags.utf8_mode, sys.flags.dev_mode)"], None),
    ("-X options", ["-X", "frozen_modules=off", "-X", "int_max_str_digits=5000", "-c", "import sys; print(sys._xoptions)"], None),
    ("-I -S -E -O -u", ["-I", "-S", "-E", "-O", "-u", "{script}"], b""),
    ("-OO -B -s", ["-OO", "-B", "-s", "-c", "import sys; print(sys.flags, __doc__)"], None),
    ("-W error", ["-W", "error", "-c", "import warnings; warnings.warn('boom')"], None),
    ("sys.exit(3)", ["-c", "import sys; sys.exit(3)"], None),
    ("sys.exit('message')", ["-c", "import sys; sys.exit('bye')"], None),
    ("SystemExit(None)", ["-c", "raise SystemExit"], None),
    ("uncaught exception", ["-c", "def f():\n    return 1 / 0\nf()"], None),
    ("syntax error", ["-c", "def (:"], None),
    ("missing script", ["/nonexistent/script.py"], None),
    ("missing module", ["-m", "no_such_module_anywhere"], None),
    ("unknown option", ["--no-such-option"], None),
    ("--version", ["--version"], None),
    ("-VV", ["-VV"], None),
    ("--help", ["--help"], None),
    ("KeyboardInterrupt", ["-c", "raise KeyboardInterrupt"], None),
    ("SIGINT", ["-c", "import os, signal; os.kill(os.getpid(), signal.SIGINT)"], None),
    ("os._exit", ["-c", "import os; print('x', flush=True); os._exit(7)"], None),
    ("subprocess of sys.executable", ["-c", "import subprocess, sys; print(subprocess.run([sys.executable, '-c', 'print(6*7)'], capture_output=True).stdout)"], None),
    ("atexit and finalizers", ["-c", "import atexit\nclass D:\n    def __del__(self): print('del')\nd = D()\natexit.register(print, 'atexit')"], None),
    ("sysconfig answers", ["-c", "import sysconfig, sys; print(sysconfig.get_paths(), sysconfig.get_config_var('EXT_SUFFIX'), sys.platlibdir)"], None),
]


def normalise(result: Result, exe: str) -> Result:
    """The program names itself in usage lines and 'can't open file' messages: swap its path out."""
    def swap(b: bytes) -> bytes:
        return b.replace(exe.encode(), b"<python>")
    return Result(result.returncode, swap(result.stdout), swap(result.stderr))


@pytest.mark.parametrize("name,args,stdin", CASES, ids=[c[0] for c in CASES])
def test_same_as_python311(name, args, stdin, shrinkpython, stock, tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(SCRIPT)
    argv = [a.format(script=script) for a in args]
    env = clean_env(PYTHONHASHSEED="0")
    expected = normalise(run([stock, *argv], env=env, input=stdin, cwd=tmp_path), stock)
    got = normalise(run([shrinkpython, *argv], env=env, input=stdin, cwd=tmp_path), shrinkpython)
    if name == "subprocess of sys.executable":
        assert got.stdout == expected.stdout == b"b'42\\n'\n"
    assert got.returncode == expected.returncode
    assert got.stdout == expected.stdout
    assert got.stderr == expected.stderr


@pytest.mark.parametrize("allocator", ["arena", "pymalloc", "malloc", "mimalloc", "pymalloc-indirect"])
def test_output_is_byte_identical_under_every_allocator(allocator, shrinkpython, stock, tmp_path):
    program = "import json, re, collections\nd = {str(i): [i] * (i % 7) for i in range(20000)}\n" \
              "print(len(json.dumps(d)), re.sub(r'\\d', '#', 'a1b22'), collections.Counter('hello'))\n"
    expected = run([stock, "-c", program])
    got = run([shrinkpython, "-c", program], env=clean_env(SHRINKPY_ALLOCATOR=allocator))
    assert (got.returncode, got.stdout, got.stderr) == (expected.returncode, expected.stdout, expected.stderr)


def test_pymalloc_indirect_is_pymalloc_called_through_the_allocator_pointer(shrinkpython):
    """The benchmarks' anchor (bench.INDIRECT_PYMALLOC): pymalloc's blocks, which sys.getallocatedblocks
    counts (the arena's it does not), under an allocator CPython does not take for its own."""
    count = ("import sys; before = sys.getallocatedblocks(); x = [object() for i in range(100000)]; "
             "print(sys.getallocatedblocks() - before >= 100000)")
    got = run([shrinkpython, "-c", count], env=clean_env(SHRINKPY_ALLOCATOR="pymalloc-indirect", SHRINKPY_REPORT="-"))
    assert got.stdout == b"True\n"
    assert b"allocator              pymalloc-indirect\n" in got.stderr
    assert run([shrinkpython, "-c", count], env=clean_env(SHRINKPY_ALLOCATOR="arena")).stdout == b"False\n"


def test_dev_mode_is_honoured(shrinkpython):
    assert run([shrinkpython, "-X", "dev", "-c", "import sys; print(sys.flags.dev_mode)"]).stdout == b"True\n"


@pytest.mark.parametrize("allocator", ["arena", "pymalloc", "malloc", "mimalloc", "pymalloc-indirect"])
def test_pythonmalloc_debug_puts_cpythons_debug_hooks_on_top(allocator, shrinkpython, stock):
    """The hooks catch a buffer overflow (_testcapi, from libpython3.11-testsuite) as in python3.11."""
    overflow = "import _testcapi; _testcapi.pymem_buffer_overflow()"
    expected = run([stock, "-c", overflow], env=clean_env(PYTHONMALLOC="debug"))
    got = run([shrinkpython, "-c", overflow], env=clean_env(PYTHONMALLOC="debug", SHRINKPY_ALLOCATOR=allocator,
                                                              SHRINKPY_REPORT="-"))
    assert b"are not all FORBIDDENBYTE" in expected.stderr
    assert b"are not all FORBIDDENBYTE" in got.stderr
    assert got.returncode == expected.returncode != 0
    ok = run([shrinkpython, "-c", "print(1)"], env=clean_env(PYTHONMALLOC="debug", SHRINKPY_ALLOCATOR=allocator,
                                                             SHRINKPY_REPORT="-"))
    assert f"allocator              {allocator} + CPython debug hooks".encode() in ok.stderr


@pytest.mark.parametrize("argv, env", [(["-X", "dev"], {}), (["-Xdev"], {}), ([], {"PYTHONDEVMODE": "1"})])
def test_dev_mode_puts_cpythons_debug_hooks_on_top(argv, env, shrinkpython):
    """shrinkpython asks CPython which allocator it chose only when PYTHONMALLOC or dev mode could be
    set (run.cpp, cpython_allocator_choice): every way to ask for dev mode must be seen."""
    r = run([shrinkpython, *argv, "-c", "pass"], env=clean_env(SHRINKPY_REPORT="-", **env))
    assert b"allocator              arena + CPython debug hooks\n" in r.stderr
    r = run([shrinkpython, "-c", "pass"], env=clean_env(SHRINKPY_REPORT="-"))
    assert b"allocator              arena\n" in r.stderr


def test_pythonmalloc_malloc_is_kept_when_no_allocator_is_chosen(shrinkpython):
    r = run([shrinkpython, "-c", "import _testcapi; print(_testcapi.pymem_getallocatorsname())"],
            env=clean_env(PYTHONMALLOC="malloc"))
    assert r.stdout == b"malloc\n"
    r = run([shrinkpython, "-c", "pass"], env=clean_env(PYTHONMALLOC="malloc", SHRINKPY_REPORT="-"))
    assert b"allocator              malloc\n" in r.stderr


def _pty_session(argv: list[str], lines: list[bytes]) -> bytes:
    """Runs an interactive interpreter on a pseudo-terminal, typing `lines`, and returns what the
    terminal showed."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the interpreter
        os.execve(argv[0], argv, clean_env(TERM="dumb", PYTHONSTARTUP=""))
    out = b""
    deadline = time.monotonic() + 30
    pending = list(lines)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif pending and out.rstrip().endswith(b">>>"):
            os.write(fd, pending.pop(0))
    os.waitpid(pid, 0)
    os.close(fd)
    return out


def test_interactive_repl_on_a_terminal(shrinkpython, stock):
    lines = [b"x = 40 + 2\n", b"x\n", b"import sys; sys.flags.interactive\n", b"exit()\n"]
    expected = _pty_session([stock, "-q"], lines)
    got = _pty_session([shrinkpython, "-q"], lines)
    assert b"42" in got
    assert got == expected


def test_keyboard_interrupt_while_running(shrinkpython, stock):
    code = "import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('interrupted')\n    raise\n"
    results = []
    for exe in (stock, shrinkpython):
        p = subprocess.Popen([exe, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        results.append((p.returncode, out, err.splitlines()[-1]))
    assert results[0] == results[1]
    assert results[0][0] == -signal.SIGINT
