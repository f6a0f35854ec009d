"""The early-freeing rewriter through shrinkpy._analyzer, paired with tests/cpp/test_rewrite.cpp: the
policy on the plain-data corpus (its SAFE/AGGRESSIVE/SKIPPED/RESULTS tables), and the tricky corpus
rewritten in every mode re-decoding identically and running the same."""

from __future__ import annotations

import dis
import types

import pytest

import plain_data
import tricky


def module_code(module):
    with open(module.__file__) as f:
        source = f.read()
    keep = tuple(n for n, line in enumerate(source.splitlines(), 1) if "shrinkpy: keep" in line)
    return compile(source, module.__file__, "exec", dont_inherit=True), keep


def released(releases):
    out = {}
    for qualname, _line, name, _kind, _reason, _maybe in releases:
        out.setdefault(qualname, set()).add(name)
    return out


def run_module(code, name="corpus"):
    namespace = {"__name__": name, "__file__": code.co_filename}
    exec(code, namespace)
    return namespace


def walk(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from walk(const)


@pytest.mark.parametrize("mode", ["safe", "aggressive"])
def test_plain_data_corpus_releases_what_its_tables_say(analyzer, mode):
    code, keep = module_code(plain_data)
    _, releases, skips = analyzer.rewrite(code, mode=mode, keep_lines=keep)
    got = released(releases)
    expected = plain_data.SAFE if mode == "safe" else plain_data.AGGRESSIVE
    for function, names in expected.items():
        assert got.get(function, set()) == names, function
    assert {s[0]: s[2] for s in skips} == plain_data.SKIPPED


def test_module_level_of_main_releases_only_its_own_data(analyzer):
    code, keep = module_code(plain_data)
    new, releases, _ = analyzer.rewrite(code, main=True, keep_lines=keep)
    assert released(releases).get("<module>") == plain_data.MAIN_RELEASED
    namespace = run_module(new, "__main__")
    assert "TABLE" not in namespace and namespace["SMALL"] == sum(n * n for n in range(100))
    assert namespace["reads_words"]() == 3  # WORDS is read by a function: kept


@pytest.mark.parametrize("mode", ["safe", "aggressive"])
@pytest.mark.parametrize("main", [False, True])
def test_plain_data_corpus_runs_the_same_rewritten(analyzer, mode, main):
    code, keep = module_code(plain_data)
    new, _, _ = analyzer.rewrite(code, main=main, mode=mode, keep_lines=keep)
    original, rewritten = run_module(code), run_module(new)
    for function, (args, result) in plain_data.RESULTS.items():
        want = original[function](*args)
        got = rewritten[function](*args)
        if isinstance(want, float):
            assert got == pytest.approx(want) and want == pytest.approx(result or want)
        else:
            assert got == want and (result is None or want == result), function
    assert rewritten["maybe_bound"](False, 3) == original["maybe_bound"](False, 3) == [3, 3, 3]


@pytest.mark.parametrize("mode", ["safe", "aggressive"])
@pytest.mark.parametrize("main", [False, True])
def test_tricky_corpus_rewritten_redecodes_identically_and_runs_the_same(analyzer, mode, main):
    code, _ = module_code(tricky)
    new, releases, skips = analyzer.rewrite(code, main=main, mode=mode)
    assert releases and not [s for s in skips if s[2] == "error"]
    for rewritten in walk(new):
        # What the rewriter wrote decodes and re-encodes to itself, through every layer.
        for layer in ("concrete", "instructions", "cfg"):
            assert analyzer.roundtrip(rewritten, layer) == (
                rewritten.co_code, rewritten.co_exceptiontable, rewritten.co_linetable), (rewritten.co_qualname, layer)
        assert [i for i in dis.get_instructions(rewritten)]  # and dis reads it
        assert [line for _, _, line in rewritten.co_lines()]
    original, rewritten_ns = run_module(code), run_module(new)
    for function, calls in tricky.CALLS.items():
        for args in calls:
            want = _outcome(original[function], args)
            got = _outcome(rewritten_ns[function], args)
            assert got == want, (function, args)
    assert _outcome(rewritten_ns["_run_async_for"], ()) == _outcome(original["_run_async_for"], ())


def _outcome(function, args):
    try:
        result = function(*args)
        if isinstance(result, types.GeneratorType):
            result = list(result)
        return "ok", repr(result)
    except Exception as e:  # the same exception, with the same message, is the same outcome
        return type(e).__name__, str(e)


def test_rewriting_keeps_line_numbers(analyzer):
    code, _ = module_code(tricky)
    new, _, _ = analyzer.rewrite(code, mode="aggressive")
    for old, rewritten in zip(walk(code), walk(new)):
        assert {line for *_, line in old.co_lines()} == {line for *_, line in rewritten.co_lines()}


def test_bad_arguments_are_clear_errors(analyzer):
    code, _ = module_code(tricky)
    with pytest.raises(ValueError, match="mode must be"):
        analyzer.rewrite(code, mode="reckless")
    with pytest.raises(ValueError, match="no early-freeing rule named 'lokals'"):
        analyzer.rewrite(code, ignore_rules=["lokals"])
    function = next(c for c in code.co_consts if isinstance(c, types.CodeType))
    with pytest.raises(analyzer.AnalyzerError, match="module"):
        analyzer.rewrite(function)
