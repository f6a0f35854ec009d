"""`shrinkpy analyze`: text, --json, --explain, --measure on a small program."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import REPO

PROGRAM = textwrap.dedent('''\
    import json
    import colorsys
    import os

    def load(path):
        with open(path) as f:
            text = f.read()
        rows = text.splitlines()
        return len(rows)

    def spy():
        return locals()

    print(load(os.devnull))
''')


def shrinkpy(*argv, cwd):
    env = dict(os.environ, PYTHONPATH=str(REPO / "python"))
    return subprocess.run([sys.executable, "-m", "shrinkpy", "analyze", *argv], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture()
def program(tmp_path):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return path


def test_json(program):
    r = shrinkpy(str(program), "--json", cwd=program.parent)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    load = next(f for f in doc["functions"] if f["qualname"] == "load")
    assert load["dies"] == {"f": [7], "path": [6], "rows": [9], "text": [8]}
    spy = next(f for f in doc["functions"] if f["qualname"] == "spy")
    assert "locals()" in spy["skipped"]
    assert sorted(f["bound"] for f in doc["unused_imports"]) == ["colorsys", "json"]
    assert "os" not in [f["bound"] for f in doc["unused_imports"]]


def test_explain(program):
    r = shrinkpy(str(program), "--explain", cwd=program.parent)
    assert r.returncode == 0, r.stderr
    assert "rows                 dies after line 9" in r.stdout
    assert "line 1: import json" in r.stdout
    assert "os: module_level (read by module-level code)" in r.stdout


def test_measure_ranks_unused_imports(program):
    r = shrinkpy(str(program), "--json", "--measure", cwd=program.parent)
    assert r.returncode == 0, r.stderr
    unused = json.loads(r.stdout)["unused_imports"]
    assert all(f["cost"]["error"] is None and f["cost"]["tracemalloc_kib"] >= 0 for f in unused)
    costs = [f["cost"]["rss_kib"] for f in unused]
    assert costs == sorted(costs, reverse=True)
    json_cost = next(f for f in unused if f["bound"] == "json")["cost"]
    assert json_cost["tracemalloc_kib"] > 10  # importing json allocates its decoder, scanner, ...


def test_syntax_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def (:\n")
    r = shrinkpy(str(bad), cwd=tmp_path)
    assert r.returncode == 2 and "bad.py" in r.stderr


def test_a_binary_file_or_a_missing_one_is_a_clear_error(tmp_path):
    pyc = tmp_path / "prog.pyc"
    pyc.write_bytes(b"\xa7\r\r\n" + bytes(12) + b"\xe3garbage")  # 3.11's magic, then no source
    r = shrinkpy(str(pyc), cwd=tmp_path)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.startswith(f"shrinkpy analyze: {pyc}: not Python source") and "Traceback" not in r.stderr
    r = shrinkpy(str(tmp_path / "missing.py"), cwd=tmp_path)
    assert (r.returncode, r.stderr) == (2, f"shrinkpy analyze: {tmp_path / 'missing.py'}: No such file or directory\n")


def test_imports_measure_ranks_every_import_of_a_benchmark_cli(tmp_path):
    cli = REPO / "benchmarks" / "cli" / "devicectl.py"
    r = shrinkpy("--imports", "--measure", "--json", str(cli), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["imports"]
    assert {row["bound"]: row["action"] for row in rows} == {
        "argparse": "defer", "asyncio": "defer", "decimal": "defer", "json": "defer", "random": "defer"}
    costs = [row["cost"]["rss_kib"] for row in rows]
    assert costs == sorted(costs, reverse=True)
    assert rows[0]["bound"] == "asyncio"  # by far the heaviest of them
    assert all(row["cost"]["error"] is None and row["cost"]["seconds"] > 0 for row in rows)
    assert all(row["cost"]["tracemalloc_kib"] > 0 for row in rows)
    assert "read only inside functions" in rows[0]["verdict_reason"]


def test_imports_text_gives_verdicts_and_reasons(program):
    r = shrinkpy("--imports", "--imports-mode", "drop", str(program), cwd=program.parent)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert any(line.split()[:5] == ["line", "1", "import", "json", "drop"] for line in lines)
    assert any(line.split()[:5] == ["line", "3", "import", "os", "keep"] for line in lines)
    assert "read by module-level code" in r.stdout
    assert r.stdout.rstrip().endswith("0 deferred, 2 dropped")


def test_explain_lists_releases_and_skipped_functions(program):
    r = shrinkpy(str(program), "--explain", cwd=program.parent)
    assert r.returncode == 0, r.stderr
    early = r.stdout[r.stdout.index("early freeing (safe, as __main__)"):]
    assert "line 8: text released after its last use" in early
    assert "skipped spy (line 11), rule locals: its locals can be observed: calls locals()" in early
    assert "kept load: f: holds a value the analysis cannot prove to be plain data" in early  # open() owns a file


def test_json_carries_the_early_freeing_decisions(program):
    r = shrinkpy(str(program), "--json", "--mode", "aggressive", "--as-module", cwd=program.parent)
    early = json.loads(r.stdout)["early_free"]
    assert early["mode"] == "aggressive" and early["main"] is False
    assert {(x["function"], x["name"]) for x in early["releases"]} >= {("load", "f"), ("load", "text"), ("load", "path")}
    assert [(s["function"], s["rule"]) for s in early["skipped"]] == [("spy", "locals")]


def test_rules_are_listed_without_a_file(tmp_path):
    r = shrinkpy("--rules", cwd=tmp_path)
    assert r.returncode == 0
    assert "plain-data" in r.stdout and "handles" in r.stdout and "tracer" in r.stdout
