"""The differential suite of early freeing: the CPython regression test modules listed in
early_free/differential_modules.txt give the same outcome for every test case under shrinkpython
with the whole standard library rewritten as it loads (SHRINKPY_REWRITE=all, safe policy) as under
/usr/bin/python3.11. Each module runs in its own worker process (-j2), so that a module that sets a
tracer (doctest does) turns rewriting off only for itself (rule "tracer"). The import pass runs too
(SHRINKPY_IMPORTS=defer, issue 9), over the whole standard library as well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regrtest import LEVERS, differences, listed_modules, outcomes

MODULES, LEFT_OUT = listed_modules(Path(__file__).parent / "early_free" / "differential_modules.txt")


def test_the_list_has_at_least_forty_distinct_modules():
    assert len(MODULES) >= 40 and len(set(MODULES)) == len(MODULES)
    assert "test_json" in MODULES and "test_dis" in LEFT_OUT and not set(MODULES) & set(LEFT_OUT)


@pytest.mark.slow
def test_stdlib_rewritten_in_safe_mode_gives_the_same_results(stock, shrinkpython, tmp_path):
    code, expected = outcomes(stock, MODULES, tmp_path / "stock", args=("-j2",))
    assert code == 0, "the reference run itself fails"
    report = tmp_path / "report.json"
    code, got = outcomes(shrinkpython, MODULES, tmp_path / "shrinkpython", args=("-j2",), **LEVERS,
                         SHRINKPY_REPORT=str(report))
    assert differences(expected, got) == []
    assert code == 0
    assert len(got) > 3000  # every module ran, not just an import error
    # The run really was rewritten: the regrtest driver process itself reports its releases.
    doc = json.loads(report.read_text())
    early = doc["early_free"]
    assert early["mode"] == "safe" and early["scope"] == "all"
    assert early["releases"] > 500 and early["modules"] > 50 and early["errors"] == []
    # The import pass ran too, on __main__ (test_shrinkpython_imports.py runs CPython's tests as user code,
    # where it defers imports: it leaves the standard library's own imports alone)
    assert doc["imports"]["mode"] == "defer" and doc["imports"]["modules"] >= 1
