"""CPython's whole regression suite under shrinkpython with every lever on, against python3.11:
`make test-regrtest-all` (about 45 minutes here; not part of `make test`).

Runs every test module that `make test` does not already run (early_free/differential_modules.txt
and the exclusions it documents), once under /usr/bin/python3.11 and once under shrinkpython with
SHRINKPY_REWRITE=all, SHRINKPY_EARLY_FREE=safe, SHRINKPY_IMPORTS=defer and the arena, and compares
every test case's outcome (regrtest.py). Exits 1 when a case differs for a reason not listed in
KNOWN. Its first run (stop 29) found the tracer and loader-hook bugs that test_import, test_imp and
test_bdb now guard.

    regrtest_sweep.py [MODULE ...]     (default: every module not run elsewhere)
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from conftest import STOCK
from regrtest import LEVERS, listed_modules, outcomes, report_differences
from shrinkpy import locate

HERE = Path(__file__).parent
DIFFERENTIAL = HERE / "early_free" / "differential_modules.txt"
RESOURCES = "all,-network,-urlfetch,-largefile,-cpu,-audio,-gui,-decimal,-tzdata"

# Test cases that differ on purpose, or for reasons the team has looked at, by the start of their id.
KNOWN = {
    "test.test_cmd_line.CmdLineTest.test_pythonmalloc":
        "_testinternalcapi.pymem_getallocatorsname() knows only CPython's allocators, not the arena",
    "test.test_cmd_line.CmdLineTest.test_xdev": "the same, under -X dev",
    "test.test_importlib.test_abc.Frozen_SourceLoaderBytecodeTests.test_code_bad_timestamp":
        "marshal's reference flag on the file name differs (the hook holds one more reference); the .pyc is valid",
    "test.test_importlib.test_abc.Frozen_SourceLoaderBytecodeTests.test_no_bytecode": "the same",
    "test.test_venv.BasicTest.test_zippath_from_non_installed_posix":
        "a bare copy of the launcher, with no pyvenv.cfg, cannot find libshrinkpython.so",
}


def modules(argv: list[str]) -> list[str]:
    if argv:
        return argv
    listed = subprocess.run([STOCK, "-m", "test", "--list-tests"], capture_output=True, text=True, check=True)
    # Left out: what the differential list runs already, and what it says it cannot compare.
    covered, left_out = listed_modules(DIFFERENTIAL)
    return [m for m in listed.stdout.split() if m not in {*covered, *left_out}]


def main(argv: list[str]) -> int:
    tests = modules(argv)
    args = ("-j2", "--timeout", "600", "-u", RESOURCES)
    print(f"{len(tests)} test modules, under {STOCK} and then shrinkpython", flush=True)
    with tempfile.TemporaryDirectory(prefix="regrtest-sweep-") as tmp:
        _, expected = outcomes(STOCK, tests, Path(tmp) / "stock", args=args, timeout=7200)
        _, got = outcomes(locate.shrinkpython(), tests, Path(tmp) / "shrinkpython", args=args, timeout=7200,
                          **LEVERS)
    print(f"{len(expected)} test cases under python3.11, {len(got)} under shrinkpython")
    unexplained = report_differences(expected, got, KNOWN)
    print(f"{unexplained} unexplained differences")
    return 1 if unexplained else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
