"""Proof of Lemma 2 (contractions), ``docs/theory.md``.

Under (A1), ``E(P^m X) <= lambda^m E(X)``, ``E(XW) <= ||W||_2 E(X)``, ``E(rho(X)) <= E(X)`` and the
norm facts (e).

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(lemma2_proof()).passed
True
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from . import _exact as ex
from . import _floats as fl
from ._common import A1, A1P, A2, A2A, P3, P_p, SETTING, J, Pi, collect, mat, mean_row, ones, p_
from . import algebra as al
from . import rules as ru
from .checks import exact_witness, on_instances, symbolic_identity
from .framework import Proof, Step
from .lemma1 import _activation_check
from .lemma3 import _Pa, _Xa
from backsmooth.symbolic.symbols import m as _m  # the paper's symbols: one home

__all__ = ["lemma2_proof"]


def _commute():
    P = P3
    return [(P * J(3), J(3)), (J(3) * P, J(3)), (Pi(3) * P, P * Pi(3)), (ones(3).T * P, ones(3).T)]


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
        ru.cite("induction hypothesis", ru.Spec(_Pm * ru.PI), ru.lam**_m)],
        ru.lam**(_m + exponent_shift), "P^(m+1) Pi = (P Pi)(P^m Pi)")
    return ru.ByInduction("m", base, step)


def power_chain():
    """``E(P^m X) <= lambda^m E(X)`` by rules."""
    return ru.RuleChain(ru.E(_Pm * _Xa), [
        ("E definition", ru.E(_Pm * _Xa), {}),
        ("identity", ru.Fro(ru.PI * _Pm * _Xa), {"to": _Pm * ru.PI * ru.PI * _Xa, "rewrites": POWER_RULES}),
        ("submultiplicative", ru.Fro(_Pm * ru.PI * ru.PI * _Xa), {"split": 2, "pair": "2,F"}),
        ru.cite("||P^m Pi|| <= lambda^m", ru.Spec(_Pm * ru.PI), ru.lam**_m),
        ("E definition", ru.Fro(ru.PI * _Xa), {})], ru.lam**_m * ru.E(_Xa))


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
