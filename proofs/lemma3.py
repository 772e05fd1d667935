"""Proof of Lemma 3 (gradient split), ``docs/theory.md``.

``X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B)`` with remainder ``<= lambda n E(X) E(B)``.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(lemma3_proof()).passed
True
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import A1, P3, SETTING, Pi, collect, mat, mean_row, ones
from . import algebra as al
from . import rules as ru
from .checks import on_instances, symbolic_identity
from .framework import Proof, Step

__all__ = ["lemma3_proof"]


_X3, _B3 = mat("x", 3, 2), mat("b", 3, 2)


def _decomposition(sign=1):
    def build():
        P, X, B = P3, _X3, _B3
        xb, bb = mean_row(X), mean_row(B)
        return X.T * P * B, 3 * xb * bb.T + sign * (Pi(3) * X).T * P * (Pi(3) * B)
    return build


def _cross_terms():
    P, X, B = P3, _X3, _B3
    return [((Pi(3) * X).T * P * ones(3), sp.zeros(2, 1)), (ones(3).T * P * Pi(3) * B, sp.zeros(1, 2)),
            ((Pi(3) * X).T * P * (Pi(3) * B), (Pi(3) * X).T * (P * Pi(3)) * (Pi(3) * B))]


def _grad_is_XPB():
    X, B = _X3, _B3
    return (P3 * X).T * B, X.T * P3 * B


def _remainder_floats():
    def f(inst):
        P, lam, X, B, W = inst
        n = X.shape[0]
        C = (X - X.mean(0)).T @ P @ (B - B.mean(0))
        yield np.linalg.norm(C), lam * n * fl.Ef(X) * fl.Ef(B), np.linalg.norm(X) * np.linalg.norm(B)
    return collect(fl.matrix_instances(), f)


def _remainder_exact():
    rng = random.Random(9)
    out = []
    for P, lam in ex.rational_propagations(False):
        n = P.shape[0]
        X, B = ex.rational_matrix(n, 2, rng), ex.rational_matrix(n, 1, rng)
        C = (ex.Pi(n) * X).T * P * (ex.Pi(n) * B)
        out.append((ex.fro(C), lam * n * ex.E(X) * ex.E(B)))
    return out


def _layer_floats():
    def f(net):
        for k in range(net["L"] + 1):
            X, B, g = net["X"][k], net["B"][k], net["grads"][k]
            n = X.shape[0]
            yield (n * np.linalg.norm(X.mean(0)) * np.linalg.norm(B.mean(0)),
                   np.linalg.norm(g) + net["lam"] * n * fl.Ef(X) * fl.Ef(B),
                   np.linalg.norm(X) * np.linalg.norm(B))
    return collect(fl.network_instances(), f)


_Xa, _Ba, _Pa = al.matrix("X"), al.matrix("B"), al.matrix("P")


def _grad_all():
    return al.transpose(_Pa * _Xa) * _Ba, al.transpose(_Xa) * _Pa * _Ba


def _cross_all():
    Xc, Bc = ru.PI * _Xa, ru.PI * _Ba
    return [(al.transpose(Xc) * _Pa * al.ONE, 0), (al.ONE_T * _Pa * Bc, 0),
            (al.transpose(Xc) * _Pa * Bc, al.transpose(Xc) * (_Pa * ru.PI) * Bc)]


def _decomposition_all(sign=1):
    def build():
        rhs = al.n * al.mean(_Xa) * al.transpose(al.mean(_Ba)) + \
            sign * al.transpose(ru.PI * _Xa) * _Pa * (ru.PI * _Ba)
        return al.transpose(_Xa) * _Pa * _Ba, rhs
    return build


#: the remainder (Pi X)^T P (Pi B), as written in the rule chains
_REM = al.transpose(ru.PI * _Xa) * _Pa * ru.PI * _Ba


def remainder_chain(target=None):
    """``||(Pi X)^T P (Pi B)||_F <= lambda n E(X) E(B)`` by rules (Lemma 3)."""
    Xt = al.transpose(_Xa)
    links = [
        ("identity", ru.Fro(_REM), {"to": Xt * ru.PI * (_Pa * ru.PI) * ru.PI * _Ba}),
        ("submultiplicative", ru.Fro(Xt * ru.PI * _Pa * ru.PI * ru.PI * _Ba), {"split": 2, "pair": "2,F"}),
        ("submultiplicative", ru.Fro(_Pa * ru.PI * ru.PI * _Ba), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(_Pa * ru.PI), {}),
        ("transpose", ru.Spec(Xt * ru.PI), {}),
        ("norm comparison", ru.Spec(ru.PI * _Xa), {}),
        ("E definition", ru.Fro(ru.PI * _Xa), {}),
        ("E definition", ru.Fro(ru.PI * _Ba), {}),
    ]
    tgt = ru.lam * al.n * ru.E(_Xa) * ru.E(_Ba) if target is None else target
    return ru.RuleChain(ru.Fro(_REM), links, tgt, "Pi^2 = Pi, ||AB||_F <= ||A||_2 ||B||_F, ||P Pi||_2 <= lambda")


def layer_split_chain():
    """``n ||xbar|| ||bbar|| <= ||X^T P B||_F + lambda n E(X) E(B)`` by rules (3.1)."""
    xb, bb = al.mean(_Xa), al.mean(_Ba)
    grad = al.transpose(_Xa) * _Pa * _Ba
    diff = grad - _REM
    links = [
        ("rank one", None, {"u": xb, "v": bb}),
        ("identity", ru.Fro(al.n * xb * al.transpose(bb)), {"to": diff}),
        ("triangle", ru.Fro(diff), {}),
        ("homogeneity", ru.Fro(-_REM), {}),
        ru.cite("remainder bound", ru.Fro(_REM), ru.lam * al.n * ru.E(_Xa) * ru.E(_Ba)),
    ]
    return ru.RuleChain(al.n * ru.Fro(xb) * ru.Fro(bb), links,
                        ru.Fro(grad) + ru.lam * al.n * ru.E(_Xa) * ru.E(_Ba))


def lemma3_proof() -> Proof:
    """Lemma 3 (exact gradient decomposition)."""
    h = (A1, "X in R^{n x d}", "B in R^{n x d'}") + SETTING
    steps = (
        Step("gradient form", "grad_k = F^(k)T B^(k) = X^(k)T P B^(k)",
             uses=(A1, "GNN recursion"), introduces=("grad = X^T P B",),
             reason="F = P X and P = P^T",
             check=al.all_sizes_identity(_grad_all, detail="X, B, P of any size"),
             also=(symbolic_identity(_grad_is_XPB, "symmetric stochastic 3 x 3 P, generic X, B"),)),
        Step("cross terms", "(Pi X)^T P 1 = 0, 1^T P Pi B = 0 and (Pi X)^T P Pi B = (Pi X)^T (P Pi)(Pi B)",
             uses=("lemma2", A1), introduces=("cross terms vanish",),
             reason="P 1 = 1, 1^T Pi = 0, Pi^2 = Pi (Lemma 2a)",
             check=al.all_sizes_identity(_cross_all, detail="any n, any widths")),
        Step("decomposition", "X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B)",
             uses=("cross terms vanish", "xbar", A1), introduces=("gradient split",),
             reason="X = 1 xbar^T + Pi X, B = 1 bbar^T + Pi B; 1^T P 1 = n",
             check=al.all_sizes_identity(_decomposition_all(), detail="any n, any widths"),
             also=(symbolic_identity(_decomposition(), "general symmetric stochastic 3 x 3 P, generic 3 x 2 X, B"),),
             latex=r"X^\top P B = n\,\bar x\bar b^\top + (\Pi X)^\top P(\Pi B)"),
        Step("remainder", "||(Pi X)^T P (Pi B)||_F <= lambda ||Pi X||_2 ||Pi B||_F <= lambda n E(X) E(B)",
             uses=("gradient split", "lemma2", "E(X)", A1), introduces=("remainder bound",),
             reason="||A^T M C||_F <= ||A||_2 ||M||_2 ||C||_F, ||P Pi||_2 <= lambda, ||.||_2 <= ||.||_F",
             check=remainder_chain(),
             also=(on_instances("<=", exact=_remainder_exact, floats=_remainder_floats,
                                detail="signed and stochastic P, widths 1..4, lambda up to 0.999"),)),
        Step("(3.1)", "n ||xbar^(k)|| ||bbar^(k)|| <= ||grad_k||_F + lambda n E(X^(k)) E(B^(k)) at every layer",
             uses=("grad = X^T P B", "remainder bound", "gradient split", A1), introduces=("(3.1)",),
             reason="triangle inequality and ||x b^T||_F = ||x|| ||b||",
             check=layer_split_chain(),
             also=(on_instances("<=", floats=_layer_floats, detail="every layer of 160 random GNNs"),)),
    )
    return Proof("lemma3", h, steps, ("gradient split", "remainder bound", "(3.1)"))
