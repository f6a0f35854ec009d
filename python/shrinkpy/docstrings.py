"""The trimmed stdlib's .pyc files without docstrings, the Python half of `--without-doc-strings`.

Why: a docstring is a str constant loaded with its code object and kept for the process's life;
`import json, re, collections, asyncio` loads about half a MiB of them (Debian's python3.11: 18.8 MiB
plain, 18.3 MiB under -OO).

How: the docstrings are removed from the syntax tree (the first statement of a module, class or
function body when it is a string constant) and the tree is compiled as usual, so `__doc__` is None
as under -OO while asserts, `__debug__` and sys.flags.optimize stay as they were; line numbers do not
move. The stdlib runs under -OO in CPython's own test runs, so nothing in it needs its docstrings to
work, except the modules in KEEP, whose docstrings are what they show (pdb's help command, timeit's
and smtpd's usage, pydoc, doctest).
"""

from __future__ import annotations

import ast
import importlib._bootstrap_external as bootstrap_external
import importlib.util
from pathlib import Path

KEEP = ("pdb", "pydoc", "pydoc_data", "doctest", "timeit", "smtpd")


def keeps_docstrings(module: str) -> bool:
    return module.split(".")[0] in KEEP


def strip(tree: ast.Module) -> ast.Module:
    """`tree` without docstrings (changed in place); a body left empty gets a `pass`."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and _has_docstring(node):
            doc = node.body.pop(0)
            if not node.body:
                node.body.append(ast.copy_location(ast.Pass(), doc))
    return tree


def _has_docstring(node) -> bool:
    first = node.body[0] if node.body else None
    return (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str))


def compile_without_docstrings(source: Path, target: Path, display_name: str) -> int:
    """Writes `target`, an unchecked hash-based .pyc of `source` without docstrings (as py_compile
    writes with PycInvalidationMode.UNCHECKED_HASH), and returns its size."""
    data = source.read_bytes()
    code = compile(strip(ast.parse(data, display_name)), display_name, "exec", dont_inherit=True, optimize=0)
    pyc = bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(pyc)
    return len(pyc)
