"""What pyperformance demands of the interpreter under test, checked on shrinkpython (pyperformance
itself is not packaged in Debian and PyPI is out of reach here). A venv with ensurepip and a pip
install of a local package into it are in test_venv.py; the rest is here."""

from __future__ import annotations

import json
import subprocess

from conftest import clean_env, run

DESCRIBE = ("import json, sys, sysconfig\n"
            "print(json.dumps({'version': sys.version, 'hexversion': sys.hexversion, 'implementation': "
            "sys.implementation.name, 'cache_tag': sys.implementation.cache_tag, 'platform': sysconfig.get_platform(), "
            "'paths': sysconfig.get_paths(), 'vars': {k: str(v) for k, v in sysconfig.get_config_vars().items() "
            "if k not in ('userbase', 'projectbase', 'srcdir')}}))")


def test_same_version_and_sysconfig_answers_as_python311(shrinkpython, stock):
    expected = json.loads(run([stock, "-c", DESCRIBE]).stdout)
    got = json.loads(run([shrinkpython, "-c", DESCRIBE]).stdout)
    assert got["version"] == expected["version"]
    assert got["hexversion"] == expected["hexversion"]
    assert got == expected


def test_unbuffered_output_reaches_the_pipe_before_exit(shrinkpython):
    """pyperf reads its workers' results from a pipe while they run (-u)."""
    code = "import time\nprint('first')\ntime.sleep(30)\n"
    with subprocess.Popen([shrinkpython, "-u", "-c", code], stdout=subprocess.PIPE, env=clean_env()) as p:
        try:
            assert p.stdout.readline() == b"first\n"
        finally:
            p.kill()


def test_worker_reexecution_through_sys_executable_keeps_x_options_and_environment(shrinkpython):
    """pyperf starts workers as [sys.executable, -X..., script] with selected variables inherited."""
    code = ("import os, subprocess, sys\n"
            "out = subprocess.run([sys.executable, '-X', 'importtime', '-X', 'dev', '-c', "
            "'import os, sys; print(sys.flags.dev_mode, os.environ[\"SHRINKPY_ALLOCATOR\"])'], "
            "capture_output=True, text=True, env={'SHRINKPY_ALLOCATOR': 'mimalloc', 'PATH': os.environ['PATH']})\n"
            "print(out.stdout.strip(), 'import time' in out.stderr)")
    r = run([shrinkpython, "-c", code], env=clean_env(SHRINKPY_ALLOCATOR="mimalloc"))
    assert r.stdout == b"True mimalloc True\n"
