"""Remedy layers (numeric/remedies.py): exact backward passes against finite differences.

Central differences along whole-parameter directions, as in tests/test_gradients_fd.py:
with ``h = 1e-5`` and O(1) losses, truncation ``O(h^2)`` and round-off ``O(eps/h)`` are both
<= ~1e-10 relative to ``||grad|| ||v||``, so a relative error above 1e-6 means a wrong gradient.
Activations are smooth ones (no ReLU kinks inside the difference stencil).
"""

import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from backsmooth.numeric import gradients, initial_weights
from backsmooth.numeric.initialisation import balance
from backsmooth.numeric.measures import pairwise_difference_norm
from backsmooth.numeric.model import backward, forward, gnn
from backsmooth.numeric.remedies import (
    DropEdgeSchedule,
    InitialResidualConvolution,
    NormalisedConvolution,
    drop_edges,
    initial_residual_gnn,
    normalised_gnn,
    residual_gnn,
)
from backsmooth.numeric.training import train

from _fd import H, RTOL, check_directional_derivatives, random_propagation

ACTS = ["identity", "tanh", "softplus", "sin"]


def _network(model, P, depth, act):
    if model == "residual":
        return residual_gnn(P, depth, act, skip=0.7)
    if model == "initial_residual":
        return initial_residual_gnn(P, depth, act, alpha=0.3)
    if model == "gcnii":
        return initial_residual_gnn(P, depth, act, alpha=0.2, beta=0.6)
    if model in ("pair", "mean"):
        return normalised_gnn(P, depth, act, norm=model, scale=1.3)
    raise AssertionError(model)


MODELS = ["residual", "initial_residual", "gcnii", "pair", "mean"]


def _problem(model, kind, act, loss, seed):
    rng = np.random.default_rng(seed)
    n, depth = 7, 3
    P = random_propagation(kind, n, rng)
    X = rng.standard_normal((n, 3))
    W = initial_weights([3, 4, 4, 4, 3], "glorot", scale=1.2, seed=rng)
    Y = rng.standard_normal((n, 3)) if loss == "mse" else rng.integers(0, 3, n)
    return _network(model, P, depth, act), X, W, Y


def _loss(net, X, W, loss, Y):
    return gradients(net, X, W, loss=loss, targets=Y).loss


def _fd_check(net, X, W, loss, Y):
    g = gradients(net, X, W, loss=loss, targets=Y).weight_gradients
    check_directional_derivatives(lambda w: _loss(net, X, w, loss, Y), g, W)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("kind", ["dense", "sparse", "non_symmetric"])
def test_directional_derivative(model, act, loss, kind):
    net, X, W, Y = _problem(model, kind, act, loss, seed=zlib.crc32(f"{model}{act}{loss}{kind}".encode()))
    _fd_check(net, X, W, loss, Y)


@pytest.mark.parametrize("model", MODELS)
def test_entrywise_gradient_of_one_hidden_weight(model):
    """Every entry of the middle hidden weight, not only directions (catches transposed terms)."""
    net, X, W, Y = _problem(model, "dense", "tanh", "mse", seed=7)
    g = gradients(net, X, W, targets=Y).weight_gradients[1]
    for i, j in np.ndindex(W[1].shape):
        Wp = [w.copy() for w in W]
        Wm = [w.copy() for w in W]
        Wp[1][i, j] += H
        Wm[1][i, j] -= H
        fd = (_loss(net, X, Wp, "mse", Y) - _loss(net, X, Wm, "mse", Y)) / (2 * H)
        assert abs(fd - g[i, j]) <= RTOL * max(1.0, np.abs(g).max())


@pytest.mark.parametrize("model", MODELS)
def test_backward_signal_is_dloss_dH(model):
    """B^(k) = dLoss/dH^(k): perturb H^(1) by t E through its own layer and compare with <B, E>."""
    net, X, W, Y = _problem(model, "dense", "tanh", "mse", seed=3)
    g = gradients(net, X, W, targets=Y)
    fwd = forward(net, X, W)
    k = 1
    Xk, Hk = fwd.X[k], fwd.H[k]
    E = np.random.default_rng(0).standard_normal(Hk.shape)
    layer = net.layers[k]

    def loss_from_H(Hmod):
        # X^(k+1) from a modified H^(k): the layer maps H through its output map only
        if isinstance(layer, NormalisedConvolution):
            X_next = layer.activation.function(layer.normalise(Hmod))
        elif isinstance(layer, InitialResidualConvolution):
            d = Hmod.shape[1]
            X_next = np.concatenate([layer.activation.function(Hmod), Xk[:, d:]], axis=1)
        else:
            X_next = layer.activation.function(Hmod) + layer.residual * Xk
        Z = X_next
        for j in range(k + 1, len(net.layers)):
            Z = net.layers[j].forward(net.P, Z, W[j])[2]
        return 0.5 * np.sum((Z - Y) ** 2) / Z.shape[0]

    fd = (loss_from_H(Hk + H * E) - loss_from_H(Hk - H * E)) / (2 * H)
    exact = float(np.sum(g.B[k] * E))
    assert abs(fd - exact) <= RTOL * np.linalg.norm(g.B[k]) * np.linalg.norm(E)


def test_mean_subtraction_centres_backward_signals():
    net, X, W, Y = _problem("mean", "dense", "tanh", "mse", seed=11)
    B = gradients(net, X, W, targets=Y).B
    for Bk in B[:-1]:
        assert np.abs(Bk.mean(axis=0)).max() <= 1e-14 * max(1.0, np.abs(Bk).max())
        # all of B is its centred part: E(B) = ||B||_F / sqrt(n)
        assert np.isclose(pairwise_difference_norm(Bk), np.linalg.norm(Bk) / np.sqrt(Bk.shape[0]), rtol=1e-12)


def test_pairnorm_output_has_fixed_energy():
    rng = np.random.default_rng(2)
    layer = NormalisedConvolution(gnn(None, 0).layers[0].activation, "pair", scale=2.5)
    Z = layer.normalise(rng.standard_normal((9, 4)))
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-14)
    assert np.isclose(np.sum(Z * Z) / Z.shape[0], 2.5**2)


def test_pairnorm_rejects_constant_signal():
    layer = NormalisedConvolution(gnn(None, 0).layers[0].activation, "pair")
    with pytest.raises(FloatingPointError, match="rows are all equal"):
        layer.normalise(np.ones((4, 2)))


def test_bad_parameters():
    rho = gnn(None, 0).layers[0].activation
    with pytest.raises(ValueError, match="alpha"):
        InitialResidualConvolution(rho, 1.5)
    with pytest.raises(ValueError, match="beta"):
        InitialResidualConvolution(rho, 0.1, 0.0)
    with pytest.raises(ValueError, match="unknown normalisation"):
        NormalisedConvolution(rho, "batch")
    with pytest.raises(ValueError, match="depth"):
        initial_residual_gnn(np.eye(3), 0)
    with pytest.raises(ValueError, match="rate"):
        drop_edges(sp.csr_array(np.ones((3, 3)) - np.eye(3)), 1.0)


def test_initial_residual_with_alpha_zero_is_the_vanilla_network():
    rng = np.random.default_rng(5)
    P = random_propagation("dense", 6, rng)
    X = rng.standard_normal((6, 3))
    W = initial_weights([3, 4, 4, 4, 2], "glorot", seed=rng)
    Y = rng.standard_normal((6, 2))
    ours = gradients(initial_residual_gnn(P, 3, alpha=0.0), X, W, targets=Y)
    vanilla = gradients(P, X, W, targets=Y)
    assert np.allclose(ours.forward.output, vanilla.forward.output, rtol=1e-13, atol=1e-14)
    for a, b in zip(ours.weight_gradients, vanilla.weight_gradients):
        assert np.allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("model", MODELS)
def test_float32_agrees_with_float64(model):
    net, X, W, Y = _problem(model, "dense", "tanh", "mse", seed=9)
    g64 = gradients(net, X, W, targets=Y)
    net32 = type(net)(net.P.astype(np.float32), net.layers, net.symmetric)
    g32 = gradients(net32, X, W, targets=Y, dtype=np.float32)
    assert g32.weight_gradients[0].dtype == np.float32
    for a, b in zip(g32.weight_gradients, g64.weight_gradients):
        assert np.linalg.norm(a - b) <= 1e-4 * max(np.linalg.norm(b), 1e-3)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("optimizer", ["adam", "gd"])
def test_training_lowers_the_loss_with_a_mask(model, optimizer):
    net, X, W, _ = _problem(model, "sparse", "tanh", "cross_entropy", seed=4)
    labels = (X[:, 0] > 0).astype(int)
    mask = np.arange(X.shape[0]) < 5
    h = train(net, X, W, targets=labels, optimizer=optimizer, learning_rate=0.05, epochs=30, train_mask=mask)
    assert h.loss[-1] < h.loss[0]


def test_dropedge_is_seeded_fresh_and_renormalised():
    rng = np.random.default_rng(0)
    A = np.triu((rng.random((30, 30)) < 0.3).astype(float), 1)
    A = sp.csr_array(A + A.T)
    sched = DropEdgeSchedule(A, gnn(None, 2).layers, rate=0.5, seed=3)
    P0, P0b, P1 = sched(0).P, sched(0).P, sched(1).P
    assert (P0 != P0b).nnz == 0  # same step, same graph
    assert (P0 != P1).nnz > 0  # a fresh graph per step
    for P in (P0, P1):
        assert np.allclose(P.sum(axis=1), 1) and abs(P - P.T).max() < 1e-15
        off = sp.csr_array(P - sp.diags_array(P.diagonal()))
        off.eliminate_zeros()
        assert off.nnz < A.nnz  # some edges dropped ...
        assert set(zip(*off.nonzero())) <= set(zip(*A.nonzero()))  # ... and none added
    kept = [(drop_edges(A, 0.25, seed=s) != 0).sum() for s in range(20)]
    # expected number of kept off-diagonal entries: 0.75 nnz(A) (+ n diagonal entries)
    assert abs(np.mean(kept) - 30 - 0.75 * A.nnz) < 0.1 * A.nnz


def test_training_with_dropedge_schedule():
    rng = np.random.default_rng(1)
    A = np.triu((rng.random((20, 20)) < 0.3).astype(float), 1)
    A = sp.csr_array(A + A.T)
    full = DropEdgeSchedule(A, gnn(None, 2).layers, rate=0.3, seed=0).full_network()
    sched = DropEdgeSchedule(A, full.layers, rate=0.3, seed=0)
    X = rng.standard_normal((20, 3))
    W = initial_weights([3, 4, 4, 2], "glorot", seed=2)
    labels = (X[:, 0] > 0).astype(int)
    h1 = train(full, X, W, targets=labels, learning_rate=0.05, epochs=20, network_schedule=sched)
    h2 = train(full, X, W, targets=labels, learning_rate=0.05, epochs=20, network_schedule=sched)
    h3 = train(full, X, W, targets=labels, learning_rate=0.05, epochs=20)
    assert np.array_equal(h1.loss, h2.loss)  # seeded
    assert not np.allclose(h1.loss[1:], h3.loss[1:])  # the graphs did change
    # the DropEdge gradient at step 0 is the gradient on the step-0 graph
    g = backward(sched(0), forward(sched(0), X, W), W, loss="cross_entropy", targets=labels)
    assert np.isclose(h1.gradient_norms[0, 0], np.linalg.norm(g.weight_gradients[0]))


@pytest.mark.parametrize("scheme", ["gaussian", "balanced", "glorot", "orthogonal"])
def test_initialisation_gain(scheme):
    widths = [16] + [64] * 4 + [2]
    W1 = initial_weights(widths, scheme, scale=1.0, seed=0)
    W3 = initial_weights(widths, scheme, scale=3.0, seed=0)
    for a, b in zip(W1, W3):
        assert np.allclose(b, 3.0 * a)  # the gain multiplies (balancing is scale-equivariant)


def test_gaussian_variance():
    W = initial_weights([400, 300], "gaussian", scale=2.0, seed=0)[0]
    # entries N(0, 4/400): sample variance of 120000 entries within 1% (about 3 standard errors)
    assert abs(W.var() / (4.0 / 400) - 1) < 0.013


def test_balanced_in_equals_out():
    W = initial_weights([5, 8, 3, 8, 2], "balanced", scale=1.5, seed=1)
    for k in range(len(W) - 1):
        inc, out = np.linalg.norm(W[k], axis=0), np.linalg.norm(W[k + 1], axis=1)
        assert np.allclose(inc, out, rtol=1e-10)


def test_balance_preserves_relu_networks():
    rng = np.random.default_rng(3)
    W = [rng.standard_normal((4, 5)), 3 * rng.standard_normal((5, 5)), rng.standard_normal((5, 2))]
    P = random_propagation("dense", 6, rng)
    X = rng.standard_normal((6, 4))
    out = forward(P, X, W, "relu").output
    assert np.allclose(forward(P, X, balance(W), "relu").output, out, rtol=1e-10, atol=1e-12)


def test_balance_rejects_dead_neuron():
    with pytest.raises(ValueError, match="all-zero"):
        balance([np.zeros((2, 2)), np.ones((2, 2))])
