"""Proof of Proposition 1 (the backward mean follows the linearised recursion), ``docs/theory.md``.

``r_k := bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n)(R_k o G_k)^T 1``, ``||r_k|| <= c_rho E(H^(k))
||G_k||_max``; second order ``||r_k|| <= c_rho lambda s_(k+1) E(H^(k)) E(B^(k+1)) + (c_2/2)
||gbar_k||_inf E(H^(k))^2``; ``||bbar^(k)|| <= S_k (mu + c_rho lambda beta Sigma_k)``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _floats as fl
from ._common import (A1, A1P, A2, A2B, A2C, SETTING, backward_step_split, collect, mat, ones,
                      registry_identity)
from .checks import scalar_identity, on_instances, symbolic_identity
from .framework import Proof, Step
from .theorem2 import layer_quantities
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["proposition1_proof"]

def _residual_identity():
    q = backward_step_split()
    bk, b1 = q["Bk"].T * ones(3) / 3, q["B1"].T * ones(3) / 3
    return bk - q["D"] * q["W"] * b1, sp.matrix_multiply_elementwise(q["R"], q["G"]).T * ones(3) / 3


def _unrolled_identity():
    # b_k = A_k b_{k+1} + r_k for k = 0, 1, 2 (L = 3): b_0 = N_0 b_3 + r_0 + A_0 r_1 + A_0 A_1 r_2
    A = [mat(f"a{i}", 2, 2) for i in range(3)]
    r = [mat(f"r{i}", 2, 1) for i in range(3)]
    b3 = mat("b3", 2, 1)
    b = b3
    for i in (2, 1, 0):
        b = A[i] * b + r[i]
    return b, A[0] * A[1] * A[2] * b3 + r[0] + A[0] * r[1] + A[0] * A[1] * r[2]


def _first_order_floats():
    def f(net):
        lamv, s_ = net["lam"], net["s"]
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            B, B1, H, X = net["B"][kk], net["B"][kk + 1], net["H"][kk], net["X"][kk]
            r = B.mean(0) - q["D"] @ net["W"][kk + 1] @ B1.mean(0)
            sc = np.linalg.norm(B) + np.linalg.norm(q["G"])
            yield np.linalg.norm(r), q["c"] * fl.Ef(H) * np.abs(q["G"]).max(), sc
            yield np.linalg.norm(r), q["c"] * lamv * s_[kk] * s_[kk + 1] * fl.Ef(X) * fl.rowf(B1), sc
    return collect(fl.network_instances(), f)


def _second_order_floats():
    def f(net):
        rho = net["rho"]
        c2 = rho.second_derivative_lipschitz
        if not np.isfinite(c2):
            return
        lamv, s_ = net["lam"], net["s"]
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            B, B1, H = net["B"][kk], net["B"][kk + 1], net["H"][kk]
            r = B.mean(0) - q["D"] @ net["W"][kk + 1] @ B1.mean(0)
            gbar = net["W"][kk + 1] @ B1.mean(0)
            rhs = q["c"] * lamv * s_[kk + 1] * fl.Ef(H) * fl.Ef(B1) + c2 / 2 * np.abs(gbar).max() * fl.Ef(H)**2
            yield np.linalg.norm(r), rhs, np.linalg.norm(B) + np.linalg.norm(q["G"])
    return collect(fl.network_instances(), f)


def _mean_floats():
    def f(net):
        lamv, s_, L_, B, X = net["lam"], net["s"], net["L"], net["B"], net["X"]
        c = net["rho"].derivative_lipschitz
        beta_, mu_ = fl.rowf(B[L_]), np.linalg.norm(B[L_].mean(0))
        for kk in range(L_ + 1):
            Sk = float(np.prod(s_[kk + 1:]))
            Sig = sum(s_[jj] * fl.Ef(X[jj]) for jj in range(kk, L_))
            N = np.eye(B[L_].shape[1])
            for jj in range(L_ - 1, kk - 1, -1):
                N = np.diag(net["rho"].derivative(net["H"][jj].mean(0))) @ net["W"][jj + 1] @ N
            sc = np.linalg.norm(B[L_]) * max(Sk, 1)
            yield np.linalg.norm(B[kk].mean(0) - N @ B[L_].mean(0)), c * lamv * beta_ * Sk * Sig, sc
            yield np.linalg.norm(B[kk].mean(0)), Sk * (mu_ + c * lamv * beta_ * Sig), sc
    return collect(fl.network_instances(), f)


def _residual_all():
    from . import algebra as al
    from .rules import Had

    P, B1, W1 = al.matrix("P"), al.matrix("B^(k+1)"), al.matrix("W^(k+1)")
    D, R = al.matrix("D_k"), al.matrix("R_k")
    G = P * B1 * al.transpose(W1)
    RG = Had(R, G)
    # B^(k) = G D + R o G (Theorem 2 (i)); D = D^T (diagonal)
    return al.mean(G * D + RG) - D * W1 * al.mean(B1), al.transpose(RG) * al.ONE / al.n


def residual_check():
    """(i) for every size: ``bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n)(R_k o G_k)^T 1``."""
    from . import algebra as al

    diag = al.Rewrite("D_k^T = D_k (diagonal)", (al.matrix("D_k^T"),), (al.matrix("D_k"),))
    return al.all_sizes_identity(_residual_all, tuple(al.A1_RULES) + (diag,),
                                 "B^(k) = G_k D_k + R_k o G_k (Theorem 2 (i)), any n, widths")


def unrolled_check():
    """(iii) ``b_k = N_k b_L + sum_j N_k^(j) r_j`` for every depth, by induction on L - k."""
    from . import algebra as al

    A, b1, bL, N1, S1, N0, S0 = (al.matrix(x) for x in ("A_k", "b_(k+1)", "b_L", "N_(k+1)", "Sum_(k+1)",
                                                          "N_k", "Sum_k"))
    r = al.matrix("r_k")
    ih = al.Rewrite("induction hypothesis b_(k+1) = N_(k+1) b_L + Sum_(k+1)", (b1,), (N1, bL))
    # b_(k+1) = N_(k+1) b_L + Sum_(k+1): the rewrite handles the first term, the sum is added explicitly
    return al.induction("L - k", lambda: (bL, bL),
                        lambda: (A * (N1 * bL + S1) + r, (A * N1) * bL + (A * S1 + r)), None, rules=(),
                        detail="N_k = A_k N_(k+1) (N_L = I), Sum_k = A_k Sum_(k+1) + r_k (Sum_L = 0), "
                               "A_k = D_k W^(k+1)")


def first_order_chain():
    """(i) bound for every size: ``||r_k|| <= c_rho E(H) ||G||_max <= c_rho lambda s_k s_(k+1) E(X) ||B^(k+1)||_row``."""
    from . import algebra as al
    from . import rules as ru

    P, B1, W1 = al.matrix("P"), al.matrix("B^(k+1)"), al.matrix("W^(k+1)")
    R, H, X = al.matrix("R_k"), al.matrix("H^(k)"), al.matrix("X^(k)")
    W1T = al.transpose(W1)
    G = P * B1 * W1T
    RG = ru.Had(R, G)
    r = al.transpose(RG) * al.ONE / al.n
    sk, sk1 = sp.Symbol("s_k", positive=True), sp.Symbol("s_k+1", positive=True)
    links = [
        ("homogeneity", ru.Fro(r), {}),
        ("Cauchy-Schwarz (column sums)", ru.Fro(al.transpose(RG) * al.ONE), {}),
        ("hadamard", ru.Fro(RG), {}),
        ("Lipschitz rho' (A2b)", ru.Fro(R), {"H": H}),
        ("E definition", ru.Fro(ru.PI * H), {}),
        ru.cite("theorem1", ru.E(H), ru.lam * sk * ru.E(X)),
        ("norm comparison", ru.Max(G), {}),
        ("submultiplicative", ru.Row(G), {"split": 1, "pair": "inf,row"}),
        ("contraction", ru.Inf(P), {}),
        ("submultiplicative", ru.Row(B1 * W1T), {"split": 1, "pair": "row,2"}),
        ("weight norm", ru.Spec(W1T), {"k": "k+1"})]
    return ru.RuleChain(ru.Fro(r), links, ru.c_rho * ru.lam * sk * sk1 * ru.E(X) * ru.Row(B1),
                        "r_k = (1/n)(R_k o G_k)^T 1 (step (i) residual)")


def second_order_chain():
    """(ii) for every size: ``||r_k|| <= c_rho lambda s_(k+1) E(H) E(B^(k+1)) + (c_2/2) ||gbar_k||_inf E(H)^2``.

    ``G = 1 gbar^T + Pi G`` splits ``r_k = (1/n)(R o G)^T 1``: the constant-row part is
    ``diag(gbar) R^T 1 / n`` (second-order Taylor on the column sums of ``R``), the centred part is
    bounded by Cauchy-Schwarz per column, ``||R||_F`` (A2b) and ``||Pi G||_F <= lambda s_(k+1) ||Pi B^(k+1)||_F``.
    """
    from . import algebra as al
    from . import rules as ru
    from .rules_columns import c_2

    P, B1, W1 = al.matrix("P"), al.matrix("B^(k+1)"), al.matrix("W^(k+1)")
    R, H = al.matrix("R_k"), al.matrix("H^(k)")
    W1T, one, Pi = al.transpose(W1), al.ONE, ru.PI
    G = P * B1 * W1T
    gbar = al.mean(G)
    mean_part, centred = ru.Had(R, one * al.transpose(gbar)), ru.Had(R, Pi * G)

    def colsum(X):
        return al.transpose(X) * one

    r = colsum(ru.Had(R, G)) / al.n
    links = [
        ("homogeneity", ru.Fro(r), {}),
        ("hadamard split", ru.Fro(colsum(ru.Had(R, G))), {"parts": (one * al.transpose(gbar), Pi * G)}),
        ("triangle", ru.Fro(colsum(mean_part) + colsum(centred)), {}),
        ("hadamard (constant rows)", ru.Fro(colsum(mean_part)), {"g": gbar}),
        ("identity", ru.Inf(gbar), {"to": W1 * al.mean(B1)}),
        ("second-order Taylor (A2c)", ru.Fro(colsum(R)), {"H": H}),
        ("Cauchy-Schwarz (column inner products)", ru.Fro(colsum(centred)), {}),
        ("Lipschitz rho' (A2b)", ru.Fro(R), {"H": H}),
        ("identity", ru.Fro(Pi * G), {"to": P * Pi * Pi * B1 * W1T}),
        ("submultiplicative", ru.Fro(P * Pi * Pi * B1 * W1T), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(P * Pi), {}),
        ("submultiplicative", ru.Fro(Pi * B1 * W1T), {"split": 2, "pair": "F,2"}),
        ("weight norm", ru.Spec(W1T), {"k": "k+1"}),
        ("E definition", ru.Fro(Pi * B1), {}),
        ("E definition", ru.Fro(Pi * H), {})]
    sk1 = sp.Symbol("s_k+1", positive=True)
    target = ru.c_rho * ru.lam * sk1 * ru.E(H) * ru.E(B1) + c_2 / 2 * ru.Inf(W1 * al.mean(B1)) * ru.E(H)**2
    return ru.RuleChain(ru.Fro(r), links, target, "gbar_k = W^(k+1) bbar^(k+1), the mean row of G_k")


_S = {x: sp.Symbol(x, positive=True) for x in ("S_k", "S_k+1", "S_L", "s_k", "s_k+1", "beta", "mu")}
_SIG = {x: sp.Symbol(x, nonnegative=True) for x in ("Sigma_k", "Sigma_k+1", "Sigma_L")}


def _letters():
    from . import algebra as al

    return {x: al.matrix(x) for x in ("b_k", "b_(k+1)", "b_L", "N_k", "N_(k+1)", "N_L", "D_k", "W^(k+1)",
                                      "r_k", "B^(k+1)", "X^(k)", "I")}


def n_norm_check():
    """``||N_k||_2 <= S_k`` by induction on ``L - k`` (``N_L = I``, ``N_k = D_k W^(k+1) N_(k+1)``)."""
    from . import rules as ru

    m = _letters()
    base = ru.RuleChain(ru.Spec(m["N_L"]), [
        ("rewrite", None, {"to": ru.Spec(m["I"]), "defs": {m["N_L"]: m["I"]}, "name": "N_L = I"}),
        ("contraction", ru.Spec(m["I"]), {}),
        ("rewrite", None, {"to": _S["S_L"], "defs": {_S["S_L"]: 1}, "name": "S_L = 1 (empty product)"})],
        _S["S_L"])
    DWN = m["D_k"] * m["W^(k+1)"] * m["N_(k+1)"]
    step = ru.RuleChain(ru.Spec(m["N_k"]), [
        ("rewrite", None, {"to": ru.Spec(DWN), "defs": {m["N_k"]: DWN}, "name": "N_k = D_k W^(k+1) N_(k+1)"}),
        ("submultiplicative", ru.Spec(DWN), {"split": 1, "pair": "2,2"}),
        ("|rho'| <= 1 (A2)", ru.Spec(m["D_k"]), {}),
        ("submultiplicative", ru.Spec(m["W^(k+1)"] * m["N_(k+1)"]), {"split": 1, "pair": "2,2"}),
        ("weight norm", ru.Spec(m["W^(k+1)"]), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Spec(m["N_(k+1)"]), _S["S_k+1"]),
        ("rewrite", None, {"to": _S["S_k"], "defs": {_S["S_k"]: _S["s_k+1"] * _S["S_k+1"]},
                           "name": "S_k = s_(k+1) S_(k+1)"})], _S["S_k"])
    return ru.ByInduction("L - k", base, step)


def mean_deviation_check():
    """(iii) ``||bbar^(k) - N_k bbar^(L)|| <= c_rho lambda beta S_k Sigma_k`` by induction on ``L - k``.

    Step: ``b_k - N_k b_L = D_k W^(k+1) (b_(k+1) - N_(k+1) b_L) + r_k`` (definitions of ``r_k`` and
    ``N_k``), triangle, the induction hypothesis, (i) and Theorem 2 (iv) ``||B^(k+1)||_row <= S_(k+1) beta``.
    """
    from . import rules as ru

    m = _letters()
    c, lam = ru.c_rho, ru.lam
    beta, Sk, Sk1, sk, sk1 = (_S[x] for x in ("beta", "S_k", "S_k+1", "s_k", "s_k+1"))
    Sig, Sig1 = _SIG["Sigma_k"], _SIG["Sigma_k+1"]
    base = ru.RuleChain(ru.Fro(m["b_L"] - m["N_L"] * m["b_L"]), [
        ("rewrite", None, {"to": c * lam * beta * _S["S_L"] * _SIG["Sigma_L"],
                           "defs": {m["N_L"]: 1, _SIG["Sigma_L"]: 0}, "name": "N_L = I, Sigma_L = 0 (empty sum)"})],
        c * lam * beta * _S["S_L"] * _SIG["Sigma_L"])
    A = m["D_k"] * m["W^(k+1)"]
    dev1 = m["b_(k+1)"] - m["N_(k+1)"] * m["b_L"]
    rec = A * dev1 + m["r_k"]
    step = ru.RuleChain(ru.Fro(m["b_k"] - m["N_k"] * m["b_L"]), [
        ("rewrite", None, {"to": ru.Fro(rec), "defs": {m["b_k"]: A * m["b_(k+1)"] + m["r_k"],
                                                         m["N_k"]: A * m["N_(k+1)"]},
                           "name": "b_k = D_k W^(k+1) b_(k+1) + r_k (residual), N_k = D_k W^(k+1) N_(k+1)"}),
        ("triangle", ru.Fro(rec), {"grouped": True}),
        ("submultiplicative", ru.Fro(A * dev1), {"split": 2, "pair": "2,F"}),
        ("submultiplicative", ru.Spec(A), {"split": 1, "pair": "2,2"}),
        ("|rho'| <= 1 (A2)", ru.Spec(m["D_k"]), {}),
        ("weight norm", ru.Spec(m["W^(k+1)"]), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Fro(dev1), c * lam * beta * Sk1 * Sig1),
        ru.cite("first order", ru.Fro(m["r_k"]), c * lam * sk * sk1 * ru.E(m["X^(k)"]) * ru.Row(m["B^(k+1)"])),
        ru.cite("theorem2", ru.Row(m["B^(k+1)"]), Sk1 * beta),
        ("rewrite", None, {"to": c * lam * beta * Sk * Sig,
                           "defs": {Sk: sk1 * Sk1, Sig: sk * ru.E(m["X^(k)"]) + Sig1},
                           "name": "S_k = s_(k+1) S_(k+1), Sigma_k = s_k E(X^(k)) + Sigma_(k+1)"})],
        c * lam * beta * Sk * Sig, "Theorem 2 (iv): ||B^(k+1)||_row <= S_(k+1) beta")
    return ru.ByInduction("L - k", base, step)


def mean_bound_chain():
    """(iv) ``||bbar^(k)|| <= ||N_k||_2 mu + ||bbar^(k) - N_k bbar^(L)|| <= S_k (mu + c_rho lambda beta Sigma_k)``."""
    from . import rules as ru

    m = _letters()
    c, lam = ru.c_rho, ru.lam
    beta, Sk, mu, Sig = _S["beta"], _S["S_k"], _S["mu"], _SIG["Sigma_k"]
    NbL = m["N_k"] * m["b_L"]
    return ru.RuleChain(ru.Fro(m["b_k"]), [
        ("triangle (split off)", ru.Fro(m["b_k"]), {"b": NbL}),
        ("submultiplicative", ru.Fro(NbL), {"split": 1, "pair": "2,F"}),
        ru.cite("N_k norm", ru.Spec(m["N_k"]), Sk),
        ("rewrite", None, {"to": Sk * mu + ru.Fro(m["b_k"] - NbL), "defs": {ru.Fro(m["b_L"]): mu},
                           "name": "mu = ||bbar^(L)||"}),
        ru.cite("mean deviation", ru.Fro(m["b_k"] - NbL), c * lam * beta * Sk * Sig)],
        Sk * (mu + c * lam * beta * Sig))


def proposition1_proof() -> Proof:
    """Proposition 1 (backward mean follows the linearised recursion)."""
    h = (A1, A1P, A2, A2B, A2C) + SETTING
    steps = (
        Step("(i) residual", "r_k = bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n)(R_k o G_k)^T 1",
             uses=("theorem2", "lemma2", A1), introduces=("residual",),
             reason="mean of G_k D_k is gbar_k^T D_k and gbar_k = W^(k+1) bbar^(k+1) (1^T P = 1^T)",
             check=residual_check(),
             also=(symbolic_identity(_residual_identity, "symmetric stochastic 3 x 3 P, generic H, B, W, rho'"),)),
        Step("(i) bound", "||r_k|| <= c_rho E(H^(k)) ||G_k||_max <= c_rho lambda s_k s_(k+1) E(X^(k)) ||B^(k+1)||_row",
             uses=("residual", "theorem2", "theorem1", A1, A1P, A2B, "s_k, Q_k, S_k, Lam_k"),
             introduces=("first order",),
             reason="Cauchy-Schwarz ||A^T 1||/n <= ||A||_F/sqrt(n), then as Theorem 2(iii)",
             check=first_order_chain(),
             also=(on_instances("<=", floats=_first_order_floats),)),
        Step("(ii) second order", "||r_k|| <= c_rho lambda s_(k+1) E(H^(k)) E(B^(k+1)) + (c_2/2) ||gbar_k||_inf E(H^(k))^2",
             uses=("residual", A1, A2B, A2C, "s_k, Q_k, S_k, Lam_k"), introduces=("second order",),
             reason="G = 1 gbar^T + Pi G; Taylor of rho' with c_2-Lipschitz rho''; sum_i (Pi H)_ij = 0",
             check=second_order_chain(),
             also=(on_instances("<=", floats=_second_order_floats, detail="tanh, arctan, sin, id (c_2 finite)"),)),
        Step("(iii) unrolled", "bbar^(k) = N_k bbar^(L) + sum_j N_k^(j) r_j",
             uses=("residual",), introduces=("unrolled identity",),
             reason="b_k = D_k W^(k+1) b_(k+1) + r_k, induct",
             check=unrolled_check(),
             also=(symbolic_identity(_unrolled_identity, "L = 3, generic A_k = D_k W^(k+1), r_k"),)),
        Step("(iii) N_k norm", "||N_k||_2 <= S_k for N_k = D_k W^(k+1) ... D_(L-1) W^(L)",
             uses=(A2, "s_k, Q_k, S_k, Lam_k"), introduces=("N_k norm",),
             reason="sub-multiplicativity, |rho'| <= 1, induction on L - k",
             check=n_norm_check()),
        Step("(iii) bound", "||bbar^(k) - N_k bbar^(L)|| <= c_rho lambda beta S_k Sigma_k",
             uses=("residual", "unrolled identity", "first order", "theorem2", A2, "s_k, Q_k, S_k, Lam_k"),
             introduces=("mean deviation",),
             reason="b_k - N_k b_L = D_k W^(k+1)(b_(k+1) - N_(k+1) b_L) + r_k; (i), Theorem 2 (iv); induction on L - k",
             check=mean_deviation_check(),
             also=(on_instances("<=", floats=_mean_floats),)),
        Step("(iv) bound", "||bbar^(k)|| <= S_k (mu + c_rho lambda beta Sigma_k)",
             uses=("N_k norm", "mean deviation"), introduces=("mean bound",),
             reason="triangle inequality, ||N_k||_2 <= S_k",
             check=mean_bound_chain()),
        Step("registry", "the chained bound is the registry's 'mean' statement",
             uses=("mean bound",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity(
                 "proposition1", "mean",
                 lambda: sy.S_k * (sy.mu + sy.c_rho * sy.lam * sy.beta * sy.Sigma_k)))),
    )
    return Proof("proposition1", h, steps, ("residual", "first order", "second order", "mean bound", "statement"))
