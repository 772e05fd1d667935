"""Tests of the smoothing measures (numeric/measures.py)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from backsmooth.numeric import (
    centred_component,
    max_row_norm,
    mean_component,
    mean_row,
    pairwise_difference_energy,
    pairwise_difference_norm,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)


def _pairwise_definition(X):
    """The O(n^2 d) definition 1/(2n^2) sum_ij ||X_i - X_j||^2, written out literally."""
    n = X.shape[0]
    total = 0.0
    for i in range(n):
        for j in range(n):
            total += np.sum((X[i] - X[j]) ** 2)
    return total / (2 * n * n)


class TestPairwiseDifferenceEnergy:
    @given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 4)), elements=finite))
    def test_equals_the_quadratic_definition(self, X):
        expected = _pairwise_definition(X)
        # both sides are sums of O(n^2) squares of magnitude <= |X|^2: relative round-off ~ n^2 eps
        scale = max(np.sum(X * X), 1e-300)
        assert abs(pairwise_difference_energy(X) - expected) <= 1e-12 * scale

    def test_two_points(self):
        assert pairwise_difference_energy(np.array([[0.0], [2.0]])) == pytest.approx(1.0)

    def test_constant_rows_are_zero(self):
        assert pairwise_difference_energy(np.tile([1.0, -2.0, 3.0], (5, 1))) == 0.0

    def test_root_convention(self):
        X = np.random.default_rng(0).standard_normal((9, 3))
        assert pairwise_difference_norm(X) ** 2 == pytest.approx(pairwise_difference_energy(X), rel=1e-14)

    def test_nan_is_rejected(self):
        with pytest.raises(ValueError, match="NaN"):
            pairwise_difference_energy(np.array([[np.nan], [1.0]]))


class TestDecomposition:
    @given(arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 4)), elements=finite))
    def test_mean_plus_centred_is_orthogonal_split(self, X):
        M, C = mean_component(X), centred_component(X)
        np.testing.assert_allclose(M + C, X, atol=1e-9 * max(1.0, np.abs(X).max()))
        # ||X||_F^2 = n (E(X)^2 + ||xbar||^2)  (Lemma 1)
        n = X.shape[0]
        lhs = np.sum(X * X)
        rhs = n * (pairwise_difference_energy(X) + np.sum(mean_row(X) ** 2))
        assert abs(lhs - rhs) <= 1e-10 * max(lhs, 1e-300)

    def test_generalised_measure_with_constant_reference_is_the_usual_one(self):
        X = np.random.default_rng(1).standard_normal((8, 2))
        assert pairwise_difference_norm(X, reference=np.ones(8)) == pytest.approx(pairwise_difference_norm(X))

    def test_generalised_measure_vanishes_on_its_reference(self):
        u = np.sqrt(np.arange(1.0, 7.0))  # like D^1/2 1 for degrees 1..6
        X = np.outer(u, [2.0, -1.0])
        assert pairwise_difference_norm(X, reference=u) == pytest.approx(0.0, abs=1e-14)
        assert pairwise_difference_norm(X) > 0.1  # the constant-vector measure misses this limit

    def test_reference_length_mismatch(self):
        with pytest.raises(ValueError, match="reference vector has length 3"):
            pairwise_difference_norm(np.ones((4, 1)), reference=np.ones(3))

    def test_max_row_norm(self):
        assert max_row_norm(np.array([[3.0, 4.0], [1.0, 0.0]])) == 5.0


class TestUnderflow:
    """Oversmoothed signals and vanishing gradients reach 1e-160: squares underflow."""

    def test_stable_norm_keeps_relative_precision(self):
        from backsmooth.numeric import stable_norm

        assert stable_norm(np.array([3e-170, 4e-170])) == pytest.approx(5e-170, rel=1e-15)
        assert stable_norm(np.array([3e170, 4e170])) == pytest.approx(5e170, rel=1e-15)
        assert stable_norm(np.zeros(3)) == 0.0

    def test_pairwise_difference_norm_is_scale_equivariant(self):
        X = np.random.default_rng(3).standard_normal((7, 2))
        t = 1e-165
        assert pairwise_difference_norm(X * t) == pytest.approx(t * pairwise_difference_norm(X), rel=1e-13)

    @pytest.mark.parametrize("scales", [(1.0, 1.0, 1.0), (1e-200, 1.0, 1e-190), (1.0, 1e-170, 1e150),
                                        (0.0, 1e-300, 0.0)])
    def test_chunked_norm_equals_the_centred_copy(self, scales, monkeypatch):
        """The engine's two-pass, chunk-scaled E(X) against stable_norm of the centred copy,
        with chunks whose magnitudes differ by up to 1e350 (merging partial sums must neither
        underflow nor lose the small chunks' digits where they matter)."""
        from backsmooth.numeric import measures, stable_norm

        monkeypatch.setattr(measures, "_NORM_CHUNK_ROWS", 5)
        rng = np.random.default_rng(4)
        X = np.vstack([s * rng.standard_normal((5, 3)) for s in scales] + [rng.standard_normal((2, 3)) * scales[1]])
        expected = stable_norm(X - X.mean(axis=0)) / np.sqrt(X.shape[0])
        assert pairwise_difference_norm(X) == pytest.approx(expected, rel=1e-14)
