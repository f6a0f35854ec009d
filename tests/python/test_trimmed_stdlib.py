"""What the trimmed build does to the stdlib's code, without a build: docstrings (docstrings.py) and
column positions (pyc_compile.py) left out of the packed .pyc files."""

from __future__ import annotations

import importlib.util
import marshal
import re
import subprocess
import sys
import textwrap
import traceback
from pathlib import Path

import pytest

from shrinkpy import docstrings, pyc_compile
from shrinkpy.build_steps import StepFailed

SOURCE = textwrap.dedent('''\
    """The module's docstring."""
    from __future__ import annotations


    def documented(x):
        """A function's docstring."""
        assert x > 0, "asserts stay"
        return x + 1


    def only_a_docstring():
        """Nothing else."""


    async def coroutine():
        "An async function's docstring."
        return f"{__doc__}"


    class Documented:
        """A class's docstring."""

        def method(self):
            """A method's docstring."""
            return "not a docstring"
            "nor is this"


    class OnlyADocstring:
        """Nothing else."""


    def line():
        import sys
        return sys._getframe().f_lineno


    def lookup(table):
        return table["x"]["y"] + 1
    ''')


def _load(tmp_path, keep: bool):
    source = tmp_path / "mod.py"
    source.write_text(SOURCE)
    pyc = tmp_path / ("kept.pyc" if keep else "stripped.pyc")
    assert pyc_compile.write_pyc(pyc_compile.PycJob(source, pyc, "mod.py", keep)) == pyc.stat().st_size
    spec = importlib.util.spec_from_file_location(pyc.stem, pyc)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docstrings_are_gone_and_the_code_behaves_the_same(tmp_path):
    kept, stripped = _load(tmp_path, keep=True), _load(tmp_path, keep=False)
    assert kept.__doc__ and kept.documented.__doc__ and kept.Documented.method.__doc__
    for obj in ("", ".documented", ".only_a_docstring", ".coroutine", ".Documented", ".Documented.method",
                ".OnlyADocstring"):
        assert eval(f"stripped{obj}.__doc__") is None, obj
    assert stripped.documented(1) == 2 and stripped.only_a_docstring() is None
    assert stripped.Documented().method() == "not a docstring"
    assert stripped.line() == kept.line()  # line numbers do not move
    import asyncio
    assert asyncio.run(stripped.coroutine()) == "None"
    try:
        stripped.documented(0)
    except AssertionError as e:
        assert str(e) == "asserts stay"
    else:
        raise AssertionError("the assert was stripped with the docstrings")
    assert (tmp_path / "stripped.pyc").stat().st_size < (tmp_path / "kept.pyc").stat().st_size


def test_modules_whose_docstrings_are_their_output_keep_them():
    assert docstrings.keeps_docstrings("pdb") and docstrings.keeps_docstrings("pydoc_data.topics")
    assert not docstrings.keeps_docstrings("json.decoder") and not docstrings.keeps_docstrings("pdbx")


def test_the_stdlib_works_without_its_docstrings(tmp_path):
    # The modules the host board keeps, stripped and imported by a fresh python3.11 that finds them first.
    lib = tmp_path / "lib"
    for name in ["json", "re", "collections", "enum", "typing", "dataclasses", "argparse", "functools", "inspect",
                 "statistics", "email"]:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin)
        sources = sorted(origin.parent.glob("*.py")) if spec.submodule_search_locations else [origin]
        for source in sources:
            relative = source.relative_to(origin.parent.parent if spec.submodule_search_locations else origin.parent)
            docstrings.compile_without_docstrings(source, lib / relative.with_suffix(".pyc"), str(source))
    probe = textwrap.dedent('''
        import sys
        sys.path.insert(0, sys.argv[1])
        import json, dataclasses, enum, statistics, argparse, inspect
        assert json.__file__.startswith(sys.argv[1]) and json.dumps.__doc__ is None, json.__file__
        @dataclasses.dataclass
        class P:
            x: int
        class Color(enum.Enum):
            RED = 1
        print(json.dumps({"p": repr(P(1)), "c": str(Color.RED), "m": statistics.fmean([1, 2])}),
              inspect.signature(P), P.__doc__)
        ''')
    r = subprocess.run([sys.executable, "-S", "-c", probe, str(lib)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == '{"p": "P(x=1)", "c": "Color.RED", "m": 1.5} (x: int) -> None P(x: int)\n'


def _codes(pyc: Path) -> list:
    """The code objects of a .pyc, its module's first."""
    code = marshal.loads(pyc.read_bytes()[16:])
    out, todo = [], [code]
    while todo:
        out.append(todo.pop())
        todo += [c for c in out[-1].co_consts if hasattr(c, "co_positions")]
    return out


@pytest.mark.parametrize("keep_docstrings", [False, True])
def test_column_positions_are_left_out_and_lines_stay(tmp_path, keep_docstrings):
    # As pack() compiles a board's stdlib: columns only with the profile's debug_ranges = "keep".
    source = tmp_path / "mod.py"
    source.write_text(SOURCE)
    jobs = {keep: pyc_compile.PycJob(source, tmp_path / f"ranges-{keep}.pyc", "mod.py", keep_docstrings)
            for keep in (True, False)}
    for keep, job in jobs.items():
        assert pyc_compile.compile_all([job], keep_debug_ranges=keep) == [job.target.stat().st_size]
    kept, stripped = _codes(jobs[True].target), _codes(jobs[False].target)
    assert [c.co_qualname for c in kept] == [c.co_qualname for c in stripped] and len(kept) > 5
    for with_columns, without in zip(kept, stripped):
        assert any(col is not None for *_, col, _ in with_columns.co_positions()), with_columns.co_qualname
        # What is left of a position is its first line (the last line goes with the columns).
        assert {(col, end_col) for *_, col, end_col in without.co_positions()} <= {(None, None)}
        assert all(line == last for line, last, *_ in without.co_positions()), without.co_qualname
        lines = [line for line, *_ in with_columns.co_positions()]
        assert [line for line, *_ in without.co_positions()] == lines, without.co_qualname
        assert list(without.co_lines()) == list(with_columns.co_lines())
        assert without.co_code == with_columns.co_code
    assert (stripped[0].co_consts[0] == "The module's docstring.") == keep_docstrings
    assert jobs[False].target.stat().st_size < jobs[True].target.stat().st_size


def test_a_traceback_through_a_packed_frame_keeps_its_line_and_loses_its_markers(tmp_path):
    source = tmp_path / "mod.py"
    source.write_text(SOURCE)
    shown = {}
    for keep in (True, False):
        job = pyc_compile.PycJob(source, tmp_path / f"ranges-{keep}.pyc", str(source), keep_docstrings=False)
        pyc_compile.compile_all([job], keep_debug_ranges=keep)
        namespace = {}
        exec(_codes(job.target)[0], namespace)
        try:
            namespace["lookup"]({"x": {}})
        except KeyError as e:
            shown[keep] = traceback.format_exception(e)[-2]
    line = SOURCE.splitlines().index('    return table["x"]["y"] + 1') + 1
    frame = f'  File "{source}", line {line}, in lookup\n    return table["x"]["y"] + 1\n'
    assert shown[False] == frame  # the line, no markers
    assert shown[True].startswith(frame) and "^^^^^" in shown[True]


def test_a_module_the_child_cannot_compile_fails_the_step_with_its_error(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def broken(:\n")
    job = pyc_compile.PycJob(bad, tmp_path / "bad.pyc", "bad.py", keep_docstrings=True)
    with pytest.raises(StepFailed, match=f"(?s)without column positions.*\n{re.escape(str(bad))}: .*SyntaxError"):
        pyc_compile.compile_all([job], keep_debug_ranges=False)
