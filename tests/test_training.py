"""Tests of numeric.training (GD, Adam, history) and numeric.output_layer (fit_output_layer)."""

import json

import numpy as np
import pytest
import scipy.optimize

from backsmooth.numeric import gnn, initial_weights, mlp
from backsmooth.numeric.output_layer import fit_output_layer
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import contextual_sbm
from backsmooth.numeric.training import TrainingHistory, train, trainable_layers


def _least_squares_problem(seed=0, n=30, d=4, c=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)), rng.standard_normal((n, c))


class TestGradientDescent:
    def test_linear_least_squares_matches_closed_form_iterates(self):
        # Loss(W) = 1/(2n)||XW - Y||^2: GD iterates W_t = W* + (I - eta X^T X/n)^t (W_0 - W*)
        X, Y = _least_squares_problem()
        n = X.shape[0]
        W_star = np.linalg.lstsq(X, Y, rcond=None)[0]
        eta, T = 0.3, 25
        h = train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", optimizer="gd",
                  learning_rate=eta, epochs=T, activation="identity")
        M = np.linalg.matrix_power(np.eye(4) - eta * X.T @ X / n, T)
        expected = W_star + M @ (np.zeros((4, 2)) - W_star)
        np.testing.assert_allclose(h.weights[-1], expected, rtol=1e-10, atol=1e-12)
        # the recorded loss is the loss at theta_t: record 0 at the start, last at the end
        np.testing.assert_allclose(h.loss[0], 0.5 * np.sum(Y ** 2) / n, rtol=1e-14)
        np.testing.assert_allclose(h.loss[-1], 0.5 * np.sum((X @ expected - Y) ** 2) / n, rtol=1e-10)

    def test_gradient_norm_record_is_exact(self):
        X, Y = _least_squares_problem(1)
        h = train(None, X, [np.ones((4, 2))], targets=Y, loss="mse", optimizer="gd",
                  learning_rate=0.1, epochs=0, activation="identity")
        grad = X.T @ (X @ np.ones((4, 2)) - Y) / X.shape[0]
        np.testing.assert_allclose(h.gradient_norms[0, 0], np.linalg.norm(grad), rtol=1e-13)


class TestAdam:
    def test_first_steps_match_hand_computed_adam(self):
        # independent transcription of Kingma & Ba, Algorithm 1, on the same convex problem
        X, Y = _least_squares_problem(2)
        n = X.shape[0]
        lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
        W = np.zeros((4, 2)); m = np.zeros_like(W); v = np.zeros_like(W)
        for t in range(1, 8):
            g = X.T @ (X @ W - Y) / n
            m = b1 * m + (1 - b1) * g
            v = b2 * v + (1 - b2) * g * g
            W = W - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        h = train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", optimizer="adam",
                  learning_rate=lr, epochs=7, activation="identity")
        np.testing.assert_allclose(h.weights[-1], W, rtol=1e-12, atol=1e-14)

    def test_converges_to_least_squares_solution(self):
        X, Y = _least_squares_problem(3)
        h = train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", optimizer="adam",
                  learning_rate=0.01, epochs=3000, activation="identity")
        np.testing.assert_allclose(h.weights[-1], np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-4)


class TestTrain:
    def test_frozen_layers_do_not_move(self):
        X, _ = _least_squares_problem(4)
        labels = (X[:, 0] > 0).astype(int)
        W0 = initial_weights([4, 5, 5, 2], "orthogonal", seed=0)
        h = train(mlp(2), X, W0, targets=labels, epochs=20, learning_rate=1e-2, trainable="output")
        for k in (0, 1):
            np.testing.assert_array_equal(h.weights[k], W0[k])
        assert not np.allclose(h.weights[2], W0[2])
        assert h.settings["trainable"] == [2]

    def test_same_seed_same_numbers_and_inputs_untouched(self):
        s = contextual_sbm(120, avg_degree=10, seed=3)
        net = gnn(propagation_matrix(s.adjacency), 3)
        W0 = initial_weights([16, 8, 8, 8, 2], "orthogonal", seed=1)
        copy = [w.copy() for w in W0]
        a = train(net, s.features, W0, targets=s.labels, epochs=15, profile_every=5)
        b = train(net, s.features, W0, targets=s.labels, epochs=15, profile_every=5)
        np.testing.assert_array_equal(a.loss, b.loss)
        for w, c in zip(W0, copy):
            np.testing.assert_array_equal(w, c)
        assert a.profile_epochs.tolist() == [0, 5, 10, 15]
        assert a.forward_energy.shape == (4, 4) and a.gradient_norms.shape == (16, 4)

    def test_masks_accuracy_and_callback(self):
        s = contextual_sbm(150, avg_degree=10, seed=4)
        net = gnn(propagation_matrix(s.adjacency), 2)
        n = s.n
        train_mask = np.arange(n) % 2 == 0
        seen = []
        h = train(net, s.features, initial_weights([16, 8, 8, 2], "orthogonal", seed=0),
                  targets=s.labels, epochs=60, learning_rate=1e-2, train_mask=train_mask,
                  test_mask=~train_mask, callback=lambda t, r: seen.append((t, r["loss"])))
        assert [t for t, _ in seen] == list(range(61))
        np.testing.assert_allclose([v for _, v in seen], h.loss)
        assert h.test_accuracy[-1] > 0.8 and h.train_accuracy[-1] > 0.8
        # the output error lives on the training nodes only: test nodes do not change the loss
        assert h.settings["num_train"] == int(train_mask.sum())

    def test_to_dict_is_json_serialisable(self):
        X, Y = _least_squares_problem(5)
        h = train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", epochs=3, activation="identity")
        d = json.loads(json.dumps(h.to_dict()))
        assert d["epochs"] == [0, 1, 2, 3] and len(d["gradient_norms"]) == 4
        assert isinstance(h, TrainingHistory)

    def test_bad_input(self):
        X, Y = _least_squares_problem(6)
        with pytest.raises(ValueError, match="unknown optimizer"):
            train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", optimizer="sgd")
        with pytest.raises(ValueError, match="learning_rate"):
            train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", learning_rate=-1)
        with pytest.raises(ValueError, match="epochs"):
            train(None, X, [np.zeros((4, 2))], targets=Y, loss="mse", epochs=2.5)
        with pytest.raises(ValueError, match="layer indices"):
            trainable_layers([5], 3)
        with pytest.raises(ValueError, match="'output'"):
            trainable_layers("last", 3)
        with pytest.raises(FloatingPointError, match="diverged"), np.errstate(over="ignore", invalid="ignore"):
            train(None, 1e3 * X, [np.zeros((4, 2))], targets=Y, loss="mse", optimizer="gd",
                  learning_rate=10.0, epochs=200, activation="identity")


@pytest.fixture(scope="module")
def deep():
    s = contextual_sbm(300, avg_degree=30, seed=0)
    P = propagation_matrix(s.adjacency)
    return s, gnn(P, 10), initial_weights([16] + [16] * 10 + [2], "orthogonal", seed=0)


class TestFitOutputLayer:

    def test_cross_entropy_reaches_tolerance(self, deep):
        s, net, W = deep
        fit = fit_output_layer(net, s.features, W, targets=s.labels)
        assert fit.converged and fit.gradient_norm <= 1e-10
        for a, b in zip(fit.weights[:-1], W[:-1]):
            np.testing.assert_array_equal(a, b)

    def test_cross_entropy_agrees_with_lbfgs(self, deep):
        # independent solver: scipy L-BFGS on the same convex problem (loss values agree)
        s, net, W = deep
        fit = fit_output_layer(net, s.features, W, targets=s.labels)
        from backsmooth.numeric import forward
        from scipy.special import log_softmax
        F = forward(net, s.features, W).F[-1]

        def f(w):
            return -np.mean(log_softmax(F @ w.reshape(W[-1].shape), axis=1)[np.arange(s.n), s.labels])

        res = scipy.optimize.minimize(f, W[-1].ravel(), method="L-BFGS-B", options={"gtol": 1e-12, "ftol": 0})
        assert fit.loss <= res.fun + 1e-9

    def test_mse_is_least_squares(self):
        s = contextual_sbm(200, avg_degree=20, seed=1)
        net = gnn(propagation_matrix(s.adjacency), 2)
        W = initial_weights([16, 8, 8, 2], "orthogonal", seed=2)
        Y = np.eye(2)[s.labels]
        fit = fit_output_layer(net, s.features, W, targets=Y, loss="mse")
        assert fit.converged and fit.gradient_norm <= 1e-10
        from backsmooth.numeric import forward
        F = forward(net, s.features, W).F[-1]
        np.testing.assert_allclose(fit.output_weight, np.linalg.pinv(F) @ Y, atol=1e-8)


@pytest.fixture(scope="module")
def oversmoothed():
    s = contextual_sbm(40, avg_degree=20, seed=3)
    net = gnn(propagation_matrix(s.adjacency), 12)
    W = initial_weights([16] + [4] * 12 + [1], "orthogonal", seed=4)
    Y = (2.0 * s.labels - 0.5)[:, None]
    return s, net, W, Y


class TestLeastSquaresGradientFloor:
    """MSE's least-squares output layer is stationary up to a round-off allowance that grows with
    ||W^(L)||: on an oversmoothed deep GNN the minimum-norm fit has ||W^(L)|| ~ 1e4 or more."""

    def test_the_fit_is_converged_within_its_floor(self, oversmoothed):
        s, net, W, Y = oversmoothed
        fit = fit_output_layer(net, s.features, W, targets=Y, loss="mse")
        assert np.linalg.norm(fit.output_weight, 2) > 1e3  # ill-conditioned: the regime in question
        assert fit.converged and fit.gradient_norm <= max(1e-10, fit.gradient_floor)
        # the allowance is round-off: 16 (m + d) eps times its scale, nowhere near the gradient
        # of a wrong output layer
        from backsmooth.numeric import forward
        F = forward(net, s.features, W).F[-1]
        scale = np.linalg.norm(F, 2) * (2 * np.linalg.norm(F) * np.linalg.norm(fit.output_weight, 2)
                                        + 2 * np.linalg.norm(Y)) / F.shape[0]
        assert fit.gradient_floor == pytest.approx(16 * (F.shape[0] + F.shape[1]) * np.finfo(float).eps * scale)

    def test_a_wrong_solution_is_not_converged(self, oversmoothed, monkeypatch):
        s, net, W, Y = oversmoothed
        real = np.linalg.lstsq

        def off_by_a_little(A, B, rcond=None):
            sol = real(A, B, rcond=rcond)
            return (sol[0] * (1 + 1e-6),) + tuple(sol[1:])

        monkeypatch.setattr(np.linalg, "lstsq", off_by_a_little)
        fit = fit_output_layer(net, s.features, W, targets=Y, loss="mse")
        assert not fit.converged and fit.gradient_norm > 10 * fit.gradient_floor

    def test_cross_entropy_has_no_floor(self, deep):
        s, net, W = deep
        assert fit_output_layer(net, s.features, W, targets=s.labels).gradient_floor == 0.0


class TestFitOutputLayerExtremeWeights:
    def test_cross_entropy_fit_stays_finite_with_huge_features(self):
        """s = 1e3 makes the output-layer features ~1e9: Newton must not return NaN weights."""
        from backsmooth import numeric as bn

        sample = bn.contextual_sbm(60, avg_degree=10, seed=0)
        P = bn.propagation_matrix(sample)
        for seed in range(5):
            W = bn.initial_weights([16, 8, 8, 2], "spectral", scale=1e3, seed=seed)
            fit = bn.fit_output_layer(P, sample.features, W, targets=sample.labels,
                                      loss="cross_entropy", activation="identity")
            assert np.all(np.isfinite(fit.output_weight))
            assert np.isfinite(fit.loss)
            assert fit.converged == (fit.gradient_norm <= 1e-10)


def test_fit_output_layer_refuses_features_that_overflow():
    # inputs of 1e200 through an identity layer: P X^(L) overflows to inf; the fit must say so
    # (before, it returned converged=False with a NaN gradient and loss and numpy's warnings only)
    from backsmooth.numeric import fit_output_layer

    X = np.full((5, 2), 1e200)
    W = [np.eye(2) * 1e200, np.ones((2, 2))]
    with np.errstate(over="ignore", invalid="ignore"):
        with pytest.raises(FloatingPointError, match="not finite"):
            fit_output_layer(None, X, W, targets=np.array([0, 1, 0, 1, 1]), activation="identity")


def test_fit_output_layer_rejects_overflowing_newton_trials_without_warnings():
    # an instance (found by search) whose Newton iterations try points whose logits overflow
    # and whose Hessian does: both are rejected by the fit, so no RuntimeWarning may escape
    # (before: "overflow encountered in matmul" from every rejected trial) and the result is finite
    import warnings

    from backsmooth.numeric import fit_output_layer

    rng = np.random.default_rng(8580)
    n = int(rng.integers(3, 10))
    scale = 10.0 ** rng.uniform(0, 154)
    X = rng.standard_normal((n, 2)) * scale
    y = (X[:, 0] > 0).astype(int)
    W = [np.eye(2), rng.standard_normal((2, 2)) * 10.0 ** rng.uniform(-160, -100)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        fit = fit_output_layer(None, X, W, targets=y, activation="identity", max_iter=30)
    assert np.all(np.isfinite(fit.output_weight)) and np.isfinite(fit.loss)
