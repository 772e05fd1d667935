"""The symbolic backward pass (sympy's derivative of the forward definition) agrees with
the numeric core (backsmooth.numeric.model) and with finite differences of its loss.

Tolerances: symbolic vs numeric B^(k) and gradients, 1e-10 (float64 round-off on O(1)
numbers through a few matrix products is ~1e-15); Richardson-extrapolated central
differences with h = 1e-3 have truncation error O(h^4) ~ 1e-12 and round-off
~ eps/h ~ 1e-13, so 1e-10 is the same tolerance with a safety margin of 100.
"""

import pytest
import sympy as sp

np = pytest.importorskip("numpy")
model = pytest.importorskip("backsmooth.numeric.model")

from backsmooth.symbolic.derive_backward import true_backward_signals  # noqa: E402
from backsmooth.symbolic.gnn import SymbolicGNN, forward, mse_loss  # noqa: E402

TOL = 1e-10


def _instance(seed, n, widths):
    rng = np.random.default_rng(seed)
    A = rng.uniform(0.2, 1.0, size=(n, n))
    A = (A + A.T) / 2
    P = A / A.sum(axis=1, keepdims=True)  # row-stochastic, not symmetric: exercises P^T
    X0 = rng.normal(size=(n, widths[0]))
    Ws = [rng.normal(size=(widths[k], widths[k + 1])) for k in range(len(widths) - 1)]
    Y = rng.normal(size=(n, widths[-1]))
    return P, X0, Ws, Y


def _symbolic(n, widths, P, X0, Ws, Y, rho):
    """sympy's derivatives of the forward definition: P, X0, Y exact floats, W symbolic."""
    def exact(A):
        return sp.ImmutableMatrix(A.shape[0], A.shape[1],
                                  lambda a, b: sp.Float(float(A[a, b]), 30))

    W = tuple(sp.ImmutableMatrix(*w.shape, lambda a, b, k=k: sp.Symbol(f"w{k}_{a}{b}", real=True))
              for k, w in enumerate(Ws))
    net = SymbolicGNN(exact(P), exact(X0), W, exact(Y))
    values = {s: sp.Float(float(v), 30) for S, V in zip(W, Ws) for s, v in zip(S, V.ravel())}
    _, _, H = forward(net, rho)
    B = true_backward_signals(net, rho)
    loss = mse_loss(H[-1], net.Y)
    grads = [np.array(sp.Matrix(*W[k].shape, lambda a, b: sp.diff(loss, W[k][a, b]))
                      .subs(values).evalf(30), dtype=float) for k in range(net.L + 1)]
    Bnum = [np.array(b.subs(values).evalf(30), dtype=float) for b in B]
    return Bnum, grads, float(loss.subs(values).evalf(30))


CASES = [(0, 2, (1, 2, 1)), (1, 3, (2, 1, 2, 1)), (2, 2, (2, 2, 1, 1))]


class TestSymbolicAgainstNumericCore:
    @pytest.mark.parametrize("seed,n,widths,activation,rho",
                             [(*case, "tanh", sp.tanh) for case in CASES]
                             + [(*CASES[1], "identity", sp.Lambda(sp.Symbol("t"), sp.Symbol("t")))])
    def test_backward_signals_and_gradients(self, seed, n, widths, activation, rho):
        P, X0, Ws, Y = _instance(seed, n, widths)
        B_sym, g_sym, loss_sym = _symbolic(n, widths, P, X0, Ws, Y, rho)
        res = model.gradients(P, X0, Ws, activation=activation, loss="mse", targets=Y)
        assert abs(res.loss - loss_sym) < TOL
        for k, (bs, bn) in enumerate(zip(B_sym, res.B)):
            np.testing.assert_allclose(np.asarray(bn), bs, rtol=0, atol=TOL, err_msg=f"B^({k})")
        for k, (gs, gn) in enumerate(zip(g_sym, res.weight_gradients)):
            np.testing.assert_allclose(np.asarray(gn), gs, rtol=0, atol=TOL, err_msg=f"grad_{k}")

    @pytest.mark.parametrize("seed,n,widths", CASES)
    def test_finite_differences_of_numeric_loss(self, seed, n, widths):
        P, X0, Ws, Y = _instance(seed, n, widths)
        _, g_sym, _ = _symbolic(n, widths, P, X0, Ws, Y, sp.tanh)

        def loss(W):
            return model.gradients(P, X0, W, activation="tanh", loss="mse", targets=Y).loss

        def central(k, idx, h):
            Wp = [w.copy() for w in Ws]
            Wm = [w.copy() for w in Ws]
            Wp[k][idx] += h
            Wm[k][idx] -= h
            return (loss(Wp) - loss(Wm)) / (2 * h)

        h = 1e-3
        for k, W in enumerate(Ws):
            for idx in np.ndindex(W.shape):
                richardson = (4 * central(k, idx, h / 2) - central(k, idx, h)) / 3
                assert abs(richardson - g_sym[k][idx]) < TOL, (k, idx)
