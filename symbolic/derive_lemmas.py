"""Derivations of the lemmas: pairwise identity, spectral contraction, gradient split.

* Lemma 1: ``(1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2 = ||X||_F^2/n - ||xbar||^2
  = min_c (1/n)||X - 1c^T||_F^2`` (explicit generic X).
* Lemma 2: spectral form ``P^m = J + sum_i mu_i^m u_i u_i^T`` proved by induction on a
  symbolic ``m``; ``E(P^m X)^2 = (1/n) sum_i mu_i^(2m) ||u_i^T X||^2 <= lambda^(2m) E(X)^2``;
  ``E(XW) <= ||W||_2 E(X)`` and ``E(rho(X)) <= E(X)`` on exact rational instances.
* Lemma 3: ``X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B)`` for a generic symmetric P with
  P1 = 1, and the bound ``lambda n E(X) E(B)`` on exact rational instances.
* Lemma 4: ``mu <= (delta_L + lambda n E(X^(L)) E(B^(L)))/(n gamma)``.

Examples
--------
>>> all(st.verified for st in derive_lemma1(n=2, d=1))
True
"""

from __future__ import annotations

import random

import sympy as sp

from .gnn import E2, centring, mean_row, symmetric_stochastic
from .instances import (
    propagation_instances, random_rational_matrix, relu, scaled_rotation, softsign,
)
from .steps import identity_step, inequality_step, rational_step
from .symbols import (
    E_BL, E_XL, Lam_L, E_X0, delta_L, gamma, lam, m, mu, n as n_sym, xbar_L,
)

__all__ = ["derive_lemma1", "derive_lemma2", "derive_lemma3", "derive_lemma4",
           "spectral_power"]


def _generic(name, r, c):
    return sp.ImmutableMatrix(r, c, lambda a, b: sp.Symbol(f"{name}_{a}{b}", real=True))


def _fro2(A):
    return sum(e**2 for e in A)


def derive_lemma1(n=3, d=2):
    """Pairwise-difference identity and its variational form for a generic ``n x d`` X."""
    X = _generic("x", n, d)
    xb = mean_row(X)
    pairwise = sum(_fro2(X.row(i) - X.row(j)) for i in range(n) for j in range(n)) / (2 * n**2)
    c = sp.Matrix(d, 1, lambda a, b: sp.Symbol(f"c_{a}", real=True))
    f = _fro2(X - sp.ones(n, 1) * c.T) / n
    crit = sp.solve([sp.diff(f, ci) for ci in c], list(c), dict=True)
    steps = [
        identity_step("(1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2", pairwise, E2(X)),
        identity_step("(1/n)||Pi X||_F^2 = ||X||_F^2/n - ||xbar||^2", E2(X),
                      _fro2(X) / n - _fro2(xb)),
        identity_step("the minimiser of (1/n)||X - 1c^T||_F^2 is c = xbar",
                      sp.Matrix([crit[0][ci] for ci in c]) if len(crit) == 1 else sp.zeros(d, 1) * sp.nan,
                      xb),
        identity_step("(1/n)||X - 1c^T||_F^2 = E(X)^2 + ||c - xbar||^2 (so the min is E(X)^2)",
                      f, E2(X) + _fro2(c - xb)),
    ]
    return tuple(steps)


def spectral_power(mus, us, m_exp):
    """``J + sum_i mu_i^m u_i u_i^T`` for orthonormal ``u_i`` orthogonal to 1."""
    n = us[0].shape[0]
    out = sp.ones(n, n) / n
    for mu_i, u in zip(mus, us):
        out = out + mu_i**m_exp * (u * u.T)
    return sp.ImmutableMatrix(out)


def derive_lemma2(n_instances=6, seed=0):
    """Spectral form of ``P^m`` (symbolic m, n = 3) and the contraction inequalities."""
    mu2, mu3 = sp.symbols("mu_2 mu_3", real=True)
    u2 = sp.Matrix([1, -1, 0]) / sp.sqrt(2)
    u3 = sp.Matrix([1, 1, -2]) / sp.sqrt(6)
    P = spectral_power((mu2, mu3), (u2, u3), 1)
    one = sp.ones(3, 1)
    Pm = spectral_power((mu2, mu3), (u2, u3), m)
    steps = [
        identity_step("P = J + mu_2 u_2u_2^T + mu_3 u_3u_3^T is symmetric", P.T, P),
        identity_step("P 1 = 1", P * one, one),
        identity_step("induction base: J + sum_i mu_i^0 u_iu_i^T = I", Pm.subs(m, 0), sp.eye(3)),
        identity_step("induction step: P (J + sum mu_i^m u_iu_i^T) = J + sum mu_i^(m+1) u_iu_i^T",
                      P * Pm, Pm.subs(m, m + 1)),
    ]
    X = _generic("x", 3, 2)
    c2, c3 = _fro2(u2.T * X), _fro2(u3.T * X)
    steps.append(identity_step("E(X)^2 = (||u_2^T X||^2 + ||u_3^T X||^2)/n", E2(X), (c2 + c3) / 3))
    steps.append(identity_step("E(P^m X)^2 = (mu_2^(2m)||u_2^T X||^2 + mu_3^(2m)||u_3^T X||^2)/n",
                               E2(Pm * X), (mu2**(2 * m) * c2 + mu3**(2 * m) * c3) / 3))
    # |mu_i| <= lambda written as mu_i^2 = lambda^2/(1 + v), v >= 0
    v = sp.Symbol("v", nonnegative=True)
    mu_sq = lam**2 / (1 + v)
    steps.append(inequality_step(
        "|mu_i| <= lambda => mu_i^(2m) <= lambda^(2m) (mu_i^2 = lambda^2/(1+v), v >= 0; "
        "log-ratio -m log(1+v) <= 0), hence E(P^m X) <= lambda^m E(X)",
        mu_sq**m, lam**(2 * m), sp.log(mu_sq**m / lam**(2 * m))))
    # (c), (d) on exact rational instances
    rng = random.Random(seed)
    inst_w, inst_rho = [], []
    for P_r, _ in propagation_instances():
        for _ in range(n_instances // 2):
            Xr = random_rational_matrix(rng, P_r.shape[0], 2)
            scale = sp.Rational(rng.randint(1, 12), 4)
            inst_w.append((Xr, scaled_rotation(scale), scale))
            inst_rho.append(Xr)
    steps.append(identity_step("(Pi X) W = Pi (X W)", centring(3) * X * _generic("w", 2, 2),
                               (centring(3) * X) * _generic("w", 2, 2)))
    steps.append(rational_step("E(X W)^2 <= ||W||_2^2 E(X)^2", lambda t: E2(t[0] * t[1]),
                               lambda t: t[2]**2 * E2(t[0]), inst_w))
    for name, rho in (("ReLU", relu), ("softsign", softsign)):
        steps.append(rational_step(f"E(rho(X))^2 <= E(X)^2 for 1-Lipschitz rho = {name}",
                                   lambda X, rho=rho: E2(X.applyfunc(rho)), E2, inst_rho))
    return tuple(steps)


def derive_lemma3(n=3, d=2, n_instances=8, seed=1):
    """Gradient decomposition (generic symmetric P, P1 = 1) and its bound (rational)."""
    P = symmetric_stochastic(n)
    X, B = _generic("x", n, d), _generic("b", n, d)
    Pi = centring(n)
    steps = [
        identity_step("X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B)", X.T * P * B,
                      n * mean_row(X) * mean_row(B).T + (Pi * X).T * P * (Pi * B)),
        identity_step("(Pi X)^T P (Pi B) = (Pi X)^T (P - J)(Pi B)", (Pi * X).T * P * (Pi * B),
                      (Pi * X).T * (P - sp.ones(n, n) / n) * (Pi * B)),
        identity_step("same split written with F = P X: F^T B = n fbar bbar^T + Ftilde^T Btilde "
                      "(Ftilde = Pi F, Btilde = Pi B)", (P * X).T * B,
                      n * mean_row(P * X) * mean_row(B).T + (Pi * P * X).T * (Pi * B)),
        identity_step("fbar = xbar (1^T P = 1^T), so both forms agree", mean_row(P * X), mean_row(X)),
    ]
    rng = random.Random(seed)
    inst = []
    for P_r, lam_r in propagation_instances():
        nn = P_r.shape[0]
        Pi_r = centring(nn)
        for _ in range(n_instances // 2):
            Xr, Br = random_rational_matrix(rng, nn, 2), random_rational_matrix(rng, nn, 2)
            inst.append((P_r, lam_r, Pi_r, Xr, Br, nn))
    steps.append(rational_step(
        "||(Pi X)^T P (Pi B)||_F^2 <= (lambda n E(X) E(B))^2 (matrix-norm inequality: sympy "
        "cannot decide it symbolically)",
        lambda t: _fro2((t[2] * t[3]).T * t[0] * (t[2] * t[4])),
        lambda t: (t[1] * t[5])**2 * E2(t[3]) * E2(t[4]), inst))
    return tuple(steps)


def derive_lemma4():
    """From (3.1) at k = L: ``mu <= (delta_L + lambda n E(X^(L)) E(B^(L)))/(n gamma)``."""
    t = sp.Symbol("t", nonnegative=True)
    rhs_x = (delta_L + lam * n_sym * E_XL * E_BL) / (n_sym * xbar_L)
    mu0 = (delta_L + lam * n_sym * E_XL * E_BL) / (n_sym * gamma)
    # (3.1): n ||xbar|| mu <= delta_L + lambda n E E; dividing by n ||xbar|| > 0 is exact:
    steps = [identity_step("dividing (3.1) by n ||xbar^(L)|| > 0: n ||xbar^(L)|| * rhs = "
                           "delta_L + lambda n E(X^(L)) E(B^(L))",
                           n_sym * xbar_L * rhs_x, delta_L + lam * n_sym * E_XL * E_BL)]
    cert = (rhs_x - mu0).subs(xbar_L, gamma + t)
    steps.append(inequality_step(
        "||xbar^(L)|| >= gamma (||xbar^(L)|| = gamma + t, t >= 0) gives rhs <= mu_0",
        rhs_x, mu0, sp.factor(cert)))
    u = sp.Symbol("u", nonnegative=True)
    steps.append(inequality_step(
        "E(X^(L)) <= Lambda_L E(X^(0)) (Theorem 1; E(X^(L)) = Lambda_L E(X^(0)) - u, u >= 0)",
        mu0, mu0.subs(E_XL, Lam_L * E_X0),
        sp.factor((mu0 - mu0.subs(E_XL, Lam_L * E_X0)).subs(E_XL, Lam_L * E_X0 - u))))
    return tuple(steps)
