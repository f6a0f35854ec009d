"""shrinkpy build: a trimmed, static python3.11 for a board, with shrinkpy's runtime and allocator
inside, packed into dist/<board>/ (dist_pack.py). Steps: board profile -> CPython source (cached)
-> module set (module_set.py) -> trimmed CPython (cpython_build.py; cross builds first get the
native build python and the arm64 sysroot) -> shrinkpython against it (runtime_build.py) -> pack ->
a start-up check. Each step prints a progress line; a failed one prints its log's tail and command."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from shrinkpy import board_profile, module_set
from shrinkpy.build_cache import cache_dir
from shrinkpy.build_steps import StepFailed, Steps

REPO = Path(__file__).resolve().parents[2]
QEMU = "qemu-aarch64"
CROSS_LIBC = "/usr/aarch64-linux-gnu"
# What a cross build needs on the build machine, and the Debian packages that provide it.
CROSS_TOOLS = {"aarch64-linux-gnu-gcc": "gcc-aarch64-linux-gnu", "aarch64-linux-gnu-g++": "g++-aarch64-linux-gnu",
               QEMU: "qemu-user", "dpkg-deb": "dpkg"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--board", required=True, help=f"board profile: {', '.join(board_profile.available())}")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--app", metavar="APP.py", help="keep the import closure of this program (and what it imports)")
    what.add_argument("--modules", metavar="FILE", help="keep these modules (one name a line, # comments)")
    parser.add_argument("--trace-run", metavar="ARGS", nargs="?", const="",
                        help="with --app: also run it under python3.11 with these arguments and keep what it imported")
    link = parser.add_mutually_exclusive_group()
    link.add_argument("--static", dest="dynamic", action="store_false",
                      help="fully static interpreter (default): no shared libraries, no extension modules")
    link.add_argument("--dynamic", dest="dynamic", action="store_true",
                      help="libpython and our runtime linked in, the C library shared: extension modules load")
    parser.set_defaults(dynamic=False)
    parser.add_argument("--cpython-src", metavar="DIR", help="a CPython 3.11 source tree instead of Debian's source package")
    parser.add_argument("--explain", action="store_true", help="list each kept module with its size and why it was kept")
    parser.add_argument("--out", metavar="DIR", help="where to pack (default: dist/<board> in the checkout)")


def main(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        manifest = build(args)
    except StepFailed as e:
        print(f"shrinkpy build: {e}", file=sys.stderr)
        return 1
    if args.explain:
        print(explain(manifest))
    print(f"shrinkpy build: {manifest['out']} ready in {time.monotonic() - started:.0f} s "
          f"(interpreter {manifest['binary_bytes'] / 2**20:.1f} MiB, stdlib {manifest['stdlib_bytes'] / 2**20:.1f} MiB, "
          f"{len(manifest['modules'])} modules kept, {len(manifest['trimmed'])} trimmed)", file=sys.stderr)
    return 0


def _roots(args: argparse.Namespace, profile: board_profile.Profile) -> list[tuple[str, str]]:
    if args.modules:
        try:
            lines = Path(args.modules).read_text().splitlines()
        except OSError as e:
            raise StepFailed(f"--modules {args.modules}: {e.strerror}") from None
        names = [line.split("#", 1)[0].strip() for line in lines]
        bad = [n for n in names if n and not all(p.isidentifier() for p in n.split("."))]
        if bad:
            raise StepFailed(f"--modules {args.modules}: not module names: {', '.join(bad)}")
        return [(n, f"listed in {Path(args.modules).name}") for n in names if n]
    if args.app:
        return []
    return [(n, f"kept by the {profile.name} profile") for n in profile.keep]


def _embedded_roots() -> list[tuple[str, str]]:
    """What the Python code compiled into shrinkpython (runtime/*.py: the loader hook, deferred
    imports) imports: every board's interpreter runs it, whatever the app."""
    return [(name, f"imported by runtime/{path.name} (part of shrinkpython)")
            for path in sorted((REPO / "runtime").glob("*.py")) for name, _ in module_set.app_imports(path)]


def _check_cross_tools() -> None:
    missing = sorted({pkg for tool, pkg in CROSS_TOOLS.items() if shutil.which(tool) is None})
    if missing:
        raise StepFailed(f"a cross build needs {', '.join(missing)}: apt-get install {' '.join(missing)} "
                         f"(or `make deps-cross` as root)")


def build(args: argparse.Namespace) -> dict:
    from shrinkpy import cpython_build, cpython_source, dist_pack
    from shrinkpy.runtime_build import build_runtime
    from shrinkpy.stdlib_index import StdlibIndex

    profile = board_profile.load(args.board)
    if args.trace_run is not None and not args.app:
        raise StepFailed("--trace-run needs --app")
    app = Path(args.app).resolve() if args.app else None
    if app is not None and not app.is_file():
        raise StepFailed(f"--app {args.app}: no such file")
    roots = _roots(args, profile)
    fully_static = not args.dynamic
    steps = Steps(cache_dir() / "logs" / profile.name, profile.name)
    steps.say(f"{profile.description}; {'fully static' if fully_static else 'dynamic C library'}")
    defaults = board_profile.board_defaults(profile, board_profile.option_table(), fully_static)
    steps.say("option defaults: " + " ".join(f"{k}={v}" for k, v in defaults.items()))
    if profile.cross:
        _check_cross_tools()

    src = cpython_source.given_tree(args.cpython_src) if args.cpython_src else cpython_source.fetch(steps)
    index = StdlibIndex.of(src)
    modules, trimmed = choose_modules(steps, index, profile, roots, app, args.trace_run)

    target = cpython_build.Target(profile.triple, profile.cpu_flags, optimize=profile.optimize)
    python_for_build = None
    if profile.cross:
        python_for_build = cpython_build.build_python(steps, src)
        from shrinkpy.cross_sysroot import sysroot
        target = cpython_build.Target(profile.triple, profile.cpu_flags, sysroot(steps), profile.optimize)
    cpython = cpython_build.build_trimmed(steps, src, index, profile.name, target, sorted(modules.c), python_for_build)

    def link(symbol_order: str = "") -> Path:
        try:
            return build_runtime(steps, board=profile.name, cpython=cpython, defaults=defaults,
                                 fully_static=fully_static, triple=profile.triple, cpu_flags=profile.cpu_flags,
                                 symbol_order=symbol_order)
        except FileNotFoundError as e:
            raise StepFailed(f"the runtime build produced no {e}") from None

    interpreter = link()

    out = Path(args.out).resolve() if args.out else REPO / "dist" / profile.name
    strip = f"{profile.triple}-strip" if profile.cross else "strip"
    steps.say(f"pack: {out}")
    command, _ = cpython_build.configure_command(src, index, target, sorted(modules.c), python_for_build)
    manifest = dist_pack.pack(
        out, board=profile.name, index=index, modules=modules, trimmed=trimmed, interpreter=interpreter,
        cpython_build=cpython, strip=strip, app=args.app, keep_docstrings=profile.docstrings == "keep",
        keep_debug_ranges=profile.debug_ranges == "keep", manifest={
            "board": profile.name, "description": profile.description, "triple": profile.triple or "host",
            "page_size": profile.page_size, "ram_mib": profile.ram_mib, "docstrings": profile.docstrings,
            "debug_ranges": profile.debug_ranges,
            "linking": "fully-static" if fully_static else "dynamic", "option_defaults": defaults,
            "cpython_source": str(src), "cpython_build": str(cpython),
            "configure": shlex.join(command), "app": args.app, "out": str(out),
        })
    qemu = [QEMU, "-L", CROSS_LIBC] if profile.cross else ["qemu-x86_64"]
    readelf = f"{profile.triple}-readelf" if profile.cross else "readelf"
    group_startup_code(steps, qemu, out, interpreter, link, strip, readelf, manifest)
    runner = [str(out / "bin" / "python3.11")]
    if profile.cross:
        check_page_alignment(out / "bin" / "python3.11", profile.page_size, readelf)
        wrapper, board_pages = dist_pack.write_qemu_wrapper(out, QEMU, CROSS_LIBC, profile.page_size)
        runner = [str(wrapper)]
        if board_pages:
            steps.say(f"qemu: {wrapper.name} runs python3.11 with the board's {profile.page_size // 1024} KiB pages")
        else:
            steps.say(f"warning: this {QEMU} cannot show a program {profile.page_size // 1024} KiB pages (-p): "
                      f"{wrapper.name} runs python3.11 with this machine's")
    check_start(runner, out)
    steps.say(f"start-up check: {shlex.join(runner)} runs and finds its stdlib in {out}")
    return manifest


def choose_modules(steps: Steps, index, profile: board_profile.Profile, roots: list[tuple[str, str]],
                   app: Path | None, trace_args: str | None):
    """The kept modules (module_set.py) and the trimmed ones (dist_pack.trimmed_modules)."""
    from shrinkpy import dist_pack

    traced = None
    if app is not None and trace_args is not None:
        steps.say(f"traced run: python3.11 {app.name} {trace_args}")
        try:
            traced = module_set.trace_imports(app, shlex.split(trace_args))
        except RuntimeError as e:
            raise StepFailed(str(e)) from None
    modules = module_set.compute(index, excluded=profile.exclude, roots=_embedded_roots() + roots, app=app,
                                 traced=traced)
    trimmed = dist_pack.trimmed_modules(index, modules, profile.exclude)
    steps.say(f"module set: {len(modules.python)} Python modules, {len(modules.c)} C modules built in, "
              f"{len(trimmed)} trimmed")
    if modules.foreign:
        steps.say("warning: the app imports modules that are not in the stdlib and will not be in "
                  f"{profile.name}'s interpreter: {', '.join(sorted(modules.foreign))}")
    return modules, trimmed


def group_startup_code(steps: Steps, qemu: list[str], out: Path, interpreter: Path, relink, strip: str, readelf: str,
                       manifest: dict) -> None:
    """Relinks the interpreter with its start-up functions together (text_layout.py) and installs it."""
    from shrinkpy import dist_pack, speed_build, text_layout

    if shutil.which(qemu[0]) is None:
        steps.say(f"warning: no {qemu[0]} (apt-get install qemu-user): start-up code is not grouped, "
                  "which costs about 1 MiB of RSS")
        return
    steps.say(f"trace: which functions start-up runs, under {qemu[0]}")
    dist_pack.install_interpreter(out, interpreter, None)  # with symbols, where it finds its stdlib
    traced = out / "bin" / "python3.11"
    symbols = text_layout.function_symbols(readelf, traced)
    by_command = text_layout.first_run_functions(qemu, traced, symbols)
    code = text_layout.with_unseen_relatives(by_command, symbols)
    # The rest of the interpreter after the start-up code, hot code first (the runtime's link needed
    # this archive: cmake/TrimmedPython.cmake).
    library = Path(manifest["cpython_build"]) / speed_build.LIBRARY
    code = list(dict.fromkeys(code + text_layout.profiled_order(readelf, library)))
    dist_pack.install_interpreter(out, relink(text_layout.symbol_order(code)), strip)
    manifest["startup_functions"] = sum(map(len, by_command))
    manifest["grouped_functions"] = len(code)
    manifest["binary_bytes"] = (out / "bin" / "python3.11").stat().st_size
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def check_page_alignment(binary: Path, page_size: int, readelf: str) -> None:
    """Every LOAD segment must be aligned to the board's page size (16 KiB kernels refuse less)."""
    text = subprocess.run([readelf, "-lW", str(binary)], capture_output=True, text=True, check=True).stdout
    aligns = [int(line.split()[-1], 16) for line in text.splitlines() if line.strip().startswith("LOAD")]
    if not aligns or min(aligns) < page_size:
        raise StepFailed(f"{binary}: LOAD segments aligned to {min(aligns or [0])} bytes, the board's pages are "
                         f"{page_size}")


def check_start(runner: list[str], out: Path) -> None:
    code = "import sys, encodings; print(sys.prefix)"
    p = subprocess.run([*runner, "-I", "-c", code], capture_output=True, text=True, env={}, timeout=120)
    if p.returncode != 0 or Path(p.stdout.strip()).resolve() != out.resolve():
        raise StepFailed(f"the packed interpreter does not start from {out}:\n  {shlex.join([*runner, '-I', '-c', code])}"
                         f"\n  exit code {p.returncode}, stdout {p.stdout.strip()!r}\n{p.stderr[-2000:]}")


def explain(manifest: dict) -> str:
    rows = sorted(manifest["modules"], key=lambda r: (r["kind"] == "c", r["name"]))
    width = max(len(r["name"]) for r in rows)
    lines = [f"{'module':<{width}} {'kind':<7} {'bytes':>8}  why kept"]
    lines += [f"{r['name']:<{width}} {r['kind']:<7} {r['bytes']:>8}  {r['why']}" for r in rows]
    lines.append(f"\ntrimmed ({len(manifest['trimmed'])}): importing one raises ModuleNotFoundError saying why:")
    lines += [f"  {t['name']}: {t['why']}" for t in manifest["trimmed"]]
    return "\n".join(lines)
