"""Proof of Corollary 1 (linear GNN backward: exact closed form), ``docs/theory.md``.

``B^(k) = P^(L-k) B^(L) M_k^T``, ``bbar^(k) = M_k bbar^(L)``,
``Pi B^(k) = P^(L-k) Pi B^(L) M_k^T`` hence ``E(B^(k)) <= lambda^(L-k) S_k E(B^(L)) <=
(lambda s)^(L-k) E(B^(L))``; ``||B^(k) - 1 (M_k bbar^(L))^T||_F <= sqrt(n) (lambda s)^(L-k) E(B^(L))``.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(corollary1_proof(), context={"lemma2": None, "mean_propagation": None}).passed
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _floats as fl
from ._common import (A1, A3, LINEAR, P3, SETTING, Pi, collect, mat, mean_row, ones,
                                       registry_identity)
from .checks import scalar_identity, on_instances, symbolic_identity, symbolic_inequality
from . import algebra as al
from . import rules as ru
from .checks import scalar_inequality
from .framework import Proof, Step
from .lemmas import POWER_RULES_CITED
from backsmooth.symbolic.symbols import lam, s, L, k, E_BL, m as _mm  # the paper's symbols: one home

__all__ = ["corollary1_proof"]

_t = sp.Symbol("t", nonnegative=True)

_BL, _W1, _W2 = mat("b", 3, 2), mat("u", 2, 2), mat("v", 2, 2)


def _closed_form():
    B1 = P3 * _BL * _W2.T
    B0 = P3 * B1 * _W1.T
    M0 = _W1 * _W2
    return [(B1, P3 * _BL * _W2.T), (B0, P3**2 * _BL * M0.T)]


def _fluct():
    B0 = P3 * (P3 * _BL * _W2.T) * _W1.T
    M0 = _W1 * _W2
    return [(Pi(3) * B0, P3**2 * (Pi(3) * _BL) * M0.T),
            (B0 - ones(3) * (M0 * mean_row(_BL)).T, P3**2 * (Pi(3) * _BL) * M0.T)]


def _nets():
    return fl.network_instances(seed=2, linear=True)


def _fluct_floats():
    def f(net):
        L_, B, s_ = net["L"], net["B"], net["s"]
        eL = fl.Ef(B[L_])
        for kk in range(L_ + 1):
            M = np.eye(B[kk].shape[1])
            for W in net["W"][kk + 1:]:
                M = M @ W
            Mn = np.linalg.norm(M, 2) if M.size else 0.0
            sc = eL * max(1.0, float(np.prod(s_[kk + 1:])))
            yield fl.Ef(B[kk]), net["lam"]**(L_ - kk) * Mn * eL, sc
            yield Mn, float(np.prod(s_[kk + 1:])), max(1.0, Mn)
    return collect(_nets(), f)


def _distance_floats():
    def f(net):
        L_, B, s_, n = net["L"], net["B"], net["s"], net["n"]
        eL = fl.Ef(B[L_])
        smax = max(s_)
        for kk in range(L_ + 1):
            M = np.eye(B[L_].shape[1])
            for W in reversed(net["W"][kk + 1:]):
                M = W @ M
            D = B[kk] - np.outer(np.ones(n), M @ B[L_].mean(0))
            yield np.linalg.norm(D), np.sqrt(n) * (net["lam"] * smax)**(L_ - kk) * eL, \
                np.linalg.norm(B[L_]) * max(1, smax)**(L_ - kk)
    return collect(_nets(), f)


def _uniform():
    r = sp.Symbol("r", integer=True, nonnegative=True)  # r = L - k
    g = 1 / (1 + _t)
    return (lam * g * s)**r, (lam * s)**r, {}


_P, _Pm, _BLa = al.matrix("P"), al.matrix("P^m"), al.matrix("B^(L)")
_Wk1, _M, _M1 = al.matrix("W^(k+1)"), al.matrix("M_k"), al.matrix("M_(k+1)")
_Sk = sp.Symbol("S_k", positive=True)


def closed_form_check():
    """``B^(k) = P^(L-k) B^(L) M_k^T`` for every depth, by induction on ``L - k``."""
    B1 = al.matrix("B^(k+1)")
    ih = al.Rewrite("induction hypothesis B^(k+1) = P^m B^(L) M_(k+1)^T", (B1,),
                    (_Pm, _BLa, al.transpose(_M1)))
    return al.induction("m = L - k", lambda: (_BLa, _BLa),
                        lambda: (_P * B1 * al.transpose(_Wk1),
                                 (_P * _Pm) * _BLa * (al.transpose(_M1) * al.transpose(_Wk1))),
                        ih, rules=(), detail="P^0 = I, M_L = I; P^(m+1) = P P^m, M_k^T = M_(k+1)^T W^(k+1)T")


def _Bk():
    return _Pm * _BLa * al.transpose(_M)


def _mean_all():
    return al.mean(_Bk()), _M * al.mean(_BLa)


def _fluct_all():
    return [(ru.PI * _Bk(), _Pm * (ru.PI * _BLa) * al.transpose(_M)),
            (_Bk() - al.ONE * al.transpose(_M * al.mean(_BLa)), _Pm * (ru.PI * _BLa) * al.transpose(_M))]


def _fluct_links():
    Z = ru.PI * _BLa * al.transpose(_M)
    return [
        ("identity", ru.Fro(_Pm * ru.PI * _BLa * al.transpose(_M)),
         {"to": _Pm * ru.PI * Z, "rewrites": POWER_RULES_CITED}),
        ("submultiplicative", ru.Fro(_Pm * ru.PI * Z), {"split": 2, "pair": "2,F"}),
        ru.cite("lemma2", ru.Spec(_Pm * ru.PI), ru.lam**_mm),
        ("submultiplicative", ru.Fro(Z), {"split": 2, "pair": "F,2"}),
        ("transpose", ru.Spec(al.transpose(_M)), {}),
        ru.cite("mean_propagation", ru.Spec(_M), _Sk),
        ("E definition", ru.Fro(ru.PI * _BLa), {})]


def bound_chain():
    """``E(B^(k)) <= lambda^(L-k) S_k E(B^(L))`` by rules."""
    links = [("E definition", ru.E(_Bk()), {}),
             ("identity", ru.Fro(ru.PI * _Bk()), {"to": _Pm * ru.PI * _BLa * al.transpose(_M),
                                                  "rewrites": POWER_RULES_CITED})] + _fluct_links()
    return ru.RuleChain(ru.E(_Bk()), links, ru.lam**_mm * _Sk * ru.E(_BLa), "m = L - k")


def distance_chain():
    """``||B^(k) - 1 (M_k bbar^(L))^T||_F <= sqrt(n) (lambda s)^(L-k) E(B^(L))`` by rules."""
    start = _Bk() - al.ONE * al.transpose(_M * al.mean(_BLa))
    links = [("identity", ru.Fro(start), {"to": _Pm * ru.PI * _BLa * al.transpose(_M),
                                          "rewrites": POWER_RULES_CITED})] + _fluct_links() + [
        ru.cite("mean_propagation", _Sk, ru.s**_mm, needs=(A3,))]
    return ru.RuleChain(ru.Fro(start), links, sp.sqrt(al.n) * (ru.lam * ru.s)**_mm * ru.E(_BLa),
                        "m = L - k; S_k <= s^(L-k) (mean propagation, uniform)")


def corollary1_proof() -> Proof:
    """Corollary 1 (linear GNN backward, closed form)."""
    h = (A1, LINEAR, A3) + SETTING
    steps = (
        Step("(i) closed form", "B^(k) = P^(L-k) B^(L) M_k^T",
             uses=(LINEAR, "GNN recursion", A1), introduces=("closed form",),
             reason="rho' = 1, P^T = P: B^(k) = P B^(k+1) W^(k+1)T; induct on L - k",
             check=closed_form_check(),
             also=(symbolic_identity(_closed_form, "L = 2, general symmetric stochastic 3 x 3 P, generic weights"),)),
        Step("(ii) mean", "bbar^(k) = M_k bbar^(L), never attenuated by P",
             uses=("closed form", "mean_propagation", "lemma2", A1), introduces=("mean",),
             reason="1^T P^m = 1^T (Lemma 2, powers)",
             check=al.all_sizes_identity(_mean_all, POWER_RULES_CITED, "m = L - k, any n, widths"),
             also=(symbolic_identity(lambda: (mean_row(P3 * (P3 * _BL * _W2.T) * _W1.T),
                                              _W1 * _W2 * mean_row(_BL)), "L = 2"),)),
        Step("(iii) fluctuation", "Pi B^(k) = P^(L-k) (Pi B^(L)) M_k^T and (iv) B^(k) - 1 (M_k bbar^(L))^T = P^(L-k) Pi B^(L) M_k^T",
             uses=("closed form", "lemma2", A1), introduces=("fluctuation identity",),
             reason="Pi P^m = P^m Pi (Lemma 2), Pi B = B - 1 bbar^T",
             check=al.all_sizes_identity(_fluct_all, POWER_RULES_CITED, "m = L - k, any n, widths"),
             also=(symbolic_identity(_fluct, "L = 2, generic"),)),
        Step("(iii) bound", "E(B^(k)) <= lambda^(L-k) ||M_k||_2 E(B^(L)), ||M_k||_2 <= S_k",
             uses=("fluctuation identity", "lemma2", "mean_propagation", A1), introduces=("product bound",),
             reason="Lemma 2(b), (c); submultiplicativity",
             check=bound_chain(),
             also=(on_instances("<=", floats=_fluct_floats, detail="160 linear GNNs incl. eigen-aligned (tight)"),)),
        Step("(iii) uniform", "lambda^(L-k) S_k <= (lambda s)^(L-k): L - k factors lambda s_i, i = k+1..L",
             uses=("product bound", A3), introduces=("uniform bound",),
             reason="geometric mean of s_i/s is <= 1 (note: weights ABOVE layer k, not s_k)",
             check=scalar_inequality(_uniform, "r = L - k symbolic")),
        Step("(iv) distance", "||B^(k) - 1 (M_k bbar^(L))^T||_F <= sqrt(n) (lambda s)^(L-k) E(B^(L))",
             uses=("fluctuation identity", "uniform bound", "lemma2", "mean_propagation", A1, A3),
             introduces=("distance bound",),
             reason="||Pi B||_F = sqrt(n) E(B)",
             check=distance_chain(),
             also=(on_instances("<=", floats=_distance_floats, detail="160 linear GNNs"),)),
        Step("registry", "the chained bound (lambda s)^(L-k) E(B^(L)) is the registry's statement",
             uses=("uniform bound",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity("corollary1", "uniform",
                                                     lambda: (lam * s)**(L - k) * E_BL))),
    )
    return Proof("corollary1", h, steps, ("closed form", "mean", "uniform bound", "distance bound", "statement"))
