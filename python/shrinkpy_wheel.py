"""A PEP 517 build backend for shrinkpy that needs only the standard library.

setuptools and wheel are not in a fresh venv of Debian's python3.11 and PyPI may be out of reach,
so this builds the wheel itself: CMake builds the C++ parts (extension modules into shrinkpy/, the
executables into the wheel's scripts, the library shrinkpython preloads into its data), and the
wheel is a zip with the three dist-info files the wheel format (PEP 427) asks for. Metadata is read from pyproject.toml's [project] table.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
import stat
import subprocess
import sys
import sysconfig
import tempfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "python" / "shrinkpy"
EXECUTABLES = ("shrinkpython", "shrinkpy-measure")
# What the shrinkpython launcher preloads into python3.11 (runtime/launcher.cpp looks for it in
# ../lib/shrinkpy from its own directory: the wheel's data scheme puts it there).
PRELOADED = "libshrinkpython.so"
RUNTIME_MODULES = ("import_pass.py",)
CONSOLE_SCRIPTS = {"shrinkpy": "shrinkpy.cli:main"}
PACKAGE_SUFFIXES = (".py", ".pyi", ".json", ".typed")


def _project() -> dict:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]


def _tag() -> str:
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    abi = f"cp{sys.version_info.major}{sys.version_info.minor}"
    return f"{abi}-{abi}-{platform}"


def _metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project.get('description', '')}"]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    return "\n".join(lines) + "\n"


def _dist_info_files(project: dict) -> dict[str, bytes]:
    wheel = f"Wheel-Version: 1.0\nGenerator: shrinkpy_wheel\nRoot-Is-Purelib: false\nTag: {_tag()}\n"
    entry_points = "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in CONSOLE_SCRIPTS.items())
    return {"METADATA": _metadata(project).encode(), "WHEEL": wheel.encode(), "entry_points.txt": entry_points.encode()}


def _cmake(build_dir: Path, extension_dir: Path) -> None:
    configure = ["cmake", "-S", str(ROOT), "-B", str(build_dir), "-DCMAKE_BUILD_TYPE=Release",
                 f"-DSHRINKPY_PYTHON={os.path.realpath(sys.executable)}", f"-DSHRINKPY_EXTENSION_DIR={extension_dir}",
                 "-DSHRINKPY_BUILD_TESTS=OFF", "-DSHRINKPY_BUILD_BENCHMARKS=OFF"]
    build = ["cmake", "--build", str(build_dir), "-j", str(os.cpu_count() or 2)]
    for command in (configure, build):
        if subprocess.call(command, stdout=sys.stderr) != 0:
            raise SystemExit(f"shrinkpy: `{' '.join(command)}` failed; `make deps` installs what the build needs")


class _WheelWriter:
    """Writes files into the wheel and keeps the RECORD (path, sha256, size) as it goes."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.records: list[tuple[str, str, str]] = []

    def add(self, name: str, data: bytes, executable: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16  # pip checks S_ISREG
        info.compress_type = zipfile.ZIP_DEFLATED
        self.zip.writestr(info, data)
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        self.records.append((name, f"sha256={digest}", str(len(data))))

    def close(self, record_name: str) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(self.records)
        writer.writerow((record_name, "", ""))
        self.zip.writestr(zipfile.ZipInfo(record_name, date_time=(2026, 1, 1, 0, 0, 0)), out.getvalue())
        self.zip.close()


# --- PEP 517 hooks -------------------------------------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    name = f"{project['name']}-{project['version']}.dist-info"
    target = Path(metadata_directory) / name
    target.mkdir(parents=True, exist_ok=True)
    for filename, data in _dist_info_files(project).items():
        (target / filename).write_bytes(data)
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    dist = f"{project['name']}-{project['version']}"
    wheel_name = f"{dist}-{_tag()}.whl"
    with tempfile.TemporaryDirectory(prefix="shrinkpy-wheel-") as tmp:
        extension_dir = Path(tmp) / "extensions"
        extension_dir.mkdir()
        build_dir = ROOT / "build" / "wheel"
        _cmake(build_dir, extension_dir)
        wheel = _WheelWriter(Path(wheel_directory) / wheel_name)
        for path in sorted(PACKAGE.rglob("*")):
            if path.is_file() and path.suffix in PACKAGE_SUFFIXES and "__pycache__" not in path.parts:
                wheel.add(f"shrinkpy/{path.relative_to(PACKAGE).as_posix()}", path.read_bytes())
        for path in sorted(extension_dir.iterdir()):
            wheel.add(f"shrinkpy/{path.name}", path.read_bytes())
        for name in RUNTIME_MODULES:  # read by the package too (shrinkpy analyze --imports)
            wheel.add(f"shrinkpy/{name}", (ROOT / "runtime" / name).read_bytes())
        for name in EXECUTABLES:
            wheel.add(f"{dist}.data/scripts/{name}", (build_dir / "runtime" / name).read_bytes(), executable=True)
        wheel.add(f"{dist}.data/data/lib/shrinkpy/{PRELOADED}", (build_dir / "runtime" / PRELOADED).read_bytes())
        for filename, data in _dist_info_files(project).items():
            wheel.add(f"{dist}.dist-info/{filename}", data)
        wheel.close(f"{dist}.dist-info/RECORD")
    return wheel_name


def build_sdist(sdist_directory, config_settings=None):
    import tarfile

    project = _project()
    base = f"{project['name']}-{project['version']}"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    with tarfile.open(Path(sdist_directory) / f"{base}.tar.gz", "w:gz") as tar:
        for f in files:
            tar.add(ROOT / f, arcname=f"{base}/{f}")
        pkg_info = _metadata(project).encode()
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        info.size = len(pkg_info)
        tar.addfile(info, io.BytesIO(pkg_info))
    return f"{base}.tar.gz"
