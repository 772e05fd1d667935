"""Tests of weight initialisations (numeric/initialisation.py)."""

import numpy as np
import pytest

from backsmooth.numeric import initial_weights, spectral_norms


class TestInitialWeights:
    @pytest.mark.parametrize("s", [0.1, 1.0, 3.7])
    def test_spectral_sets_every_norm_exactly(self, s):
        W = initial_weights([5, 8, 3, 8, 2], "spectral", scale=s, seed=0)
        np.testing.assert_allclose(spectral_norms(W), s, rtol=1e-12)

    def test_orthogonal_has_all_singular_values_equal(self):
        for W in initial_weights([6, 4, 9], "orthogonal", scale=2.0, seed=1):
            np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), 2.0, rtol=1e-12)

    def test_same_seed_same_weights(self):
        a = initial_weights([3, 4, 2], "glorot", seed=42)
        b = initial_weights([3, 4, 2], "glorot", seed=np.random.default_rng(42))
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)

    def test_he_variance(self):
        W = initial_weights([400, 400], "he", seed=0)[0]
        # sample variance of 160000 Gaussians: relative standard error sqrt(2/N) ~ 0.0035
        assert W.var() == pytest.approx(2 / 400, rel=0.02)

    def test_unknown_scheme(self):
        with pytest.raises(ValueError, match="known: glorot"):
            initial_weights([2, 2], "xavier_magic")

    def test_bad_widths(self):
        with pytest.raises(ValueError, match="at least two positive sizes"):
            initial_weights([3], "glorot")
