"""Theorem 1 (forward oversmoothing) and Corollary 1 (linear backward oversmoothing).

Theorem 1: ``E(rho(P X W)) <= E(P X W) <= s E(P X) <= lambda s E(X)`` (Lemma 2), iterated:
``E(X^(k)) <= prod_{i<k} lambda s_i E(X^(0)) <= (lambda s)^k E(X^(0))``, and
``(lambda s)^k <= lambda^((1-alpha)k)`` when ``s <= lambda^(-alpha)`` (0 < lambda < 1,
0 <= alpha < 1, s > 0, symbolic k).  Corollary 1: the same chain for the backward signals of
a linear GNN with exponent ``L - k`` (closed form from :mod:`derive_backward`).

Inequalities with symbolic exponents are decided by sympy's assumptions on a log-ratio
after writing each hypothesis as a re-parametrisation (``s = lambda^(-alpha)/(1+v)``,
``v >= 0``; ``lambda s = 1/(1+u)``, ``u > 0``).

Examples
--------
>>> all(st.verified for st in derive_alpha_rate(k))
True
"""

from __future__ import annotations

import random

import sympy as sp
from sympy.simplify.simplify import product_simplify

from .derive_backward import derive_linear_closed_forms
from .gnn import E2, centring, symmetric_stochastic
from .instances import (
    propagation_instances, random_rational_matrix, relu, scaled_rotation, softsign,
)
from .steps import identity_step, inequality_step, limit_step, rational_step
from .symbols import L, alpha, i, k, lam, s, s_i

__all__ = ["derive_one_layer_chain", "derive_product_rate", "derive_alpha_rate",
           "derive_theorem1", "derive_corollary1"]


def derive_one_layer_chain(n_instances=8, seed=2):
    """``E(rho(PXW))^2 <= E(PXW)^2 <= s^2 E(PX)^2 <= lambda^2 s^2 E(X)^2`` on rational instances."""
    rng = random.Random(seed)
    inst = []
    for P, lam_r in propagation_instances():
        for _ in range(n_instances // 2):
            X = random_rational_matrix(rng, P.shape[0], 2)
            sc = sp.Rational(rng.randint(1, 12), 4)
            inst.append((P, lam_r, X, scaled_rotation(sc), sc))
    steps = []
    for name, rho in (("ReLU", relu), ("softsign", softsign)):
        steps.append(rational_step(f"E(rho(P X W))^2 <= E(P X W)^2, rho = {name} (1-Lipschitz)",
                                   lambda t, rho=rho: E2((t[0] * t[2] * t[3]).applyfunc(rho)),
                                   lambda t: E2(t[0] * t[2] * t[3]), inst))
    steps.append(rational_step("E(P X W)^2 <= s^2 E(P X)^2, s = ||W||_2",
                               lambda t: E2(t[0] * t[2] * t[3]), lambda t: t[4]**2 * E2(t[0] * t[2]),
                               inst))
    steps.append(rational_step("E(P X)^2 <= lambda^2 E(X)^2 (symbolic proof: Lemma 2)",
                               lambda t: E2(t[0] * t[2]), lambda t: t[1]**2 * E2(t[2]), inst))
    return tuple(steps)


def derive_product_rate(exponent):
    """Induction ``Lam_(k+1) = Lam_k lambda s_k`` and ``prod_{i<e} lambda s_i <= (lambda s)^e``."""
    e = exponent
    full = sp.Product(lam * s_i[i], (i, 0, e))
    head = sp.Product(lam * s_i[i], (i, 0, e - 1))
    last = sp.Product(lam * s_i[i], (i, e, e))
    v = sp.IndexedBase("v", nonnegative=True)
    return (
        identity_step("induction: prod_{i<=e} = prod_{i<e} * (factor i = e) (ranges combined)",
                      full, product_simplify(head * last)),
        identity_step("the factor i = e is lambda s_e", last.doit(), lam * s_i[e]),
        identity_step("uniform weights s_i = s: prod_{i<e} lambda s = (lambda s)^e",
                      sp.Product(lam * s, (i, 0, e - 1)).doit(), (lam * s)**e),
        inequality_step("s_i <= s (s_i = s/(1+v_i), v_i >= 0): each factor's log-ratio "
                        "log(lambda s_i/(lambda s)) = -log(1+v_i) <= 0, so the product over "
                        "i < e is <= (lambda s)^e",
                        lam * s / (1 + v[i]), lam * s, sp.log(1 / (1 + v[i]))),
    )


def derive_alpha_rate(exponent):
    """``(lambda s)^e <= lambda^((1-alpha) e)`` under ``s <= lambda^(-alpha)``, symbolic e."""
    v = sp.Symbol("v", nonnegative=True)
    u = sp.Symbol("u", positive=True)
    lhs, rhs = (lam * s)**exponent, lam**((1 - alpha) * exponent)
    s_hyp = lam**(-alpha) / (1 + v)
    return (
        inequality_step("s <= lambda^(-alpha) (s = lambda^(-alpha)/(1+v), v >= 0): "
                        "log((lambda s)^e / lambda^((1-alpha)e)) = -e log(1+v) <= 0",
                        lhs, rhs, sp.log(lhs.subs(s, s_hyp) / rhs)),
        inequality_step("0 < lambda < 1 and alpha < 1 make the rate lambda^(1-alpha) < 1 "
                        "(lambda = 1/(1+u), u > 0; alpha = 1 - a, a > 0)",
                        lam**(1 - alpha), sp.Integer(1),
                        sp.log((lam**(1 - alpha)).subs(alpha, 1 - sp.Symbol("a", positive=True))
                               .subs(lam, 1 / (1 + u))), relation="<"),
        limit_step("lambda s = 1/(1+u) < 1: (lambda s)^e -> 0 as e -> oo",
                   (1 / (1 + u))**sp.Symbol("e", integer=True, positive=True),
                   sp.Symbol("e", integer=True, positive=True), sp.oo, 0, "-"),
    )


def derive_theorem1():
    """All steps of Theorem 1."""
    return derive_one_layer_chain() + derive_product_rate(k) + derive_alpha_rate(k)


def derive_corollary1(n_instances=6, seed=3):
    """Corollary 1: closed form, commuting centring, contraction, exponent ``L - k``."""
    P = symmetric_stochastic(3)
    Pi = centring(3)
    steps = list(derive_linear_closed_forms())
    steps.append(identity_step("Pi P^2 = P^2 Pi (symmetric P, P1 = 1)", Pi * P**2, P**2 * Pi))
    rng = random.Random(seed)
    inst = []
    for P_r, lam_r in propagation_instances():
        for _ in range(n_instances // 2):
            r = rng.randint(1, 3)
            BL = random_rational_matrix(rng, P_r.shape[0], 2)
            scales = [sp.Rational(rng.randint(1, 8), 4) for _ in range(r)]
            Mt = sp.eye(2)
            for sc in scales:
                Mt = Mt * scaled_rotation(sc)
            prod_s = sp.Mul(*scales)
            inst.append((P_r, lam_r, BL, Mt, prod_s, r))
    steps.append(rational_step(
        "E(P^(L-k) B^(L) M_k^T)^2 <= (lambda^(L-k) prod_{i>k} s_i)^2 E(B^(L))^2 (L - k = 1..3)",
        lambda t: E2(t[0]**t[5] * t[2] * t[3].T), lambda t: (t[1]**t[5] * t[4])**2 * E2(t[2]), inst))
    r = sp.Symbol("r", integer=True, nonnegative=True)  # r = L - k
    for st in derive_product_rate(r) + derive_alpha_rate(r):
        steps.append(st)
    steps.append(identity_step("the exponent is r = L - k (L = k + r)", (L - k).subs(L, k + r), r))
    return tuple(steps)
