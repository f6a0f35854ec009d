"""The packed stdlib's .pyc files: docstrings left out (docstrings.py) and, unless the board keeps
them, column positions.

Why: since CPython 3.11 (PEP 657) a code object's co_linetable gives every instruction its first
and last line and its start and end columns, for the ^^^^ markers under a traceback's source line.
The table is loaded with its code object and kept for the process's life; without the columns (and
last lines) it is a quarter smaller: the functions alive after `import json, re, collections,
asyncio` in dist/host hold 410 KB of it with them, 300 KB without, and peak RSS there is 0.05 to
0.15 MiB lower (README: Boards). What it costs: tools that read co_positions() get no columns for
stdlib code. Tracebacks lose nothing: the packed stdlib is sourceless, so its frames show no source
line to put markers under. Code compiled on the board (the user's) keeps its columns.

How: the compiler writes positions as the running interpreter's config says (code_debug_ranges,
`-X no_debug_ranges` or PYTHONNODEBUGRANGES), which cannot change once it runs: with it off,
_PyCode_New drops the columns of every code object it makes, compiled or unmarshalled, and keeps
the first lines (Objects/codeobject.c, remove_column_info). So the .pyc files are written by one
child python3.11 started with `-X no_debug_ranges`, given every file as JSON on its stdin; it
checks that what it compiles has no columns before it writes anything. The flag given to the
board's interpreter would strip them too, but at every import (after reading them) and from the
user's code as well.
"""

from __future__ import annotations

import json
import py_compile
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from shrinkpy import docstrings
from shrinkpy.build_steps import StepFailed

# The child: this module, imported from where this process found it, reading the jobs on stdin.
CHILD = "import sys; sys.path.insert(0, sys.argv[1]); from shrinkpy import pyc_compile; pyc_compile.child_main()"


@dataclass(frozen=True)
class PycJob:
    source: Path
    target: Path
    display_name: str  # co_filename of its code objects, what tracebacks show
    keep_docstrings: bool


def write_pyc(job: PycJob) -> int:
    """Writes job.target, an unchecked hash-based .pyc of job.source, and returns its size; the
    columns are there as this interpreter's config says."""
    if not job.keep_docstrings:
        return docstrings.compile_without_docstrings(job.source, job.target, job.display_name)
    job.target.parent.mkdir(parents=True, exist_ok=True)
    py_compile.compile(str(job.source), cfile=str(job.target), dfile=job.display_name, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    return job.target.stat().st_size


def compile_all(jobs: list[PycJob], *, keep_debug_ranges: bool) -> list[int]:
    """Writes every job's .pyc, with column positions only if `keep_debug_ranges`, and returns their
    sizes in the jobs' order."""
    if keep_debug_ranges:
        return [write_pyc(job) for job in jobs]
    package_root = str(Path(__file__).resolve().parents[1])
    argv = [sys.executable, "-I", "-X", "no_debug_ranges", "-c", CHILD, package_root]
    given = json.dumps([[str(j.source), str(j.target), j.display_name, j.keep_docstrings] for j in jobs])
    p = subprocess.run(argv, input=given, capture_output=True, text=True)
    if p.returncode != 0:
        raise StepFailed(f"compiling the stdlib without column positions ({' '.join(argv[:5])}) failed:\n"
                         f"{p.stderr[-3000:]}")
    sizes = json.loads(p.stdout)
    if len(sizes) != len(jobs):
        raise StepFailed(f"compiling the stdlib without column positions wrote {len(sizes)} of {len(jobs)} files")
    return sizes


def has_columns(code) -> bool:
    """Whether `code` or a code object nested in it has a column position."""
    nested = (c for c in code.co_consts if hasattr(c, "co_positions"))
    return any(col is not None for *_, col, _ in code.co_positions()) or any(map(has_columns, nested))


def child_main() -> None:
    if has_columns(compile("def f(x):\n    return x[0] + 1\n", "<probe>", "exec", dont_inherit=True)):
        sys.exit(f"{sys.executable} -X no_debug_ranges still compiles column positions (CPython 3.11 drops them)")
    sizes = []
    for source, target, name, keep in json.load(sys.stdin):
        try:
            sizes.append(write_pyc(PycJob(Path(source), Path(target), name, keep)))
        except (py_compile.PyCompileError, SyntaxError, ValueError, OSError) as e:
            sys.exit(f"{source}: {type(e).__name__}: {e}")
    json.dump(sizes, sys.stdout)
