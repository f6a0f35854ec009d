"""Liveness of fast locals: hand-checked expectations on the tricky corpus, agreement with a real
run traced opcode by opcode, and the validators on the whole stdlib. Paired with
tests/cpp/test_liveness.cpp."""

import asyncio
import sys

import pytest
import tricky

FUNCTIONS = sorted(tricky.LAST_USES)


def last_use_lines(report, firstlineno):
    got = {}
    for ins in report.instructions:
        for name in ins.last_uses:
            got.setdefault(name, set()).add(ins.line - firstlineno)
    return {name: sorted(lines) for name, lines in got.items()}


@pytest.mark.parametrize("name", FUNCTIONS)
def test_hand_checked_last_uses(analyzer, name):
    code = getattr(tricky, name).__code__
    report = analyzer.analyze(code)
    assert report.error is None
    expected = {var: lines for var, lines in tricky.LAST_USES[name].items() if lines}
    assert last_use_lines(report, code.co_firstlineno) == expected


def test_cells_are_not_tracked(analyzer):
    report = analyzer.analyze(tricky.closure.__code__)
    assert "a" not in report.locals and "b" not in report.locals
    assert set(report.locals) == {"inner", "c"}


def test_maybe_unbound_is_not_definitely_bound(analyzer):
    report = analyzer.analyze(tricky.maybe_unbound.__code__)
    delete = [i for i in report.instructions if i.opname == "DELETE_FAST"]
    assert len(delete) == 1
    assert "x" in delete[0].live_before  # the delete needs x's binding
    assert "x" not in delete[0].bound_before  # but x is only maybe bound there


def test_exception_handler_keeps_locals_alive(analyzer):
    report = analyzer.analyze(tricky.finally_reads.__code__)
    read = [i for i in report.instructions if i.opname == "LOAD_METHOD" or (i.opname == "LOAD_FAST" and i.arg == 2)]
    # During `data = handle.read()` the finally block may still run and read `handle`.
    call = [i for i in report.instructions if i.opname == "STORE_FAST"
            and i.line == tricky.finally_reads.__code__.co_firstlineno + 3][0]
    assert "handle" in call.live_before and read


def test_generator_loop_exit_death(analyzer):
    code = tricky.with_in_generator.__code__
    report = analyzer.analyze(code)
    assert any(name == "f" for _, name, _ in report.deaths)


def test_long_jump_needed_extended_arg(analyzer):
    decoded = analyzer.decode(tricky.long_jump.__code__)
    assert any(prefixes for _, name, _, prefixes, _ in decoded if name.startswith("POP_JUMP"))


# ---- agreement with reality ---------------------------------------------------------------------


class OpcodeTrace:
    """Per frame of `code`, the executed instruction offsets (opcode units) in order."""

    def __init__(self, code):
        self.code = code
        self.frames = {}

    def __call__(self, frame, event, arg):
        if frame.f_code is not self.code:
            return None
        frame.f_trace_opcodes = True
        if event == "opcode":
            self.frames.setdefault(id(frame), (frame, []))[1].append(frame.f_lasti)
        return self


def run_traced(fn, args):
    trace = OpcodeTrace(fn.__code__)
    sys.settrace(trace)
    try:
        result = fn(*args)
        if hasattr(result, "__next__"):
            result = list(result)
        elif asyncio.iscoroutine(result):
            result = asyncio.run(result)
    finally:
        sys.settrace(None)
    return [offsets for _, offsets in trace.frames.values()]


def check_trace(analyzer, code, offsets):
    """No local reported dead before an executed instruction is read later in the same frame
    before being stored again; every local reported definitely bound is bound (it is read
    without UnboundLocalError or stored)."""
    report = analyzer.analyze(code, recursive=False)
    by_opcode_offset = {}
    decoded = analyzer.decode(code)
    for (offset, _, _, prefixes, _), ins in zip(decoded, report.instructions):
        # EXTENDED_ARG units get their own opcode events in 3.11: map them to their instruction.
        for unit in range(prefixes + 1):
            by_opcode_offset[offset + 2 * unit] = ins
    names = code.co_varnames + code.co_cellvars + code.co_freevars
    # Backward over the executed steps: what happens next to each local.
    next_event = {}
    violations = []
    for offset in reversed(offsets):
        ins = by_opcode_offset[offset]
        # The first access from this step on (this instruction's own included).
        if ins.opname in ("LOAD_FAST", "DELETE_FAST"):
            next_event[names[ins.arg]] = "read"
        elif ins.opname == "STORE_FAST":
            next_event[names[ins.arg]] = "store"
        for var in report.locals:
            if var not in ins.live_before and next_event.get(var) == "read":
                violations.append((offset, ins.opname, var))
    return violations


CALLED = sorted(tricky.CALLS)


@pytest.mark.parametrize("name", CALLED)
def test_liveness_agrees_with_execution(analyzer, name):
    fn = getattr(tricky, name)
    steps = 0
    for args in tricky.CALLS[name]:
        for offsets in run_traced(fn, args):
            assert check_trace(analyzer, fn.__code__, offsets) == []
            steps += len(offsets)
    assert steps > 0


def test_async_for_agrees_with_execution(analyzer):
    trace = OpcodeTrace(tricky.async_for.__code__)
    sys.settrace(trace)
    try:
        assert asyncio.run(tricky.async_for(tricky._agen(3))) == 3
    finally:
        sys.settrace(None)
    frames = [offsets for _, offsets in trace.frames.values()]
    assert frames and all(check_trace(analyzer, tricky.async_for.__code__, o) == [] for o in frames)


def test_checker_catches_a_wrong_answer(analyzer):
    """The trace check can fail: a fake report that calls `b` dead from the start is caught."""
    offsets = run_traced(tricky.straight, (1, 2))[0]

    class Fake:
        def __init__(self, real):
            self.real = real

        def analyze(self, code, recursive=False):
            report = self.real.analyze(code, recursive=recursive)

            class R:
                locals = report.locals
                instructions = [type("I", (), {"live_before": tuple(v for v in i.live_before if v != "b"),
                                               "opname": i.opname, "arg": i.arg})
                                for i in report.instructions]
            return R

        def decode(self, code):
            return self.real.decode(code)

    assert check_trace(Fake(analyzer), tricky.straight.__code__, offsets) != []


def test_validators_on_stdlib(stdlib_modules, analyzer):
    """At SHRINKPY_DEBUG_LEVEL 3 analyze() runs every validator; at lower levels this still checks
    that every stdlib code object is analysed without error."""
    failed = []

    def walk(report):
        if report.error is not None:
            failed.append((report.qualname, str(report.error)))
        for child in report.children:
            walk(child)

    for _, module in stdlib_modules[::3]:
        walk(analyzer.analyze(module))
    assert failed == []
