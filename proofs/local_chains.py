"""Step checks of the local-constant proofs (extension): rule chains and scalar facts.

Used by :mod:`backsmooth.proofs.local_certificate`.  The rules are the core ones
(:mod:`backsmooth.proofs.rules`) and those of :mod:`backsmooth.proofs.rules_local`.

Scalar facts about ``tanh`` hold for every real argument: ``tanh' = 4/(e^x + e^-x)^2`` is an
identity after rewriting in exponentials, and the inequalities are decided by sympy after the
substitution ``a = log(1 + p)`` (``p >= 0`` covers every ``a >= 0``) or ``a = log y`` (``y > 0``
covers every real ``a``), a bijection, so nothing is evaluated at points.
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from . import rules_local as rl
from .checks import scalar_identity, scalar_inequality
from backsmooth.symbolic import local_symbols as LS  # the local constants' symbols: one home

__all__ = ["tanh_even_identity", "tanh_decreasing", "sech_exponential", "threshold_chain"]

_x = sp.Symbol("x", real=True)
_a, _t = sp.symbols("a t", nonnegative=True)
_p, _q = sp.symbols("p q", nonnegative=True)
_y = sp.Symbol("y", positive=True)
#: the saturation depth a >= 0 of the statement
a = LS.a_sat
s_k = sp.Symbol("s_k", positive=True)


def _sech2(u):
    return 4 / (sp.exp(u) + sp.exp(-u))**2


def tanh_even_identity():
    """``tanh'(x) = 4/(e^x + e^-x)^2 = sech(x)^2`` and ``tanh'(-x) = tanh'(x)`` for every real x."""
    d = sp.diff(sp.tanh(_x), _x)
    return scalar_identity(lambda: [(d.rewrite(sp.exp), _sech2(_x)),
                                    ((1 / sp.cosh(_x)**2).rewrite(sp.exp), _sech2(_x)),
                                    (d.subs(_x, -_x), d)],
                           "x real: tanh' = sech^2 = 4/(e^x + e^-x)^2, an even function")


def tanh_decreasing():
    """``sech(a + t)^2 <= sech(a)^2`` for every ``a, t >= 0`` (with evenness: decreasing in |x|)."""
    return rl.factored_inequality(lambda: [(_sech2(_a + _t), _sech2(_a), {_a: sp.log(1 + _p), _t: sp.log(1 + _q)})],
                                  "every a, t >= 0 (a = log(1 + p), t = log(1 + q), p, q >= 0)")


def sech_exponential():
    """``sech(a)^2 <= 4 exp(-2a)`` for every real ``a`` (``a = log y``, ``y > 0``)."""
    return scalar_inequality(lambda: (_sech2(_a), 4 * sp.exp(-2 * _a), {_a: sp.log(_y)}),
                             "every real a (a = log y, y > 0)")


def threshold_chain(condition):
    """``lambda s_k ell_k <= 1`` from ``ell_k <= sech(a)^2`` and ``cosh(a)^2 >= lambda s_k`` (``condition``)."""
    v = sp.Symbol("v", nonnegative=True)
    return ru.RuleChain(ru.lam * s_k * rl.ell_k, [
        ru.cite("sech bound", rl.ell_k, 1 / sp.cosh(a)**2),
        ("scalar", None, {"to": sp.Integer(1), "rep": {sp.cosh(a): sp.sqrt(ru.lam * s_k * (1 + v))}})],
        sp.Integer(1), "cosh(a)^2 = lambda s_k (1 + v), v >= 0, encodes the condition",
        rep_needs=(condition,))


# ------------------------------------------------------------------ local smoothing and rho'
_i, _l, _j = rl.IDX
Hk, Xk, X1 = al.matrix("H^(k)"), al.matrix("X^(k)"), al.matrix("X^(k+1)")
RHO_H, RHO1_H = al.matrix("rho(H^(k))"), al.matrix("rho'(H^(k))")
_He = rl.entries("H^(k)", real=True)


def _pairs_sum(f):
    return sp.Sum(sp.Abs(f(_He[_i, _j]) - f(_He[_l, _j]))**2, (_i, 1, al.n), (_l, 1, al.n))


def _h_sum():
    return sp.Sum(sp.Abs(_He[_i, _j] - _He[_l, _j])**2, (_i, 1, al.n), (_l, 1, al.n))


def mvt_links(f):
    """``|f(H_ij) - f(H_lj)| <= slope_kj |H_ij - H_lj|`` (f = rho: ell_kj; f = rho': c_kj)."""
    return [("mean value theorem (segment)", None, {}),
            ("segment maximum", sp.Abs(rl._DERIV[f](rl.between(_He[_i, _j], _He[_l, _j]))), {})]


def column_links(f, slope):
    """``||Pi f(H)_:j||^2 <= slope_kj^2 ||Pi H_:j||^2``: Lemma 1 per column and the mean value theorem."""
    M = RHO_H if f is rl.RHO else RHO1_H
    diffs = sp.Abs(f(_He[_i, _j]) - f(_He[_l, _j]))
    return [("pairwise form (Lemma 1)", rl.cn2(M, _j), {}),
            ("termwise sum (rule premise)", _pairs_sum(f),
             {"small": diffs, "large": slope(_j) * sp.Abs(_He[_i, _j] - _He[_l, _j]), "links": mvt_links(f)}),
            ("linearity of sums", sp.Sum(slope(_j)**2 * sp.Abs(_He[_i, _j] - _He[_l, _j])**2,
                                         (_i, 1, al.n), (_l, 1, al.n)), {}),
            ("pairwise form (Lemma 1)", _h_sum(), {"M": Hk})]


def segment_slopes_check():
    """``|rho(H_ij) - rho(H_lj)| <= ell_kj |H_ij - H_lj|`` and ``|rho'(H_ij)| <= ell_kj``."""
    Hij, Hlj = _He[_i, _j], _He[_l, _j]
    lip = ru.RuleChain(sp.Abs(rl.RHO(Hij) - rl.RHO(Hlj)), mvt_links(rl.RHO), rl.ell(_j) * sp.Abs(Hij - Hlj),
                       "entries i, l of column j: both in its segment, and so is every point between them")
    slope = ru.RuleChain(sp.Abs(rl.RHO1(Hij)), [("segment maximum", None, {})], rl.ell(_j))
    return ru.AllOf(lip, slope)


def _weighted(slope, M):
    return sp.Sum(slope(_j)**2 * rl.cn2(M, _j), (_j, 1, rl.d))


def per_column_check():
    """Per column, then summed: ``E(X^(k+1)) <= ell^w_k E(H^(k))``."""
    col = ru.RuleChain(rl.cn2(RHO_H, _j), column_links(rl.RHO, rl.ell), rl.ell(_j)**2 * rl.cn2(Hk, _j),
                       "one column j")
    total = ru.RuleChain(ru.E(X1), [
        ru.cite("GNN recursion", ru.E(X1), ru.E(RHO_H), equal=True),
        ("E by columns", ru.E(RHO_H), {}),
        ("termwise sum (rule premise)", sp.Sum(rl.cn2(RHO_H, _j), (_j, 1, rl.d)),
         {"small": rl.cn2(RHO_H, _j), "large": rl.ell(_j)**2 * rl.cn2(Hk, _j),
          "links": column_links(rl.RHO, rl.ell)}),
        ("rewrite", None, {"to": rl.ell_w * ru.E(Hk),
                           "defs": {rl.ell_w: sp.sqrt(_weighted(rl.ell, Hk) / al.n) / ru.E(Hk)},
                           "name": "ell^w_k E(H^(k)) = (sum_j ell_kj^2 ||Pi H_:j||^2 / n)^(1/2)"})],
        rl.ell_w * ru.E(Hk), "columns summed; ell^w_k by its definition (E(H^(k)) > 0; else both sides are 0)")
    return ru.AllOf(col, total)


def _max_slope_links(slope, M):
    """``(sum_j slope_kj^2 ||Pi M_:j||^2 / n)^(1/2) <= slope_k E(M)``."""
    top = rl._MAXIMUM[slope]
    return [("termwise sum (rule premise)", _weighted(slope, M),
             {"small": slope(_j), "large": top, "links": [("maximum over columns", slope(_j), {})]}),
            ("linearity of sums", sp.Sum(top**2 * rl.cn2(M, _j), (_j, 1, rl.d)), {}),
            ("E by columns", sp.sqrt(sp.Sum(rl.cn2(M, _j), (_j, 1, rl.d))), {"M": M})]


def to_one_step_chain():
    """``ell^w_k E(H^(k)) <= ell_k E(H^(k)) <= lambda s_k ell_k E(X^(k))``."""
    return ru.RuleChain(rl.ell_w * ru.E(Hk), [
        ("rewrite", None, {"to": sp.sqrt(_weighted(rl.ell, Hk) / al.n),
                           "defs": {rl.ell_w: sp.sqrt(_weighted(rl.ell, Hk) / al.n) / ru.E(Hk)},
                           "name": "definition of ell^w_k"})] + _max_slope_links(rl.ell, Hk) + [
        ru.cite("theorem1", ru.E(Hk), ru.lam * s_k * ru.E(Xk))],
        ru.lam * s_k * rl.ell_k * ru.E(Xk))


def local_rho_prime_check():
    """``|rho'(H_ij)| <= ell_k`` and ``E(rho'(H^(k))) <= c_k E(H^(k))``."""
    entry = ru.RuleChain(sp.Abs(rl.RHO1(_He[_i, _j])), [("segment maximum", None, {}),
                                                       ("maximum over columns", rl.ell(_j), {})], rl.ell_k)
    energy = ru.RuleChain(ru.E(RHO1_H), [
        ("E by columns", ru.E(RHO1_H), {}),
        ("termwise sum (rule premise)", sp.Sum(rl.cn2(RHO1_H, _j), (_j, 1, rl.d)),
         {"small": rl.cn2(RHO1_H, _j), "large": rl.c_loc(_j)**2 * rl.cn2(Hk, _j),
          "links": column_links(rl.RHO1, rl.c_loc)})] + _max_slope_links(rl.c_loc, Hk),
        rl.c_k * ru.E(Hk), "mean value theorem for rho' per column, Lemma 1, c_kj <= c_k")
    return ru.AllOf(entry, energy)


# ------------------------------------------------------------------ local backward recursion
_P, _B1, _Bk = al.matrix("P"), al.matrix("B^(k+1)"), al.matrix("B^(k)")
_W1 = al.matrix("W^(k+1)")
_W1T = al.transpose(_W1)
G = _P * _B1 * _W1T
gbar = al.mean(G)
dbar = al.mean(RHO1_H)
Dg = rl.diag(gbar, "gbar")
Dd = rl.diag(dbar, "dbar")
PiD, PiG = ru.PI * RHO1_H, ru.PI * G
s_k1 = sp.Symbol("s_k+1", positive=True)
#: B^(k) = rho'(H) o G_k written with the Hadamard facts: rho'(H) diag(gbar) + rho'(H) o Pi G
B_split = RHO1_H * Dg + ru.Had(RHO1_H, PiG)
#: ... and with rho'(H) = 1 dbar^T + Pi rho'(H): + (Pi G) diag(dbar) + (Pi rho'(H)) o Pi G
B_split2 = RHO1_H * Dg + ru.Had(PiD, PiG) + PiG * Dd


def local_index_check():
    """Index level, any sizes: ``A o B = B o A`` and ``(diag(r) v)_i = r_i v_i`` (``dbar o gbar``)."""
    from .framework import Evidence

    m = sp.Symbol("m", integer=True, positive=True)
    i, l = sp.symbols("i l", integer=True, positive=True)
    A, B, r, v = (sp.IndexedBase(x) for x in ("A", "B", "r", "v"))
    dv = sp.Sum(r[i] * sp.KroneckerDelta(i, l) * v[l], (l, 1, m)).doit()
    ok1 = sp.simplify(sp.refine(dv, sp.Q.le(i, m)) - r[i] * v[i]) == 0
    ok2 = sp.expand(A[i, l] * B[i, l] - B[i, l] * A[i, l]) == 0
    return Evidence("all_sizes_identity", ok1 and ok2,
                    "entry level, symbolic width m: diag(r) v = r o v; A o B = B o A",
                    rules=("Hadamard diagonal", "Hadamard commutative"))


def _split_pairs():
    return [
        (G, al.ONE * al.transpose(gbar) + PiG),                      # G = 1 gbar^T + Pi G
        (RHO1_H, al.ONE * al.transpose(dbar) + PiD),                  # rho'(H) = 1 dbar^T + Pi rho'(H)
        (ru.PI * B_split, PiD * Dg + ru.PI * ru.Had(RHO1_H, PiG)),    # Pi B^(k)
        (al.mean(B_split2), Dg * dbar + al.mean(ru.Had(PiD, PiG))),   # bbar^(k)
        (gbar, _W1 * al.mean(_B1)),                                   # gbar = W^(k+1) bbar^(k+1)
        (ru.PI * B_split2, PiG * Dd + PiD * Dg + ru.PI * ru.Had(PiD, PiG)),
    ]


def backward_split_check():
    """The split of the local backward step for every size (Hadamard facts at index level, then algebra)."""
    from .theorem2 import hadamard_index_check

    return ru.AllOf(hadamard_index_check, local_index_check,
                    al.all_sizes_identity(_split_pairs, rules=al.A1_RULES + rl.DIAG_RULES(),
                                          detail="any n and widths; diag(v)^T = diag(v)"))


def _fluct_links(pre):
    """``pre ||Pi G_k||_F <= pre lambda s_(k+1) sqrt(n) E(B^(k+1))``."""
    return [("identity", ru.Fro(PiG), {"to": _P * ru.PI * ru.PI * _B1 * _W1T}),
            ("submultiplicative", ru.Fro(_P * ru.PI * ru.PI * _B1 * _W1T), {"split": 2, "pair": "2,F"}),
            ("spectral gap (A1)", ru.Spec(_P * ru.PI), {}),
            ("submultiplicative", ru.Fro(ru.PI * _B1 * _W1T), {"split": 2, "pair": "F,2"}),
            ("weight norm", ru.Spec(_W1T), {"k": "k+1"}),
            ("E definition", ru.Fro(ru.PI * _B1), {})]


def backward_e_chain():
    """``E(B^(k)) <= lambda s_(k+1) ell_k E(B^(k+1)) + E(rho'(H^(k))) ||W^(k+1) bbar^(k+1)||``."""
    HG = ru.Had(RHO1_H, PiG)
    return ru.RuleChain(ru.E(_Bk), [
        ru.cite("split", ru.E(_Bk), ru.Fro(PiD * Dg + ru.PI * HG) / sp.sqrt(al.n), equal=True),
        ("triangle", ru.Fro(PiD * Dg + ru.PI * HG), {}),
        ("submultiplicative", ru.Fro(PiD * Dg), {"split": 2, "pair": "F,2"}),
        ("diagonal norm", ru.Spec(Dg), {}),
        ("identity", ru.Fro(gbar), {"to": _W1 * al.mean(_B1)}),
        ("E definition", ru.Fro(PiD), {}),
        ("submultiplicative", ru.Fro(ru.PI * HG), {"split": 1, "pair": "2,F"}),
        ("contraction", ru.Spec(ru.PI), {}),
        ("hadamard commutative", HG, {}),
        ("hadamard", ru.Fro(ru.Had(PiG, RHO1_H)), {}),
        ru.cite("local rho'", ru.Max(RHO1_H), rl.ell_k)] + _fluct_links(1),
        ru.lam * s_k1 * rl.ell_k * ru.E(_B1) + ru.E(RHO1_H) * ru.Fro(_W1 * al.mean(_B1)))


def backward_mean_chain():
    """``||bbar^(k) - dbar o gbar|| <= lambda s_(k+1) E(rho'(H^(k))) E(B^(k+1))``."""
    HG = ru.Had(PiD, PiG)
    rem = al.mean(HG)
    return ru.RuleChain(ru.Fro(al.mean(_Bk) - Dg * dbar), [
        ru.cite("split", ru.Fro(al.mean(_Bk) - Dg * dbar), ru.Fro(rem), equal=True),
        ("homogeneity", ru.Fro(rem), {}),
        ("Cauchy-Schwarz (Hadamard mean)", ru.Fro(rem * al.n), {}),
        ("E definition", ru.Fro(PiD), {})] + _fluct_links(1),
        ru.lam * s_k1 * ru.E(RHO1_H) * ru.E(_B1))
