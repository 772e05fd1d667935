"""Theorem 3 (a): the ingredients (F1)-(F4) and the two routes ``T1_k``, ``T2_k``, by rule chains.

(F1) ``E(X^(j)) <= Lam_j e_X`` (Theorem 1); (F2) ``||X^(k)||_F <= Q_k xi`` by induction on ``k``
((A2a): ``|rho(x)| <= |x|``, ``||P||_2 <= 1``); (F2') ``||xbar^(k)|| <= ||X^(k)||_F / sqrt(n) <= Q_k xi /
sqrt(n)`` (Cauchy-Schwarz on column sums); (F3) ``||B^(j)||_row <= S_j beta`` (Theorem 2 (iv)); (F4)
``||B^(k)||_F <= Pi_(k,m) ||B^(m)||_F`` with ``Pi_(k,m) = prod_{i=k+1}^{m} s_i``, by induction on
``m - k``.  Backward route: ``||grad_k||_F <= ||X^(k)||_F ||B^(k)||_F`` and, for every ``m`` in
``{k..L}``, ``||B^(m)||_F <= sqrt(n)(E(B^(m)) + ||bbar^(m)||)`` (Lemma 1's split ``B = Pi B + 1 bbar^T``),
Theorem 2 (v) with ``lambda^(j-m+1) <= lambda`` and Proposition 1 (iv); ``T1_k`` is the minimum over
``m`` of these bounds.  Forward route: ``X^T P B = n xbar bbar^T + (Pi X)^T (P Pi)(Pi B)`` (Lemma 3), then
(F2'), Proposition 1 (iv) and Theorem 2 (v).

Examples
--------
>>> f2_forward_check()(type("S", (), {"uses": ("(A1) P symmetric, P1 = 1, |mu_i| <= lambda < 1 off the constants",
...     "(A2) rho elementwise, 1-Lipschitz", "(A2a) rho(0) = 0", "s_k, Q_k, S_k, Lam_k")})()).passed
True
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from ._common import A1
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["f1_chain", "f2_forward_check", "f2_mean_chain", "f3_chain", "f4_backward_check",
           "backward_route_chain", "forward_route_chain"]

n, lam, c = al.n, ru.lam, ru.c_rho
L = sp.Symbol("L", integer=True)
j = sp.Symbol("j", integer=True)
xi, beta, mu = (sp.Symbol(x, positive=True) for x in ("xi", "beta", "mu"))
e_B = sp.Symbol("e_B", nonnegative=True)
_Q0, _Qk, _Qk1 = (sp.Symbol(x, positive=True) for x in ("Q_0", "Q_k", "Q_k+1"))
_sk, _sk1 = sp.Symbol("s_k", positive=True), sp.Symbol("s_k+1", positive=True)
_Sk, _Sm = sp.Symbol("S_k", positive=True), sp.Symbol("S_m", positive=True)
_Sig_k, _Sig_m = sy.Sigma_k, sy.Sigma_m
_Pkm, _Pmm, _Pk1m = (sp.Symbol(x, positive=True) for x in ("Pi_(k,m)", "Pi_(m,m)", "Pi_(k+1,m)"))
#: layer-indexed scalars of the unrolled sums (as in Theorem 2 (v))
_sf = sp.Function("s", positive=True)
_eXf = sp.Function("E_X", nonnegative=True)
_M = {x: al.matrix(x) for x in ("X^(0)", "X^(k)", "X^(k+1)", "rho(H^(k))", "H^(k)", "P", "P^T", "W^(k)",
                                  "B^(k)", "B^(k+1)", "B^(m)", "W^(k+1)", "D_rho'(H^(k))", "grad_k",
                                  "xbar^(k)", "bbar^(k)", "bbar^(m)", "X^(j)")}


def _sum(m, power=False):
    """``sum_{j=m}^{L-1} lambda^(j-m+1) s_j E(X^(j))`` (``power``) or ``Sigma_m = sum_{j=m}^{L-1} s_j E(X^(j))``."""
    f = _sf(j) * _eXf(j)
    return sp.Sum((lam**(j - m + 1) if power else 1) * f, (j, m, L - 1))


def f1_chain():
    """(F1) ``E(X^(j)) <= Lam_j e_X``, cited from Theorem 1."""
    Lam, eX = sp.Symbol("Lam_j", positive=True), sp.Symbol("e_X", positive=True)
    return ru.RuleChain(ru.E(_M["X^(j)"]), [ru.cite("theorem1", ru.E(_M["X^(j)"]), Lam * eX)], Lam * eX)


def f2_forward_check():
    """(F2) ``||X^(k)||_F <= Q_k xi`` by induction on ``k`` (``Q_0 = 1``, ``Q_(k+1) = Q_k s_k``)."""
    M = _M
    base = ru.RuleChain(ru.Fro(M["X^(0)"]), [
        ("rewrite", None, {"to": _Q0 * xi, "defs": {_Q0: 1, xi: ru.Fro(M["X^(0)"])},
                           "name": "Q_0 = 1 (empty product), xi = ||X^(0)||_F"})], _Q0 * xi)
    H = M["P"] * M["X^(k)"] * M["W^(k)"]
    step = ru.RuleChain(ru.Fro(M["X^(k+1)"]), [
        ("rewrite", None, {"to": ru.Fro(M["rho(H^(k))"]), "defs": {M["X^(k+1)"]: M["rho(H^(k))"]},
                           "name": "X^(k+1) = rho(H^(k))"}),
        ("|rho(x)| <= |x| (A2, A2a)", ru.Fro(M["rho(H^(k))"]), {}),
        ("rewrite", None, {"to": ru.Fro(H), "defs": {M["H^(k)"]: H}, "name": "H^(k) = P X^(k) W^(k)"}),
        ("submultiplicative", ru.Fro(H), {"split": 1, "pair": "2,F"}),
        ("contraction", ru.Spec(M["P"]), {}),
        ("submultiplicative", ru.Fro(M["X^(k)"] * M["W^(k)"]), {"split": 1, "pair": "F,2"}),
        ("weight norm", ru.Spec(M["W^(k)"]), {"k": "k"}),
        ru.cite("induction hypothesis", ru.Fro(M["X^(k)"]), _Qk * xi),
        ("rewrite", None, {"to": _Qk1 * xi, "defs": {_Qk1: _Qk * _sk}, "name": "Q_(k+1) = Q_k s_k"})],
        _Qk1 * xi)
    return ru.ByInduction("k", base, step)


def _xbar_rule(X, xbar):
    return al.Rewrite(f"{xbar} = {X}^T 1 / n (mean row)", (xbar,), (al.transpose(X), al.ONE), 1 / n)


def f2_mean_chain():
    """(F2') ``||xbar^(k)|| = ||X^(k)T 1||/n <= ||X^(k)||_F / sqrt(n) <= Q_k xi / sqrt(n)``."""
    X, xb = _M["X^(k)"], _M["xbar^(k)"]
    return ru.RuleChain(ru.Fro(xb), [
        ("identity", ru.Fro(xb), {"to": al.transpose(X) * al.ONE / n, "rewrites": (_xbar_rule(X, xb),)}),
        ("homogeneity", ru.Fro(al.transpose(X) * al.ONE / n), {}),
        ("Cauchy-Schwarz (column sums)", ru.Fro(al.transpose(X) * al.ONE), {}),
        ru.cite("(F2)", ru.Fro(X), _Qk * xi)], _Qk * xi / sp.sqrt(n))


def f3_chain():
    """(F3) ``||B^(j)||_row <= S_j beta``, cited from Theorem 2 (iv)."""
    Bj, Sj = al.matrix("B^(j)"), sp.Symbol("S_j", positive=True)
    return ru.RuleChain(ru.Row(Bj), [ru.cite("theorem2", ru.Row(Bj), Sj * beta)], Sj * beta)


def f4_backward_check():
    """(F4) ``||B^(k)||_F <= Pi_(k,m) ||B^(m)||_F`` for ``m >= k``, by induction on ``m - k``."""
    M = _M
    base = ru.RuleChain(ru.Fro(M["B^(m)"]), [
        ("rewrite", None, {"to": _Pmm * ru.Fro(M["B^(m)"]), "defs": {_Pmm: 1},
                           "name": "Pi_(m,m) = 1 (empty product)"})], _Pmm * ru.Fro(M["B^(m)"]))
    G = M["P^T"] * M["B^(k+1)"] * al.transpose(M["W^(k+1)"])
    BH = ru.Had(G, M["D_rho'(H^(k))"])
    step = ru.RuleChain(ru.Fro(M["B^(k)"]), [
        ("rewrite", None, {"to": ru.Fro(BH), "defs": {M["B^(k)"]: BH},
                           "name": "B^(k) = (P^T B^(k+1) W^(k+1)T) o rho'(H^(k))"}),
        ("hadamard", ru.Fro(BH), {}),
        ("|rho'| <= 1 (A2)", ru.Max(M["D_rho'(H^(k))"]), {}),
        ("submultiplicative", ru.Fro(G), {"split": 1, "pair": "2,F"}),
        ("transpose", ru.Spec(M["P^T"]), {}),
        ("contraction", ru.Spec(M["P"]), {}),
        ("submultiplicative", ru.Fro(M["B^(k+1)"] * al.transpose(M["W^(k+1)"])), {"split": 1, "pair": "F,2"}),
        ("weight norm", ru.Spec(al.transpose(M["W^(k+1)"])), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Fro(M["B^(k+1)"]), _Pk1m * ru.Fro(M["B^(m)"])),
        ("rewrite", None, {"to": _Pkm * ru.Fro(M["B^(m)"]), "defs": {_Pkm: _sk1 * _Pk1m},
                           "name": "Pi_(k,m) = s_(k+1) Pi_(k+1,m)"})], _Pkm * ru.Fro(M["B^(m)"]))
    return ru.ByInduction("m - k", base, step)


_REP = {lam: 1 / (1 + sp.Symbol("v", positive=True))}  # lambda in (0, 1) (A1)


def _unrolled_links(B, m, S):
    """Links bounding ``E(B^(m))`` by Theorem 2 (v), then ``lambda^(j-m+1) <= lambda`` termwise."""
    return [
        ru.cite("theorem2", ru.E(B), S * (lam**(L - m) * e_B + c * beta * _sum(m, power=True))),
        ("termwise sum (decided)", _sum(m, power=True), {"small": lam**(j - m + 1), "large": lam, "rep": _REP,
                                                                   "needs": (A1,)})]


def backward_route_chain():
    """Backward route: for every ``m`` in ``{k..L}``, ``||grad_k||_F <= sqrt(n) xi Q_k S_k [lambda^(L-m) e_B + mu + 2 c_rho lambda beta Sigma_m]``."""
    M = _M
    m = sp.Symbol("m", integer=True)
    X, B, Bm, bm, PT = M["X^(k)"], M["B^(k)"], M["B^(m)"], M["bbar^(m)"], M["P^T"]
    XT = al.transpose(X)
    split = ru.PI * Bm + al.ONE * al.transpose(bm)
    bar_rule = al.Rewrite("bbar^(m)T = 1^T B^(m) / n (mean row)", (al.transpose(bm),), (al.ONE_T, Bm), 1 / n)
    target = sp.sqrt(n) * xi * _Qk * _Sk * (lam**(L - m) * e_B + mu + 2 * c * lam * beta * _Sig_m)
    links = [
        ("rewrite", None, {"to": ru.Fro(XT * PT * B), "defs": {M["grad_k"]: XT * PT * B},
                           "name": "grad_k = F^(k)T B^(k) = X^(k)T P^T B^(k)"}),
        ("submultiplicative", ru.Fro(XT * PT * B), {"split": 1, "pair": "F,2"}),
        ("transpose", ru.Fro(XT), {}),
        ("submultiplicative", ru.Spec(PT * B), {"split": 1, "pair": "2,2"}),
        ("transpose", ru.Spec(PT), {}),
        ("contraction", ru.Spec(M["P"]), {}),
        ("norm comparison", ru.Spec(B), {}),
        ru.cite("(F2)", ru.Fro(X), _Qk * xi),
        ru.cite("(F4)", ru.Fro(B), _Pkm * ru.Fro(Bm)),
        ("identity", ru.Fro(Bm), {"to": split, "rewrites": (bar_rule,)}),
        ("triangle", ru.Fro(split), {"grouped": True}),
        ("E definition", ru.Fro(ru.PI * Bm), {}),
        ("submultiplicative", ru.Fro(al.ONE * al.transpose(bm)), {"split": 1, "pair": "F,2"}),
        ("ones vector", ru.Fro(al.ONE), {}),
        ("norm comparison", ru.Spec(al.transpose(bm)), {}),
        ("transpose", ru.Fro(al.transpose(bm)), {}),
        ru.cite("proposition1", ru.Fro(bm), _Sm * (mu + c * lam * beta * _Sig_m)),
    ] + _unrolled_links(Bm, m, _Sm)
    links.append(("rewrite", None, {"to": target, "defs": {_Sig_m: _sum(m), _Sk: _Pkm * _Sm},
                                   "name": "Sigma_m = sum_{j=m}^{L-1} s_j E(X^(j)); Pi_(k,m) S_m = S_k"}))
    return ru.RuleChain(ru.Fro(M["grad_k"]), links, target, "every m in {k..L}; T1_k is the minimum over m",
                        rep=_REP)


def forward_route_chain():
    """Forward route: ``||grad_k||_F <= T2_k``."""
    M = _M
    k = sp.Symbol("k", integer=True)
    X, B, xb, bb, P = M["X^(k)"], M["B^(k)"], M["xbar^(k)"], M["bbar^(k)"], M["P"]
    XT = al.transpose(X)
    PI = ru.PI
    rem = al.transpose(PI * X) * P * PI * PI * B
    dec = n * xb * al.transpose(bb) + rem
    rw = (_xbar_rule(X, xb), al.Rewrite("bbar^(k)T = 1^T B^(k) / n (mean row)", (al.transpose(bb),),
                                        (al.ONE_T, B), 1 / n))
    T2 = sp.sqrt(n) * xi * _Qk * _Sk * (mu + c * lam * beta * _Sig_k) + \
        lam * n * ru.E(X) * _Sk * (lam**(L - k) * e_B + c * lam * beta * _Sig_k)
    links = [
        ("rewrite", None, {"to": ru.Fro(XT * P * B), "defs": {M["grad_k"]: XT * P * B},
                           "name": "grad_k = F^(k)T B^(k) = X^(k)T P B^(k) (P^T = P)"}),
        ("identity", ru.Fro(XT * P * B), {"to": dec, "rewrites": rw}),
        ("triangle", ru.Fro(dec), {"grouped": True}),
        ("homogeneity", ru.Fro(n * xb * al.transpose(bb)), {}),
        ("submultiplicative", ru.Fro(xb * al.transpose(bb)), {"split": 1, "pair": "F,2"}),
        ("norm comparison", ru.Spec(al.transpose(bb)), {}),
        ("transpose", ru.Fro(al.transpose(bb)), {}),
        ("submultiplicative", ru.Fro(rem), {"split": 2, "pair": "2,F"}),
        ("norm comparison", ru.Spec(XT * PI), {}),
        ("transpose", ru.Fro(XT * PI), {}),
        ("E definition", ru.Fro(PI * X), {}),
        ("submultiplicative", ru.Fro(P * PI * PI * B), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(P * PI), {}),
        ("E definition", ru.Fro(PI * B), {}),
        ru.cite("(F2')", ru.Fro(xb), _Qk * xi / sp.sqrt(n)),
        ru.cite("proposition1", ru.Fro(bb), _Sk * (mu + c * lam * beta * _Sig_k)),
    ] + _unrolled_links(B, k, _Sk)
    links.append(("rewrite", None, {"to": T2, "defs": {_Sig_k: _sum(k)},
                                    "name": "Sigma_k = sum_{j=k}^{L-1} s_j E(X^(j))"}))
    return ru.RuleChain(ru.Fro(M["grad_k"]), links, T2, "Lemma 3's decomposition, (F2'), Proposition 1 (iv), "
                        "Theorem 2 (v)", rep=_REP)
