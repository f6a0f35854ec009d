"""The trimmed CPython rebuilt for speed: the interpreter (Objects/, Python/: the evaluation loop,
objects, calls) and its C modules (Modules/) at -O2, four files that start-up does not run at -O3
(HOT_O3), profile-guided where the build machine can run the board's interpreter.

Why: `-Os` everywhere made the trimmed interpreter 1.5x slower than Debian's python3.11 (geometric
mean of the workloads), which is built with profile-guided optimisation and LTO, at -O3 (below).
Measured on the host board: richards and nbody took 1.38x and 1.39x python3.11's time at -Os, 1.07x
and 1.06x with Objects/ and Python/ at -O2, 0.97x and 1.05x with a profile as well, for 0.15 MiB
more RSS at `-c pass` (with a profile GCC compiles what the training never ran for size). Modules/
at -O2 as well: json_to_csv 1.18x -> 1.12x, log_analyser 1.09x -> 1.03x of shrinkpython's time
(_json, _sre), for 0.02 MiB. Tried and left out: Parser/ at -O2 (it runs only without bytecode
caches) and -fprofile-partial-training (0.2 MiB more at start, no faster). The rest of the gap was
our allocator at -Os (allocator/CMakeLists.txt).

Also left out (2026-12-04, host board, instructions counted by cachegrind on six workloads at
--scale 0.2, start-up peak RSS with the start-up layout, medians of 15 alternating runs):
- -O3 instead of -O2, profile and all: 2.5% fewer instructions (from dictobject.c,
  unicodeobject.c, floatobject.c, _bisectmodule.c, abstract.c, tupleobject.c), 160 KB more text,
  +112 KiB at `-S -I -c pass` and +40 KiB at `import json, re, collections, asyncio`: the host
  board's `-c pass` would go past its 0.6x target. Python/ceval.c alone at -O3: 0.3% fewer.
- LTO (-flto at the profiled stage, GNU ld, CPython's own link with -export-dynamic): 1.3% fewer
  instructions (log_analyser -3%, text_index and graph_search +1-2%); and the start-up layout needs
  lld, which cannot link GCC's LTO objects.

Four files at -O3 (2026-12-04, host board, cachegrind as above on ten workloads): Debian compiles
python3.11 at -O3 (debian/rules: EXTRA_OPT_CFLAGS takes BASE_LTO_CFLAGS' -O3, and comes last on the
compiler's command line; the installed sysconfig data is edited to say -O2), and GCC's -O3 inlines
the static helpers of Python/dtoa.c's _Py_dg_dtoa (quorem, diff, multadd, Balloc) where -O2 calls
them: 482 M against stock's 355 M instructions in service_spikes, whose floats json writes. With
HOT_O3 and float and integer formatting in the training: service_spikes 1.11x -> 1.02x of stock's
instructions, spike_dict_* (`f"{i:09d}"`) 1.11x -> 1.08x, geometric mean of ten workloads 1.07x ->
1.05x, for 17 KB of text and 20 KiB more at `-S -I -c pass`. Indexing bytearrays and arrays in the
training as well: image_filters' wall time 0.93 s -> 0.89 s (medians of 5 alternating runs; stock
0.77 s), the same instructions, 28 KiB more at `-S -I -c pass`. Left out: dictobject.c,
unicodeobject.c, longobject.c, abstract.c and tupleobject.c at -O3 as well, with CPython's own
`-m test --pgo` as training: 1.04x, but 427 KB more text and 160 KiB more at `-S -I -c pass` (0.60x
of stock, the target's edge): start-up runs those files.

How: after the -Os build, their objects are rebuilt with -O2; where the build runs natively
(the host board) first instrumented (-fprofile-generate), trained on pgo_training.py, then rebuilt
with the profile (-fprofile-use). Cross builds get -O2 without a profile: their interpreter runs
only under qemu here. HOT_O3 is compiled at -O3 in each build, the instrumented one included (a
profile made at -O2 does not match an -O3 compile: -Werror=coverage-mismatch).
"""

from __future__ import annotations

from pathlib import Path

from shrinkpy.build_steps import Steps

SPEED_DIRS = ("Objects", "Python", "Modules")
HOT_O3 = ("Python/dtoa.o", "Python/formatter_unicode.o", "Objects/floatobject.o", "Modules/_bisectmodule.o")
SPEED_BUILD = "speed: -O2 in Objects Python Modules, HOT_O3 -O3, profile-guided where native (8)"  # in the cache key
TRAINING = Path(__file__).with_name("pgo_training.py")


def _remove_objects(build: Path) -> None:
    for directory in SPEED_DIRS:
        for obj in (build / directory).glob("**/*.o"):
            obj.unlink()


def build_for_speed(steps: Steps, build: Path, cflags: str, ldflags: str, native: bool, jobs: str, board: str) -> str:
    """Rebuilds the trimmed build in `build` for speed; `cflags` are the build's own (their -Os is
    replaced). Returns what was done, for the build's record."""
    def at(level: str) -> str:  # the build's flags with its -Os replaced by `level`
        return " ".join([level if f == "-Os" else f for f in cflags.split()])

    speed, o3 = at("-O2"), at("-O3")
    hot = [obj for obj in HOT_O3 if (build / obj).exists()]  # those of the board's modules

    def make(name: str, log: str, extra_cflags: str = "", extra_ldflags: str = "") -> None:
        _remove_objects(build)
        # HOT_O3 first: `make python` below keeps the objects it finds newer than their sources.
        if hot:  # (make without a target would build everything at -O3)
            steps.run(f"{name}: {len(hot)} files at -O3", ["make", f"-j{jobs}", *hot,
                      f"CONFIGURE_CFLAGS={o3} {extra_cflags}".rstrip()], cwd=build, log=f"{log}-O3-{board}")
        steps.run(name, ["make", f"-j{jobs}", "python", f"CONFIGURE_CFLAGS={speed} {extra_cflags}".rstrip(),
                         f"LDFLAGS={ldflags} {extra_ldflags}".rstrip()], cwd=build, log=f"{log}-{board}")

    if not native:
        make("-O2", "speed-O2")
        return f"-O2 ({len(hot)} files -O3)"
    for stale in build.glob("**/*.gcda"):
        stale.unlink()
    make("-O2 instrumented", "speed-instrumented", "-fprofile-generate -fprofile-update=single", "-fprofile-generate")
    steps.run("profile: training run", [str(build / "python"), str(TRAINING)], cwd=build, log=f"speed-training-{board}")
    make("-O2 with the profile", "speed-profiled", "-fprofile-use -fprofile-correction -Wno-missing-profile")
    return f"-O2 ({len(hot)} files -O3) with a profile"
