"""The interpreter's core (Objects/ and Python/: the evaluation loop, objects, calls) compiled for
speed in an otherwise size-optimised trimmed build.

Why: `-Os` everywhere made the trimmed interpreter 1.5x slower than Debian's python3.11, which is
built with -O2, profile-guided optimisation and LTO; measured on the host board (richards, nbody):
-Os 1.38x / 1.39x of python3.11's time, core at -O2 1.07x / 1.06x, core at -O2 with PGO 0.97x /
1.05x, for 0.2 MB more RSS at `-c pass` (PGO keeps cold code small). The rest of the build (the C
modules, the parser, our runtime) stays at -Os: little time is spent there.

How: after the -Os build, the core's objects are rebuilt with -O2, and where the build machine can
run the board's interpreter (the host board), first instrumented (-fprofile-generate), trained on
pgo_training.py, then rebuilt with the profile (-fprofile-use). Cross builds get -O2 without a
profile: their interpreter runs only under qemu here.
"""

from __future__ import annotations

from pathlib import Path

from shrinkpy.build_steps import Steps

CORE_DIRS = ("Objects", "Python")
CORE_BUILD = "core: -O2, profile-guided where native (1)"  # part of the build's cache key
TRAINING = Path(__file__).with_name("pgo_training.py")


def _remove_core_objects(build: Path) -> None:
    for directory in CORE_DIRS:
        for obj in (build / directory).glob("*.o"):
            obj.unlink()


def optimize_core(steps: Steps, build: Path, cflags: str, ldflags: str, native: bool, jobs: str, board: str) -> str:
    """Rebuilds the core of the trimmed build in `build` for speed; `cflags` are the build's own
    (their -Os is replaced). Returns what was done, for the build's record."""
    speed = " ".join(["-O2" if f == "-Os" else f for f in cflags.split()])

    def make(name: str, log: str, extra_cflags: str = "", extra_ldflags: str = "") -> None:
        _remove_core_objects(build)
        steps.run(name, ["make", f"-j{jobs}", "python", f"CONFIGURE_CFLAGS={speed} {extra_cflags}".rstrip(),
                         f"LDFLAGS={ldflags} {extra_ldflags}".rstrip()], cwd=build, log=f"{log}-{board}")

    if not native:
        make("core -O2", "core-O2")
        return "core -O2"
    for stale in build.glob("**/*.gcda"):
        stale.unlink()
    make("core -O2 instrumented", "core-instrumented", "-fprofile-generate -fprofile-update=single", "-fprofile-generate")
    steps.run("core profile: training run", [str(build / "python"), str(TRAINING)], cwd=build,
              log=f"core-training-{board}")
    make("core -O2 with profile", "core-profiled", "-fprofile-use -fprofile-correction -Wno-missing-profile")
    return "core -O2 with profile"
