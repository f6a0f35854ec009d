"""Opcode tables and stack effects against the interpreter itself; paired with tests/cpp/test_concrete.cpp."""

import dis
import opcode

import pytest

ARGS = list(range(0, 300)) + [511, 512, 0xFFFF, 0x10000, 0xFFFFFF]


def test_names_match_opcode_module(analyzer):
    for op in range(256):
        expected = opcode.opname[op] if op in opcode.opmap.values() else "?"
        assert analyzer.opname(op) == expected


@pytest.mark.parametrize("jump", [False, True])
def test_stack_effect_matches_dis(analyzer, jump):
    for name, op in opcode.opmap.items():
        for arg in (ARGS if op >= opcode.HAVE_ARGUMENT else [0]):
            theirs = dis.stack_effect(op, arg if op >= opcode.HAVE_ARGUMENT else None, jump=jump)
            assert analyzer.stack_effect(op, arg, jump) == theirs, (name, arg)


def test_undefined_opcodes_have_no_effect(analyzer):
    undefined = [op for op in range(256) if op not in opcode.opmap.values()]
    assert undefined and all(analyzer.stack_effect(op, 0, False) is None for op in undefined)


def test_magic_names(analyzer):
    assert analyzer.MAGIC == 3495
    assert analyzer.python_version_of_magic(3439) == "3.10"
    assert analyzer.python_version_of_magic(3531) == "3.12"
    assert analyzer.python_version_of_magic(62211) == "2.7"
    assert analyzer.python_version_of_magic(1) == "unknown"
    analyzer.check_magic(3495)
    with pytest.raises(analyzer.AnalyzerError, match="CPython 3.12"):
        analyzer.check_magic(3531)
