"""apt-get with a private state: its own source list, indexes and download cache under shrinkpy's
cache directory, so that the machine's apt configuration, package lists and dpkg database are never
touched (FACTS.md). Used for CPython's source package (deb-src) and for arm64 libraries (deb with
APT::Architecture=arm64).

The source list is derived from the machine's own Debian sources (deb822 or one-line format), so a
mirror or snapshot the machine is configured for is used here too. The security suite is left out:
its source files are not served by the mirrors we use (FACTS.md), and the main pool is enough.
"""

from __future__ import annotations

import re
from pathlib import Path

from shrinkpy.build_steps import StepFailed

SYSTEM_SOURCES = (Path("/etc/apt/sources.list.d/debian.sources"), Path("/etc/apt/sources.list"))


def _stanzas_deb822(text: str) -> list[dict[str, str]]:
    stanzas = []
    for block in re.split(r"\n\s*\n", text):
        fields = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line or line[0].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        if fields.get("URIs") and fields.get("Suites"):
            stanzas.append(fields)
    return stanzas


def _stanzas_one_line(text: str) -> list[dict[str, str]]:
    stanzas = []
    for line in text.splitlines():
        words = re.sub(r"\[[^]]*\]", "", line.split("#", 1)[0]).split()
        if len(words) >= 4 and words[0] in ("deb", "deb-src"):
            stanzas.append({"URIs": words[1], "Suites": words[2], "Components": " ".join(words[3:])})
    return stanzas


def debian_sources(kind: str) -> str:
    """The machine's Debian sources as deb822 text with `Types: kind`, without security suites."""
    for path in SYSTEM_SOURCES:
        if not path.exists():
            continue
        text = path.read_text()
        stanzas = _stanzas_deb822(text) if path.suffix == ".sources" else _stanzas_one_line(text)
        out = []
        for s in stanzas:
            suites = [x for x in s["Suites"].split() if not x.endswith("-security")]
            if not suites:
                continue
            lines = [f"Types: {kind}", f"URIs: {s['URIs']}", f"Suites: {' '.join(suites)}",
                     f"Components: {s.get('Components', 'main')}"]
            if s.get("Signed-By"):
                lines.append(f"Signed-By: {s['Signed-By']}")
            out.append("\n".join(lines))
        if out:
            return "\n\n".join(out) + "\n"
    raise StepFailed("no Debian package sources found in " + " or ".join(map(str, SYSTEM_SOURCES)))


class PrivateApt:
    """One private apt state in `root`: `kind` is "deb-src" or "deb"; `options` are extra apt
    options such as the architecture."""

    def __init__(self, root: Path, kind: str, options: dict[str, str] | None = None):
        self.root = root
        self.kind = kind
        self.options = options or {}

    def command(self, *args: str) -> list[str]:
        (self.root / "lists" / "partial").mkdir(parents=True, exist_ok=True)
        (self.root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
        (self.root / "sources").mkdir(exist_ok=True)
        (self.root / "sources" / "shrinkpy.sources").write_text(debian_sources(self.kind))
        options = {
            "Dir::Etc::sourcelist": "/dev/null",
            "Dir::Etc::sourceparts": str(self.root / "sources"),
            "Dir::State::Lists": str(self.root / "lists"),
            "Dir::Cache": str(self.root / "cache"),
            "Dir::State::status": "/dev/null",
            # apt drops privileges to _apt for downloads, and _apt cannot write into root's home.
            "APT::Sandbox::User": "root",
            "Acquire::Retries": "3",
            **self.options,
        }
        opts = [x for k, v in options.items() for x in ("-o", f"{k}={v}")]
        return ["apt-get", "-q", *opts, *args]
