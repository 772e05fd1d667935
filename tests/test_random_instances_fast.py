"""The proofs' float ``E`` (``numeric.random_instances.Ef``) takes a direct path on small
matrices; it must return exactly the bits of ``measures.pairwise_difference_norm`` (the
printed ratios of the proofs' instance checks depend on them) and validate as it does."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backsmooth.numeric.measures import pairwise_difference_norm
from backsmooth.numeric.random_instances import Ef, matrix_instances, network_instances


def _same_bits(a, b):
    return np.float64(a).tobytes() == np.float64(b).tobytes()


def _outcome(f, X):
    try:
        return np.float64(f(X)).tobytes()
    except ValueError as exc:     # non-finite input (e.g. overflow while building X)
        return str(exc)


def test_ef_is_bit_identical_on_the_proofs_instances():
    mats = []
    for inst in network_instances(seed=0, count=40):
        for key in ("X", "F", "H", "B", "grads"):
            mats += list(inst[key])
    for P, _lam, X, B, W in matrix_instances(seed=1, count=60):
        mats += [P, X, B, W, P @ X, X.T, np.asfortranarray(X), X[::2]]
    assert len(mats) > 1000
    bad = [i for i, M in enumerate(mats) if not _same_bits(Ef(M), pairwise_difference_norm(M))]
    assert not bad


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 9), d=st.integers(1, 5), seed=st.integers(0, 2**32 - 1),
       log_scale=st.floats(-300, 300), log_offset=st.floats(-3, 12))
def test_ef_is_bit_identical_at_extreme_scales(n, d, seed, log_scale, log_offset):
    # large common offsets (cancellation in X - mean) and scales near under/overflow
    rng = np.random.default_rng(seed)
    scale = 10.0 ** log_scale
    X = scale * (rng.standard_normal((n, d)) + 10.0 ** log_offset * rng.standard_normal(d))
    assert _outcome(Ef, X) == _outcome(pairwise_difference_norm, X)


@pytest.mark.parametrize("X", [np.ones((4, 3)), np.zeros((1, 1)), np.array([[1e308], [-1e308]]),
                               np.arange(6.0), [[0.0], [2.0]], np.ones((3, 2), np.float32),
                               np.ones((5000, 1)) * np.arange(5000.0)[:, None]])
def test_ef_edge_cases_match(X):
    # constant rows, one row, overflow of the centred entries (inf), 1-d, lists, float32,
    # more than one chunk: the same value as pairwise_difference_norm
    assert _outcome(Ef, X) == _outcome(pairwise_difference_norm, X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_ef_still_rejects_non_finite_input(bad):
    X = np.ones((3, 2))
    X[1, 0] = bad
    with pytest.raises(ValueError, match="NaN or infinite"):
        Ef(X)
