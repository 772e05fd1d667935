"""The small-graph shortcuts of the engine and of ``train`` give the same bits as the general path.

Three shortcuts (session 8, issue 16), each compared bit for bit with the route it replaces:

* ``PropagationOperator.whole_product``: a product that ``apply`` would run as one chunk in one
  panel on the calling thread is made by the same kernel call inline (the layers use it);
* ``np.tanh(H, out=H)`` in the forward epilogue instead of ``H[a:b] = np.tanh(H[a:b])``;
* ``training._step``: one epoch of ``train`` runs the engine directly on inputs checked once
  (the trained weights' finiteness is still checked every epoch, with the same error).
"""

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import _sparse, gnn, gradients, initial_weights, layers, mlp, training
from backsmooth.numeric.training import train


def _graph(n, seed, symmetric):
    rng = np.random.default_rng(seed)
    A = sp.random_array((n, n), density=min(1.0, 10 / n), rng=rng, format="csr")
    A = A + A.T if symmetric else A
    A.data[:] = 1.0
    d = np.asarray(A.sum(axis=1)).ravel() + 1.0
    if symmetric:  # lazy symmetric normalisation (I + D^-1/2 (A + I) D^-1/2) / 2
        s = sp.diags_array(1.0 / np.sqrt(d))
        P = sp.csr_array(0.5 * (sp.eye_array(n) + s @ (A + sp.eye_array(n)) @ s))
        # symmetric up to round-off, not bit for bit (so P^T must not stand in for P)
        P.data *= 1.0 + 1e-15 * rng.uniform(-1.0, 1.0, P.nnz)
        return P
    return sp.csr_array(sp.diags_array(1.0 / d) @ (A + sp.eye_array(n)))  # row-stochastic


def _same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _grads(net, X, W, targets, loss):
    g = gradients(net, X, W, targets=targets, loss=loss)
    return [g.loss, g.forward.output, *g.B, *g.weight_gradients]


CASES = [  # (graph, activation, residual, widths, loss)
    ("sym", "tanh", 0.0, [6, 8, 8, 8, 3], "cross_entropy"),  # narrow then wide layers
    ("sym", "relu", 0.0, [8, 8, 16, 8, 2], "mse"),  # a widening layer: (P X) W
    ("rows", "tanh", 0.5, [8, 8, 8, 2], "mse"),  # non-symmetric P, residual
    ("rows", "softplus", 0.0, [4, 12, 2], "cross_entropy"),  # saves rho'(H); input narrower than output
    ("mlp", "tanh", 0.0, [6, 8, 8, 3], "cross_entropy"),  # P = I
    ("mlp", "relu", 0.3, [8, 8, 8, 2], "mse"),
]


@pytest.mark.parametrize("graph, act, residual, widths, loss", CASES)
def test_whole_product_gives_the_general_paths_bits(monkeypatch, graph, act, residual, widths, loss):
    n, rng = 60, np.random.default_rng(1)
    P = None if graph == "mlp" else _graph(n, 2, graph == "sym")
    net = gnn(P, len(widths) - 2, act, residual=residual)
    X = rng.standard_normal((n, widths[0]))
    W = initial_weights(widths, "orthogonal", seed=3)
    targets = rng.standard_normal((n, widths[-1])) if loss == "mse" else rng.integers(0, widths[-1], n)
    assert net.operator.whole_product(False, n, widths[1], np.float64) is not None
    assert net.symmetric == (graph != "rows")  # P = I is symmetric
    fast = _grads(net, X, W, targets, loss)
    monkeypatch.setattr(_sparse.PropagationOperator, "whole_product", lambda self, *a: None)
    general = _grads(gnn(P, len(widths) - 2, act, residual=residual), X, W, targets, loss)
    assert len(fast) == len(general)
    assert all(_same(a, b) for a, b in zip(fast, general))


def test_whole_product_only_where_apply_makes_one_call(monkeypatch):
    P = _graph(50, 0, True)
    op = gnn(P, 2).operator
    assert op.whole_product(True, 50, 8, np.float64) is not None
    assert op.whole_product(False, 50, 8, np.float32) is None  # mixed precision: apply's fallback
    assert gnn(P.toarray(), 2).operator.whole_product(False, 50, 8, np.float64) is None  # dense P
    assert mlp(2).operator.whole_product(False, _sparse._CHUNK_ROWS + 1, 8, np.float64) is None
    pinned = _sparse.PropagationOperator(P, panel_columns=4)  # two panels
    assert pinned.whole_product(False, 50, 8, np.float64) is None
    monkeypatch.setattr(_sparse, "_CHUNK_ROWS", 16)  # several chunks
    assert _sparse.PropagationOperator(P).whole_product(False, 50, 8, np.float64) is None


def test_whole_product_is_the_product():
    P = _graph(40, 5, False)
    X = np.random.default_rng(0).standard_normal((40, 7))
    op = gnn(P, 1).operator
    for transpose, expected in ((False, op.apply(X)), (True, op.apply_transpose(X))):
        out = np.full((40, 7), np.nan)
        op.whole_product(transpose, 40, 7, np.float64)(X, out)
        assert _same(out, expected)
    assert np.allclose(op.apply_transpose(X), P.T @ X, rtol=1e-14, atol=0)


def test_tanh_in_place_gives_the_copying_paths_bits(monkeypatch):
    n, rng = 80, np.random.default_rng(4)
    P = _graph(n, 6, True)
    X, W = rng.standard_normal((n, 5)), initial_weights([5, 9, 9, 2], "orthogonal", seed=1)
    labels = rng.integers(0, 2, n)
    in_place = _grads(gnn(P, 2, "tanh"), 10 * X, W, labels, "cross_entropy")  # saturating values too
    monkeypatch.setattr(layers, "_unary_ufunc", lambda function: None)
    copying = _grads(gnn(P, 2, "tanh"), 10 * X, W, labels, "cross_entropy")
    assert all(_same(a, b) for a, b in zip(in_place, copying))


FIELDS = ("loss", "train_accuracy", "test_accuracy", "gradient_norms", "mean_output_error", "profile_epochs",
          "forward_energy", "backward_energy", "forward_mean_norm", "backward_mean_norm", "spectral_norms",
          "output_error_row_norm")


def _history(P, optimizer, trainable, hook=None):
    n, rng = 70, np.random.default_rng(7)
    X, labels = rng.standard_normal((n, 6)), rng.integers(0, 3, n)
    W = initial_weights([6, 8, 8, 8, 3], "orthogonal", seed=2)
    h = train(gnn(P, 3, "tanh"), X, W, targets=labels, optimizer=optimizer, learning_rate=0.05, epochs=9,
              profile_every=4, trainable=trainable, train_mask=np.arange(n) % 4 != 0,
              test_mask=np.arange(n) % 4 == 0, profile_hook=hook)
    return [getattr(h, f) for f in FIELDS] + list(h.weights) + [h.profile_extra.get("mean_X1")]


@pytest.mark.parametrize("graph, optimizer, trainable", [("sym", "adam", None), ("rows", "gd", "hidden"),
                                                         ("mlp", "adam", [0, 3])])
def test_train_step_gives_forward_and_backwards_bits(monkeypatch, graph, optimizer, trainable):
    P = None if graph == "mlp" else _graph(70, 8, graph == "sym")

    def hook(network, fwd, g, weights):  # what a profile hook sees: the kept signals too
        return {"mean_X1": np.array([fwd.X[1].mean(), g.B[1].mean(), g.B[0].std()])}

    fast = _history(P, optimizer, trainable, hook)
    monkeypatch.setattr(training, "_fast_path", lambda net: False)
    public = _history(P, optimizer, trainable, hook)
    assert all(_same(a, b) for a, b in zip(fast, public))


@pytest.mark.parametrize("layer", [0, 2])  # a trained layer, the frozen output layer
def test_train_step_raises_forwards_error_on_non_finite_weights(monkeypatch, layer):
    P, rng = _graph(30, 9, True), np.random.default_rng(0)
    X, labels = rng.standard_normal((30, 4)), rng.integers(0, 2, 30)

    def poison(network, fwd, g, weights):  # the hook sees the weights themselves
        weights[layer][0, 0] = np.inf
        return {}

    def message():
        with pytest.raises(ValueError) as info:
            train(gnn(P, 2), X, initial_weights([4, 5, 5, 2], "orthogonal", seed=0), targets=labels,
                  epochs=3, profile_every=1, profile_hook=poison, trainable="hidden")
        return str(info.value)

    fast = message()
    assert f"weights[{layer}] contains 1 NaN or infinite" in fast
    monkeypatch.setattr(training, "_fast_path", lambda net: False)
    assert message() == fast


def test_tanh_derivative_into_gives_the_copying_paths_bits(monkeypatch):
    from backsmooth.numeric import activations

    rng = np.random.default_rng(5)
    y = np.tanh(np.concatenate([rng.standard_normal(4000) * 3, [0.0, -0.0, 1e-300, 20.0, -20.0]]))
    for dtype in (np.float64, np.float32):
        yd = y.astype(dtype)
        out = np.empty_like(yd)
        rho = activations.activation("tanh")
        assert _same(activations.derivative_from_output_into(rho)(yd, out), rho.derivative_from_output(yd))
    import dataclasses

    other = dataclasses.replace(activations.activation("tanh"), derivative_from_output=lambda y: 1.0 - y * y)
    assert activations.derivative_from_output_into(other) is None  # another function: no shortcut
    n, P = 60, _graph(60, 11, False)
    X, W = rng.standard_normal((n, 5)), initial_weights([5, 7, 7, 2], "orthogonal", seed=4)
    labels = rng.integers(0, 2, n)
    into = _grads(gnn(P, 2, "tanh"), 3 * X, W, labels, "cross_entropy")
    monkeypatch.setattr(layers, "derivative_from_output_into", lambda rho: None)
    copying = _grads(gnn(P, 2, "tanh"), 3 * X, W, labels, "cross_entropy")
    assert all(_same(a, b) for a, b in zip(into, copying))


def test_whole_product_memo_follows_the_operators_choice_and_pickles():
    import pickle

    P = _graph(50, 3, False)
    net = gnn(P, 2)
    X = np.random.default_rng(0).standard_normal((50, 8))
    first = net.operator.whole_product(False, 50, 8, np.float64)
    assert net.operator.whole_product(False, 50, 8, np.float64) is first  # memoised
    assert net.operator.whole_product(True, 50, 8, np.float64) is not first
    gradients(net, X, initial_weights([8, 8, 8, 2], "orthogonal", seed=0), targets=np.zeros(50, int),
              loss="cross_entropy")
    op = pickle.loads(pickle.dumps(net.operator))  # what a worker process receives
    assert _same(op.whole_product(False, 50, 8, np.float64)(X, np.empty((50, 8))), net.operator.apply(X))
    pinned = _sparse.PropagationOperator(P)
    assert pinned.whole_product(False, 50, 8, np.float64) is not None
    pinned.pins["panel_columns"] = 4  # a new choice (two panels): the memo does not stand in for it
    pinned._choices.clear()
    assert pinned.whole_product(False, 50, 8, np.float64) is None
