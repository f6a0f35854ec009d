"""Board profiles (boards/profiles/<board>.toml): what a board is (target triple, CPU flags, page
size, RAM), which stdlib modules its interpreter keeps when no app is given, and the option values
its interpreter starts with.

Option values are read through shrinkpy's one options table (runtime/options.*, as
`shrinkpython --print-options=json` prints it): a profile names options by the table's names, and a
value is checked against the table's choices before anything is built. The chosen values are
compiled into the board's interpreter as its defaults (SHRINKPY_BOARD_DEFAULTS), where the
environment still overrides them. An allocator may be given as a list of preferences: the first
one the runtime offers is taken (so a profile can prefer the arena allocator before it exists).

How the board's interpreter and stdlib are built is chosen by top-level keys instead, outside
[options] (the environment cannot change them on the board), each with a default:
    optimize = "speed"       CPython at -O2 with PGO (speed_build.py); "size" keeps -Os
    docstrings = "strip"     the packed stdlib without its docstrings (docstrings.py); "keep"
    debug_ranges = "strip"   the packed stdlib without column positions (pyc_compile.py): lines stay,
                             co_positions() has no columns for stdlib code; "keep"
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from shrinkpy import locate
from shrinkpy.build_steps import StepFailed

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "boards" / "profiles"
# Allocators a fully static interpreter cannot offer (loaded with dlopen).
NEEDS_DLOPEN = {"mimalloc"}


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    triple: str  # GNU triple, "" for the machine running the build
    cpu_flags: str
    page_size: int  # bytes, of the board's kernel
    ram_mib: int
    options: dict  # option name -> value or list of preferred values
    keep: tuple[str, ...]
    exclude: dict = field(default_factory=dict)  # module -> why this board never has it
    optimize: str = "speed"  # CPython compiled for "speed" (-O2, PGO: speed_build.py) or "size" (-Os)
    docstrings: str = "strip"  # the packed stdlib's docstrings: "strip" (docstrings.py) or "keep"
    debug_ranges: str = "strip"  # the packed stdlib's column positions: "strip" (pyc_compile.py) or "keep"

    @property
    def cross(self) -> bool:
        return bool(self.triple)


def available() -> list[str]:
    return sorted(p.stem for p in PROFILES.glob("*.toml"))


def load(name: str) -> Profile:
    if not PROFILES.is_dir():
        raise StepFailed(f"shrinkpy build runs from a source checkout of shrinkpy: it builds the checkout's runtime/ "
                         f"and reads boards/profiles/, and {PROFILES} does not exist")
    path = PROFILES / f"{name}.toml"
    if not path.exists():
        raise StepFailed(f"no board profile '{name}' (boards/profiles/{name}.toml); boards: {', '.join(available())}")
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
        modules = data.get("modules", {})
        return Profile(name=name, description=data["description"], triple=data.get("triple", ""),
                       cpu_flags=data.get("cpu_flags", ""), page_size=int(data["page_size"]),
                       ram_mib=int(data["ram_mib"]), options=dict(data.get("options", {})),
                       keep=tuple(modules.get("keep", ())), exclude=dict(modules.get("exclude", {})),
                       optimize=_choice("optimize", data.get("optimize", "speed"), ("speed", "size")),
                       docstrings=_choice("docstrings", data.get("docstrings", "strip"), ("strip", "keep")),
                       debug_ranges=_choice("debug_ranges", data.get("debug_ranges", "strip"), ("strip", "keep")))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as e:
        raise StepFailed(f"{path}: {type(e).__name__}: {e}") from None


def _choice(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{key} = {value!r}: {' or '.join(allowed)}")
    return value


def option_table() -> list[dict]:
    """The options table, from the shrinkpython built in this checkout (or installed)."""
    try:
        exe = locate.shrinkpython()
    except locate.NotFound as e:
        raise StepFailed(f"the options table comes from shrinkpython: {e}") from None
    out = subprocess.run([exe, "--print-options=json"], capture_output=True, check=True, env={}).stdout
    return json.loads(out)


def board_defaults(profile: Profile, table: list[dict], fully_static: bool) -> dict[str, str]:
    """ENV -> value for the profile's options, checked against the table; StepFailed on a name the
    table lacks or a value it does not accept."""
    rows = {row["name"]: row for row in table}
    out = {}
    for name, value in profile.options.items():
        row = rows.get(name)
        if row is None:
            raise StepFailed(f"board {profile.name}: option '{name}' is not in the options table "
                             f"(known: {', '.join(rows)})")
        wanted = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        usable = [v for v in wanted if not row["choices"] or v in row["choices"]]
        if fully_static and row["name"] == "allocator":
            usable = [v for v in usable if v not in NEEDS_DLOPEN]
        if not usable:
            offered = ", ".join(row["choices"]) or "any value"
            raise StepFailed(f"board {profile.name}: {name} = {value!r} is not offered by this runtime "
                             f"({offered}{'; a fully static interpreter has no mimalloc' if fully_static else ''})")
        out[row["env"]] = usable[0]
    return out
