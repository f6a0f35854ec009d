"""CPython's own regression tests give the same result for every test case under shrinkpython as
under /usr/bin/python3.11: test_json, test_re, test_dict, test_list and test_unicode with each
allocator, and for the arena (the default) also test_set, test_bytes, test_gc, test_weakref,
test_threading, test_mmap, test_float and test_ctypes (the arena's 24-byte class holds floats
8-byte aligned; ctypes' objects need 16: size_classes.hpp)."""

from __future__ import annotations

import pytest

from regrtest import differences, junit_outcomes, outcomes

TESTS = ["test_json", "test_re", "test_dict", "test_list", "test_unicode"]
ARENA_TESTS = TESTS + ["test_set", "test_bytes", "test_gc", "test_weakref", "test_threading", "test_mmap",
                       "test_float", "test_ctypes"]


@pytest.fixture(scope="module")
def stock_outcomes(stock, tmp_path_factory):
    code, result = outcomes(stock, TESTS, tmp_path_factory.mktemp("stock"))
    assert code == 0, "the reference run itself fails"
    return result


def test_arena_gives_the_same_results_on_thirteen_modules(shrinkpython, stock, tmp_path):
    code, expected = outcomes(stock, ARENA_TESTS, tmp_path / "stock")
    assert code == 0, "the reference run itself fails"
    code, result = outcomes(shrinkpython, ARENA_TESTS, tmp_path / "arena", SHRINKPY_ALLOCATOR="arena")
    assert differences(expected, result) == []
    assert code == 0
    assert len(result) > 2300  # every module ran (about 2500 cases), not just an import error


@pytest.mark.parametrize("allocator", ["pymalloc", "malloc", "mimalloc"])
def test_same_results_as_python311(allocator, shrinkpython, stock_outcomes, tmp_path):
    code, result = outcomes(shrinkpython, TESTS, tmp_path, SHRINKPY_ALLOCATOR=allocator)
    assert differences(stock_outcomes, result) == []
    assert code == 0
    assert len(result) > 500  # every module ran (618 cases), not just an import error


def test_same_results_with_counting_and_report(shrinkpython, stock_outcomes, tmp_path):
    """The default allocator (the arena) under the counting wrappers a report adds."""
    code, result = outcomes(shrinkpython, TESTS, tmp_path, SHRINKPY_REPORT=str(tmp_path / "report.json"))
    assert differences(stock_outcomes, result) == []
    assert code == 0


def test_junit_outcomes_names_regrtest_and_pytest_cases(tmp_path):
    """regrtest names a case by its whole id; pytest (package_sweep.py) by classname and name."""
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite>'
        '<testcase name="test.test_x.T.test_a" status="run" />'
        '<testcase status="run"><failure /></testcase>'  # regrtest's record of failed subtests
        '<testcase classname="test_api.TestIter" name="test_b" />'
        '<testcase classname="test_api.TestIter" name="test_c"><skipped message="no network" /></testcase>'
        '<testcase classname="test_api" name="test_d"><failure message="assert 0" /></testcase>'
        '<testcase classname="test_api" name="test_e"><error /></testcase>'
        '</testsuite></testsuites>')
    assert junit_outcomes(junit) == {
        "test.test_x.T.test_a": "passed", "test_api.TestIter.test_b": "passed",
        "test_api.TestIter.test_c": "skipped: no network", "test_api.test_d": "failure", "test_api.test_e": "error"}
