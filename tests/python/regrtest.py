"""CPython's own regression tests (Debian's libpython3.11-testsuite) as a parity check: run the same
test modules under /usr/bin/python3.11 and under shrinkpython and compare every test case's outcome.
package_sweep.py compares pytest's results the same way (junit_outcomes)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import clean_env, run


def outcomes(python: str, tests: list[str], workdir: Path, args: tuple[str, ...] = (), timeout: float = 1800,
             **env: str) -> tuple[int, dict[str, str]]:
    """Runs `python -m test ARGS TESTS` and returns its exit code and {test case: outcome}, where the
    outcome is 'passed', 'skipped: <reason>', 'failure' or 'error'."""
    workdir.mkdir(parents=True, exist_ok=True)
    junit = workdir / "junit.xml"
    r = run([python, "-m", "test", *args, *tests, "--junit-xml", str(junit)], env=clean_env(**env), cwd=workdir,
            timeout=timeout)
    if not junit.exists():
        raise AssertionError(f"{python} -m test wrote no results:\n{r.stdout.decode()[-3000:]}{r.stderr.decode()[-3000:]}")
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
