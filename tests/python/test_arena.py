"""The arena allocator seen from Python (tests/cpp/test_arena.cpp has its structure): the heap cap
turns into a MemoryError the program can catch and go on from; shrinkpy.install_allocator() wraps
the allocator of a running stock python3.11; allocator_stats() matches the report's schema; the
SHRINKPY_ARENA_* settings reach the allocator; dropped pages wait for reuse, and go back on
gc.collect() or after the purge delay (the purge thread); fork() with threads allocating leaves a
working child, whose purges work on their own; under `ulimit -v` what python3.11 runs still runs."""

from __future__ import annotations

import json

import jsonschema
import pytest

from conftest import REPO, STOCK, clean_env, run

SCHEMA = json.loads((REPO / "python" / "shrinkpy" / "report.schema.json").read_text())
STATS_SCHEMA = {"$schema": SCHEMA["$schema"], "$defs": SCHEMA["$defs"], "$ref": "#/$defs/allocator_stats"}
PYTHONPATH = str(REPO / "python")

CAP_PROGRAM = """
chunks = []
try:
    while True:
        chunks.append([str(i) for i in range(10000)] + [bytes(100000)])
except MemoryError:
    caught = len(chunks)
chunks = None
# The program goes on: it can still build what fits.
again = [str(i) * 2 for i in range(100000)]
print("caught after", caught > 10, "then built", len(again))
"""


def test_the_heap_cap_raises_memory_error_and_the_program_goes_on(shrinkpython, tmp_path):
    out = tmp_path / "report.json"
    r = run([shrinkpython, "-c", CAP_PROGRAM], env=clean_env(SHRINKPY_MAX_HEAP="64M", SHRINKPY_REPORT=str(out)))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    assert r.stdout == b"caught after True then built 100000\n"
    arena = json.loads(out.read_text())["allocator"]["arena"]
    assert arena["max_heap_bytes"] == 64 << 20
    assert arena["cap_failures"] >= 1
    assert arena["committed_peak_bytes"] <= 64 << 20


def test_an_uncaught_memory_error_under_the_cap_is_a_normal_traceback(shrinkpython):
    r = run([shrinkpython, "-c", "x = bytearray(200 << 20)"], env=clean_env(SHRINKPY_MAX_HEAP="64M"))
    assert r.returncode == 1
    assert r.stderr.decode().rstrip().endswith("MemoryError")


def test_a_cap_too_small_to_start_is_named_before_cpythons_fatal_error(shrinkpython):
    r = run([shrinkpython, "-c", "print('started')"], env=clean_env(SHRINKPY_MAX_HEAP="1M"))
    assert r.returncode != 0
    assert r.stdout == b""
    err = r.stderr.decode()
    assert err.startswith("shrinkpython: the interpreter could not start within SHRINKPY_MAX_HEAP=1M: "), err
    assert "Fatal Python error" in err
    # A cap the interpreter starts under stays silent until the program itself reaches it.
    r = run([shrinkpython, "-c", "print('started')"], env=clean_env(SHRINKPY_MAX_HEAP="64M"))
    assert (r.returncode, r.stdout, r.stderr) == (0, b"started\n", b"")


def under_address_space_limit(mib: int, *argv: str) -> list[str]:
    return ["sh", "-c", f'ulimit -v {mib << 10} && exec "$@"', "sh", *argv]


@pytest.mark.parametrize("limit_mib, program, overflows", [
    # The reservation once took 256 of the 285 MiB left: no room for a large block's own mapping.
    (300, 'big = bytearray(100 << 20); small = [str(i) for i in range(10**5)]; print("done")', False),
    # About 60 MiB of small objects, past the 32 MiB region the limit leaves: the rest goes to pymalloc.
    (120, 'small = [str(i) * 3 for i in range(900000)]; print("done")', True),
])
def test_under_ulimit_v_what_python311_runs_runs(shrinkpython, tmp_path, limit_mib, program, overflows):
    stock = run(under_address_space_limit(limit_mib, STOCK, "-c", program))
    assert stock.stdout == b"done\n", stock.stderr.decode()
    report = tmp_path / "report.json"
    for env in (clean_env(), clean_env(SHRINKPY_REPORT=str(report))):  # the glue uncounted and counted
        r = run(under_address_space_limit(limit_mib, shrinkpython, "-c", program), env=env)
        assert (r.returncode, r.stdout, r.stderr) == (0, b"done\n", b""), env
    assert (json.loads(report.read_text())["allocator"]["arena"]["overflowed"] > 0) == overflows


def test_without_room_for_the_arena_the_program_runs_under_pymalloc(shrinkpython):
    code = "import shrinkpy; print(shrinkpy.allocator_stats()['allocator'])"
    r = run(under_address_space_limit(40, shrinkpython, "-c", code), env=clean_env(PYTHONPATH=PYTHONPATH))
    assert (r.returncode, r.stdout) == (0, b"pymalloc\n"), r.stderr.decode()
    assert r.stderr.decode() == ("shrinkpython: warning: SHRINKPY_ALLOCATOR=arena: cannot reserve address space for "
                                 "the arena (SHRINKPY_ARENA_RESERVE, ulimit -v); using pymalloc\n")


def test_settings_reach_the_arena(shrinkpython):
    code = "import shrinkpy, json; print(json.dumps(shrinkpy.allocator_stats()['arena']))"
    r = run([shrinkpython, "-c", code], env=clean_env(PYTHONPATH=PYTHONPATH, SHRINKPY_ARENA_LARGE="16K",
                                                    SHRINKPY_ARENA_RETAIN="256K", SHRINKPY_ARENA_SIZE="4M"))
    assert r.returncode == 0, r.stderr.decode()
    arena = json.loads(r.stdout)
    assert (arena["large_threshold"], arena["retain_bytes"], arena["arena_bytes"]) == (16384, 256 << 10, 4 << 20)
    r = run([shrinkpython, "-c", "pass"], env=clean_env(SHRINKPY_ARENA_LARGE="64M"))
    assert b"warning: arena settings fitted to this system" in r.stderr
    assert r.returncode == 0


INSTALL_PROGRAM = """
import json, re, threading, shrinkpy
before = [str(i) * 4 for i in range(100000)]          # pymalloc's blocks
table = {i: [i] * 3 for i in range(20000)}
assert shrinkpy.allocator_stats() == {"allocator": None, "allocations": None, "arena": None}
print(shrinkpy.install_allocator())
after = [str(i) * 4 for i in range(100000)]           # the arena's blocks
before = None                                         # freed by pymalloc, through the arena
table.update({i: "x" * i for i in range(20000, 21000)})
def work():
    for _ in range(20):
        json.loads(json.dumps({str(i): list(range(i % 30)) for i in range(2000)}))
threads = [threading.Thread(target=work) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
after = None
stats = shrinkpy.allocator_stats()
print(json.dumps(stats))
print(re.sub(r"\\d+", "#", "a1b22"), len(table), shrinkpy.install_allocator())
"""


def test_install_allocator_wraps_a_running_stock_python(stock):
    r = run([stock, "-c", INSTALL_PROGRAM], env=clean_env(PYTHONPATH=PYTHONPATH))
    assert r.returncode == 0, r.stderr.decode()[-3000:]
    first, stats, last = r.stdout.decode().splitlines()
    assert first == "arena"
    assert last == "a#b# 21000 arena"
    stats = json.loads(stats)
    jsonschema.validate(stats, STATS_SCHEMA)
    assert stats["allocator"] == "arena" and stats["allocations"] is None
    assert stats["arena"]["pages_returned"] > 0
    assert stats["arena"]["committed_peak_bytes"] > 5 << 20


def test_install_allocator_refuses_what_cannot_wrap(stock):
    code = "import shrinkpy\ntry:\n    shrinkpy.install_allocator('pymalloc')\nexcept ValueError as e:\n    print(e)"
    r = run([stock, "-c", code], env=clean_env(PYTHONPATH=PYTHONPATH))
    assert b"cannot replace the allocator of a running interpreter" in r.stdout
    r = run([stock, "-c", "import shrinkpy; shrinkpy.install_allocator()"],
            env=clean_env(PYTHONPATH=PYTHONPATH, SHRINKPY_ALLOCATOR="tcmalloc"))
    assert r.returncode == 1 and b"SHRINKPY_ALLOCATOR=tcmalloc is not one of" in r.stderr


def test_under_shrinkpython_the_launchers_allocator_answers(shrinkpython):
    code = "import shrinkpy, json; print(shrinkpy.install_allocator()); print(json.dumps(shrinkpy.allocator_stats()))"
    r = run([shrinkpython, "-c", code], env=clean_env(PYTHONPATH=PYTHONPATH, SHRINKPY_REPORT="-"))
    assert r.returncode == 0, r.stderr.decode()
    name, stats = r.stdout.decode().splitlines()
    stats = json.loads(stats)
    jsonschema.validate(stats, STATS_SCHEMA)
    assert name == stats["allocator"] == "arena"
    assert stats["allocations"]["count"] > 1000  # the launcher counts, since a report was asked for
    r = run([shrinkpython, "-c", "import shrinkpy; shrinkpy.install_allocator('mimalloc')"],
            env=clean_env(PYTHONPATH=PYTHONPATH, SHRINKPY_ALLOCATOR="arena"))
    assert r.returncode == 1 and b"already installed: arena" in r.stderr


# Pages a dropped structure leaves behind wait SHRINKPY_ARENA_PURGE_DELAY for reuse: a structure
# built again reuses them; gc.collect() gives them back at once; a program gone quiet gets them back
# from the purge thread once the delay is over.
PURGE_PROGRAM = """
import gc, json, sys, time
import shrinkpy
def arena():
    return shrinkpy.allocator_stats()["arena"]
x = [str(i) * 5 for i in range(200000)]
del x
dropped = arena()
x = [str(i) * 5 for i in range(200000)]  # again, on the same pages
rebuilt = arena()
del x
dropped_again = arena()
if sys.argv[1] == "collect":
    gc.collect()
else:
    time.sleep(float(sys.argv[1]))
after = arena()
print(json.dumps([dropped, rebuilt, dropped_again, after]))
"""


def purge_run(shrinkpython, how, **env):
    r = run([shrinkpython, "-c", PURGE_PROGRAM, how], env=clean_env(PYTHONPATH=PYTHONPATH, **env))
    assert r.returncode == 0, r.stderr.decode()
    return json.loads(r.stdout)


def test_dropped_pages_wait_for_reuse_then_go_back_on_gc_collect(shrinkpython):
    dropped, rebuilt, dropped_again, after = purge_run(shrinkpython, "collect")
    assert dropped["queued_bytes"] > 5 << 20  # kept for reuse...
    # ... and reused: the strings' pages did not go back (a few may, where the rebuild passes the
    # first build's peak: growth past it gives queued pages back)
    returned = (rebuilt["pages_returned"] - dropped["pages_returned"]) * rebuilt["page_size"]
    assert returned <= dropped["queued_bytes"] // 4
    assert (rebuilt["pools_reused"] - dropped["pools_reused"]) * rebuilt["page_size"] >= dropped["queued_bytes"] // 2
    assert rebuilt["committed_peak_bytes"] <= dropped["committed_peak_bytes"] + (1 << 20)
    assert dropped_again["queued_bytes"] > 5 << 20
    assert after["queued_bytes"] <= after["retain_bytes"]  # gc.collect(): back at once
    assert (after["pages_returned"] - dropped_again["pages_returned"]) * after["page_size"] >= 5 << 20


def test_a_quiet_program_gets_its_dropped_pages_back_after_the_delay(shrinkpython):
    _, _, dropped_again, after = purge_run(shrinkpython, "1.0", SHRINKPY_ARENA_PURGE_DELAY="200")
    assert dropped_again["queued_bytes"] > 5 << 20
    assert after["queued_bytes"] <= after["retain_bytes"]  # the purge thread, while the program slept
    assert (after["pages_returned"] - dropped_again["pages_returned"]) * after["page_size"] >= 5 << 20


def test_a_purge_delay_of_zero_gives_pages_back_at_once(shrinkpython):
    dropped, _, _, after = purge_run(shrinkpython, "0", SHRINKPY_ARENA_PURGE_DELAY="0")
    assert dropped["queued_bytes"] <= dropped["retain_bytes"]
    assert dropped["pages_returned"] * dropped["page_size"] >= 5 << 20


def test_the_collection_at_exit_does_not_purge_but_the_programs_does(shrinkpython, tmp_path):
    """Py_FinalizeEx's own full collection is not the program's gc.collect(): the process is about
    to give everything back, so the arena does not spend the exit on madvise."""
    def returned_bytes(program):
        report = tmp_path / "report.json"
        r = run([shrinkpython, "-c", program], env=clean_env(SHRINKPY_ALLOCATOR="arena", SHRINKPY_REPORT=str(report)))
        assert r.returncode == 0, r.stderr.decode()
        arena = json.loads(report.read_text())["allocator"]["arena"]
        return arena["pages_returned"] * arena["page_size"]

    drop = "x = [str(i) * 2 for i in range(300000)]; del x"
    asked = returned_bytes("import gc; " + drop + "; gc.collect()")
    assert asked >= 15 << 20
    assert returned_bytes(drop) <= asked // 2


FORK_PROGRAM = """
import os, threading, time
stop = False
def churn():
    while not stop:
        [bytes(2000) for _ in range(200)]
        time.sleep(0)
threads = [threading.Thread(target=churn) for _ in range(3)]
for t in threads: t.start()
codes = []
for _ in range(20):
    pid = os.fork()
    if pid == 0:
        os._exit(0 if len([str(i) for i in range(50000)]) == 50000 else 3)
    codes.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
stop = True
for t in threads: t.join()
print(codes == [0] * 20)
"""


@pytest.mark.parametrize("report", ["", "-"])
def test_fork_while_threads_allocate_leaves_a_working_child(shrinkpython, report):
    # A short purge delay: the purge thread is at work in the parent while it forks.
    r = run([shrinkpython, "-c", FORK_PROGRAM], env=clean_env(SHRINKPY_REPORT=report, SHRINKPY_ARENA_PURGE_DELAY="1"),
            timeout=120)
    assert (r.returncode, r.stdout) == (0, b"True\n"), r.stderr.decode()[-2000:]


def test_a_forked_child_purges_on_its_own(shrinkpython):
    code = """
import os, time, shrinkpy
if os.fork() == 0:
    x = [str(i) * 5 for i in range(200000)]
    del x
    # Once before the delay: a first call imports and builds what it needs, and the pools that frees
    # are too young to be purged when the second call counts them.
    shrinkpy.allocator_stats()
    time.sleep(0.6)
    a = shrinkpy.allocator_stats()["arena"]
    os._exit(0 if a["queued_bytes"] <= a["retain_bytes"] else 5)
print(os.waitstatus_to_exitcode(os.wait()[1]))
"""
    x = "[str(i) * 5 for i in range(200000)]"
    r = run([shrinkpython, "-c", f"x = {x}\ndel x\n" + code],  # the parent's purge thread exists before the fork
            env=clean_env(PYTHONPATH=PYTHONPATH, SHRINKPY_ARENA_PURGE_DELAY="100"), timeout=60)
    assert (r.returncode, r.stdout) == (0, b"0\n"), r.stderr.decode()[-2000:]


def test_stock_reference_exists():
    assert STOCK.endswith("python3.11")
