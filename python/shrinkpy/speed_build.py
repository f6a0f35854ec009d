"""The trimmed CPython rebuilt for speed: the interpreter (Objects/, Python/: the evaluation loop,
objects, calls) and its C modules (Modules/) at -O2, profile-guided where the build machine can run
the board's interpreter.

Why: `-Os` everywhere made the trimmed interpreter 1.5x slower than Debian's python3.11 (geometric
mean of the workloads), which is built with -O2, profile-guided optimisation and LTO. Measured on
the host board: richards and nbody took 1.38x and 1.39x python3.11's time at -Os, 1.07x and 1.06x
with Objects/ and Python/ at -O2, 0.97x and 1.05x with a profile as well, for 0.15 MiB more RSS at
`-c pass` (with a profile GCC compiles what the training never ran for size). Modules/ at -O2 as
well: json_to_csv 1.18x -> 1.12x, log_analyser 1.09x -> 1.03x of shrinkpython's time (_json,
_sre), for 0.02 MiB. Tried and left out: Parser/ at -O2 (it runs only without bytecode caches) and
-fprofile-partial-training (0.2 MiB more at start, no faster). The rest of the gap was our
allocator at -Os (allocator/CMakeLists.txt).

Also left out (2026-12-04, host board, instructions counted by cachegrind on six workloads at
--scale 0.2, start-up peak RSS with the start-up layout, medians of 15 alternating runs):
- -O3 instead of -O2, profile and all: 2.5% fewer instructions (from dictobject.c,
  unicodeobject.c, floatobject.c, _bisectmodule.c, abstract.c, tupleobject.c), 160 KB more text,
  +112 KiB at `-S -I -c pass` and +40 KiB at `import json, re, collections, asyncio`: the host
  board's `-c pass` would go past its 0.6x target. Python/ceval.c alone at -O3: 0.3% fewer.
- LTO (-flto at the profiled stage, GNU ld, CPython's own link with -export-dynamic): 1.3% fewer
  instructions (log_analyser -3%, text_index and graph_search +1-2%); and the start-up layout needs
  lld, which cannot link GCC's LTO objects.

How: after the -Os build, their objects are rebuilt with -O2; where the build runs natively
(the host board) first instrumented (-fprofile-generate), trained on pgo_training.py, then rebuilt
with the profile (-fprofile-use). Cross builds get -O2 without a profile: their interpreter runs
only under qemu here.
"""

from __future__ import annotations

from pathlib import Path

from shrinkpy.build_steps import Steps

SPEED_DIRS = ("Objects", "Python", "Modules")
SPEED_BUILD = "speed: -O2 in Objects Python Modules, profile-guided where native (5)"  # in the build's cache key
TRAINING = Path(__file__).with_name("pgo_training.py")


def _remove_objects(build: Path) -> None:
    for directory in SPEED_DIRS:
        for obj in (build / directory).glob("**/*.o"):
            obj.unlink()


def build_for_speed(steps: Steps, build: Path, cflags: str, ldflags: str, native: bool, jobs: str, board: str) -> str:
    """Rebuilds the trimmed build in `build` for speed; `cflags` are the build's own (their -Os is
    replaced). Returns what was done, for the build's record."""
    speed = " ".join(["-O2" if f == "-Os" else f for f in cflags.split()])

    def make(name: str, log: str, extra_cflags: str = "", extra_ldflags: str = "") -> None:
        _remove_objects(build)
        steps.run(name, ["make", f"-j{jobs}", "python", f"CONFIGURE_CFLAGS={speed} {extra_cflags}".rstrip(),
                         f"LDFLAGS={ldflags} {extra_ldflags}".rstrip()], cwd=build, log=f"{log}-{board}")

    if not native:
        make("-O2", "speed-O2")
        return "-O2"
    for stale in build.glob("**/*.gcda"):
        stale.unlink()
    make("-O2 instrumented", "speed-instrumented", "-fprofile-generate -fprofile-update=single", "-fprofile-generate")
    steps.run("profile: training run", [str(build / "python"), str(TRAINING)], cwd=build, log=f"speed-training-{board}")
    make("-O2 with the profile", "speed-profiled", "-fprofile-use -fprofile-correction -Wno-missing-profile")
    return "-O2 with a profile"
