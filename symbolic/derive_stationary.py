"""Definition 1, Theorem 3 and Corollary 2: stationary points and their loss.

* Definition 1: layer-wise delta-stationarity gives ``||nabla Loss|| <= sqrt(L+1) delta``;
  the MSE best constant predictor has loss ``L_const = E(Y)^2/2``; for cross-entropy the
  constant logits ``log pi`` are stationary.
* Theorem 3: the counter-example that forces the correction (``W^(L-1) = 0`` gives
  ``grad_L = 0`` exactly while ``grad_(L-1) != 0``), computed exactly by differentiating
  the forward definition; the explicit ``delta(M)``; the passage (b) -> (c) for s <= 1;
  the alpha exponent ``L(1 - 3 alpha + alpha^2)/(2 - alpha)`` and its threshold
  ``(3 - sqrt 5)/2``.
* Corollary 2: the MSE decomposition, Cauchy-Schwarz (Lagrange identity), the loss lower
  bound ``L_const - E(Y) E(H^(L))`` and the mean-fitted output layer.

Examples
--------
>>> all(st.verified for st in derive_definition1())
True
"""

from __future__ import annotations

import sympy as sp

from .gnn import E2, centring, forward, mean_row, mse_loss
from .gnn import SymbolicGNN
from .steps import identity_step, inequality_step, rational_step
from .symbols import L, M, alpha, delta, lam, s

__all__ = ["derive_definition1", "theorem3_counterexample", "derive_theorem3",
           "derive_corollary2"]


def _generic(name, r, c):
    return sp.ImmutableMatrix(r, c, lambda a, b: sp.Symbol(f"{name}_{a}{b}", real=True))


def derive_definition1(n=3):
    """Full-gradient norm of a delta-stationary point and the constant-predictor losses."""
    kk = sp.Symbol("k", integer=True)
    Y = _generic("y", n, 1)
    c = sp.Symbol("c", real=True)
    f = mse_loss(sp.ones(n, 1) * c, Y)
    cstar = sp.solve(sp.diff(f, c), c)[0]
    p1 = sp.Symbol("pi_1", positive=True)
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    ce = -(p1 * (z1 - sp.log(sp.exp(z1) + sp.exp(z2))) + (1 - p1) * (z2 - sp.log(sp.exp(z1) + sp.exp(z2))))
    at = {z1: sp.log(p1), z2: sp.log(1 - p1)}
    return (
        identity_step("sum_{k=0}^{L} delta^2 = (L+1) delta^2, so ||nabla Loss|| <= sqrt(L+1) delta",
                      sp.Sum(delta**2, (kk, 0, L)).doit(), (L + 1) * delta**2),
        identity_step("MSE: the best constant is c* = ybar", cstar, mean_row(Y)[0]),
        identity_step("MSE: L_const = (1/2n)||Y - 1 ybar||^2 = E(Y)^2/2", f.subs(c, cstar), E2(Y) / 2),
        identity_step("CE (2 classes, frequencies pi): the constant logits log(pi) are stationary",
                      sp.simplify(sp.diff(ce, z1).subs(at)), sp.Integer(0)),
        identity_step("CE: L_const = H(pi) = -sum pi_c log pi_c", sp.simplify(ce.subs(at)),
                      -(p1 * sp.log(p1) + (1 - p1) * sp.log(1 - p1))),
    )


def theorem3_counterexample():
    """Exact net with ``W^(L-1) = 0``: ``grad_L = 0`` but ``grad_(L-1) != 0`` (L = 1, tanh).

    Returns ``(grad_0, grad_1)`` as exact sympy matrices (computed by differentiating the
    loss of the forward definition with respect to symbolic weights, then substituting).
    """
    P = sp.ImmutableMatrix([[sp.Rational(3, 4), sp.Rational(1, 4)], [sp.Rational(1, 4), sp.Rational(3, 4)]])
    X0 = sp.ImmutableMatrix([[1, 2], [3, -1]])
    Y = sp.ImmutableMatrix([[1], [2]])
    W0 = _generic("u", 2, 2)
    W1 = _generic("v", 2, 1)
    net = SymbolicGNN(P, X0, (W0, W1), Y)
    _, _, H = forward(net, sp.tanh)
    loss = mse_loss(H[-1], Y)
    values = {**{e: 0 for e in W0}, W1[0]: sp.Rational(3, 2), W1[1]: -1}
    g0 = sp.ImmutableMatrix(2, 2, lambda a, b: sp.diff(loss, W0[a, b]).subs(values))
    g1 = sp.ImmutableMatrix(2, 1, lambda a, b: sp.diff(loss, W1[a, b]).subs(values))
    return g0, g1


def derive_theorem3():
    """Steps of Theorem 3 (with the counter-example to the uncorrected statement)."""
    g0, g1 = theorem3_counterexample()
    steps = [
        identity_step("counter-example (W^(L-1) = 0, L = 1, tanh, P = [[3/4,1/4],[1/4,3/4]]): "
                      "grad_L = 0 exactly", g1, sp.zeros(2, 1)),
        rational_step("... yet ||grad_(L-1)||_F^2 > 0: 'trained output layer' alone does not give "
                      "near-stationarity (needs ||xbar^(L)|| >= gamma)",
                      sp.Integer(0), sum(e**2 for e in g0), [{}], relation="<"),
    ]
    q = sp.Symbol("q", integer=True, nonnegative=True)
    for Lp, name in ((2 * q, "L = 2q"), (2 * q + 1, "L = 2q+1")):
        steps.append(identity_step(f"{name}: L - ceil(L/2) = floor(L/2)",
                                   Lp - sp.ceiling(Lp / 2), sp.floor(Lp / 2)))
    # (b) -> (c): s <= 1 written as s = 1/(1+v), lambda = 1/(1+u)
    v = sp.Symbol("v", nonnegative=True)
    u = sp.Symbol("u", positive=True)
    s1, l1 = 1 / (1 + v), 1 / (1 + u)
    steps.append(inequality_step("s <= 1: s^L <= 1", s**L, sp.Integer(1), sp.log((s**L).subs(s, s1))))
    for Lp, Mq, fl in ((2 * q, q, q), (2 * q + 1, q + 1, q)):
        lhs = lam * (lam * s)**Mq
        steps.append(inequality_step(
            f"L = {Lp}, M = ceil(L/2) = {Mq}: lambda (lambda s)^M <= lambda^floor(L/2) (s <= 1)",
            lhs, lam**fl, sp.log(lhs.subs({s: s1, lam: l1}) / l1**fl)))
    steps.append(inequality_step("s <= 1: 1/(1 - lambda s) <= 1/(1 - lambda)", 1 / (1 - lam * s),
                                 1 / (1 - lam),
                                 sp.factor(sp.together((1 / (1 - lam * s) - 1 / (1 - lam))
                                                       .subs({s: s1, lam: l1})))))
    # alpha exponent: s = lambda^(-alpha), M = L/(2-alpha)
    Ma = L / (2 - alpha)
    target = L * (1 - 3 * alpha + alpha**2) / (2 - alpha)
    steps.append(identity_step("s = lambda^(-alpha), M = L/(2-alpha): exponent of lambda in s^L lambda^(L-M)",
                               -alpha * L + (L - Ma), target))
    steps.append(identity_step("... and in s^L (lambda s)^M (the same: both terms balance)",
                               -alpha * L + (1 - alpha) * Ma, target))
    a = sp.Symbol("a", real=True)
    roots = [r for r in sp.solve(1 - 3 * a + a**2, a) if (r - 1).is_negative]
    steps.append(identity_step("the depth factor decays iff 1 - 3 alpha + alpha^2 > 0 on [0,1), i.e. "
                               "alpha < (3 - sqrt 5)/2 ~ 0.382",
                               roots[0] if len(roots) == 1 else sp.nan, (3 - sp.sqrt(5)) / 2))
    return tuple(steps)


def derive_corollary2(n=3):
    """MSE loss decomposition, Cauchy-Schwarz, loss lower bound, mean-fitted output layer."""
    H, Y = _generic("h", n, 1), _generic("y", n, 1)
    Pi = centring(n)
    cbar, ybar = mean_row(H)[0], mean_row(Y)[0]
    loss = mse_loss(H, Y)
    inner = ((Pi * H).T * (Pi * Y))[0] / n
    a, b = Pi * H, Pi * Y
    lagrange = sum((a[i] * b[j] - a[j] * b[i])**2 for i in range(n) for j in range(i + 1, n))
    # mean-fitted last layer: widths d_L = 2, d_{L+1} = 1
    xb = sp.Matrix(sp.symbols("xbar_0 xbar_1", real=True))
    cstar = sp.Symbol("c_star", real=True)
    WL = xb * sp.Matrix([[cstar]]) / (xb.T * xb)[0]
    return (
        identity_step("Loss(H) = (1/2)||hbar - ybar||^2 + (1/2n)||Pi H - Pi Y||^2 (MSE)", loss,
                      (cbar - ybar)**2 / 2 + sum(e**2 for e in (Pi * H - Pi * Y)) / (2 * n)),
        identity_step("(1/2n)||Pi H - Pi Y||^2 = L_const - <Pi H, Pi Y>/n + E(H)^2/2",
                      sum(e**2 for e in (Pi * H - Pi * Y)) / (2 * n), E2(Y) / 2 - inner + E2(H) / 2),
        identity_step("Lagrange identity: E(H)^2 E(Y)^2 - (<Pi H, Pi Y>/n)^2 = (1/n^2) sum_{i<j} "
                      "(a_i b_j - a_j b_i)^2 >= 0 (Cauchy-Schwarz)",
                      E2(H) * E2(Y) - inner**2, lagrange / n**2),
        identity_step("hence Loss - (L_const - E(Y)E(H)) = (1/2)(hbar-ybar)^2 + E(H)^2/2 + "
                      "(E(Y)E(H) - <Pi H,Pi Y>/n), a sum of nonnegative terms",
                      loss - (E2(Y) / 2 - sp.sqrt(E2(Y)) * sp.sqrt(E2(H))),
                      (cbar - ybar)**2 / 2 + E2(H) / 2 + (sp.sqrt(E2(Y)) * sp.sqrt(E2(H)) - inner)),
        identity_step("mean-fitted output layer W^(L) = xbar c*^T/||xbar||^2 has mean output "
                      "W^(L)T xbar = c*", (WL.T * xb)[0], cstar),
    )
