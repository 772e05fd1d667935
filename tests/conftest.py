"""Shared pytest configuration: hypothesis profiles and small graph fixtures."""

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import backsmooth.cli  # noqa: F401 - sympy's cache size of the command (backsmooth.cli), before sympy
from backsmooth.numeric.random_instances import lazy_walk

settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
settings.register_profile(
    "dev",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def small_graph_P():
    """Lazy-walk P of a fixed connected 6-node graph (dense ndarray, symmetric stochastic)."""
    edges = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (0, 3), (1, 4)]
    A = np.zeros((6, 6))
    for i, j in edges:
        A[i, j] = A[j, i] = 1.0
    return lazy_walk(A)


@pytest.fixture(autouse=True, scope="session")
def _private_result_cache(tmp_path_factory):
    """Point the result cache (``backsmooth.result_cache``) at a fresh folder for the session,
    so tests never read or fill the user's cache (worker processes inherit the variable)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BACKSMOOTH_CACHE_DIR", str(tmp_path_factory.mktemp("result-cache")))
        mp.delenv("BACKSMOOTH_NO_CACHE", raising=False)
        yield
