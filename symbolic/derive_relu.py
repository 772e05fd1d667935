"""ReLU GNNs: what carries over and what does not.

* ReLU is 1-Lipschitz with ReLU(0) = 0 (decided by sympy in the four sign cases), so
  Lemma 2(d), Theorem 1, Corollary 1, Lemmas 1-4 and Proposition 2 apply.
* The backward recursion is a *masked linear* recursion
  ``B^(k) = 1[H^(k) > 0] * (P^T B^(k+1) W^(k+1)^T)``: checked against sympy's derivative of
  ``Max(x, 0)`` on an exact instance with no zero pre-activation (where ReLU is
  differentiable).
* Within a fixed activation pattern ``Delta_k = 1[H^(k) > 0]`` the net is linear in each
  weight; when the pattern is the same on every node, ``Delta_k = 1 d_k^T``,
  ``Delta_k * M = M D_k`` with ``D_k = diag(d_k) = diag(1[hbar^(k) > 0])`` and the backward
  pass is that of a linear GNN with weights ``W^(k+1)^T D_k``:
  ``B^(k) = (P^T)^(L-k) B^(L) (D_k W^(k+1) ... D_(L-1) W^(L))^T``.
* NOT covered: Theorem 2 (ii)-(vi), Proposition 1, Theorem 3, Corollary 2 need rho'
  Lipschitz (A2b).  ReLU' is a step: for a column of ``H`` equal to ``(eps, -eps)`` the
  deviation ``R_k`` has norm 1 while ``E(H) = eps``, so ``||R_k||_F/(sqrt(n) E(H))`` -> oo and
  no finite ``c_rho`` exists.

Examples
--------
>>> all(st.verified for st in derive_relu_lipschitz())
True
"""

from __future__ import annotations

import sympy as sp

from .gnn import E2, forward, mse_loss, SymbolicGNN
from .steps import identity_step, inequality_step, limit_step
from .derive_backward import true_backward_signals

__all__ = ["derive_relu_lipschitz", "derive_relu_masked_recursion",
           "derive_relu_constant_pattern", "derive_relu_not_covered", "derive_relu",
           "RELU_NOT_COVERED"]

#: claims whose hypotheses exclude ReLU, and why
RELU_NOT_COVERED = {
    "theorem2": "needs rho' c_rho-Lipschitz (A2b); ReLU' is a step (c_rho = oo)",
    "proposition1": "needs (A2b)",
    "theorem3": "needs (A2b) through Theorem 2 and Proposition 1",
    "corollary2": "needs (A2b) through Theorem 3 (the loss lower bound (a) itself holds for ReLU)",
}


def _relu(x):
    return sp.Max(x, 0)


def derive_relu_lipschitz():
    """|relu(a) - relu(b)| <= |a - b| in the four sign cases, and relu(0) = 0."""
    steps = [identity_step("relu(0) = 0", _relu(sp.Integer(0)), sp.Integer(0))]
    for sa in ("positive", "negative"):
        for sb in ("positive", "negative"):
            a = sp.Symbol("a", **{sa: True})
            b = sp.Symbol("b", **{sb: True})
            lhs, rhs = sp.Abs(_relu(a) - _relu(b)), sp.Abs(a - b)
            # certificate: lhs^2 - rhs^2 <= 0
            steps.append(inequality_step(f"|relu(a) - relu(b)| <= |a - b| for a {sa}, b {sb}",
                                         lhs, rhs, sp.expand(lhs**2 - rhs**2)))
    return tuple(steps)


def _instance():
    P = sp.ImmutableMatrix([[sp.Rational(2, 3), sp.Rational(1, 3)], [sp.Rational(1, 3), sp.Rational(2, 3)]])
    X0 = sp.ImmutableMatrix([[1, -2], [3, 1]])
    W = (sp.ImmutableMatrix([[1, -1], [2, 1]]), sp.ImmutableMatrix([[1, 2], [-1, 1]]),
         sp.ImmutableMatrix([[2], [-1]]))
    Y = sp.ImmutableMatrix([[1], [-1]])
    return SymbolicGNN(P, X0, W, Y)


def derive_relu_masked_recursion():
    """Masked recursion vs sympy's derivative of the ReLU network (exact instance, L = 2)."""
    net = _instance()
    relu = sp.Lambda(sp.Symbol("t", real=True), _relu(sp.Symbol("t", real=True)))
    _, _, H = forward(net, relu)
    B = true_backward_signals(net, relu)
    steps = []
    for k in range(net.L):
        nonzero = all(e != 0 for e in H[k])
        mask = H[k].applyfunc(lambda e: sp.Integer(1) if e > 0 else sp.Integer(0))
        rec = mask.multiply_elementwise(net.P.T * B[k + 1] * net.W[k + 1].T)
        steps.append(identity_step(
            f"B^({k}) = 1[H^({k}) > 0] * (P^T B^({k + 1}) W^({k + 1})^T) (no zero pre-activation: "
            f"{nonzero})", B[k] if nonzero else sp.nan * B[k], rec))
    return tuple(steps)


def derive_relu_constant_pattern(n=2):
    """Same pattern on every node: Hadamard mask = right multiplication by D_k; closed form."""
    d = sp.Matrix(sp.symbols("d_0 d_1", real=True))
    G = sp.ImmutableMatrix(n, 2, lambda a, b: sp.Symbol(f"g_{a}{b}", real=True))
    P = sp.ImmutableMatrix(n, n, lambda a, b: sp.Symbol(f"p_{a}{b}", real=True))
    W1 = sp.ImmutableMatrix(2, 2, lambda a, b: sp.Symbol(f"w1_{a}{b}", real=True))
    W2 = sp.ImmutableMatrix(2, 1, lambda a, b: sp.Symbol(f"w2_{a}{b}", real=True))
    BL = sp.ImmutableMatrix(n, 1, lambda a, b: sp.Symbol(f"b_{a}{b}", real=True))
    e = sp.Matrix(sp.symbols("e_0 e_1", real=True))
    D0, D1 = sp.diag(*d), sp.diag(*e)
    ones = sp.ones(n, 1)
    B1 = (ones * e.T).multiply_elementwise(P.T * BL * W2.T)
    B0 = (ones * d.T).multiply_elementwise(P.T * B1 * W1.T)
    return (
        identity_step("(1 d^T) * G = G diag(d)", (ones * d.T).multiply_elementwise(G), G * sp.diag(*d)),
        identity_step("constant patterns: B^(0) = (P^T)^2 B^(2) (D_0 W^(1) D_1 W^(2))^T (L = 2)",
                      B0, (P.T)**2 * BL * (D0 * W1 * D1 * W2).T),
    )


def derive_relu_not_covered():
    """No finite c_rho for ReLU: ||R||_F/(sqrt(n) E(H)) -> oo as the fluctuation eps -> 0."""
    eps = sp.Symbol("epsilon", positive=True)
    H = sp.Matrix([[eps], [-eps]])
    hbar = 0
    step = lambda x: sp.Integer(1) if x.is_positive else sp.Integer(0)  # noqa: E731
    R = H.applyfunc(step) - sp.ones(2, 1) * step(sp.Integer(hbar))
    ratio = sp.sqrt(sum(r**2 for r in R)) / (sp.sqrt(2) * sp.sqrt(E2(H)))
    example = "n = 2 (the counterexample's column)"
    return (
        identity_step("H column (eps, -eps): E(H) = eps", sp.sqrt(E2(H)), eps, size=example),
        identity_step("ReLU' deviation R = (1, 0): ||R||_F = 1 for every eps",
                      sp.sqrt(sum(r**2 for r in R)), sp.Integer(1), size=example),
        limit_step("||R||_F / (sqrt(n) E(H)) -> oo as eps -> 0: (A2b) fails, c_rho = oo",
                   ratio, eps, 0, sp.oo, size=example),
    )


def derive_relu():
    """All ReLU steps."""
    return (derive_relu_lipschitz() + derive_relu_masked_recursion()
            + derive_relu_constant_pattern() + derive_relu_not_covered())
