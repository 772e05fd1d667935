"""The ``backsmooth`` command sets sympy's cache size before sympy is imported (a speed setting:
the proofs and derivations give the same results with either size), and a user's own
``SYMPY_CACHE_SIZE`` wins."""

import os
import subprocess
import sys

_PROBE = "import backsmooth.cli, sympy.core.cache as c; print(c.SYMPY_CACHE_SIZE)"


def _cache_size(env_value):
    env = {k: v for k, v in os.environ.items() if k != "SYMPY_CACHE_SIZE"}
    if env_value is not None:
        env["SYMPY_CACHE_SIZE"] = env_value
    out = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True,
                         check=True)
    return out.stdout.strip()


def test_the_command_enlarges_sympys_cache():
    from backsmooth.cli import SYMPY_CACHE_SIZE

    assert _cache_size(None) == SYMPY_CACHE_SIZE
    assert int(SYMPY_CACHE_SIZE) > 1000  # sympy's own default


def test_a_users_setting_wins():
    assert _cache_size("7") == "7"
