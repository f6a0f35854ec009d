"""Instructions executed, counted by valgrind (cachegrind without its cache simulation): the same
workloads and configurations as `shrinkpy bench`, judged by a count that does not move between runs.

Why: this machine's wall times move by 10-20% between runs of the same program (CPU frequency,
steal), which hides a difference of a few percent, such as the one between two builds of the
interpreter. The number of instructions a program executes depends only on the program and its
input: one run per pair is enough, and a difference of 1% is a real one. It is not time (cache
misses, branch mispredictions and page faults are not counted, the kernel's work neither), so the
matrix's wall times stay the judge of the targets; this table says where instructions went.

How: shrinkpython's launcher preloads libshrinkpython.so into python3.11 through LD_PRELOAD, which
valgrind's own launcher would load as well and fail on (it is not a Python process). The program
run under valgrind is the dynamic loader instead, with the library given to its --preload, and the
launcher's mark (SHRINKPY_PRELOAD_RESTORE) set, so that the library takes over python3.11's main as
it does under the launcher. A configuration's other LD_PRELOAD (mimalloc) goes the same way.
valgrind 3.19 does not know process_madvise, with which the arena returns pages in batches: there
it returns them one madvise at a time (allocator/src/system_os_memory.cpp), as on kernels before 6.13.
"""

from __future__ import annotations

import concurrent.futures
import functools
import os
import re
import shutil
import statistics
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from shrinkpy import bench, locate
from shrinkpy.configs import Config

VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
INSTALL_HINT = "valgrind is not installed: apt-get install valgrind (or `make deps-demo`)"
DEFAULT_SCALE = 0.2  # valgrind runs a program about 30x slower; the workloads at a fifth of their size
README_MARKERS = ("<!-- bench-instructions:begin -->", "<!-- bench-instructions:end -->")


@dataclass(frozen=True)
class Count:
    workload: str
    config: str
    instructions: int | None  # None when the run failed
    output_ok: bool


@functools.cache  # one readelf per interpreter, not one per run
def dynamic_loader(executable: str = locate.STOCK_PYTHON) -> str:
    """The program interpreter `executable` asks for (its PT_INTERP), as readelf prints it."""
    out = subprocess.run(["readelf", "-l", executable], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requesting program interpreter: ([^\]]+)\]", out)
    if not found:
        raise RuntimeError(f"{executable} names no program interpreter (a static executable?)")
    return found.group(1)


def preload_library(launcher: str) -> str:
    """libshrinkpython.so where the launcher looks for it: beside it, or in ../lib/shrinkpy."""
    here = Path(launcher).resolve().parent
    for path in (here / "libshrinkpython.so", here.parent / "lib" / "shrinkpy" / "libshrinkpython.so"):
        if path.is_file():
            return str(path)
    raise locate.NotFound(f"libshrinkpython.so is not beside {launcher} nor in ../lib/shrinkpy")


def counted_command(config: Config, args: list[str], env: dict[str, str]) -> list[str]:
    """The command that runs `args` under `config` inside valgrind; moves the preloads out of `env`."""
    preloads = [p for p in env.pop("LD_PRELOAD", "").split(":") if p]
    if config.interpreter == "shrinkpython":
        preloads.insert(0, preload_library(config.executable()))
        env["SHRINKPY_PRELOAD_RESTORE"] = "unset"  # the launcher's mark (runtime/preload_env.hpp)
        program = locate.STOCK_PYTHON
    else:
        program = config.executable()
    if preloads:
        return [*VALGRIND, dynamic_loader(program), "--preload", ":".join(preloads), program, *args]
    return [*VALGRIND, program, *args]


def parse_count(stderr: str) -> int | None:
    """The instruction count valgrind's summary gives ("I   refs:      3,445,453,174")."""
    found = re.search(r"^==\d+== I\s+refs:\s+([\d,]+)\s*$", stderr, re.MULTILINE)
    return int(found.group(1).replace(",", "")) if found else None


def count_once(argv: list[str], config: Config, extra_args: list[str]) -> tuple[int | None, bytes]:
    """The instructions one run of the workload `argv` executes under `config`, and its output."""
    env = config.environment()
    env["PYTHONPATH"] = str(bench.WORKLOADS_DIR)
    with tempfile.TemporaryDirectory(prefix="shrinkpy-instructions-") as tmp:
        env["SHRINKPY_BENCH_MARKS"] = os.path.join(tmp, "marks")  # the marks' work, as in the matrix's runs
        p = subprocess.run(counted_command(config, [*argv, *extra_args], env), env=env, capture_output=True)
    count = parse_count(p.stderr.decode(errors="replace"))
    return (count if p.returncode == 0 else None), p.stdout


def run_matrix(names: list[str], matrix: list[Config], extra_args: list[str], progress=None,
               excluded: dict[tuple[str, str], str] | None = None) -> list[Count]:
    """Each workload once under each configuration, one run a core at a time (a count does not
    depend on what else runs); the output of the first of `matrix` is the one every other
    configuration must reproduce."""
    argv = bench.commands()
    excluded = excluded or {}
    pairs = [(n, c) for n in names for c in matrix if (n, c.name) not in excluded]
    done = 0

    def one(pair: tuple[str, Config]) -> tuple[int | None, bytes]:
        nonlocal done
        result = count_once(argv[pair[0]], pair[1], extra_args)
        done += 1
        if progress:
            progress(done, len(pairs), pair[0], pair[1].name, "counted under valgrind")
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = dict(zip([(n, c.name) for n, c in pairs], pool.map(one, pairs)))
    reference = {n: results[(n, matrix[0].name)][1] for n in names if (n, matrix[0].name) in results}
    return [Count(n, c, instructions, instructions is not None and stdout == reference.get(n))
            for (n, c), (instructions, stdout) in results.items()]


def table(counts: list[Count], config_names: list[str], workload_names: list[str], markdown: bool = False,
          baseline: str = bench.BASELINE) -> str:
    """Instructions per workload and configuration (millions, ratio to `baseline`), and the geometric
    mean of the ratios over the workloads every column measured."""
    by_pair = {(c.workload, c.config): c.instructions for c in counts if c.output_ok}
    rows = []
    for w in workload_names:
        base = by_pair.get((w, baseline))
        cells = []
        for config in config_names:
            n = by_pair.get((w, config))
            cells.append("-" if n is None or not base else f"{n / 1e6:,.0f} M ({n / base:.2f}x)")
        rows.append([w, *cells])
    means = ["geometric mean"]
    for config in config_names:
        ratios = [by_pair[(w, config)] / by_pair[(w, baseline)] for w in workload_names
                  if by_pair.get((w, config)) and by_pair.get((w, baseline))]
        means.append(f"{statistics.geometric_mean(ratios):.2f}x" if ratios else "-")
    rows.append(means)
    return "\n".join(bench.grid(["workload", *config_names], rows, markdown))


def available() -> str | None:
    """Why instructions cannot be counted here, or None."""
    return None if shutil.which("valgrind") else INSTALL_HINT
