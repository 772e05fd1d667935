"""The fast forward/backward engine equals the plain recursion of the paper.

The reference below is the straightforward implementation of model.py's docstring: keep
every ``F^(k) = P X^(k)``, ``H^(k) = F^(k) W^(k)``, then ``B^(k) = rho'(H^(k)) * G`` with
``G = P^T B^(k+1) W^(k+1)T (+ residual G)`` and ``dLoss/dW^(k) = F^(k)T B^(k)``, one scipy
product at a time.  The fast path reorders products (``P (X W)``, ``X^T (P^T B)``), splits
them over row chunks and threads, and may recompute checkpointed layers, so the two agree up
to float round-off.  Tolerance: a few hundred ulps of the working precision relative to the
norm of each array (40 unit round-offs per layer over the depths used here, with margin),
i.e. 1e-12 in float64 and 1e-4 in float32.
"""

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import ACTIVATIONS, activation, backward, forward, gnn, gradients, initial_weights
from backsmooth.numeric import _sparse
from backsmooth.numeric.losses import loss_function

RTOL = {np.float64: 1e-12, np.float32: 1e-4}


def reference(P, X, W, rho, loss, targets, residual=0.0):
    """Plain forward + backward: every F, H kept; returns (loss, B list, grads, output)."""
    rho = activation(rho)
    L = len(W) - 1
    Xs, Fs, Hs = [X], [], []
    for k in range(L + 1):
        F = Xs[-1] if P is None else P @ Xs[-1]
        H = F @ W[k]
        Fs.append(F)
        Hs.append(H)
        if k < L:
            Xs.append(rho.function(H) + residual * Xs[-1] if residual else rho.function(H))
    value, G = loss_function(loss).value_and_output_error(Hs[-1], targets)
    Bs, grads = [None] * (L + 1), [None] * (L + 1)
    for k in range(L, -1, -1):
        B = G if k == L or rho.is_linear else rho.derivative(Hs[k]) * G
        Bs[k], grads[k] = B, Fs[k].T @ B
        G_prev = B @ W[k].T
        G_prev = G_prev if P is None else P.T @ G_prev
        if k < L and residual:
            G_prev = G_prev + residual * G
        G = G_prev
    return value, Bs, grads, Hs[-1]


def random_graph(n, seed, symmetric=True):
    rng = np.random.default_rng(seed)
    A = sp.random_array((n, n), density=8 / n, rng=rng, format="csr")
    A = (A + A.T) if symmetric else A
    A.data[:] = rng.uniform(0.5, 1.5, A.nnz)
    d = np.asarray(A.sum(axis=1)).ravel() + 1.0
    return sp.csr_array(sp.diags_array(1.0 / d) @ (A + sp.eye_array(n)))  # row-stochastic


def instance(n, depth, width, loss, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5)).astype(dtype)
    W = initial_weights([5] + [width] * depth + [3], "orthogonal", scale=1.2, seed=rng, dtype=dtype)
    Y = rng.standard_normal((n, 3)).astype(dtype) if loss == "mse" else rng.integers(0, 3, n)
    return X, W, Y


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64))
                 / max(np.linalg.norm(np.asarray(b, np.float64)), 1e-300))


def assert_agrees(fast, ref, dtype):
    value, Bs, grads, out = ref
    tol = RTOL[dtype]
    assert abs(fast.loss - value) <= tol * max(1.0, abs(value))
    assert rel(fast.forward.output, out) <= tol
    for k, (b, g) in enumerate(zip(Bs, grads)):
        assert rel(fast.B[k], b) <= tol, f"B^({k})"
        assert rel(fast.weight_gradients[k], g) <= tol, f"dLoss/dW^({k})"


def shuffled_schedule(seed):
    """A stand-in for ``_sparse.run_dynamic``: the tasks in a random order (any order the
    shared queue could produce; tests/test_engine_tuning.py also runs them on real threads)."""
    rng = np.random.default_rng(seed)

    def run(task, count, threads):
        for i in rng.permutation(count).tolist():
            task(i)

    return run


@pytest.fixture(params=[(1, False), (2, False), (2, True), (3, "shuffled")],
                ids=["one_thread", "two_threads", "two_threads_reordered_panels",
                     "three_threads_shuffled_schedule"])
def threads(request, monkeypatch):
    """Run with one thread and with two (small chunks so that 2 threads really split rows);
    the third variant also renumbers the nodes (reverse Cuthill-McKee) and splits every sparse
    product into column panels of two columns (the large-graph path, forced on small ones);
    the fourth runs the row blocks of every threaded pass in a random order
    (any schedule the shared queue could produce)."""
    count, large_graph_path = request.param
    monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", str(count))
    monkeypatch.setattr(_sparse, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_sparse, "_CHUNK_ROWS", 16)
    if large_graph_path == "shuffled":
        monkeypatch.setattr(_sparse, "run_dynamic", shuffled_schedule(count))
    elif large_graph_path:
        monkeypatch.setattr(_sparse, "_REORDER_MIN_ROWS", 0)
        monkeypatch.setattr(_sparse, "_REORDER_MIN_GAIN", 0.0)
        monkeypatch.setattr(_sparse, "_MIN_PANEL_COLUMNS", 1)
        monkeypatch.setattr(_sparse, "_PANEL_BYTES", 1000)  # 2 float64 columns of 40-60 rows
    return count


class TestFastEqualsReference:
    @pytest.mark.parametrize("rho", sorted(ACTIVATIONS))
    @pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
    def test_gnn_every_activation_and_loss(self, rho, loss, threads):
        P = random_graph(60, 1)
        X, W, Y = instance(60, 5, 7, loss, seed=2)
        fast = gradients(gnn(P, 5, rho), X, W, loss=loss, targets=Y)
        assert_agrees(fast, reference(P, X, W, rho, loss, Y), np.float64)

    @pytest.mark.parametrize("rho", ["tanh", "relu", "softplus"])
    def test_mlp(self, rho, threads):
        X, W, Y = instance(50, 4, 6, "mse", seed=3)
        fast = gradients(None, X, W, activation=rho, targets=Y)
        assert_agrees(fast, reference(None, X, W, rho, "mse", Y), np.float64)

    @pytest.mark.parametrize("rho", ["tanh", "arctan", "relu", "identity"])
    def test_residual(self, rho, threads):
        P = random_graph(40, 4)
        rng = np.random.default_rng(5)
        X = rng.standard_normal((40, 6))
        W = initial_weights([6] * 6 + [2], "glorot", seed=rng)
        Y = rng.integers(0, 2, 40)
        fast = gradients(P, X, W, activation=rho, residual=0.5, loss="cross_entropy", targets=Y)
        assert_agrees(fast, reference(P, X, W, rho, "cross_entropy", Y, residual=0.5), np.float64)

    def test_non_symmetric_P_uses_the_transpose(self, threads):
        P = random_graph(50, 6, symmetric=False)
        X, W, Y = instance(50, 3, 4, "mse", seed=6)
        net = gnn(P, 3, "tanh")
        assert not net.symmetric
        assert_agrees(gradients(net, X, W, targets=Y), reference(P, X, W, "tanh", "mse", Y), np.float64)

    def test_widening_and_narrowing_layers(self, threads):
        """Both product orders (P (XW) and (PX) W) and the narrow-input backward branch."""
        P = random_graph(45, 7)
        rng = np.random.default_rng(7)
        X = rng.standard_normal((45, 2))
        W = initial_weights([2, 9, 3, 11, 1], "glorot", seed=rng)
        Y = rng.standard_normal((45, 1))
        assert_agrees(gradients(P, X, W, targets=Y), reference(P, X, W, "tanh", "mse", Y), np.float64)


class TestCheckpointing:
    @pytest.mark.parametrize("checkpoint", [True, 1, 2, 3, 7, 100])
    @pytest.mark.parametrize("rho", ["tanh", "softplus"])
    def test_same_numbers_as_reference(self, checkpoint, rho, threads):
        P = random_graph(40, 8)
        X, W, Y = instance(40, 7, 5, "cross_entropy", seed=9)
        fast = gradients(gnn(P, 7, rho), X, W, loss="cross_entropy", targets=Y, checkpoint=checkpoint)
        assert_agrees(fast, reference(P, X, W, rho, "cross_entropy", Y), np.float64)

    def test_checkpointing_reproduces_the_stored_run_bit_for_bit(self):
        P = random_graph(40, 10)
        X, W, Y = instance(40, 9, 5, "mse", seed=10)
        net = gnn(P, 9, "tanh")
        full = gradients(net, X, W, targets=Y)
        lean = gradients(net, X, W, targets=Y, checkpoint=3)
        for a, b in zip(full.weight_gradients + full.B, lean.weight_gradients + lean.B):
            assert np.array_equal(a, b)

    def test_lazy_forward_signals_after_checkpointing(self, threads):
        P = random_graph(30, 11)
        X, W, Y = instance(30, 6, 4, "mse", seed=11)
        fwd = forward(P, X, W, "tanh", checkpoint=True)
        _, _, _, out = reference(P, X, W, "tanh", "mse", Y)
        H = [P @ fwd.X[k] @ W[k] for k in range(7)]
        assert len(fwd.X) == len(fwd.F) == len(fwd.H) == 7
        for k in range(7):
            assert rel(fwd.F[k], P @ fwd.X[k]) <= 1e-12 and rel(fwd.H[k], H[k]) <= 1e-12
            if k:
                assert rel(fwd.X[k], np.tanh(H[k - 1])) <= 1e-12
        assert rel(fwd.output, out) <= 1e-12 and [x.shape for x in fwd.X[1:3]] == [(30, 4)] * 2

    def test_bad_checkpoint(self):
        with pytest.raises(ValueError, match="checkpoint must be"):
            forward(None, np.ones((3, 2)), [np.ones((2, 2))], checkpoint=0)


class TestLargeGraphPath:
    """The pieces of the large-graph path on their own: node order and column panels."""

    def test_order_is_a_permutation_and_the_moves_are_inverse(self):
        P = random_graph(70, 12, symmetric=False)
        op = _sparse.PropagationOperator(P, reorder=True)
        assert sorted(op.order.tolist()) == list(range(70))
        X = np.random.default_rng(12).standard_normal((70, 3))
        assert np.array_equal(op.to_internal(X), X[op.order])
        assert np.array_equal(op.to_external(op.to_internal(X)), X)
        assert np.array_equal(op.internal_matrix.toarray(), P.toarray()[op.order][:, op.order])
        # the products run in the internal order: P X = (to_external o apply o to_internal) X
        Xi = op.to_internal(X)
        assert rel(op.to_external(op.apply(Xi)), P @ X) <= 1e-15
        assert rel(op.to_external(op.apply_transpose(Xi)), P.T @ X) <= 1e-15

    def test_reordering_shrinks_the_bandwidth_of_a_shuffled_path(self):
        n = 200
        path = sp.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1]).tocsr()
        shuffle = np.random.default_rng(13).permutation(n)
        P = sp.csr_array(path[shuffle][:, shuffle])
        order = _sparse.locality_order(P, symmetric=True)
        rows, cols = P[order][:, order].nonzero()
        assert np.abs(rows - cols).max() == 1  # RCM recovers the path

    def test_renumbering_by_default_only_where_it_brings_neighbours_closer(self, monkeypatch):
        monkeypatch.setattr(_sparse, "_REORDER_MIN_ROWS", 100)
        n = 300
        path = sp.csr_array(sp.diags_array([np.ones(n - 1), np.ones(n - 1)], offsets=[-1, 1]))
        shuffle = np.random.default_rng(16).permutation(n)
        assert _sparse.PropagationOperator(path[shuffle][:, shuffle]).order is not None
        assert _sparse.PropagationOperator(path).order is None  # already in a good order
        assert _sparse.PropagationOperator(random_graph(n, 16)).order is None  # no order helps
        assert _sparse.PropagationOperator(random_graph(99, 16)).order is None  # small graph
        assert _sparse.PropagationOperator(random_graph(n, 16), reorder=True).order is not None

    def test_column_panels_cover_the_columns(self, monkeypatch):
        op = _sparse.PropagationOperator(random_graph(100, 14))
        monkeypatch.setattr(_sparse, "_MIN_PANEL_COLUMNS", 4)
        monkeypatch.setattr(_sparse, "_PANEL_BYTES", 100 * 8 * 4)  # 4 float64 columns fit
        assert op.column_panels(11, np.float64) == [(0, 4), (4, 8), (8, 11)]
        assert op.column_panels(11, np.float32) == [(0, 8), (8, 11)]
        assert op.column_panels(3, np.float64) == [(0, 3)]  # fits: one panel
        monkeypatch.setattr(_sparse, "_PANEL_BYTES", 100 * 8 * 7)
        assert op.column_panels(20, np.float64) == [(0, 4), (4, 8), (8, 12), (12, 16), (16, 20)]
        monkeypatch.setattr(_sparse, "_PANEL_BYTES", 100 * 8 * 3)
        assert op.column_panels(20, np.float64) == [(0, 20)]  # 3 < _MIN_PANEL_COLUMNS: no split
        assert _sparse.PropagationOperator(np.eye(3)).column_panels(50, np.float64) == [(0, 50)]

    @pytest.mark.parametrize("transpose", [False, True])
    def test_panel_products_equal_the_plain_product(self, transpose, monkeypatch):
        monkeypatch.setattr(_sparse, "_PANEL_BYTES", 90 * 8 * 2)
        monkeypatch.setattr(_sparse, "_MIN_PANEL_COLUMNS", 1)
        P = random_graph(90, 15, symmetric=False)
        op = _sparse.PropagationOperator(P)
        X = np.random.default_rng(15).standard_normal((90, 5))
        ref = (P.T if transpose else P) @ X
        product = op.apply_transpose if transpose else op.apply
        seen = np.zeros(90, int)

        def epilogue(a, b):  # every row is final when the epilogue sees it, and seen once
            assert rel(out[a:b], ref[a:b]) <= 1e-15
            seen[a:b] += 1

        out = np.empty((90, 5))
        product(X, out=out, epilogue=epilogue)  # the operator splits X itself
        assert rel(out, ref) <= 1e-15 and (seen == 1).all()
        panels = [np.ascontiguousarray(X[:, c0:c1]) for c0, c1 in op.column_panels(5, X.dtype)]
        assert len(panels) == 3
        assert rel(product(panels), ref) <= 1e-15  # caller-made panels


class TestKeepSignals:
    def test_signal_norms_without_storing_B(self):
        from backsmooth.numeric import pairwise_difference_norm

        P = random_graph(40, 12)
        X, W, Y = instance(40, 5, 4, "mse", seed=12)
        full = gradients(P, X, W, targets=Y)
        lean = gradients(P, X, W, targets=Y, keep_signals=False, checkpoint=2)
        assert lean.B is None
        np.testing.assert_allclose(lean.signal_norms, [pairwise_difference_norm(B) for B in full.B],
                                   rtol=1e-12)
        for a, b in zip(full.weight_gradients, lean.weight_gradients):
            assert np.array_equal(a, b)


class TestFloat32:
    @pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
    def test_float32_within_float32_round_off(self, loss, threads):
        P = random_graph(60, 13)
        X, W, Y = instance(60, 6, 8, loss, seed=13)
        fast = gradients(gnn(P, 6, "tanh", dtype=np.float32), X, W, loss=loss, targets=Y,
                         dtype=np.float32)
        assert fast.weight_gradients[0].dtype == np.float32 and fast.B[0].dtype == np.float32
        X64, W64 = X.astype(np.float64), [w.astype(np.float64) for w in W]
        assert_agrees(fast, reference(P, X64, W64, "tanh", loss, Y), np.float32)


class _PlainOnly:
    """A layer with only the plain ``forward``/``backward`` pair (no lean methods)."""

    def __init__(self, layer):
        self.layer = layer

    def forward(self, P, X, W):
        return self.layer.forward(P, X, W)

    def backward(self, P, F, H, W, G, *, symmetric=False):
        return self.layer.backward(P, F, H, W, G, symmetric=symmetric)


class TestLayerWithoutLeanMethods:
    @pytest.mark.parametrize("checkpoint", [False, 2])
    def test_engine_adapts_a_plain_layer(self, checkpoint, threads):
        """A variant layer written with forward/backward only runs through the engine
        (the adapter keeps its F and H), also with renumbered nodes and checkpointing."""
        from backsmooth.numeric.model import Network

        P = random_graph(50, 17, symmetric=False)
        X, W, Y = instance(50, 4, 6, "cross_entropy", seed=17)
        net = gnn(P, 4, "tanh")
        plain = Network(net.P, tuple(_PlainOnly(layer) for layer in net.layers), net.symmetric)
        fast = gradients(plain, X, W, loss="cross_entropy", targets=Y, checkpoint=checkpoint)
        assert_agrees(fast, reference(P, X, W, "tanh", "cross_entropy", Y), np.float64)


class TestSharedForwardPass:
    def test_threads_may_backpropagate_through_one_checkpointed_forward_pass(self, threads):
        """Backward passes recompute and release segments of the shared forward state; run
        from several threads at once they must neither crash nor mix their numbers."""
        from concurrent.futures import ThreadPoolExecutor

        P = random_graph(300, 18)
        X, W, Y = instance(300, 6, 6, "mse", seed=18)
        fwd = forward(gnn(P, 6, "tanh"), X, W, checkpoint=2)
        serial = backward(None, fwd, W, targets=Y)

        def run(i):
            if i % 3 == 2:  # a lazy X^(k) read while other threads backpropagate
                return [fwd.X[k] for k in range(7)]
            return backward(None, fwd, W, targets=Y).weight_gradients

        with ThreadPoolExecutor(3) as pool:
            results = list(pool.map(run, range(12)))
        for i, result in enumerate(results):
            expected = [fwd.X[k] for k in range(7)] if i % 3 == 2 else serial.weight_gradients
            assert all(np.array_equal(a, b) for a, b in zip(result, expected))


class TestHandBuiltForwardPass:
    def test_plain_forward_pass_still_backpropagates(self):
        """A ForwardPass built by hand (lists of F, H) goes through the plain recursion."""
        from backsmooth.numeric import ForwardPass

        P = random_graph(20, 14)
        X, W, Y = instance(20, 2, 3, "mse", seed=14)
        value, Bs, grads, _ = reference(P, X, W, "tanh", "mse", Y)
        Xs, Fs, Hs = [X], [], []
        for k in range(3):
            Fs.append(P @ Xs[-1])
            Hs.append(Fs[-1] @ W[k])
            Xs.append(np.tanh(Hs[-1]))
        g = backward(P, ForwardPass(Xs[:-1], Fs, Hs), W, targets=Y)
        for a, b in zip(g.weight_gradients, grads):
            assert rel(a, b) <= 1e-15
