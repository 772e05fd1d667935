"""Proof of the mean propagation of backward signals, ``docs/theory.md``.

Linear GNN: ``bbar^(k) = W^(k+1) bbar^(k+1)``, so ``||bbar^(k)|| <= S_k mu``.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(mean_propagation_proof()).passed
True
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import A1, A3, LINEAR, P3, SETTING, collect, mat, mean_row, registry_identity
from . import algebra as al
from . import rules as ru
from .checks import on_instances, scalar_identity, scalar_inequality, symbolic_identity
from .framework import Proof, Step
from .lemma3 import _Pa
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["mean_propagation_proof"]


def _mean_step():
    B1, W = mat("b", 3, 2), mat("w", 3, 2)  # B^(k+1): 3 x 2, W^(k+1): d_{k+1}=3 x d_{k+2}=2
    Bk = P3 * B1 * W.T
    return mean_row(Bk), W * mean_row(B1)


def _mean_unrolled():
    BL, W1, W2 = mat("b", 3, 2), mat("u", 2, 2), mat("v", 2, 2)
    B1 = P3 * BL * W2.T
    B0 = P3 * B1 * W1.T
    return mean_row(B0), (W1 * W2) * mean_row(BL)


def _mean_floats():
    def f(net):
        L, B, s = net["L"], net["B"], net["s"]
        mu = np.linalg.norm(B[L].mean(0))
        for k in range(L + 1):
            Sk = float(np.prod(s[k + 1:]))
            yield np.linalg.norm(B[k].mean(0)), Sk * mu, np.linalg.norm(B[L]) * max(Sk, 1)
    return collect(fl.network_instances(seed=2, linear=True), f)


def _mean_exact():
    out = []
    for net in ex.exact_networks("identity"):
        L, B, s = net["L"], net["B"], net["s"]
        mu = ex.fro(sp.Matrix(B[L]).T * ex.ones(net["n"]) / net["n"])
        for k in range(L + 1):
            bk = sp.Matrix(B[k]).T * ex.ones(net["n"]) / net["n"]
            out.append((ex.fro(bk), sp.prod(s[k + 1:]) * mu))
    return out


_s, _L, _k = sy.s, sy.L, sy.k
_g = sp.Symbol("g", positive=True)  # geometric mean of s_i/s over i = k+1..L, in (0, 1]
_t = sp.Symbol("t", nonnegative=True)


def _uniform_product():
    # S_k = prod_{i=k+1}^L s_i = (g s)^(L-k) with g <= 1 the geometric mean of s_i / s
    r = sp.Symbol("r", integer=True, nonnegative=True)  # r = L - k
    return (_g * _s)**r, _s**r, {_g: 1 / (1 + _t)}


_W, _B1, _BL = al.matrix("W^(k+1)"), al.matrix("B^(k+1)"), al.matrix("B^(L)")
_M0, _M1 = al.matrix("M_k"), al.matrix("M_(k+1)")


def _mean_step_all():
    return al.mean(_Pa * _B1 * al.transpose(_W)), _W * al.mean(_B1)


def mean_unrolled_check():
    """``bbar^(k) = M_k bbar^(L)`` for every depth, by induction on ``L - k``."""
    ih = al.Rewrite("induction hypothesis bbar^(k+1) = M_(k+1) bbar^(L)", (al.transpose(_B1), al.ONE),
                    (_M1, al.transpose(_BL), al.ONE))
    return al.induction("r = L - k", lambda: (al.mean(_BL), al.mean(_BL)),
                        lambda: (al.mean(_Pa * _B1 * al.transpose(_W)), (_W * _M1) * al.mean(_BL)),
                        ih, detail="M_L = I, M_k = W^(k+1) M_(k+1)")


def mean_norm_checks():
    """``||bbar^(k)|| <= ||M_k||_2 mu`` and ``||M_k||_2 <= S_k`` (induction) by rules."""
    mu = ru.Fro(al.transpose(_BL) * al.ONE) / al.n
    Sk, Sk1, sk1 = sp.symbols("S_k S_(k+1) s_(k+1)", positive=True)
    first = ru.RuleChain(ru.Fro(_M0 * al.mean(_BL)), [
        ("homogeneity", ru.Fro(_M0 * al.mean(_BL)), {}),
        ("submultiplicative", ru.Fro(_M0 * al.transpose(_BL) * al.ONE), {"split": 1, "pair": "2,F"}),
        ru.cite("||M_k||_2 <= S_k", ru.Spec(_M0), Sk)], Sk * mu)
    base = ru.RuleChain(ru.Spec(al.matrix("I")), [("contraction", ru.Spec(al.matrix("I")), {})], 1,
                        "M_L = I, S_L = 1 (empty product)")
    step = ru.RuleChain(ru.Spec(_W * _M1), [
        ("submultiplicative", ru.Spec(_W * _M1), {"split": 1, "pair": "2,2"}),
        ("weight norm", ru.Spec(_W), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Spec(_M1), Sk1)],
        sp.Symbol("s_k+1", positive=True) * Sk1, "S_k = s_(k+1) S_(k+1)")
    return first, ru.ByInduction("r = L - k", base, step)


def mean_propagation_proof() -> Proof:
    """Mean propagation of backward signals in a linear GNN."""
    h = (A1, LINEAR, A3) + SETTING
    steps = (
        Step("one step", "bbar^(k) = W^(k+1) bbar^(k+1) when B^(k) = P B^(k+1) W^(k+1)T",
             uses=(A1, LINEAR, "GNN recursion", "lemma2"), introduces=("mean recursion",),
             reason="1^T P = 1^T (Lemma 2a): the mean is never attenuated by P",
             check=al.all_sizes_identity(_mean_step_all, detail="any n, any widths"),
             also=(symbolic_identity(_mean_step, "symmetric stochastic 3 x 3 P, generic B, W"),)),
        Step("unrolled", "bbar^(k) = M_k bbar^(L), M_k = W^(k+1) ... W^(L)",
             uses=("mean recursion", A1), introduces=("M_k",),
             reason="induction on L - k",
             check=mean_unrolled_check()),
        Step("||M_k||_2 <= S_k", "||M_k||_2 <= S_k = prod_{i=k+1}^L s_i",
             uses=("M_k", "s_k, Q_k, S_k, Lam_k"), introduces=("||M_k||_2 <= S_k",),
             reason="submultiplicativity of ||.||_2, induction on L - k",
             check=mean_norm_checks()[1]),
        Step("norm", "||bbar^(k)|| <= ||M_k||_2 mu <= S_k mu",
             uses=("M_k", "||M_k||_2 <= S_k", "s_k, Q_k, S_k, Lam_k"), introduces=("product bound",),
             reason="submultiplicativity of ||.||_2",
             check=mean_norm_checks()[0],
             also=(on_instances("<=", exact=_mean_exact, floats=_mean_floats,
                                detail="linear GNNs; exact rational nets with exact spectral norms"),)),
        Step("uniform", "S_k <= s^(L-k) when s_i <= s",
             uses=("product bound", A3), introduces=("uniform bound",),
             reason="S_k = (g s)^(L-k) with g <= 1 the geometric mean of s_i/s",
             check=scalar_inequality(_uniform_product, "r = L - k >= 0 symbolic, g = 1/(1+t) in (0, 1]")),
        Step("registry", "the chained bound S_k mu is the registry's statement",
             uses=("product bound",), introduces=("statement",),
             reason="identity with backsmooth.symbolic's bound",
             check=scalar_identity(registry_identity(
                 "mean_propagation", "product",
                 lambda: sy.S_k * sy.mu))),
    )
    return Proof("mean_propagation", h, steps, ("mean recursion", "product bound", "uniform bound", "statement"))
