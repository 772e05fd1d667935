"""Proof of Lemma 1 (pairwise identity), ``docs/theory.md``.

``(1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2 = (1/n)||X||_F^2 - ||xbar||^2
= min_c (1/n)||X - 1c^T||_F^2``; and ``E(Z) <= E(X)`` when ``Z`` is pairwise non-expansive.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(lemma1_proof()).passed
True
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import A2, SETTING, J, Pi, collect, fro2, mat, mean_row, ones
from . import algebra as al
from . import rules as ru
from .checks import on_instances, scalar_inequality, symbolic_identity
from .framework import Proof, Step
from .lemma3 import _Xa

__all__ = ["lemma1_proof"]


_X = mat("x", 4, 2)


def _activation_check():
    X, rX = al.matrix("X"), al.matrix("rho(X)")
    return ru.RuleChain(ru.E(rX), [ru.cite("lemma1", ru.E(rX), ru.E(X), needs=(A2,))], ru.E(X),
                        "Lemma 1 (E monotone) with ||rho(X_i) - rho(X_j)|| <= ||X_i - X_j|| (A2)")
_n = 4


def _pairwise():
    n = _n
    lhs = sum(sum((_X[i, c] - _X[j, c])**2 for c in range(2)) for i in range(n) for j in range(n))
    lhs = lhs / (2 * n**2)
    xb = mean_row(_X)
    return [(lhs, fro2(Pi(n) * _X) / n), (lhs, fro2(_X) / n - fro2(xb))]


def _split():
    n = _n
    xb = mean_row(_X)
    return [(fro2(_X), fro2(Pi(n) * _X) + n * fro2(xb)),
            ((Pi(n) * _X).T * (J(n) * _X), sp.zeros(2, 2))]


_c = sp.Matrix(sp.symbols("c_0 c_1", real=True))


def _centring():
    n = _n
    xb = mean_row(_X)
    return fro2(_X - ones(n) * _c.T), fro2(Pi(n) * _X) + n * fro2(xb - _c)


def _centring_min():
    n = _n
    xb = mean_row(_X)
    # min over c: ||Pi X||^2 <= ||Pi X||^2 + n ||xbar - c||^2 (every real c)
    return fro2(Pi(n) * _X), fro2(Pi(n) * _X) + n * fro2(xb - _c), {}


def _nonexpansive_exact():
    rng = random.Random(3)
    out = []
    for _ in range(6):
        X = ex.rational_matrix(4, 2, rng)
        Z = X.applyfunc(lambda v: min(max(v, -1), 1))  # clipping: ||Z_i - Z_j|| <= ||X_i - X_j||
        out.append((ex.E(Z), ex.E(X)))
    return out


def _nonexpansive_floats():
    def f(inst):
        P, lam, X, B, W = inst
        r = max(float(np.max(np.linalg.norm(X, axis=1))) * 0.5, 1e-12)
        nrm = np.linalg.norm(X, axis=1, keepdims=True)
        Z = X * np.minimum(1.0, r / np.maximum(nrm, 1e-300))  # projection on a ball
        yield fl.Ef(Z), fl.Ef(X)
    return collect(fl.matrix_instances(), f)


_x1, _c1 = al.matrix("x"), al.matrix("c")
_Z, _dZ, _dX = al.matrix("Z"), sp.Function("d_Z", nonnegative=True), sp.Function("d_X", nonnegative=True)
_i, _j = sp.symbols("i j", integer=True)
MONOTONE_PREMISE = "||Z_i - Z_j|| <= ||X_i - X_j|| for all i, j"


def pairwise_check():
    """Lemma 1 for every n: the double sum (one column; columns add) and the Gram form of ``||Pi x||^2``."""
    S1, S2 = al.power_sum(1), al.power_sum(2)
    pair = al.double_sum_identity(lambda: ((al.a_i - al.a_j)**2 / (2 * al.n**2), (S2 - S1**2 / al.n) / al.n),
                                  "one column a of X; (1/n)||Pi a||^2 = (1/n)(S_2 - S_1^2/n)")
    gram = al.all_sizes_identity(lambda: (al.transpose(ru.PI * _x1) * (ru.PI * _x1),
                                          al.transpose(_x1) * _x1 - al.transpose(_x1) * al.ONE * al.ONE_T * _x1 / al.n),
                                 rules=(), detail="||Pi x||^2 = x^T x - (1^T x)^2 / n")
    return ru.AllOf(pair, gram)


def _split_all():
    X = _Xa
    return [(al.transpose(X) * X, al.transpose(ru.PI * X) * (ru.PI * X) + al.n * al.mean(X) * al.transpose(al.mean(X))),
            (al.transpose(ru.PI * X) * al.matrix("J") * X, 0)]


def _centring_all():
    X, c = _Xa, _c1
    d = al.mean(X) - c
    lhs = al.transpose(X - al.ONE * al.transpose(c)) * (X - al.ONE * al.transpose(c))
    return lhs, al.transpose(ru.PI * X) * (ru.PI * X) + al.n * d * al.transpose(d)


def _min_scalar():
    a, b = sp.symbols("a b", nonnegative=True)  # a = ||Pi X||^2, b = ||xbar - c||^2
    return a, a + al.n * b, {}


def monotone_chain():
    """``E(Z) <= E(X)`` when ``||Z_i - Z_j|| <= ||X_i - X_j||`` for all i, j (rules, any n)."""
    sumZ = sp.Sum(_dZ(_i, _j)**2, (_i, 1, al.n), (_j, 1, al.n))
    sumX = sp.Sum(_dX(_i, _j)**2, (_i, 1, al.n), (_j, 1, al.n))
    return ru.RuleChain(ru.E(_Z), [
        ru.cite("E^2 identity", ru.E(_Z), sp.sqrt(sumZ / (2 * al.n**2)), equal=True),
        ("termwise sum", sumZ, {"small": _dZ(_i, _j), "large": _dX(_i, _j), "premise": MONOTONE_PREMISE}),
        ru.cite("E^2 identity", sp.sqrt(sumX / (2 * al.n**2)), ru.E(_Xa), equal=True)], ru.E(_Xa),
        "d_Z(i, j) = ||Z_i - Z_j||, d_X(i, j) = ||X_i - X_j||")


def lemma1_proof() -> Proof:
    """Lemma 1 (pairwise identity)."""
    h = ("X in R^{n x d}", MONOTONE_PREMISE) + SETTING
    steps = (
        Step("pairwise", "(1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2 = (1/n)||X||_F^2 - ||xbar||^2",
             uses=("X in R^{n x d}", "J, Pi", "xbar"), introduces=("E^2 identity",),
             reason="expand the squares: sum_ij ||X_i - X_j||^2 = 2n||X||_F^2 - 2||sum_i X_i||^2",
             check=pairwise_check(),
             also=(symbolic_identity(_pairwise, "generic 4 x 2 matrix of real symbols"),),
             latex=r"\frac{1}{2n^2}\sum_{i,j}\|X_i-X_j\|^2=\frac1n\|\Pi X\|_F^2=\frac1n\|X\|_F^2-\|\bar x\|^2"),
        Step("orthogonal split", "||X||_F^2 = ||Pi X||_F^2 + n||xbar||^2, since <Pi X, J X>_F = 0",
             uses=("J, Pi", "xbar"), introduces=("norm split",),
             reason="J X = 1 xbar^T and Pi J = 0 (traces of the Gram identity)",
             check=al.all_sizes_identity(_split_all, rules=(), detail="Gram matrices, any n, d"),
             also=(symbolic_identity(_split, "generic 4 x 2 matrix"),),
             latex=r"\|X\|_F^2=\|\Pi X\|_F^2+n\|\bar x\|^2"),
        Step("centring", "||X - 1c^T||_F^2 = ||Pi X||_F^2 + n||xbar - c||^2 for every c",
             uses=("norm split",), introduces=("centring identity",),
             reason="X - 1c^T = Pi X + 1(xbar - c)^T, orthogonal parts (traces of the Gram identity)",
             check=al.all_sizes_identity(_centring_all, rules=(), detail="Gram matrices, any n, d, c")),
        Step("minimum", "(1/n)||Pi X||_F^2 = min_c (1/n)||X - 1c^T||_F^2 (attained at c = xbar)",
             uses=("centring identity",), introduces=("E_min",),
             reason="the extra term n||xbar - c||^2 is a sum of squares",
             check=scalar_inequality(_min_scalar, "a = ||Pi X||^2, b = ||xbar - c||^2 >= 0, n > 0")),
        Step("monotone", "if ||Z_i - Z_j|| <= ||X_i - X_j|| for all i, j then E(Z) <= E(X)",
             uses=("E^2 identity", MONOTONE_PREMISE), introduces=("E monotone",),
             reason="E(.)^2 is the pairwise sum, term by term",
             check=monotone_chain(),
             also=(on_instances("<=", exact=_nonexpansive_exact, floats=_nonexpansive_floats,
                                detail="Z = entrywise clip (exact) / row projection on a ball (floats)"),)),
    )
    return Proof("lemma1", h, steps, ("E^2 identity", "norm split", "E_min", "E monotone"))
