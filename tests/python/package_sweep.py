"""Third-party code under shrinkpython: the test suites that Debian's packages of Python
libraries ship, run with pytest under /usr/bin/python3.11 and under shrinkpython with every lever on
(the libraries, their tests and pytest itself rewritten as they load), compared case by case.
`make test-packages` (about 4 minutes here; not part of `make test`).

The regression suites (regrtest_sweep.py, test_early_free_differential.py) run the standard library;
users run libraries written by others, in other styles: sympy's deep recursion, caches and
generators, mpmath's arithmetic in pure Python, pyflakes' AST walks. Exits 1 when a case differs for
a reason not listed in KNOWN, or when a suite's run writes no results.

    package_sweep.py [SUITE ...]     (default: every suite in SUITES, by the names listed there)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
from pathlib import Path

from conftest import STOCK
from regrtest import LEVERS, junit_run, report_differences
from shrinkpy import locate

# name: (package, its tests: directories or files within it). The Makefile's PACKAGES_SWEEP installs
# the packages (Debian's python3-<package>). Chosen to take under a minute each under python3.11:
# sympy's simplify and solvers suites also pass the same way, but take 8-9 minutes each.
SUITES = {
    "pyflakes": ("pyflakes", ["test"]),
    "mpmath": ("mpmath", ["tests"]),
    "sympy.core": ("sympy", ["core/tests"]),
    # numpy and C extensions under the arena; the image comparisons fail under both (Debian ships
    # no baseline images), the same way.
    "matplotlib": ("matplotlib", [f"tests/test_{t}.py" for t in
                                  ("cbook", "colors", "ticker", "transforms", "path", "dates", "mlab", "rcparams")]),
}

# Test cases that differ on purpose, or for reasons the team has looked at, by the start of their id.
KNOWN: dict[str, str] = {}


def suite_paths(name: str) -> list[Path]:
    package, tests = SUITES[name]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"package_sweep: {package} is not installed: make test-packages installs it "
                         f"(Debian's python3-{package})")
    return [Path(spec.submodule_search_locations[0]) / t for t in tests]


def outcomes(python: str, tests: list[Path], workdir: Path, **env: str) -> dict[str, str]:
    """Runs pytest on `tests` under `python` in `workdir` and returns {test case: outcome}."""
    # No cache and no bytecode (pytest writes its rewritten test modules' own): the suites live in
    # the system's site-packages, where both would be written.
    _, result = junit_run([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *map(str, tests)], workdir,
                          timeout=3600, PYTHONDONTWRITEBYTECODE="1", **env)
    return result


def main(argv: list[str]) -> int:
    names = argv or list(SUITES)
    unexplained = 0
    with tempfile.TemporaryDirectory(prefix="package-sweep-") as tmp:
        for name in names:
            tests = suite_paths(name)
            expected = outcomes(STOCK, tests, Path(tmp) / name / "stock")
            report = Path(tmp) / name / "report.json"
            got = outcomes(locate.shrinkpython(), tests, Path(tmp) / name / "shrinkpython", **LEVERS,
                           SHRINKPY_REPORT=str(report))
            # The run really was rewritten: pytest runs every test in the process that reports.
            early = json.loads(report.read_text())["early_free"]
            print(f"{name}: {len(expected)} test cases under python3.11, {len(got)} under shrinkpython "
                  f"({early['modules']} modules rewritten, {early['releases']} releases)", flush=True)
            if early["modules"] == 0:
                raise AssertionError(f"{name}: shrinkpython rewrote nothing")
            for error in early["errors"]:  # code the rewriter left as it was, and why: worth a look
                print(f"  rewriter: {error}")
            unexplained += report_differences(expected, got, KNOWN, indent="  ")
    print(f"{unexplained} unexplained differences")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
