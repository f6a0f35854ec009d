"""Decode/encode round trip, paired with tests/cpp/test_roundtrip.cpp.

Every code object of every stdlib module must come back byte-identical (co_code,
co_exceptiontable, co_linetable) from the concrete layer, from the instruction layer and from the
CFG; the decoder must agree with dis and co_positions(); rebuilt code must run.
"""

import dis
import importlib
import types

import pytest

LAYERS = ["concrete", "instructions", "cfg"]


@pytest.mark.parametrize("layer", LAYERS)
def test_stdlib_identity(stdlib_codes, analyzer, layer):
    different = []
    for code in stdlib_codes:
        got = analyzer.roundtrip(code, layer)
        if got != (code.co_code, code.co_exceptiontable, code.co_linetable):
            different.append(f"{code.co_filename}:{code.co_firstlineno} {code.co_qualname}")
    assert different == [], f"{len(different)}/{len(stdlib_codes)} differ, first: {different[:5]}"


def test_decode_agrees_with_dis(stdlib_codes, analyzer):
    for code in stdlib_codes[::37]:
        ours = [(op, name, arg) for op, name, arg, _, _ in analyzer.decode(code)]
        # dis reports the opcode unit of an instruction; ours starts at its first EXTENDED_ARG.
        theirs = [(i.offset, i.opname, i.arg or 0) for i in dis.get_instructions(code) if i.opname != "EXTENDED_ARG"]
        ours_at_opcode = [(off + 2 * prefixes, name, arg) for off, name, arg, prefixes, _ in analyzer.decode(code)]
        assert [(n, a) for _, n, a in ours] == [(n, a) for _, n, a in theirs]
        assert [(o, n) for o, n, a in ours_at_opcode] == [(o, n) for o, n, a in theirs]


def test_exception_table_agrees_with_dis(stdlib_codes, analyzer):
    checked = 0
    for code in stdlib_codes:
        if not code.co_exceptiontable:
            continue
        theirs = [(e.start, e.end, e.target, e.depth, e.lasti) for e in dis._parse_exception_table(code)]
        assert analyzer.exception_table(code) == theirs
        checked += 1
    assert checked > 1000


def test_positions_agree_with_co_positions(stdlib_codes, analyzer):
    for code in stdlib_codes[::11]:
        assert analyzer.positions(code) == list(code.co_positions())


def test_stack_depth_matches_co_stacksize(stdlib_codes, analyzer):
    """The CFG's stack simulation reproduces co_stacksize, except where CPython counted a handler
    that no instruction can reach any more (a try body optimized down to nothing that raises)."""
    equal = lower_with_dead_handlers = 0
    for code in stdlib_codes:
        report = analyzer.analyze(code, recursive=False)
        assert report.error is None, (code.co_qualname, report.error)
        if report.stacksize == code.co_stacksize:
            equal += 1
        else:
            assert report.stacksize < code.co_stacksize and report.unreachable_blocks > 0, code.co_qualname
            lower_with_dead_handlers += 1
    assert equal > 0.999 * len(stdlib_codes)


def test_rebuilt_module_runs(analyzer):
    import json.decoder

    rebuilt = types.ModuleType("json_rebuilt")
    path = json.decoder.__file__
    with open(path) as f:
        code = compile(f.read(), path, "exec")
    exec(analyzer.rebuild(code, "cfg"), rebuilt.__dict__)
    decoder = rebuilt.JSONDecoder()
    assert decoder.decode('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    with pytest.raises(ValueError):  # the C scanner (_json) raises json.decoder's own class
        decoder.decode("{")


def test_rebuild_keeps_lines_and_exceptions(analyzer):
    import tricky

    for name in ("try_in_loop", "nested_try", "long_jump"):
        original = getattr(tricky, name)
        clone = types.FunctionType(analyzer.rebuild(original.__code__, "instructions"), original.__globals__)
        assert list(clone.__code__.co_lines()) == list(original.__code__.co_lines())
        for args in tricky.CALLS[name]:
            assert clone(*args) == original(*args)
