"""Packing dist/<board>/: the interpreter, the kept stdlib as sourceless .pyc files, a stub for every
trimmed module, and manifest.json (modules, sizes, why each was kept, the configure line).

    bin/python3.11            shrinkpython linked against the trimmed CPython (python3 links to it)
    bin/python3.11-qemu       cross builds: runs it under qemu-aarch64 (binfmt_misc is not available
                              in containers; `-0` makes sys.executable the wrapper, research 3)
    lib/python3.11/           the kept modules (.pyc), package data files, _sysconfigdata
    lib/python3.11/lib-dynload/  empty: getpath's landmark for exec_prefix
    manifest.json

The layout is what CPython's getpath looks for next to the executable (bin/../lib/python3.11/os.pyc,
Modules/getpath.py), so the directory can be copied anywhere on the board.

A trimmed module's stub raises ModuleNotFoundError saying that it was trimmed and how to keep it.
It is a subclass of ImportError, so `try: import ssl / except ImportError:` works as before.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

from shrinkpy import docstrings
from shrinkpy.build_steps import StepFailed
from shrinkpy.module_set import ModuleSet
from shrinkpy.pyc_compile import PycJob, compile_all
from shrinkpy.stdlib_index import SKIPPED_DIRS, StdlibIndex, unavailable_reason

LIB = Path("lib") / "python3.11"

STUB = '''raise ModuleNotFoundError({message!r}, name={name!r})
'''


def _pyc_path(index: StdlibIndex, name: str) -> Path:
    parts = name.split(".")
    if name in index.packages:
        return Path(*parts) / "__init__.pyc"
    return Path(*parts[:-1], parts[-1] + ".pyc")


EXCLUDED = "excluded by the board profile"


def stub_message(name: str, why: str, board: str, app: str | None) -> str:
    reason = unavailable_reason(name)
    if reason is not None:
        return f"No module named '{name}': trimmed interpreters cannot have it ({reason}); board {board}"
    if why.startswith(EXCLUDED):
        keep = f"remove it from [modules.exclude] in boards/profiles/{board}.toml and run shrinkpy build again"
        return f"No module named '{name}': it was trimmed from this interpreter ({why}). To keep it: {keep}"
    keep = f"shrinkpy build --board {board} --modules FILE with '{name}' listed in FILE"
    if app:
        keep += f", or add it to the app's traced run (--app {app} --trace-run ARGS)"
    return f"No module named '{name}': it was trimmed from this interpreter ({why}; board {board}). To keep it: {keep}"


def trimmed_modules(index: StdlibIndex, modules: ModuleSet, excluded_why: dict[str, str]) -> dict[str, str]:
    """name -> why, for the outermost stdlib modules left out (a whole package gets one stub)."""
    out = {}
    for name in sorted(index.python):
        if name in modules.python:
            continue
        parent = name.rsplit(".", 1)[0] if "." in name else None
        if parent is None or parent in modules.python:
            excluded = excluded_why.get(name) or excluded_why.get(name.split(".")[0])
            out[name] = (modules.trimmed.get(name) or (excluded and f"{EXCLUDED}: {excluded}")
                         or "not imported by what this board keeps")
    for name in sorted(set(index.optional) | set(index.setup_py_only)):
        if name not in modules.c:
            out[name] = modules.trimmed.get(name) or "a C module nothing kept imports"
    return out


def _data_files(index: StdlibIndex, package: str) -> list[Path]:
    """Files of a package's own directory that are not Python sources (templates, grammars, ...)."""
    directory = index.python[package].parent
    return [p for p in sorted(directory.iterdir()) if p.is_file() and p.suffix not in (".py", ".pyc")
            and p.name not in SKIPPED_DIRS]


def pack(out: Path, *, board: str, index: StdlibIndex, modules: ModuleSet, trimmed: dict[str, str],
         interpreter: Path, cpython_build: Path, strip: str, app: str | None, manifest: dict,
         keep_docstrings: bool = False, keep_debug_ranges: bool = False) -> dict:
    """Writes dist/<board>/ afresh and returns the manifest it wrote; the stdlib's docstrings are
    left out (docstrings.py) unless `keep_docstrings`, its column positions (pyc_compile.py) unless
    `keep_debug_ranges`."""
    if importlib.util.MAGIC_NUMBER != (3495).to_bytes(2, "little") + b"\r\n":
        raise StepFailed("packing compiles the stdlib with this interpreter, which must be CPython 3.11")
    if out.exists():
        shutil.rmtree(out)
    lib = out / LIB
    (lib / "lib-dynload").mkdir(parents=True)
    (out / "bin").mkdir()
    binary = install_interpreter(out, interpreter, strip)
    os.symlink("python3.11", out / "bin" / "python3")

    rows, jobs = [], []
    for name in sorted(modules.python):
        rel = _pyc_path(index, name)
        keep = keep_docstrings or docstrings.keeps_docstrings(name)
        jobs.append(PycJob(index.python[name], lib / rel, str(rel.with_suffix(".py")), keep))
        data_files = _data_files(index, name) if name in index.packages else []
        for data in data_files:
            (lib / rel.parent).mkdir(parents=True, exist_ok=True)
            shutil.copy2(data, lib / rel.parent / data.name)
        rows.append({"name": name, "kind": "package" if name in index.packages else "python",
                     "bytes": sum(data.stat().st_size for data in data_files), "why": modules.python[name]})

    sysconfigdata = sorted((cpython_build / (cpython_build / "pybuilddir.txt").read_text().strip())
                           .glob("_sysconfigdata_*.py"))
    jobs += [PycJob(path, lib / (path.stem + ".pyc"), path.name, True) for path in sysconfigdata]

    stubs = lib / "__trimmed__"
    stubs.mkdir()
    for name, why in trimmed.items():
        source = stubs / f"{name}.py"
        source.write_text(STUB.format(message=stub_message(name, why, board, app), name=name))
        target = lib / (_pyc_path(index, name) if name in index.python else Path(name + ".pyc"))
        jobs.append(PycJob(source, target, f"<trimmed {name}>", True))
    sizes = compile_all(jobs, keep_debug_ranges=keep_debug_ranges)
    shutil.rmtree(stubs)
    for row, size in zip(rows, sizes):  # the modules' jobs come first
        row["bytes"] += size
    for name in sorted(modules.c):
        rows.append({"name": name, "kind": "c", "bytes": c_module_bytes(cpython_build, index, name, strip),
                     "why": modules.c[name]})

    manifest = {**manifest, "binary_bytes": binary.stat().st_size,
                "stdlib_bytes": sum(r["bytes"] for r in rows if r["kind"] != "c"),
                "modules": rows, "trimmed": [{"name": n, "why": w} for n, w in trimmed.items()],
                "foreign_imports": modules.foreign}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest


def install_interpreter(out: Path, interpreter: Path, strip: str | None) -> Path:
    """Copies the interpreter into out/bin, stripped unless `strip` is None."""
    binary = out / "bin" / "python3.11"
    shutil.copy2(interpreter, binary)
    if strip:
        subprocess.run([strip, "--strip-all", str(binary)], check=True)
    return binary


def c_module_bytes(cpython_build: Path, index: StdlibIndex, name: str, strip: str) -> int:
    """Code and data of a built-in C module: the `size` of its object files in the build."""
    sources = index.optional[name].split()[1:]
    objects = [str(cpython_build / "Modules" / Path(s).with_suffix(".o")) for s in sources if s.endswith(".c")]
    objects = [o for o in objects if os.path.exists(o)]
    if not objects:
        return 0
    size_tool = strip[:-len("strip")] + "size"
    out = subprocess.run([size_tool, "--totals", *objects], capture_output=True, text=True).stdout.splitlines()
    try:
        text, data, bss = (int(x) for x in out[-1].split()[:3])
    except (IndexError, ValueError):
        return 0
    return text + data


def write_qemu_wrapper(out: Path, qemu: str, sysroot: str, page_size: int) -> tuple[Path, bool]:
    """bin/python3.11-qemu, which runs this board's python3.11 under qemu-user, with the board's page
    size when this qemu can show it to the program (-p: the page size in the auxiliary vector, which
    sysconf reads, and qemu's own mappings aligned to it; QEMU 7.2, Debian 12's, can), so that the
    arena runs with the board's pages as it will on the board (a Pi 5's kernel has 16 KiB pages, this
    machine 4 KiB). Returns the wrapper and whether it has the board's page size."""
    python = out / "bin" / "python3.11"
    with_pages = [qemu, "-L", sysroot, "-p", str(page_size)]
    probe = subprocess.run([*with_pages, str(python), "-I", "-c", "import os; print(os.sysconf('SC_PAGESIZE'))"],
                           capture_output=True, text=True, env={}, timeout=600)
    board_pages = probe.returncode == 0 and probe.stdout.strip() == str(page_size)
    command = shlex.join(with_pages if board_pages else [qemu, "-L", sysroot])
    wrapper = out / "bin" / "python3.11-qemu"
    wrapper.write_text(
        "#!/bin/sh\n"
        "# Runs this board's python3.11 under qemu-user; -0 makes sys.executable this wrapper, so that\n"
        "# child processes (subprocess, venv, multiprocessing) go through qemu too.\n"
        f'exec {command} -0 "$0" "$(dirname "$0")/python3.11" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, board_pages
