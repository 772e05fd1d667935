"""Tests of activations and their regularity constants (numeric/activations.py)."""

import numpy as np
import pytest

from backsmooth.numeric import ACTIVATIONS, activation

X = np.linspace(-4, 4, 4001)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
class TestConstants:
    def test_derivative_matches_finite_differences(self, name):
        rho = activation(name)
        x = X + 1e-3  # avoid the kink of ReLU-type functions at 0
        h = 1e-6
        fd = (rho(x + h) - rho(x - h)) / (2 * h)
        np.testing.assert_allclose(rho.derivative(x), fd, atol=1e-8)

    def test_one_lipschitz(self, name):
        assert np.max(np.abs(activation(name).derivative(X))) <= 1.0 + 1e-15

    def test_derivative_lipschitz_constant_is_sharp(self, name):
        rho = activation(name)
        if not rho.has_lipschitz_derivative:
            # a step in rho': difference quotients blow up near 0
            d = rho.derivative(np.array([-1e-9, 1e-9]))
            assert abs(d[1] - d[0]) / 2e-9 > 1e6
            return
        slopes = np.abs(np.diff(rho.derivative(X)) / np.diff(X))
        # the grid max approaches the sup from below; grid step 2e-3 bounds the gap
        assert slopes.max() <= rho.derivative_lipschitz * (1 + 1e-6)
        assert slopes.max() >= rho.derivative_lipschitz * (1 - 1e-3)

    def test_zero_at_zero_flag(self, name):
        rho = activation(name)
        assert (rho(np.array([0.0]))[0] == 0.0) == rho.zero_at_zero

    def test_derivative_from_output(self, name):
        rho = activation(name)
        if rho.derivative_from_output is not None:
            x = X + 1e-3
            np.testing.assert_allclose(rho.derivative_from_output(rho(x)), rho.derivative(x), atol=1e-14)


def test_unknown_name_lists_known():
    with pytest.raises(ValueError, match="known activations"):
        activation("gelu2")


def test_wrong_type():
    with pytest.raises(TypeError, match="name or an Activation"):
        activation(3)
