"""CPython's own regression tests (Debian's libpython3.11-testsuite) as a parity check: run the same
test modules under /usr/bin/python3.11 and under shrinkpython and compare every test case's outcome.
package_sweep.py compares pytest's results the same way (junit_outcomes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import clean_env, run


# Every lever shrinkpython has, on: the whole standard library (and any library) rewritten as it loads.
LEVERS = {"SHRINKPY_REWRITE": "all", "SHRINKPY_EARLY_FREE": "safe", "SHRINKPY_IMPORTS": "defer"}


def outcomes(python: str, tests: list[str], workdir: Path, args: tuple[str, ...] = (), timeout: float = 1800,
             **env: str) -> tuple[int, dict[str, str]]:
    """Runs `python -m test ARGS TESTS` and returns its exit code and {test case: outcome}, where the
    outcome is 'passed', 'skipped: <reason>', 'failure' or 'error'."""
    return junit_run([python, "-m", "test", *args, *tests], workdir, timeout, **env)


def junit_run(argv: list[str], workdir: Path, timeout: float, **env: str) -> tuple[int, dict[str, str]]:
    """Runs `argv --junit-xml FILE` (regrtest or pytest) in `workdir` and returns its exit code and
    the outcomes FILE records; fails when it records none."""
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    r = run([*argv, "--junit-xml", str(junit)], env=clean_env(**env), cwd=workdir, timeout=timeout)
    if not junit.exists():
        raise AssertionError(f"{' '.join(argv[:3])} wrote no results:\n"
                             f"{r.stdout.decode()[-3000:]}{r.stderr.decode()[-3000:]}")
    return r.returncode, junit_outcomes(junit)


def junit_outcomes(junit: Path) -> dict[str, str]:
    """{test case: outcome} of a JUnit XML file, as regrtest (`name` is the whole id) and pytest
    (`classname` and `name`) write them."""
    result = {}
    for case in ET.parse(junit).iter("testcase"):
        if case.get("name") is None:  # an empty record regrtest writes for a test whose subtests failed
            continue
        outcome = "passed"
        for child in case:
            if child.tag == "skipped":
                outcome = f"skipped: {child.get('message', '')}"
            elif child.tag in ("failure", "error"):
                outcome = child.tag
        name = f"{case.get('classname')}.{case.get('name')}" if case.get("classname") else case.get("name")
        result[name] = outcome
    return result


def listed_modules(path: Path) -> tuple[list[str], list[str]]:
    """Reads a list of test modules (early_free/differential_modules.txt): one module a line, the
    rest of the line its comment; `#` starts a comment line; `-module` names a module left out on
    purpose. Returns (listed, left out)."""
    listed, left_out = [], []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name = line.split()[0]
            (left_out if name.startswith("-") else listed).append(name.lstrip("-"))
    return listed, left_out


def differences(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    return [f"{name}: python3.11 {expected.get(name, 'absent')}, shrinkpython {got.get(name, 'absent')}"
            for name in sorted(set(expected) | set(got)) if expected.get(name) != got.get(name)]


def report_differences(expected: dict[str, str], got: dict[str, str], known: dict[str, str], indent: str = "") -> int:
    """Prints every case that differs, with the reason `known` gives for it (keyed by the start of
    the case's id), and returns how many have none."""
    unexplained = 0
    for line in differences(expected, got):
        reason = next((why for case, why in known.items() if line.startswith(case)), None)
        unexplained += reason is None
        print(f"{indent}{line}  ({reason})" if reason else f"{indent}{line}", flush=True)
    return unexplained
