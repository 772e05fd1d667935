"""Proof of the normalisation remedy claim [extension]: mean subtraction and PairNorm.

Every step is proof for every ``n``, width and depth: the Jacobians by sympy's matrix calculus
(mean subtraction) and by the directional derivative in trace scalars (PairNorm,
:func:`~backsmooth.proofs.rules_remedies.trace_identity`); the zero mean row and ``Pi^T Pi = Pi``
by the non-commuting algebra; the contractions by rule chains (``|rho'| <= 1``, Hadamard,
``||P Pi||_2 <= lambda`` on the centred ``B^(k+1)``, the projection onto ``c``'s orthogonal
complement); the depth by induction.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> r = verify(remedy_normalisation_proof(), context={"lemma2": None})
>>> r.passed, r.weakest
(True, 'rule')
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from . import rules_remedies as rr
from ._common import A1, A2, A3, SETTING
from ._remedy_instances import _arrays, _norm_rows
from .checks import on_instances
from .framework import Proof, Step
from .remedies import (B1, NORMALISED, P, PI, PT, S_K, W1T, Bk, L, _msym, _registry, k, lam, s,
                       s_k, unroll_upper)
from backsmooth.symbolic.symbols import sigma_pn as sigma  # the paper's symbols: one home
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["remedy_normalisation_proof"]

#: the signal arriving at layer k's normalisation: G^(k+1) = dLoss/dX^(k+1) = P^T B^(k+1) W^(k+1)T
G = PT * B1 * W1T
D = al.matrix("D_rho'(N(H^(k)))")  # rho'(N(H^(k))), entrywise
GHAT = ru.Had(G, D)  # Ghat = rho'(N(H^(k))) o G^(k+1)
Gh, H, E, c = al.matrix("Ghat"), al.matrix("H^(k)"), al.matrix("E"), al.matrix("c")
E_Hk = sp.Symbol("E(H^(k))", positive=True)
s_k1 = sp.Symbol("s_k+1", positive=True)
CENTRED = al.Rewrite("1^T B^(k+1) = 0 (centred signals)", (al.ONE_T, B1), (), 0, "centred signals")
C_CENTRED = al.Rewrite("1^T c = 0 (c = Pi H/||Pi H||_F)", (al.ONE_T, c), (), 0, "1^T c = 0")
_kappa, _tau = sp.symbols("kappa tau", real=True)  # the scalars of PairNorm's signal


def mean_jacobian_check():
    """``d/dH Tr(Ghat^T Pi H) = Pi Ghat`` at symbolic ``n x d`` (sympy's ``OneMatrix``)."""
    Hm, Gm = _msym("H^(k)"), _msym("Ghat")
    n_ = Hm.shape[0]
    one = sp.OneMatrix(n_, 1)
    Pim = sp.Identity(n_) - one * one.T / n_
    return rr.matrix_calculus_identity(lambda: (sp.Trace(Gm.T * (Pim * Hm)).diff(Hm), PI * Gh),
                                       detail="Pi = I - 1 1^T/n")


def pairnorm_check(sign=1):
    """PairNorm's Jacobian: ``d/dt <Ghat, N(H + t E)>`` at 0 is ``<B, E>`` for every ``E``; ``||c|| = 1``, ``1^T c = 0``."""
    t, n = sp.Symbol("t", real=True), al.n

    def build():
        u = rr.inner(Gh, PI * (H + t * E))
        q = rr.inner(PI * (H + t * E), PI * (H + t * E))
        directional = sp.diff(sigma * sp.sqrt(n) * u / sp.sqrt(q), t).subs(t, 0)
        norm = sp.sqrt(rr.inner(PI * H, PI * H))
        cc = PI * H / norm
        Bpn = sigma * sp.sqrt(n) / norm * (PI * Gh - sign * rr.inner(PI * Gh, cc) * cc)
        return [(directional, rr.inner(Bpn, E)), (rr.inner(cc, cc), 1)]

    return ru.AllOf(rr.trace_identity(build, "N(H) = sigma sqrt(n) Pi H/||Pi H||_F, any direction E"),
                    al.all_sizes_identity(lambda: (al.ONE_T * PI * H / sp.Symbol("nu", positive=True), 0),
                                          detail="c = Pi H/nu, nu = ||Pi H||_F"))


def _contract_tail():
    """``||Pi Ghat||_F <= lambda s_(k+1) sqrt(n) E(B^(k+1))`` links (B^(k+1) centred)."""
    return [("submultiplicative", ru.Fro(PI * GHAT), {"split": 1, "pair": "2,F"}),
            ("contraction", ru.Spec(PI), {}),
            ("hadamard", ru.Fro(GHAT), {}),
            ("|rho'| <= 1 (A2)", ru.Max(D), {}),
            ("identity", ru.Fro(G), {"to": P * PI * PI * B1 * W1T, "rewrites": (CENTRED,)}),
            ("submultiplicative", ru.Fro(P * PI * PI * B1 * W1T), {"split": 2, "pair": "2,F"}),
            ("spectral gap (A1)", ru.Spec(P * PI), {}),
            ("submultiplicative", ru.Fro(PI * B1 * W1T), {"split": 2, "pair": "F,2"}),
            ("weight norm", ru.Spec(W1T), {"k": "k+1"}),
            ("E definition", ru.Fro(PI * B1), {})]


def mean_layer_chain():
    """Mean subtraction: ``E(B^(k)) <= lambda s_(k+1) E(B^(k+1))`` by rules."""
    return ru.RuleChain(ru.E(Bk), [
        ru.cite("mean-subtraction signal", ru.E(Bk), ru.E(PI * GHAT), equal=True),
        ("E definition", ru.E(PI * GHAT), {}),
        ("identity", ru.Fro(PI * PI * GHAT), {"to": PI * GHAT})] + _contract_tail(),
        lam * s_k1 * ru.E(B1))


def pairnorm_layer_chain():
    """PairNorm: ``E(B^(k)) <= sigma lambda s_(k+1) E(B^(k+1)) / E(H^(k))`` by rules."""
    X = PI * GHAT - rr.Inner(PI * GHAT, c) * c
    return ru.RuleChain(ru.E(Bk), [
        ru.cite("PairNorm signal", ru.E(Bk), ru.E(sigma / E_Hk * X), equal=True),
        ("homogeneity", ru.E(sigma / E_Hk * X), {}),
        ("E definition", ru.E(X), {}),
        ("identity", ru.Fro(PI * X), {"to": X, "rewrites": (C_CENTRED,)}),
        ("projection onto c-perp (||c||_F = 1)", ru.Fro(X), {"c": c})] + _contract_tail(),
        sigma * lam * s_k1 * ru.E(B1) / E_Hk)


def remedy_normalisation_proof() -> Proof:
    """Mean subtraction and PairNorm: ``bbar^(k) = 0``; contraction by ``lambda s`` resp. ``sigma lambda s_(k+1)/E(H^(k))``."""
    h = (A1, A2, A3, NORMALISED) + SETTING
    contract = (A1, A2, "centred signals", "GNN recursion", S_K, "lemma2")
    steps = (
        Step("mean Jacobian", "mean subtraction: B^(k) = Pi Ghat, Ghat = rho'(N(H^(k))) o G^(k+1)",
             uses=(NORMALISED, "J, Pi", "GNN recursion"), introduces=("mean-subtraction signal",),
             reason="sympy matrix derivative of Tr(Ghat^T Pi H) by H (chain rule through rho)",
             check=mean_jacobian_check()),
        Step("centred", "1^T Pi = 0: every normalised layer has bbar^(k) = 0",
             uses=("mean-subtraction signal",), introduces=("zero mean",),
             reason="1^T 1 = n", check=al.all_sizes_identity(
                 lambda: [(al.ONE_T * PI, 0), (al.mean(PI * Gh), 0)], detail="any n, widths")),
        Step("projector", "Pi^T Pi = Pi", uses=("J, Pi",), introduces=("projector",),
             reason="Pi^T = Pi, J^2 = J", check=al.all_sizes_identity(lambda: (al.transpose(PI) * PI, PI))),
        Step("PairNorm Jacobian", "PairNorm: B^(k) = (sigma/E(H^(k))) (Pi Ghat - <Pi Ghat, c> c), "
             "c = Pi H^(k)/||Pi H^(k)||_F, ||c||_F = 1, 1^T c = 0",
             uses=(NORMALISED, "projector"), introduces=("PairNorm signal", rr.UNIT_C, "1^T c = 0"),
             reason="d/dt <Ghat, N(H + t E)> at t = 0 equals <B, E> for every E (traces: bilinear, "
                    "cyclic, transpose-invariant); sigma sqrt(n)/||Pi H||_F = sigma/E(H)",
             check=pairnorm_check()),
        Step("zero mean, both normalisations", "bbar^(k) = 0 for both normalisations: B^(k) = Pi (...)",
             uses=("zero mean", "PairNorm signal"), introduces=("centred signals",),
             reason="1^T Pi = 0; on the computed signals too (additional evidence)",
             check=al.all_sizes_identity(lambda: [(al.mean(PI * Gh), 0),
                                                  (al.mean(_kappa * (PI * Gh - _tau * PI * H)), 0)],
                                         detail="mean subtraction Pi Ghat; PairNorm kappa (Pi Ghat - tau Pi H)"),
             also=(on_instances("==", floats=lambda: _arrays(_norm_rows()[0]),
                                detail="60 normalised GNNs, identity and tanh"),)),
        Step("mean one layer", "mean subtraction: E(B^(k)) <= lambda s_(k+1) E(B^(k+1)), k <= L-2",
             uses=("mean-subtraction signal", "E(X)") + contract, introduces=("mean one-layer bound",),
             reason="Pi^2 = Pi, ||Pi||_2 <= 1, ||A o D||_F <= ||A||_F ||D||_max, |rho'| <= 1; G = P^T B W^T "
                    "with 1^T B^(k+1) = 0: Pi G = P Pi Pi B W^T, ||P Pi||_2 <= lambda",
             check=mean_layer_chain()),
        Step("mean contraction", "mean subtraction: E(B^(k)) <= (lambda s)^(L-1-k) E(B^(L-1))",
             uses=("mean one-layer bound", A3), introduces=("mean-subtraction bound",),
             reason="induction on L - 1 - k with s_i <= s",
             check=unroll_upper("mean one-layer bound", lam * s_k, lam * s,
                                uniform=[("uniform weights (A3)", s_k, {})]),
             also=(on_instances("<=", floats=lambda: _arrays(_norm_rows()[1]),
                                detail="mean-subtraction GNNs, every layer"),)),
        Step("PairNorm step", "PairNorm: E(B^(k)) <= sigma lambda s_(k+1) E(B^(k+1)) / E(H^(k)), k <= L-2",
             uses=("PairNorm signal", rr.UNIT_C, "1^T c = 0", "E(X)") + contract, introduces=("PairNorm bound",),
             reason="||Pi Ghat - <Pi Ghat, c> c||_F <= ||Pi Ghat||_F (unit c), then as for mean subtraction",
             check=pairnorm_layer_chain(),
             also=(on_instances("<=", floats=lambda: _arrays(_norm_rows()[2]),
                                detail="PairNorm GNNs, k <= L-2"),)),
        Step("registry", "the mean-subtraction and PairNorm bounds are the registry's statement",
             uses=("mean-subtraction bound", "PairNorm bound"), introduces=("statement",),
             reason="identity with backsmooth.symbolic (E_Bk1 = E(B^(k+1)), E_Hk = E(H^(k)))",
             check=_registry("remedy_normalisation",
                             ("mean", lambda: (lam * s)**(L - 1 - k) * sy.E_BL1),
                             ("pairnorm", lambda: sigma * lam * sy.s_k1 * sy.E_Bk1 / sy.E_Hk))),
    )
    return Proof("remedy_normalisation", h, steps,
                 ("zero mean", "mean-subtraction bound", "PairNorm bound", "statement"),
                 notes=("PairNorm's factor sigma lambda s_(k+1)/E(H^(k)) is not below 1 in general: forward "
                        "oversmoothing (small E(H^(k))) is exactly what amplifies the backward signal. "
                        "Whether it escapes is measured, not bounded.",
                        "The mean-subtraction bound unrolls with s_i <= s, so (A3) is listed as a hypothesis."))
