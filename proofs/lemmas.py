"""Proofs of Lemma 1 (pairwise identity), Lemma 2 (contractions), Lemma 3 (gradient split)
and the mean propagation of backward signals (``docs/theory.md``).

Lemma 1: ``(1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2 = (1/n)||X||_F^2 - ||xbar||^2
= min_c (1/n)||X - 1c^T||_F^2``.  Lemma 2: under (A1), ``E(P^m X) <= lambda^m E(X)``,
``E(XW) <= ||W||_2 E(X)``, ``E(rho(X)) <= E(X)`` and the norm facts (e).  Lemma 3:
``X^T P B = n xbar bbar^T + (Pi X)^T P (Pi B)`` with remainder ``<= lambda n E(X) E(B)``.
Mean propagation (linear GNN): ``bbar^(k) = W^(k+1) bbar^(k+1)``, so ``||bbar^(k)|| <= S_k mu``.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(lemma1_proof(), context={}).passed
True
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import (A1, A1P, A2, A2A, A3, LINEAR, P3, P_p, SETTING, J, Pi, collect,
                                       fro2, mat, mean_row, ones, registry_identity, p_)
from . import algebra as al
from . import rules as ru
from .checks import (exact_witness, on_instances, scalar_identity, scalar_inequality,
                                     symbolic_identity, symbolic_inequality)
from .framework import Proof, Step

__all__ = ["lemma1_proof", "lemma2_proof", "lemma3_proof", "mean_propagation_proof"]

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


# ---------------------------------------------------------------- Lemma 2
def _commute():
    P = P3
    return [(P * J(3), J(3)), (J(3) * P, J(3)), (Pi(3) * P, P * Pi(3)), (ones(3).T * P, ones(3).T)]


_m = sp.Symbol("m", integer=True, nonnegative=True)


def _spectral_power():
    # P_p = J + (1-2p) u u^T with u = (1,-1)/sqrt 2:  P_p^m = J + (1-2p)^m u u^T, m symbolic
    u = sp.Matrix([1, -1]) / sp.sqrt(2)
    P = sp.Matrix(P_p)
    return P**_m, J(2) + (1 - 2 * p_)**_m * u * u.T


def _mean_row_PX():
    X = mat("x", 3, 2)
    W = mat("w", 2, 3)
    return [(mean_row(P3 * X), mean_row(X)), (mean_row(X * W), W.T * mean_row(X))]


def _power_floats():
    def f(inst):
        P, lam, X, B, W = inst
        Y = X
        for m in range(4):
            yield fl.Ef(Y), lam**m * fl.Ef(X), fl.Ef(X) + 1e-300
            Y = P @ Y
    return collect(fl.matrix_instances(), f)


def _power_exact():
    rng = random.Random(5)
    out = []
    for P, lam in ex.rational_propagations(False):
        X = ex.rational_matrix(P.shape[0], 2, rng)
        Y = sp.Matrix(X)
        for m in range(3):
            out.append((ex.E(Y), lam**m * ex.E(X)))
            Y = P * Y
    return out


def _weights_floats():
    def f(inst):
        P, lam, X, B, W = inst
        yield fl.Ef(X @ W), np.linalg.norm(W, 2) * fl.Ef(X), fl.Ef(X)
    return collect(fl.matrix_instances(), f)


def _weights_exact():
    rng = random.Random(6)
    out = []
    for d_in, d_out in [(1, 1), (2, 1), (1, 2), (2, 2), (2, 3), (3, 2)]:
        for kind in ("isometry", "svd"):
            sig = ex.R(rng.randint(1, 9), 4)
            W = ex.rational_weight(d_in, d_out, sig, rng, kind)
            X = ex.rational_matrix(4, d_in, rng)
            out.append((ex.E(X * W), sig * ex.E(X)))
    return out


def _activation_floats():
    def f(inst):
        P, lam, X, B, W = inst
        for rho in fl.ACTS[:4]:
            yield fl.Ef(rho.function(3 * X)), fl.Ef(3 * X), fl.Ef(X)
    return collect(fl.matrix_instances(), f)


def _activation_exact():
    rng = random.Random(7)
    out = []
    for _ in range(5):
        X = ex.rational_matrix(4, 2, rng)
        for rho in ("relu", "softsign"):
            out.append((ex.E(X.applyfunc(ex.RHO[rho][0])), ex.E(X)))
    return out


def _norms_floats():
    def f(inst):
        P, lam, X, B, W = inst
        sc = np.linalg.norm(X)
        yield np.linalg.norm(P @ X), np.linalg.norm(X), sc
        yield np.linalg.norm(np.tanh(X)), np.linalg.norm(X), sc
        yield fl.rowf(X @ W), fl.rowf(X) * np.linalg.norm(W, 2), sc
        D = np.cos(X)  # |D_ij| <= 1
        yield fl.rowf(D * X), fl.rowf(X), sc
    return collect(fl.matrix_instances(), f)


def _row_stochastic_floats():
    def f(inst):
        P, lam, X, B, W = inst
        yield fl.rowf(P @ X), fl.rowf(X), fl.rowf(X)
    return collect(fl.matrix_instances(stochastic=True), f)


def _norms_exact():
    rng = random.Random(8)
    out = []
    for P, lam in ex.rational_propagations(True):
        X = ex.rational_matrix(P.shape[0], 2, rng)
        out += [(ex.fro(P * X), ex.fro(X)), (ex.row_norm(P * X), ex.row_norm(X)),
                (ex.fro(X.applyfunc(ex.RHO["softsign"][0])), ex.fro(X))]
    return out


def _spectral_warning():
    # A = [[1,1],[1,-1]]: ||A||_2 = sqrt 2 < golden ratio = ||relu(A)||_2 (exact eigenvalues)
    A = sp.Matrix([[1, 1], [1, -1]])
    RA = A.applyfunc(lambda v: max(v, 0))
    nA = sp.sqrt(max((A.T * A).eigenvals()))
    nRA = sp.sqrt(max((RA.T * RA).eigenvals(), key=lambda e: sp.N(e)))
    return nA, nRA, {}


_m_ = sp.Symbol("m", integer=True, nonnegative=True)
_Pm = al.matrix("P^m")
_POWERS = "P^m 1 = 1, 1^T P^m = 1^T"
#: the proved power facts as rewrite rules (hypothesis: the step that proves them)
POWER_RULES = (al.Rewrite("P^m 1 = 1", (_Pm, al.ONE), (al.ONE,), 1, _POWERS),
               al.Rewrite("1^T P^m = 1^T", (al.ONE_T, _Pm), (al.ONE_T,), 1, _POWERS))
#: the same facts for proofs that cite Lemma 2, with (P^m)^T = P^m (from P^T = P, (A1))
POWER_RULES_CITED = (al.Rewrite("P^m 1 = 1 (Lemma 2)", (_Pm, al.ONE), (al.ONE,), 1, "lemma2"),
                     al.Rewrite("1^T P^m = 1^T (Lemma 2)", (al.ONE_T, _Pm), (al.ONE_T,), 1, "lemma2"),
                     al.Rewrite("(P^m)^T = P^m (A1)", (al.matrix("P^m^T"),), (_Pm,), 1, A1))


def _commute_all():
    J_, PI = al.matrix("J"), ru.PI
    return [(_Pa * J_, J_), (J_ * _Pa, J_), (PI * _Pa, _Pa * PI), (al.ONE_T * _Pa, al.ONE_T)]


def _means_all():
    Wd = al.matrix("W")
    return [(al.mean(_Pa * _Xa), al.mean(_Xa)), (al.mean(_Xa * Wd), al.transpose(Wd) * al.mean(_Xa))]


def powers_check():
    """``P^m 1 = 1`` and ``1^T P^m = 1^T`` for every m (induction, P^(m+1) = P P^m)."""
    ih = (al.Rewrite("induction hypothesis P^m 1 = 1", (_Pm, al.ONE), (al.ONE,)),
          al.Rewrite("induction hypothesis 1^T P^m = 1^T", (al.ONE_T, _Pm), (al.ONE_T,)))
    return al.induction("m", lambda: [(al.ONE, al.ONE), (al.ONE_T, al.ONE_T)],
                        lambda: [(_Pa * _Pm * al.ONE, al.ONE), (al.ONE_T * _Pa * _Pm, al.ONE_T)],
                        None, rules=tuple(al.A1_RULES) + ih, detail="P^0 = I, P^(m+1) = P P^m")


def spectral_power_check(exponent_shift=1):
    """``||P^m Pi||_2 <= lambda^m`` for every m, by induction (rules)."""
    base = ru.RuleChain(ru.Spec(ru.PI), [("contraction", ru.Spec(ru.PI), {})], 1, "m = 0: ||Pi||_2 = 1")
    step = ru.RuleChain(ru.Spec(_Pa * _Pm * ru.PI), [
        ("identity", ru.Spec(_Pa * _Pm * ru.PI), {"to": _Pa * ru.PI * _Pm * ru.PI, "rewrites": POWER_RULES}),
        ("submultiplicative", ru.Spec(_Pa * ru.PI * _Pm * ru.PI), {"split": 2, "pair": "2,2"}),
        ("spectral gap (A1)", ru.Spec(_Pa * ru.PI), {}),
        ru.cite("induction hypothesis", ru.Spec(_Pm * ru.PI), ru.lam**_m_)],
        ru.lam**(_m_ + exponent_shift), "P^(m+1) Pi = (P Pi)(P^m Pi)")
    return ru.ByInduction("m", base, step)


def power_chain():
    """``E(P^m X) <= lambda^m E(X)`` by rules."""
    return ru.RuleChain(ru.E(_Pm * _Xa), [
        ("E definition", ru.E(_Pm * _Xa), {}),
        ("identity", ru.Fro(ru.PI * _Pm * _Xa), {"to": _Pm * ru.PI * ru.PI * _Xa, "rewrites": POWER_RULES}),
        ("submultiplicative", ru.Fro(_Pm * ru.PI * ru.PI * _Xa), {"split": 2, "pair": "2,F"}),
        ru.cite("||P^m Pi|| <= lambda^m", ru.Spec(_Pm * ru.PI), ru.lam**_m_),
        ("E definition", ru.Fro(ru.PI * _Xa), {})], ru.lam**_m_ * ru.E(_Xa))


def weights_chain():
    """``E(X W) <= ||W||_2 E(X)`` by rules."""
    Wd = al.matrix("W")
    return ru.RuleChain(ru.E(_Xa * Wd), [
        ("E definition", ru.E(_Xa * Wd), {}),
        ("submultiplicative", ru.Fro(ru.PI * _Xa * Wd), {"split": 2, "pair": "F,2"}),
        ("E definition", ru.Fro(ru.PI * _Xa), {})], ru.Spec(Wd) * ru.E(_Xa))


def norms_checks():
    """Lemma 2(e): four rule chains."""
    Wd, D = al.matrix("W"), al.matrix("D_rho'(H)")
    rX = al.matrix("rho(X)")
    return ru.AllOf(
        ru.RuleChain(ru.Fro(_Pa * _Xa), [("submultiplicative", ru.Fro(_Pa * _Xa), {"split": 1, "pair": "2,F"}),
                                         ("contraction", ru.Spec(_Pa), {})], ru.Fro(_Xa)),
        ru.RuleChain(ru.Fro(rX), [("|rho(x)| <= |x| (A2, A2a)", ru.Fro(rX), {})], ru.Fro(_Xa)),
        ru.RuleChain(ru.Row(_Xa * Wd), [("submultiplicative", ru.Row(_Xa * Wd), {"split": 1, "pair": "row,2"})],
                     ru.Row(_Xa) * ru.Spec(Wd)),
        ru.RuleChain(ru.Row(ru.Had(D, _Xa)), [("hadamard", ru.Row(ru.Had(D, _Xa)), {}),
                                              ("|rho'| <= 1 (A2)", ru.Max(D), {})], ru.Row(_Xa)))


def row_contraction_chain():
    """``||P X||_row <= ||P||_inf ||X||_row <= ||X||_row`` (A1, A1+)."""
    return ru.RuleChain(ru.Row(_Pa * _Xa), [("submultiplicative", ru.Row(_Pa * _Xa), {"split": 1, "pair": "inf,row"}),
                                            ("contraction", ru.Inf(_Pa), {})], ru.Row(_Xa))


ACTIVATION_CHECK = _activation_check()


def lemma2_proof() -> Proof:
    """Lemma 2 (P contracts the centred part by lambda; other contractions)."""
    h = (A1, A1P, A2, A2A, "X in R^{n x d}", "W in R^{d x d'}") + SETTING
    steps = (
        Step("(a) commute", "PJ = JP = J, Pi P = P Pi, 1^T P = 1^T",
             uses=(A1, "J, Pi"), introduces=("PJ=J",),
             reason="P = P^T and P 1 = 1",
             check=al.all_sizes_identity(_commute_all, detail="any n"),
             also=(symbolic_identity(_commute, "general symmetric 3 x 3 P with P1 = 1 (3 free parameters)"),)),
        Step("(a) means", "mean row of PX is xbar; mean row of XW is W^T xbar",
             uses=("PJ=J", "xbar", A1), introduces=("mean rows",),
             reason="1^T P = 1^T",
             check=al.all_sizes_identity(_means_all, detail="any n, any widths")),
        Step("powers", "P^m 1 = 1 and 1^T P^m = 1^T for every m >= 0",
             uses=(A1, "PJ=J"), introduces=(_POWERS,),
             reason="induction on m: P^(m+1) 1 = P (P^m 1) = P 1 = 1",
             check=powers_check()),
        Step("spectral powers", "||P^m Pi||_2 <= lambda^m for every m >= 0",
             uses=(A1, "PJ=J", _POWERS), introduces=("||P^m Pi|| <= lambda^m",),
             reason="P^(m+1) Pi = (P Pi)(P^m Pi) (Pi commutes with P^m, Pi^2 = Pi); ||P Pi||_2 <= lambda; induct",
             check=spectral_power_check(),
             also=(symbolic_identity(_spectral_power, "general symmetric 2 x 2 P_p, symbolic exponent m"),)),
        Step("(b) power", "E(P^m X) <= lambda^m E(X)",
             uses=("||P^m Pi|| <= lambda^m", "E(X)", _POWERS, A1), introduces=("lemma2(b)",),
             reason="Pi P^m X = (P^m Pi)(Pi X)",
             check=power_chain(),
             also=(on_instances("<=", exact=_power_exact, floats=_power_floats,
                                detail="m = 0..3; Hadamard-spectrum / flat / signed P incl. lambda = 0.99, -lambda"),)),
        Step("(c) weights", "E(XW) <= ||W||_2 E(X)",
             uses=("mean rows", "E(X)"), introduces=("lemma2(c)",),
             reason="Pi X W = (Pi X) W and ||AW||_F <= ||A||_F ||W||_2",
             check=weights_chain(),
             also=(on_instances("<=", exact=_weights_exact, floats=_weights_floats,
                                detail="rational W with exact spectral norm (Cayley isometries, U diag V^T); widths 1..3"),)),
        Step("(d) activation", "E(rho(X)) <= E(X) for rho 1-Lipschitz",
             uses=(A2, "lemma1"), introduces=("lemma2(d)",),
             reason="||rho(X_i) - rho(X_j)|| <= ||X_i - X_j||, then Lemma 1 (monotone)",
             check=ACTIVATION_CHECK,
             also=(on_instances("<=", exact=_activation_exact, floats=_activation_floats,
                                detail="relu, softsign (exact); tanh, arctan, sin, softsign (floats)"),)),
        Step("(e) norms", "||PX||_F <= ||X||_F; ||rho(X)||_F <= ||X||_F (A2a); ||XW||_row <= ||X||_row ||W||_2; "
             "||D o X||_row <= ||X||_row for D = rho'(H) (|D_ij| <= 1)",
             uses=(A1, A2, A2A, "norms"), introduces=("lemma2(e)",),
             reason="||P||_2 = 1; |rho(x)| <= |x|; row i of XW is W^T X_i",
             check=norms_checks(),
             also=(on_instances("<=", exact=_norms_exact, floats=_norms_floats,
                                detail="signed and stochastic P"),)),
        Step("(e) row norm", "||PX||_row <= ||X||_row under (A1+)",
             uses=(A1, A1P, "norms"), introduces=("row contraction",),
             reason="row i of PX is a convex combination of rows of X",
             check=row_contraction_chain(),
             also=(on_instances("<=", floats=_row_stochastic_floats,
                                detail="stochastic P only (exact cases are in step (e) norms)"),)),
        Step("warning", "entrywise contraction does not contract ||.||_2: ||relu(A)||_2 > ||A||_2 for A = [[1,1],[1,-1]]",
             uses=("norms",), introduces=("use Frobenius",),
             reason="exact eigenvalues: sqrt(2) < (1 + sqrt 5)/2",
             check=exact_witness(_spectral_warning, "exact algebraic numbers")),
    )
    return Proof("lemma2", h, steps, ("lemma2(b)", "lemma2(c)", "lemma2(d)", "lemma2(e)", "row contraction"))


# ---------------------------------------------------------------- Lemma 3
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


# ---------------------------------------------------------------- mean propagation
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


_s, _L, _k = sp.Symbol("s", positive=True), sp.Symbol("L", integer=True, positive=True), \
    sp.Symbol("k", integer=True, nonnegative=True)
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
                 lambda: sp.Symbol("S_k") * sp.Symbol("mu")))),
    )
    return Proof("mean_propagation", h, steps, ("mean recursion", "product bound", "uniform bound", "statement"))
