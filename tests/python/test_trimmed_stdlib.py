"""What the trimmed build does to the stdlib's code, without a build: docstrings left out of the
packed .pyc files (docstrings.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

from shrinkpy import dist_pack, docstrings

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
    ''')


def _load(tmp_path, keep: bool):
    source = tmp_path / "mod.py"
    source.write_text(SOURCE)
    pyc = tmp_path / ("kept.pyc" if keep else "stripped.pyc")
    compile_pyc = dist_pack._compile if keep else docstrings.compile_without_docstrings  # as pack() chooses
    assert compile_pyc(source, pyc, "mod.py") == pyc.stat().st_size
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
