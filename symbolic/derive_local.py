"""Derivations of the local-constant claims (extension): slopes of tanh on a segment,
the saturation threshold, and the reductions of the local recursion to the global results.

* ``local_smoothing``: the pairwise identity per column (Lemma 1, n = 3, generic entries) that
  turns a per-column Lipschitz constant into ``E(rho(H)) <= ell^w E(H)``; ``tanh'`` decreases in
  ``|x|`` (so ``max |tanh'|`` on a segment sits at its point nearest 0); the weighted slope never
  exceeds the maximal one;
* ``local_backward_recursion``: the peak of ``|tanh''|`` (at ``tanh^2 = 1/3``, value ``c_rho``), so
  ``c_k <= c_rho``; with ``ell_k = 1, c_k = 0`` (linear GNN) the recursion is Corollary 1's step;
* ``local_certificate``: at ``k = L`` the certificate is Lemma 3's bound; linear reduction;
* ``saturation_threshold``: ``sech(a)^2 <= 4 exp(-2a)`` and ``lambda s sech(a)^2 <= 1`` iff
  ``cosh(a)^2 >= lambda s``, i.e. ``a >= acosh(sqrt(lambda s))``.

Examples
--------
>>> all(st.verified for st in derive_saturation_threshold())
True
"""

from __future__ import annotations

import sympy as sp

from . import local_symbols as LS
from .bounds import bound_variant
from .steps import identity_step, inequality_step
from .symbols import E_Bk1, E_Hk, E_BL, E_XL, E_Xk, lam, mu, n, s, s_k1, xbar_L

__all__ = ["derive_local_smoothing", "derive_local_backward_recursion", "derive_local_certificate",
           "derive_saturation_threshold"]

_x = sp.Symbol("x", positive=True)
_t = sp.Symbol("t", positive=True)


def derive_local_smoothing(n_nodes=3):
    """Per-column pairwise identity, monotonicity of tanh', weighted slope <= max slope."""
    xs = sp.symbols(f"x0:{n_nodes}", real=True)
    mean = sum(xs) / n_nodes
    pair = sum((xs[i] - xs[j])**2 for i in range(n_nodes) for j in range(n_nodes)) / (2 * n_nodes)
    centred = sum((v - mean)**2 for v in xs)
    l1 = sp.Symbol("ell_1", nonnegative=True)
    u1, u2 = sp.symbols("u_1 u_2", positive=True)   # column energies ||Pi H_:j||^2 (zero columns drop out)
    q = sp.Symbol("q", nonnegative=True)   # ell_2 = ell_1 + q: ell_1 is the smaller slope
    weighted = (l1**2 * u1 + (l1 + q)**2 * u2) / (u1 + u2)
    return (
        identity_step(f"one column (n = {n_nodes}, generic entries): (1/2n) sum_(i,l) (x_i - x_l)^2 = "
                      "||Pi x||^2, so |rho(x_i) - rho(x_l)| <= ell_j |x_i - x_l| gives "
                      "||Pi rho(x)|| <= ell_j ||Pi x|| (summed over columns: E(X^(k+1)) <= ell^w_k E(H^(k)))",
                      pair, centred),
        identity_step("d/dx tanh'(x) = -2 tanh(x) tanh'(x)", sp.diff(1 - sp.tanh(_x)**2, _x),
                      -2 * sp.tanh(_x) * (1 - sp.tanh(_x)**2)),
        inequality_step("... <= 0 for x > 0: tanh' decreases in |x| (max on a segment at its point nearest 0)",
                        -2 * sp.tanh(_x) / sp.cosh(_x)**2, sp.Integer(0), -2 * sp.tanh(_x) / sp.cosh(_x)**2),
        identity_step("two columns (energies u_1, u_2; slopes ell_1 <= ell_2 = ell_1 + q): "
                      "weighted slope^2 - max slope^2 = -u_1 q (2 ell_1 + q)/(u_1 + u_2)",
                      weighted - (l1 + q)**2, -u1 * q * (2 * l1 + q) / (u1 + u2)),
        inequality_step("... <= 0: ell^w_k <= ell_k", weighted, (l1 + q)**2, -u1 * q * (2 * l1 + q) / (u1 + u2)),
    )


def derive_local_backward_recursion():
    """Peak of |tanh''| (so c_k <= c_rho) and the linear reduction of the recursion."""
    g = 2 * _t * (1 - _t**2)            # |tanh''| written in t = tanh|x|, 0 < t < 1
    crit = [r for r in sp.solve(sp.diff(g, _t), _t) if r.is_positive]
    fl = bound_variant("local_backward_recursion", "fluctuation").expr
    mr = bound_variant("local_backward_recursion", "mean_remainder").expr
    return (
        identity_step("tanh''(x) = -2 tanh(x) (1 - tanh(x)^2)", sp.diff(sp.tanh(_x), _x, 2),
                      -2 * sp.tanh(_x) * (1 - sp.tanh(_x)**2)),
        identity_step("|tanh''| = 2t(1 - t^2) with t = |tanh x| peaks at t = 1/sqrt 3",
                      crit[0] if len(crit) == 1 else sp.nan, 1 / sp.sqrt(3)),
        identity_step("... with value 4/(3 sqrt 3) = c_rho (so c_k <= c_rho always)", g.subs(_t, 1 / sp.sqrt(3)),
                      4 / (3 * sp.sqrt(3))),
        identity_step("linear GNN (ell_k = 1, rho' constant so E(rho'(H)) = 0): the fluctuation recursion is "
                      "Corollary 1's step lambda s_(k+1) E(B^(k+1))", fl.subs({LS.ell_k: 1, LS.E_Dk: 0}),
                      lam * s_k1 * E_Bk1),
        identity_step("linear GNN: the mean remainder vanishes (bbar^(k) = W^(k+1) bbar^(k+1) exactly)",
                      mr.subs({LS.E_Dk: 0}), sp.Integer(0)),
        identity_step("with E(rho'(H)) <= c_k E(H^(k)): the interaction term is c_k E(H^(k)) ||W^(k+1) bbar^(k+1)||, "
                      "Theorem 2's with the mean of G_k in place of ||G_k||_max",
                      fl.subs({LS.E_Dk: LS.c_k * E_Hk}), lam * s_k1 * LS.ell_k * E_Bk1 + LS.c_k * E_Hk * LS.gbar_norm),
    )


def derive_local_certificate():
    """At the output layer the certificate is Lemma 3's bound (m_L = mu, e_L = E(B^(L)))."""
    cert = bound_variant("local_certificate", "certificate").expr
    lemma3_L = n * xbar_L * mu + lam * n * E_XL * E_BL
    return (
        identity_step("k = L: m_L = ||bbar^(L)||, e_L = E(B^(L)), xbar^(L): the certificate is Lemma 3 (3.1)",
                      cert.subs({LS.m_k: mu, LS.e_k: E_BL, LS.xbar_k: xbar_L, E_Xk: E_XL}),
                      lemma3_L),
    )


def derive_saturation_threshold():
    """sech(a)^2 <= 4 exp(-2a); lambda s sech(a)^2 <= 1 iff cosh(a)^2 >= lambda s."""
    y = sp.Symbol("y", positive=True)   # y = exp(a) >= 1 written y = 1 + z
    z = sp.Symbol("z", nonnegative=True)
    v = sp.Symbol("v", nonnegative=True)
    a = LS.a_sat
    sech2 = 4 / (y + 1 / y)**2
    q = sp.Symbol("q", positive=True)   # q = lambda s
    return (
        identity_step("sech(a)^2 = 4/(e^a + e^-a)^2", (1 / sp.cosh(a)**2).rewrite(sp.exp),
                      4 / (sp.exp(a) + sp.exp(-a))**2),
        inequality_step("4/(y + 1/y)^2 <= 4/y^2 (y = e^a): ell_k <= sech(a)^2 <= 4 exp(-2a)",
                        sech2, 4 / y**2, sp.factor(sp.together(sech2 - 4 / y**2))),
        identity_step("a* = acosh(sqrt(lambda s)) solves lambda s sech(a)^2 = 1",
                      q / sp.cosh(sp.acosh(sp.sqrt(q)))**2, sp.Integer(1)),
        inequality_step("cosh(a)^2 = lambda s (1 + v) (v >= 0) gives lambda s sech(a)^2 = 1/(1 + v) <= 1",
                        1 / (1 + v), sp.Integer(1), 1 / (1 + v) - 1),
    )
