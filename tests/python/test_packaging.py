"""`pip install .` into a fresh venv of Debian's python3.11, offline: the `shrinkpy` command and
`shrinkpython` land on the venv's PATH and work."""

from __future__ import annotations

import pytest

from conftest import REPO, clean_env, run


@pytest.mark.slow
@pytest.mark.parametrize("isolation", ["--no-build-isolation", "--use-pep517"])
def test_pip_install_into_a_fresh_venv(isolation, stock, tmp_path):
    venv = tmp_path / "venv"
    assert run([stock, "-m", "venv", str(venv)]).returncode == 0
    r = run([str(venv / "bin" / "pip"), "install", "--no-index", isolation, str(REPO)], timeout=1800)
    assert r.returncode == 0, r.stdout.decode()[-3000:] + r.stderr.decode()[-3000:]
    env = clean_env(PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    r = run(["shrinkpython", "-c", "import sys; print(sys.version_info[:2])"], env=env)
    assert r.stdout == b"(3, 11)\n"
    script = tmp_path / "hello.py"
    script.write_text("print('hello')\n")
    r = run(["shrinkpy", "run", "--allocator", "mimalloc", str(script)], env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b"hello\n"
    assert b"allocator              mimalloc" in r.stderr
    # The analyzer extension is importable by the venv's own interpreter, Debian's python3.11.
    r = run([str(venv / "bin" / "python"), "-c", "import shrinkpy._analyzer as a; print(a.__name__)"],
            env=env, cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b"shrinkpy._analyzer\n", r.stderr.decode()
