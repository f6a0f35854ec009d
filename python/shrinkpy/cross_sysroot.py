"""The arm64 libraries a cross build links (zlib, for the zlib and binascii modules), from Debian's
arm64 packages fetched with a private apt state and unpacked with dpkg-deb into a sysroot in the
cache: the machine's dpkg architectures and package lists stay as they are (FACTS.md).

libffi is not fetched: its only user, _ctypes, cannot work in a fully static interpreter (no dlopen)
and is not offered by trimmed builds (stdlib_index.UNAVAILABLE)."""

from __future__ import annotations

import shutil
from pathlib import Path

from shrinkpy.build_cache import cache_dir, locked
from shrinkpy.build_steps import StepFailed, Steps
from shrinkpy.private_apt import PrivateApt

PACKAGES = {"arm64": ("zlib1g", "zlib1g-dev")}
DONE = ".shrinkpy-sysroot"


def sysroot(steps: Steps, arch: str = "arm64") -> Path:
    root = cache_dir() / "sysroot" / arch
    with locked(f"sysroot-{arch}"):
        if (root / DONE).exists():
            steps.skip("sysroot", f"{arch} libraries from the cache ({root})")
            return root
        apt = PrivateApt(cache_dir() / "apt" / arch, "deb",
                         {"APT::Architecture": arch, "APT::Architectures::": arch})
        downloads = cache_dir() / "apt" / arch / "downloads"
        shutil.rmtree(downloads, ignore_errors=True)
        downloads.mkdir(parents=True)
        steps.run(f"sysroot: apt-get update ({arch}, private state)", apt.command("update"), log=f"sysroot-update-{arch}")
        names = [f"{p}:{arch}" for p in PACKAGES[arch]]
        steps.run(f"sysroot: apt-get download {' '.join(names)}", apt.command("download", *names), cwd=downloads,
                  log=f"sysroot-download-{arch}")
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        debs = sorted(downloads.glob("*.deb"))
        if len(debs) != len(names):
            raise StepFailed(f"apt-get download left {len(debs)} packages in {downloads}, expected {len(names)}")
        for deb in debs:
            steps.run(f"sysroot: unpack {deb.name}", ["dpkg-deb", "-x", str(deb), str(root)], log=f"sysroot-unpack-{arch}")
        (root / DONE).write_text("\n".join(d.name for d in debs) + "\n")
        return root
