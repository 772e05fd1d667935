"""Theorem 3 (b) and (c): the uniform near-stationarity bound and its clean form, from (a).

(b) With ``s_i <= s`` and ``lambda s < 1``, for every ``M in {0..L}``:
``max_k ||grad_k||_F <= delta(M) = sqrt(n) xi s^L [mu + lambda^(L-M) e_B + 2 c_rho lambda s e_X beta
(lambda s)^M / (1 - lambda s)]``: for ``k <= M`` from the backward route ``T1_k`` at ``m = M``, for
``k > M`` from the forward route ``T2_k``.  (c) With ``s <= 1`` and ``M = ceil(L/2)`` (cases
``L = 2h`` and ``L = 2h + 1``): ``<= sqrt(n) xi [mu + lambda^floor(L/2) (e_B + 2 c_rho e_X beta / (1 -
lambda))]``.  Every step is a rule chain (:mod:`backsmooth.proofs.rules`) citing part (a), Theorem 1,
Lemma 1 and mean propagation; scalar comparisons are decided by sympy with the hypotheses encoded
as ``lambda = 1/(1+v)``, ``lambda s = 1/(1+u)``, ``s = 1/(1+w)``, ``k = M + d``.

Examples
--------
>>> sigma_chain()().passed
True
"""

from __future__ import annotations

import sympy as sp

from . import rules as ru
from ._common import A3
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["sigma_chain", "uniform_products", "uniform_low_chain", "uniform_high_chain", "clean_chain", "part_b",
           "part_c", "LAMBDA_S", "S_LE_1"]

LAMBDA_S = "(b) lambda s < 1"
S_LE_1 = "(c) s <= 1"

n, xi, mu, eB, eX, beta = sp.symbols("n xi mu e_B e_X beta", positive=True)
c = sy.c_rho
M, d, h = (sp.Symbol(x, integer=True, nonnegative=True) for x in ("M", "d", "h"))
L, k, j = (sp.Symbol(x, integer=True) for x in ("L", "k", "j"))
u, v, w = sp.symbols("u v w", positive=True)
lam, s = sp.symbols("lambda s", positive=True)
QS, Sk, EXk, G = sp.symbols("Q_kS_k S_k E_Xk G_k", positive=True)
SigM, Sigk = sp.symbols("Sigma_M Sigma_k", positive=True)
_sf, _eXf = sp.Function("s", positive=True), sp.Function("E_X", positive=True)

#: lambda = 1/(1+v) in (0, 1), lambda s = 1/(1+u) in (0, 1)
_REP = {s: (1 + v) / (1 + u), lam: 1 / (1 + v)}


def _ls(m):
    return (lam * s)**m


def _geo(m):
    return s * eX * _ls(m) / (1 - lam * s)


def delta(MM, LL=L):
    """``delta(M)`` of Theorem 3 (b)."""
    return sp.sqrt(n) * xi * s**LL * (mu + lam**(LL - MM) * eB + 2 * c * lam * beta * _geo(MM))


def sigma_chain(m=M):
    """``Sigma_m = sum_{j=m}^{L-1} s_j E(X^(j)) <= s e_X (lambda s)^m / (1 - lambda s)``."""
    total = sp.Sum(_sf(j) * _eXf(j), (j, m, L - 1))
    mid = sp.Sum(s * _eXf(j), (j, m, L - 1))
    geo = sp.Sum(s * _ls(j) * eX, (j, m, L - 1))
    return ru.RuleChain(total, [
        ("termwise sum", total, {"small": _sf(j), "large": s, "premise": A3}),
        ("termwise sum", mid, {"small": _eXf(j), "large": _ls(j) * eX, "premise": "theorem1"}),
        ("scalar", None, {"to": _geo(m), "rep": _REP})], _geo(m),
        "geometric series of ratio lambda s < 1, k and L symbolic", rep=_REP, rep_needs=(LAMBDA_S,))


def uniform_products():
    """``Q_k S_k = prod_{i != k} s_i <= s^L``: ``(g s)^L <= s^L`` with ``g <= 1`` the geometric mean of ``s_i/s``."""
    from .checks import scalar_inequality

    t = sp.Symbol("t", nonnegative=True)
    LL = sp.Symbol("L", integer=True, nonnegative=True)
    return scalar_inequality(lambda: ((s / (1 + t))**LL, s**LL, {}), "L symbolic, g = 1/(1+t) in (0, 1]")


def part_b():
    """Theorem 3 (b): both cases k <= M and k > M."""
    return ru.AllOf(uniform_low_chain(), uniform_high_chain())


def part_c():
    """Theorem 3 (c): L even and L odd."""
    return ru.AllOf(clean_chain(0), clean_chain(1))


def uniform_low_chain():
    """(b), layers ``k <= M``: ``||grad_k||_F <= T1_k (m = M) <= delta(M)``."""
    T1 = sp.sqrt(n) * xi * QS * (lam**(L - M) * eB + mu + 2 * c * lam * beta * SigM)
    return ru.RuleChain(G, [
        ru.cite("T1", G, T1),
        ru.cite("uniform products", QS, s**L, needs=(A3,)),
        ru.cite("Sigma bound", SigM, _geo(M))], delta(M), "the minimum over m taken at m = M >= k",
        rep=_REP, rep_needs=(LAMBDA_S,))


def uniform_high_chain():
    """(b), layers ``k > M`` (``k = M + d``, ``d >= 1``): ``||grad_k||_F <= T2_k <= delta(M)``."""
    kk = M + d + 1
    T2 = sp.sqrt(n) * xi * QS * (mu + c * lam * beta * Sigk) + \
        lam * n * EXk * Sk * (lam**(L - kk) * eB + c * lam * beta * Sigk)
    A = sp.sqrt(n) * xi * s**L * mu
    B = sp.sqrt(n) * xi * s**L * c * lam * beta * _geo(kk)
    C = sp.sqrt(n) * xi * s**L * lam**(L + 1) * eB
    D = sp.sqrt(n) * xi * s**L * c * lam * beta * lam**(kk + 1) * _geo(kk)
    Bm = sp.sqrt(n) * xi * s**L * c * lam * beta * _geo(M)
    Cm = sp.sqrt(n) * xi * s**L * lam**(L - M) * eB
    return ru.RuleChain(G, [
        ru.cite("T2", G, T2),
        ru.cite("uniform products", QS, s**L, needs=(A3,)),
        ru.cite("Sigma bound", Sigk, _geo(kk)),
        ru.cite("theorem1", EXk, _ls(kk) * xi / sp.sqrt(n), needs=("lemma1",)),
        ru.cite("mean_propagation", Sk, s**(L - kk)),
        ("rewrite", None, {"to": A + B + C + D, "name": "expand"}),
        ("scalar bound", B, {"to": Bm, "rep": _REP, "needs": (LAMBDA_S,)}),
        ("scalar bound", C, {"to": Cm, "rep": _REP}),
        ("scalar bound", D, {"to": Bm, "rep": _REP, "needs": (LAMBDA_S,)})], delta(M),
        "E(X^(k)) <= (lambda s)^k e_X <= (lambda s)^k xi / sqrt(n); k = M + 1 + d", rep=_REP,
        rep_needs=(LAMBDA_S,))


def clean_chain(e):
    """(c), ``L = 2h + e`` (``e`` in {0, 1}), ``M = h + e = ceil(L/2)``, ``s <= 1``."""
    LL, MM = 2 * h + e, h + e
    start = delta(MM, LL)
    rep = {s: 1 / (1 + w), lam: 1 / (1 + v)}
    target = sp.sqrt(n) * xi * (mu + lam**h * (eB + 2 * c * eX * beta / (1 - lam)))
    last = 2 * c * lam * beta * _geo(MM)
    return ru.RuleChain(start, [
        ("scalar bound", s**LL, {"to": sp.Integer(1), "rep": rep, "needs": (S_LE_1,)}),
        ("scalar bound", 1 / (1 - lam * s), {"to": 1 / (1 - lam), "rep": rep, "needs": (S_LE_1,)}),
        ("scalar bound", _ls(MM), {"to": lam**(h - 1), "rep": rep, "needs": (S_LE_1,)}),
        ("scalar bound", s, {"to": sp.Integer(1), "rep": rep, "needs": (S_LE_1,)})], target,
        f"L = 2h + {e}, M = h + {e}, floor(L/2) = h; {last} bounded factor by factor", rep=rep,
        rep_needs=(S_LE_1,))
