"""The exit report: on stderr with SHRINKPY_REPORT=-, as JSON (checked against its schema) with a
path, naming the allocator in use with real counts; bad options fail before the program runs."""

from __future__ import annotations

import json
import mmap
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, clean_env, run

SCHEMA = json.loads((REPO / "python" / "shrinkpy" / "report.schema.json").read_text())
WORKLOAD = "x = [str(i) * 5 for i in range(200000)]\ndel x\nprint('done')"


@pytest.mark.parametrize("allocator", ["arena", "pymalloc", "malloc", "mimalloc", "pymalloc-indirect"])
def test_text_report_names_the_allocator_with_nonzero_counts(allocator, shrinkpython):
    r = run([shrinkpython, "-c", WORKLOAD], env=clean_env(SHRINKPY_ALLOCATOR=allocator, SHRINKPY_REPORT="-"))
    assert r.returncode == 0
    assert r.stdout == b"done\n"
    text = r.stderr.decode()
    assert f"allocator              {allocator}\n" in text
    counts = {}
    for line in text.splitlines():
        label, _, value = line.strip().partition("  ")
        counts[label] = value.strip()
    assert int(counts["allocations"].split()[0].replace(",", "")) > 200000
    peak = counts["bytes in use"].split("peak ")[1]
    assert float(peak.split()[0]) > 5.0  # MiB: 200k strings of 50+ bytes


@pytest.mark.parametrize("allocator", ["arena", "pymalloc", "malloc", "mimalloc", "pymalloc-indirect"])
def test_json_report_matches_its_schema(allocator, shrinkpython, tmp_path):
    out = tmp_path / "report.json"
    r = run([shrinkpython, "-c", WORKLOAD, "arg"], env=clean_env(SHRINKPY_ALLOCATOR=allocator, SHRINKPY_REPORT=str(out)))
    assert r.returncode == 0 and r.stderr == b""
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    assert {k: v for k, v in report["allocator"].items() if k != "arena"} == {"name": allocator, "debug_hooks": False}
    assert ("arena" in report["allocator"]) == (allocator == "arena")
    assert report["argv"] == [shrinkpython, "-c", WORKLOAD, "arg"]
    assert report["allocations"]["count"] >= 200000
    assert report["allocations"]["bytes_peak"] >= 200000 * 48
    assert report["memory"]["peak_rss_bytes"] >= report["memory"]["peak_private_bytes"] > 0
    assert report["memory"]["private_samples"] >= 2
    obj = report["allocations"]["domains"]["obj"]
    assert obj["allocs"] >= 200000 and obj["frees"] >= 200000


def test_the_arena_is_the_default_and_reports_what_it_gave_back(shrinkpython, tmp_path):
    out = tmp_path / "report.json"
    # Dropped pages wait SHRINKPY_ARENA_PURGE_DELAY for reuse, or go back at gc.collect().
    workload = WORKLOAD.replace("del x\n", "del x\nimport gc; gc.collect()\n")
    r = run([shrinkpython, "-c", workload], env=clean_env(SHRINKPY_REPORT=str(out)))
    assert r.returncode == 0
    arena = json.loads(out.read_text())["allocator"]["arena"]
    assert arena["committed_peak_bytes"] >= 200000 * 48
    assert arena["pages_returned"] * arena["page_size"] >= 5 << 20  # the list of strings went back
    assert arena["committed_bytes"] == (arena["pool_bytes"] + arena["queued_bytes"] + arena["reserved_bytes"]
                                        + arena["large_bytes"] + arena["large_cached_bytes"])
    # (At exit the queue may hold more than retain_bytes: what finalisation freed waits out the purge
    # delay like anything else; test_arena.py checks the queue while the program runs.)
    # The strings (74 and 79 bytes: sys.getsizeof) fill the 80-byte class's pools.
    assert any(c["block_size"] == 80 and c["pools_peak"] > 1000 for c in arena["classes"])
    text = run([shrinkpython, "-c", WORKLOAD], env=clean_env(SHRINKPY_REPORT="-")).stderr.decode()
    assert "allocator              arena\n" in text
    assert "returned to the OS" in text


def test_schema_rejects_a_report_missing_a_key():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"schema": "shrinkpy-report/1", "pid": 1}, SCHEMA)


def test_report_is_written_after_sys_exit_and_relative_to_the_start_directory(shrinkpython, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    code = "import os, sys; os.chdir('elsewhere'); sys.exit(4)"
    r = run([shrinkpython, "-c", code], env=clean_env(SHRINKPY_REPORT="r.json"), cwd=tmp_path)
    assert r.returncode == 4
    assert json.loads((tmp_path / "r.json").read_text())["schema"] == "shrinkpy-report/1"
    assert not (tmp_path / "elsewhere" / "r.json").exists()


def test_forked_children_do_not_report(shrinkpython):
    code = "import os, sys\npid = os.fork()\nif pid == 0:\n    sys.exit(0)\nos.waitpid(pid, 0)\n"
    r = run([shrinkpython, "-c", code], env=clean_env(SHRINKPY_REPORT="-"))
    assert r.returncode == 0
    assert r.stderr.count(b"shrinkpy report") == 1


def test_report_off_changes_nothing(shrinkpython, stock):
    code = "import sys; print('out'); print('err', file=sys.stderr)"
    assert run([shrinkpython, "-c", code]).stderr == run([stock, "-c", code]).stderr == b"err\n"


def test_off_means_no_report_and_no_timeline(shrinkpython, stock, tmp_path):
    code = "import sys; print('out'); print('err', file=sys.stderr)"
    r = run([shrinkpython, "-c", code], env=clean_env(SHRINKPY_REPORT="off", SHRINKPY_TIMELINE="off"), cwd=tmp_path)
    assert r.stderr == run([stock, "-c", code]).stderr == b"err\n"
    assert list(tmp_path.iterdir()) == []  # no file named "off"


def test_unwritable_report_path_is_a_clear_error_after_the_program(shrinkpython, tmp_path):
    r = run([shrinkpython, "-c", "print('ran')"], env=clean_env(SHRINKPY_REPORT=str(tmp_path / "no" / "dir.json")))
    assert r.stdout == b"ran\n"
    assert b"cannot write the report to" in r.stderr


@pytest.mark.parametrize("value", ["jemalloc", "PYMALLOC", "arena2"])
def test_bad_allocator_is_exit_2_without_running_the_program(value, shrinkpython, tmp_path):
    marker = tmp_path / "ran"
    r = run([shrinkpython, "-c", f"open({str(marker)!r}, 'w')"], env=clean_env(SHRINKPY_ALLOCATOR=value))
    assert r.returncode == 2
    assert r.stderr.decode() == (f"shrinkpython: SHRINKPY_ALLOCATOR={value} is not one of: arena, pymalloc, malloc, "
                                 "mimalloc, pymalloc-indirect\n")
    assert not marker.exists()


def test_malformed_sample_interval_warns_and_keeps_the_default(shrinkpython):
    r = run([shrinkpython, "-c", "print(1)"], env=clean_env(SHRINKPY_SAMPLE_INTERVAL="often", SHRINKPY_REPORT="-"))
    assert r.returncode == 0 and r.stdout == b"1\n"
    assert b"warning: SHRINKPY_SAMPLE_INTERVAL=often is not a positive number of ms; using the default, 10" in r.stderr
    assert b"every 10 ms" in r.stderr


def test_print_options_lists_the_table(shrinkpython):
    r = run([shrinkpython, "--print-options=json"], env=clean_env(SHRINKPY_ALLOCATOR="malloc"))
    table = {row["env"]: row for row in json.loads(r.stdout)}
    assert table["SHRINKPY_ALLOCATOR"]["value"] == "malloc"
    assert table["SHRINKPY_ALLOCATOR"]["source"] == "environment"
    assert "mimalloc" in table["SHRINKPY_ALLOCATOR"]["choices"]
    assert table["SHRINKPY_REPORT"]["source"] == "default"
    human = run([shrinkpython, "--print-options"]).stdout.decode()
    assert all(name in human for name in table)


TIMELINE_PROGRAM = """
import time
for _ in range(3):
    x = [str(i) * 5 for i in range(200000)]
    del x
    time.sleep(0.15)
"""


def test_an_arena_timeline_shows_what_it_holds_and_gives_back(shrinkpython, tmp_path):
    out = tmp_path / "timeline.json"
    # The purge delay shorter than the sleeps: the purge thread gives the pages back mid-run.
    r = run([shrinkpython, "-c", TIMELINE_PROGRAM],
            env=clean_env(SHRINKPY_TIMELINE=str(out), SHRINKPY_ARENA_PURGE_DELAY="50"))
    assert r.returncode == 0, r.stderr.decode()
    samples = json.loads(out.read_text())["samples"]
    assert len(samples) >= 10
    committed = [s["committed_bytes"] for s in samples]
    released = [s["pages_released"] for s in samples]
    assert max(committed) > 10 << 20 > min(committed[len(committed) // 2:])  # up with the list, down after
    assert released == sorted(released) and released[-1] * mmap.PAGESIZE > 10 << 20  # cumulative, and it grew
    r = run([shrinkpython, "-c", "pass"], env=clean_env(SHRINKPY_TIMELINE=str(out), SHRINKPY_ALLOCATOR="pymalloc"))
    assert r.returncode == 0
    assert all("committed_bytes" not in s for s in json.loads(out.read_text())["samples"])


EARLY_FREE_PROGRAM = """
import time
def step(n):
    rows = [str(i) * 5 for i in range(n)]
    total = len(rows)
    time.sleep(0.05)
    return total
for _ in range(4):
    step(100000)
"""


def test_a_timeline_counts_the_early_frees_run(shrinkpython, tmp_path):
    out = tmp_path / "timeline.json"
    r = run([shrinkpython, "-c", EARLY_FREE_PROGRAM], env=clean_env(SHRINKPY_TIMELINE=str(out)))
    assert r.returncode == 0, r.stderr.decode()
    frees = [s["early_frees"] for s in json.loads(out.read_text())["samples"]]
    # `rows` is released once per call, after len(rows), before the sleep: a sample sees it.
    assert frees == sorted(frees) and frees[-1] >= 4 and frees[0] < frees[-1]
    r = run([shrinkpython, "-c", EARLY_FREE_PROGRAM],
            env=clean_env(SHRINKPY_TIMELINE=str(out), SHRINKPY_EARLY_FREE="off"))
    assert r.returncode == 0
    assert all("early_frees" not in s for s in json.loads(out.read_text())["samples"])
