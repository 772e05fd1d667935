"""Tests of the forward/backward passes (numeric/model.py) against finite differences."""

import zlib

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import (
    ACTIVATIONS,
    activation,
    backward,
    forward,
    gnn,
    gradients,
    initial_weights,
)

# Central differences with step h have truncation error O(h^2 f''') and round-off O(eps/h);
# h = 1e-6 balances them at ~1e-9 relative for these O(1) losses, well under the 1e-6 target.
FD_STEP = 1e-6
FD_RTOL = 1e-6


def _instance(P, act, loss, seed, depth=3, width=4):
    rng = np.random.default_rng(seed)
    n = 6
    X = rng.standard_normal((n, 3))
    out = 3
    W = initial_weights([3] + [width] * depth + [out], "glorot", seed=rng)
    if loss == "mse":
        Y = rng.standard_normal((n, out))
    else:
        Y = rng.integers(0, out, n)
    return X, W, Y


def _fd_weight_gradient(P, X, W, k, act, loss, Y, mask=None, residual=0.0):
    num = np.zeros_like(W[k])
    for idx in np.ndindex(*W[k].shape):
        plus = [w.copy() for w in W]
        minus = [w.copy() for w in W]
        plus[k][idx] += FD_STEP
        minus[k][idx] -= FD_STEP
        lp = gradients(P, X, plus, activation=act, loss=loss, targets=Y, mask=mask, residual=residual).loss
        lm = gradients(P, X, minus, activation=act, loss=loss, targets=Y, mask=mask, residual=residual).loss
        num[idx] = (lp - lm) / (2 * FD_STEP)
    return num


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


def _away_from_kinks(P, act, loss, key):
    """A deterministic instance whose pre-activations stay >= 1e-3 from 0.

    ReLU-type activations are not differentiable at 0: central differences with step 1e-6
    straddling a kink are wrong by O(1) there, which says nothing about the gradient. A
    perturbation of 1e-6 in W moves H by ~1e-6 * ||X||, far less than the 1e-3 margin.
    """
    for attempt in range(100):
        seed = zlib.crc32(f"{key}/{attempt}".encode())
        X, W, Y = _instance(P, act, loss, seed=seed)
        H = forward(P, X, W, act).H[:-1]
        if activation(act).has_lipschitz_derivative or min(np.abs(h).min() for h in H) > 1e-3:
            return X, W, Y
    raise AssertionError("no instance away from the kinks in 100 attempts")


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("arch", ["gnn", "mlp"])
class TestWeightGradientsFiniteDifferences:
    def test_every_layer(self, act, loss, arch, small_graph_P):
        P = sp.csr_array(small_graph_P) if arch == "gnn" else None
        X, W, Y = _away_from_kinks(P, act, loss, f"{act}/{loss}/{arch}")
        g = gradients(P, X, W, activation=act, loss=loss, targets=Y)
        for k in range(len(W)):
            num = _fd_weight_gradient(P, X, W, k, act, loss, Y)
            assert _rel(g.weight_gradients[k], num) < FD_RTOL, (act, loss, arch, k)


class TestBackwardSignals:
    """B^(k) = dLoss/dH^(k): perturb H^(k) and finish the forward pass from there."""

    @pytest.mark.parametrize("act", ["tanh", "softplus", "identity", "arctan"])
    @pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
    def test_equals_derivative_wrt_preactivation(self, act, loss, small_graph_P):
        P = small_graph_P
        X, W, Y = _instance(P, act, loss, seed=7)
        g = gradients(P, X, W, activation=act, loss=loss, targets=Y)
        rho = activation(act)
        from backsmooth.numeric import loss_function

        def loss_from(k, Hk):
            if k == len(W) - 1:
                return loss_function(loss).value(Hk, Y)
            rest = forward(P, rho(Hk), W[k + 1 :], act)
            return loss_function(loss).value(rest.output, Y)

        for k in range(len(W)):
            Hk = g.forward.H[k]
            num = np.zeros_like(Hk)
            for idx in np.ndindex(*Hk.shape):
                e = np.zeros_like(Hk)
                e[idx] = FD_STEP
                num[idx] = (loss_from(k, Hk + e) - loss_from(k, Hk - e)) / (2 * FD_STEP)
            assert _rel(g.B[k], num) < FD_RTOL, k

    def test_recursion_of_the_paper(self, small_graph_P):
        """B^(k) = rho'(H^(k)) * (P^T B^(k+1) W^(k+1)^T), written out independently."""
        P = small_graph_P
        X, W, Y = _instance(P, "tanh", "mse", seed=3)
        g = gradients(P, X, W, activation="tanh", targets=Y)
        for k in range(len(W) - 1):
            expected = (1 - np.tanh(g.forward.H[k]) ** 2) * (P.T @ g.B[k + 1] @ W[k + 1].T)
            np.testing.assert_allclose(g.B[k], expected, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(g.weight_gradients[k], (P @ g.forward.X[k]).T @ g.B[k], rtol=1e-12)

    def test_non_symmetric_P_uses_transpose(self):
        rng = np.random.default_rng(0)
        A = rng.random((5, 5))
        P = A / A.sum(axis=1, keepdims=True)  # row-stochastic, not symmetric (random walk)
        X, W, Y = _instance(P, "tanh", "mse", seed=1, depth=2)
        X = X[:5]
        Y = Y[:5]
        g = gradients(P, X, W, activation="tanh", targets=Y)
        for k in range(len(W)):
            num = _fd_weight_gradient(P, X, W, k, "tanh", "mse", Y)
            assert _rel(g.weight_gradients[k], num) < FD_RTOL


class TestVariantsAndMasks:
    def test_residual_layers_reuse_the_generic_backward(self, small_graph_P):
        X, W, Y = _instance(small_graph_P, "tanh", "mse", seed=5, width=3)
        W[0] = W[0][:, :3]
        g = gradients(small_graph_P, X, W, activation="tanh", targets=Y, residual=0.5)
        for k in range(len(W)):
            num = _fd_weight_gradient(small_graph_P, X, W, k, "tanh", "mse", Y, residual=0.5)
            assert _rel(g.weight_gradients[k], num) < FD_RTOL

    def test_masked_loss_gradient(self, small_graph_P):
        X, W, Y = _instance(small_graph_P, "tanh", "cross_entropy", seed=11)
        mask = np.array([True, False, True, True, False, False])
        g = gradients(small_graph_P, X, W, activation="tanh", loss="cross_entropy", targets=Y, mask=mask)
        assert np.all(g.B[-1][~mask] == 0)
        for k in range(len(W)):
            num = _fd_weight_gradient(small_graph_P, X, W, k, "tanh", "cross_entropy", Y, mask=mask)
            assert _rel(g.weight_gradients[k], num) < FD_RTOL

    def test_float32_matches_float64_to_single_precision(self, small_graph_P):
        X, W, Y = _instance(small_graph_P, "tanh", "mse", seed=2)
        g64 = gradients(small_graph_P, X, W, activation="tanh", targets=Y)
        g32 = gradients(small_graph_P, X, W, activation="tanh", targets=Y, dtype=np.float32)
        assert g32.B[0].dtype == np.float32
        for a, b in zip(g32.weight_gradients, g64.weight_gradients):
            assert _rel(a.astype(np.float64), b) < 1e-5  # eps32 ~ 6e-8 times depth/width growth


class TestLinearClosedForm:
    def test_linear_gnn_backward_is_matrix_power(self, small_graph_P):
        """Corollary 1 (i): B^(k) = P^(L-k) B^(L) (W^(k+1) ... W^(L))^T for rho = id."""
        P = small_graph_P
        X, W, Y = _instance(P, "identity", "mse", seed=4, depth=4)
        g = gradients(P, X, W, activation="identity", targets=Y)
        L = len(W) - 1
        for k in range(L + 1):
            M = np.eye(W[k].shape[1])
            for i in range(k + 1, L + 1):
                M = M @ W[i]
            expected = np.linalg.matrix_power(P, L - k) @ g.B[L] @ M.T
            np.testing.assert_allclose(g.B[k], expected, rtol=1e-10, atol=1e-14)


class TestBadInput:
    def test_P_not_square(self):
        with pytest.raises(ValueError, match="square"):
            forward(np.ones((3, 4)), np.ones((3, 2)), [np.eye(2)])

    def test_P_does_not_match_X(self, small_graph_P):
        with pytest.raises(ValueError, match="must match"):
            forward(small_graph_P, np.ones((4, 2)), [np.eye(2)])

    def test_weights_do_not_chain(self, small_graph_P):
        with pytest.raises(ValueError, match="do not chain"):
            forward(small_graph_P, np.ones((6, 2)), [np.ones((2, 3)), np.ones((2, 1))])

    @pytest.mark.parametrize("where", ["P", "X", "W", "Y"])
    def test_nan_anywhere(self, where, small_graph_P):
        P, X, W, Y = small_graph_P.copy(), np.ones((6, 2)), [np.eye(2), np.ones((2, 1))], np.zeros((6, 1))
        {"P": P, "X": X, "W": W[0], "Y": Y}[where][0, 0] = np.nan
        with pytest.raises(ValueError, match="NaN or infinite"):
            gradients(P, X, W, targets=Y)

    def test_unknown_activation_lists_known(self, small_graph_P):
        with pytest.raises(ValueError, match="known activations: .*tanh"):
            gnn(small_graph_P, 2, "swish")

    def test_unknown_loss_lists_known(self, small_graph_P):
        with pytest.raises(ValueError, match="known losses"):
            gradients(small_graph_P, np.ones((6, 2)), [np.ones((2, 1))], loss="hinge", targets=np.zeros((6, 1)))

    def test_labels_out_of_range(self, small_graph_P):
        with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
            gradients(small_graph_P, np.ones((6, 2)), [np.ones((2, 2))], loss="cross_entropy",
                      targets=np.array([0, 1, 2, 0, 1, 0]))

    def test_empty_mask(self, small_graph_P):
        with pytest.raises(ValueError, match="selects no node"):
            gradients(small_graph_P, np.ones((6, 2)), [np.ones((2, 1))], targets=np.zeros((6, 1)),
                      mask=np.zeros(6, dtype=bool))

    def test_target_shape(self, small_graph_P):
        with pytest.raises(ValueError, match="must have shape"):
            gradients(small_graph_P, np.ones((6, 2)), [np.ones((2, 1))], targets=np.zeros((6, 2)))

    def test_backward_without_targets(self, small_graph_P):
        fwd = forward(small_graph_P, np.ones((6, 2)), [np.ones((2, 1))])
        with pytest.raises(ValueError, match="needs targets"):
            backward(small_graph_P, fwd, [np.ones((2, 1))])
