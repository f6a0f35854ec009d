"""Fuzzing from Python: mutated real code objects go through code.replace() into the analyzer,
which must raise AnalyzerError or succeed, never crash; a child process isolates a crash.
Paired with tests/cpp/test_fuzz.cpp (the sanitized run)."""

import subprocess
import sys
import textwrap

from conftest import REPO

SCRIPT = textwrap.dedent('''
    import random, sys
    sys.path[:0] = [sys.argv[1], sys.argv[2]]
    import tricky
    from shrinkpy import _analyzer as A
    rng = random.Random(2024)
    codes = [getattr(tricky, n).__code__ for n in tricky.LAST_USES]
    ok = errors = 0
    for i in range(4000):
        code = rng.choice(codes)
        fields = {"co_code": bytearray(code.co_code), "co_exceptiontable": bytearray(code.co_exceptiontable),
                  "co_linetable": bytearray(code.co_linetable)}
        name = rng.choice(list(fields))
        data = fields[name]
        for _ in range(rng.randint(1, 3)):
            if name == "co_code":
                # Only opargs: CPython's own _PyCode_Quicken (run by code.replace) trusts the opcode
                # bytes and writes into the cache after an adaptive opcode; the C++ fuzz suite
                # mutates opcodes freely.
                data[rng.randrange(len(data) // 2) * 2 + 1] = rng.randrange(256)
            elif data and rng.random() < 0.7:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif data:
                del data[rng.randrange(len(data)):]
        try:
            mutated = code.replace(**{name: bytes(data)})
        except ValueError:
            continue
        try:
            A.analyze(mutated)
            A.roundtrip(mutated, "cfg")
            ok += 1
        except A.AnalyzerError as e:
            assert e.reason and e.section
            errors += 1
    print(ok, errors)
''')


def test_mutated_code_objects_never_crash():
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(REPO / "python"), str(REPO / "tests/python/corpus")],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    ok, errors = map(int, r.stdout.split())
    assert errors > 100 and ok > 0
