"""Configuring and building CPython for a board: the trimmed build (-Os, then rebuilt for speed
unless the board says size, see speed_build.py; no docstrings, no test modules, only the kept C
modules, each built into libpython through Modules/Setup.local) and, for cross builds, the native build python of the same version that CPython's cross build runs.

Measured configure lines and their gotchas: shared/research/trimmed-build.md (sections 1.4, 2, 3).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from shrinkpy.build_cache import cache_dir, locked
from shrinkpy.build_steps import StepFailed, Steps
from shrinkpy.cpython_source import cpython_version
from shrinkpy.speed_build import SPEED_BUILD, build_for_speed
from shrinkpy.stdlib_index import StdlibIndex

BUILD_TRIPLE = "x86_64-pc-linux-gnu"
BUILT_MARK = ".shrinkpy-built"


def jobs() -> str:
    return str(os.cpu_count() or 2)


@dataclass(frozen=True)
class Target:
    """What the trimmed CPython is built for."""
    triple: str  # GNU triple of the board, e.g. aarch64-linux-gnu; "" for the host
    cpu_flags: str  # e.g. -mcpu=cortex-a76
    sysroot: Path | None = None  # extra libraries for a cross build (cross_sysroot.py)
    optimize: str = "speed"  # the board profile's `optimize`: rebuilt at -O2 (+PGO), speed_build.py, or -Os

    @property
    def cross(self) -> bool:
        return bool(self.triple)


def _built(build: Path) -> bool:
    return (build / BUILT_MARK).exists()


def build_python(steps: Steps, src: Path) -> Path:
    """The native CPython of the same version, built once per source tree (cross builds run it to
    freeze modules, generate sysconfig data and compile the stdlib)."""
    build = cache_dir() / "build-python" / f"Python-{cpython_version(src)}"
    with locked("build-python"):
        if _built(build):
            steps.skip("build python", f"from the cache ({build}/python)")
            return build / "python"
        shutil.rmtree(build, ignore_errors=True)
        build.mkdir(parents=True)
        steps.run("build python: configure", [str(src / "configure"), "--disable-test-modules", "--without-ensurepip"],
                  cwd=build, log="build-python-configure")
        steps.run("build python: make", ["make", f"-j{jobs()}"], cwd=build, log="build-python-make")
        (build / BUILT_MARK).write_text("ok\n")
    return build / "python"


def setup_local(index: StdlibIndex, c_modules: list[str]) -> str:
    """Modules/Setup.local: the kept optional C modules built in (their lines from Setup.stdlib.in;
    makesetup adds each module's MODULE_*_CFLAGS/LDFLAGS itself), and the modules only setup.py
    knows switched off, since py_cv_module_*=n/a does not reach them (research 1.4)."""
    lines = ["# Written by `shrinkpy build`: the C modules this board keeps, built into the interpreter.", "*static*"]
    lines += [index.optional[name] for name in sorted(c_modules)]
    lines += ["", "*disabled*", *index.setup_py_only, ""]
    return "\n".join(lines)


def compiler_flags(target: Target) -> tuple[str, str]:
    """CFLAGS and LDFLAGS of a trimmed build (speed_build.py rebuilds with the same, -Os made -O2)."""
    # -ffunction-sections: the start-up code is grouped at link time (text_layout.py). -fdata-sections
    # lets the linker lay out each object's data on its own: 64 KiB less at start-up, measured.
    cflags = " ".join(f for f in ("-Os", "-fno-pie", "-ffunction-sections", "-fdata-sections", target.cpu_flags) if f)
    ldflags = "-no-pie"
    if target.cross and target.sysroot is not None:
        multiarch = target.sysroot / "usr" / "lib" / target.triple
        ldflags += f" -L{multiarch} -L{target.sysroot}/lib/{target.triple} -Wl,-rpath-link,{multiarch}"
    return cflags, ldflags


def configure_command(src: Path, index: StdlibIndex, target: Target, c_modules: list[str],
                      python_for_build: Path | None) -> tuple[list[str], dict[str, str]]:
    """The configure line of a trimmed build and the environment variables it needs."""
    cflags, ldflags = compiler_flags(target)
    env: dict[str, str] = {}
    args = [str(src / "configure"), "--prefix=/usr/local", "--without-doc-strings", "--disable-test-modules",
            "--without-ensurepip"]
    if target.cross:
        args += [f"--host={target.triple}", f"--build={BUILD_TRIPLE}", f"--with-build-python={python_for_build}",
                 # Checks configure cannot run on the build machine (research 3, gotcha 1).
                 "ac_cv_file__dev_ptmx=yes", "ac_cv_file__dev_ptc=no", "ac_cv_buggy_getaddrinfo=no"]
        # Host .pc files would make configure find x86_64 libraries (research 3, gotcha 2).
        env["PKG_CONFIG_LIBDIR"] = "/nonexistent"
        if target.sysroot is not None:
            env["CPPFLAGS"] = f"-I{target.sysroot}/usr/include -I{target.sysroot}/usr/include/{target.triple}"
    args += [f"CFLAGS={cflags}", f"LDFLAGS={ldflags}"]
    args += [f"py_cv_module_{name}=n/a" for name in sorted(index.optional) if name not in c_modules]
    return args, env


def build_trimmed(steps: Steps, src: Path, index: StdlibIndex, board: str, target: Target, c_modules: list[str],
                  python_for_build: Path | None) -> Path:
    """The trimmed CPython build directory for this board and C module set, built once."""
    command, env = configure_command(src, index, target, c_modules, python_for_build)
    setup = setup_local(index, c_modules)
    patches = sorted(p.name for p in src.glob(".shrinkpy-*"))  # a changed tree is a new build
    parts = [*command, repr(sorted(env.items())), setup, *patches, SPEED_BUILD, target.optimize]
    key = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]
    build = cache_dir() / "cpython" / f"{board}-{key}"
    with locked(f"cpython-{board}-{key}"):
        if _built(build):
            steps.skip("cpython", f"trimmed build from the cache ({build})")
            return build
        shutil.rmtree(build, ignore_errors=True)
        (build / "Modules").mkdir(parents=True)
        (build / "Modules" / "Setup.local").write_text(setup)
        steps.say(f"C modules built in: {' '.join(sorted(c_modules)) or '(none beyond the core)'}")
        steps.run("configure", command, cwd=build, env=env, log=f"configure-{board}")
        steps.run("make", ["make", f"-j{jobs()}", "python", "pybuilddir.txt"], cwd=build, log=f"make-{board}")
        how = "-Os"
        if target.optimize == "speed":
            how = build_for_speed(steps, build, *compiler_flags(target), not target.cross, jobs(), board)
        (build / BUILT_MARK).write_text(" ".join(command) + f"\n{how}\n")
    return build
