"""CPython's test_json, test_re, test_dict, test_list and test_unicode give the same result for every
test case under shrinkpython, with each allocator, as under /usr/bin/python3.11."""

from __future__ import annotations

import pytest

from regrtest import differences, outcomes

TESTS = ["test_json", "test_re", "test_dict", "test_list", "test_unicode"]


@pytest.fixture(scope="module")
def stock_outcomes(stock, tmp_path_factory):
    code, result = outcomes(stock, TESTS, tmp_path_factory.mktemp("stock"))
    assert code == 0, "the reference run itself fails"
    return result


@pytest.mark.parametrize("allocator", ["pymalloc", "malloc", "mimalloc"])
def test_same_results_as_python311(allocator, shrinkpython, stock_outcomes, tmp_path):
    code, result = outcomes(shrinkpython, TESTS, tmp_path, SHRINKPY_ALLOCATOR=allocator)
    assert differences(stock_outcomes, result) == []
    assert code == 0
    assert len(result) > 500  # every module ran (618 cases), not just an import error


def test_same_results_with_counting_and_report(shrinkpython, stock_outcomes, tmp_path):
    code, result = outcomes(shrinkpython, TESTS, tmp_path, SHRINKPY_ALLOCATOR="pymalloc",
                            SHRINKPY_REPORT=str(tmp_path / "report.json"))
    assert differences(stock_outcomes, result) == []
    assert code == 0
