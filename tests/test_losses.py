"""Tests of losses, output errors and the best constant predictor (numeric/losses.py)."""

import numpy as np
import pytest
from scipy.optimize import minimize

from backsmooth.numeric import as_mask, loss_function


class TestBestConstantLoss:
    def test_mse_equals_numerical_minimum_over_constants(self):
        rng = np.random.default_rng(0)
        Y = rng.standard_normal((10, 2))
        loss = loss_function("mse")
        res = minimize(lambda c: loss.value(np.tile(c, (10, 1)), Y), np.zeros(2), tol=1e-12)
        assert loss.best_constant_loss(Y) == pytest.approx(res.fun, rel=1e-8)

    def test_cross_entropy_is_entropy_of_class_frequencies(self):
        y = np.array([0, 0, 0, 1, 2, 2])
        pi = np.array([3, 1, 2]) / 6
        loss = loss_function("cross_entropy")
        assert loss.best_constant_loss(y) == pytest.approx(-np.sum(pi * np.log(pi)))
        c = loss.best_constant_output(y)
        assert loss.value(np.tile(c, (6, 1)), y) == pytest.approx(loss.best_constant_loss(y))

    def test_mask_restricts_the_average(self):
        y = np.array([0, 1, 1, 1])
        assert loss_function("ce").best_constant_loss(y, mask=[0, 1]) == pytest.approx(np.log(2))


class TestOutputError:
    def test_cross_entropy_error_is_softmax_minus_onehot_over_m(self):
        H = np.array([[0.0, 0.0], [1.0, -1.0], [2.0, 0.0]])
        y = np.array([0, 1, 1])
        _, B = loss_function("cross_entropy").value_and_output_error(H, y, mask=[True, True, False])
        p = np.exp(H[:2]) / np.exp(H[:2]).sum(axis=1, keepdims=True)
        p[[0, 1], [0, 1]] -= 1
        np.testing.assert_allclose(B[:2], p / 2)
        assert np.all(B[2] == 0)


class TestMask:
    def test_indices_and_booleans_agree(self):
        np.testing.assert_array_equal(as_mask([0, 2], 4), [True, False, True, False])

    def test_out_of_range_index(self):
        with pytest.raises(ValueError, match=r"node ids in \[0, 4\)"):
            as_mask([0, 4], 4)

    def test_wrong_type(self):
        with pytest.raises(TypeError, match="boolean array or an integer"):
            as_mask(np.array([0.5]), 4)
