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
  lld, which cannot link GCC's LTO objects. (Taken up on 2026-12-05 through a relocatable link,
  below: measured in wall time, not instructions, it was worth more.)

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

LTO without giving up lld's start-up layout (2026-12-05): the last build compiles to GCC's
intermediate code (-flto), and GCC links libpython3.11.a into one relocatable object of machine code
(`gcc -r -flinker-output=nolto-rel`, with -ffunction-sections, so each function keeps its section);
that object, in libpython3.11.a's place, is what lld links and orders. Cross-file inlining is what
Debian's LTO gives stock: ceval calls _PyLong_Add, long_pow and the like where stock inlines them.
Measured on the build tree's own interpreter against the same build without LTO (3 runs each):
image_filters 0.96 s -> 0.87 s (stock 0.79 s), log_analyser -5%, json_to_csv -3%, text_index -2%,
graph_search +-1%; 54 KB less text. With round() and comparisons in the training as well, the packed
interpreter (full configuration) against the one before, in stock's time (medians of 3 alternating
runs): text_index 1.09x -> 1.01x, spike_records 1.10x -> 1.03x, graph_search 1.11x -> 1.07x,
image_filters 1.09x -> 1.06x, json_to_csv 1.17x -> 1.13x, service_spikes 0.98x -> 0.95x;
128 KiB less at `-S -I -c pass` (4.50 -> 4.37 MiB). Tried on top and left out: dictobject.c at
-O3 (the dict lookups are text_index's and graph_search's hottest code): the same instructions
(text_index 1.08x of stock's, graph_search 1.03x, log_analyser 1.05x).

How: after the -Os build, their objects are rebuilt with -O2; where the build runs natively
(the host board) first instrumented (-fprofile-generate), trained on pgo_training.py, then rebuilt
with the profile (-fprofile-use) and LTO. Cross builds get -O2 and LTO without a profile: their
interpreter runs only under qemu here. HOT_O3 is compiled at -O3 in each build, the instrumented one
included (a profile made at -O2 does not match an -O3 compile: -Werror=coverage-mismatch). GCC keeps
each function's own -O level through LTO (per-function options since GCC 5), so Parser/ stays -Os.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from shrinkpy.build_steps import Steps

SPEED_DIRS = ("Objects", "Python", "Modules")
HOT_O3 = ("Python/dtoa.o", "Python/formatter_unicode.o", "Objects/floatobject.o", "Modules/_bisectmodule.o")
TRAINING = Path(__file__).with_name("pgo_training.py")
# In the build's cache key: a change of these lists or of the training makes a new build.
SPEED_BUILD = (f"speed: -O2 in {' '.join(SPEED_DIRS)}, -O3 {' '.join(HOT_O3)}, LTO relocatable, profile-guided where "
               f"native, training {hashlib.sha256(TRAINING.read_bytes()).hexdigest()[:12]}")
LIBRARY = "libpython3.11.a"


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
        make("-O2 LTO", "speed-O2", "-flto=auto", "-flto=auto")
        _link_relocatable(steps, build, at(""), board)
        return f"-O2 ({len(hot)} files -O3), LTO"
    for stale in build.glob("**/*.gcda"):
        stale.unlink()
    make("-O2 instrumented", "speed-instrumented", "-fprofile-generate -fprofile-update=single", "-fprofile-generate")
    steps.run("profile: training run", [str(build / "python"), str(TRAINING)], cwd=build, log=f"speed-training-{board}")
    make("-O2 with the profile, LTO", "speed-profiled",
         "-fprofile-use -fprofile-correction -Wno-missing-profile -flto=auto", "-flto=auto")
    _link_relocatable(steps, build, at(""), board)
    return f"-O2 ({len(hot)} files -O3) with a profile, LTO"


def _make_variable(build: Path, name: str) -> str:
    """A variable of the build's Makefile as configure wrote it (`CC=\t\tgcc`)."""
    for line in (build / "Makefile").read_text().splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() == name:
            return value.strip()
    raise KeyError(f"{name} not in {build / 'Makefile'}")


def _link_relocatable(steps: Steps, build: Path, cflags: str, board: str) -> None:
    """libpython3.11.a (LTO objects, and Parser/'s plain ones) made into an archive of one object of
    machine code: GCC's link-time optimisation done here, so that any linker (lld) can link it.
    `cflags` without an -O level: each function keeps its own (per-function options)."""
    cc = _make_variable(build, "CC").split()
    whole = build / "libpython-lto.o"
    # The bundled libraries (libmpdec, expat) are LTO objects too, which lld cannot read: they go
    # into the same object, and lld finds nothing left to take from their archives.
    bundled = [str(a.relative_to(build)) for a in sorted(build.glob("Modules/**/*.a"))]
    steps.run("LTO: libpython as one relocatable object",
              [*cc, "-r", "-flto=auto", "-flinker-output=nolto-rel", *cflags.split(), "-o", whole.name,
               "-Wl,--whole-archive", LIBRARY, *bundled, "-Wl,--no-whole-archive"], cwd=build, log=f"speed-lto-{board}")
    # The archive replaced in place, newer than its objects, so that make leaves it alone.
    staged = build / f"{LIBRARY}.lto"
    staged.unlink(missing_ok=True)
    steps.run("LTO: libpython3.11.a of that object", [_make_variable(build, "AR"), "rcs", staged.name, whole.name],
              cwd=build, log=f"speed-lto-ar-{board}")
    staged.replace(build / LIBRARY)
