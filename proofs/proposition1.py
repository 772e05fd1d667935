"""Proof of Proposition 1 (the backward mean follows the linearised recursion), ``docs/theory.md``.

``r_k := bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n)(R_k o G_k)^T 1``, ``||r_k|| <= c_rho E(H^(k))
||G_k||_max``; second order ``||r_k|| <= c_rho lambda s_(k+1) E(H^(k)) E(B^(k+1)) + (c_2/2)
||gbar_k||_inf E(H^(k))^2``; ``||bbar^(k)|| <= S_k (mu + c_rho lambda beta Sigma_k)``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from . import _floats as fl
from ._common import (A1, A1P, A2, A2B, A2C, SETTING, backward_step_split, collect,
                                       mat, ones, registry_identity)
from .checks import scalar_identity, on_instances, symbolic_identity
from .framework import Proof, Step
from .theorem2 import layer_quantities

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
             uses=("residual", A2C), introduces=("second order",),
             reason="G = 1 gbar^T + Pi G; Taylor of rho' with c_2-Lipschitz rho''; sum_i (Pi H)_ij = 0",
             check=on_instances("<=", floats=_second_order_floats, detail="tanh, arctan, sin, id (c_2 finite)")),
        Step("(iii) unrolled", "bbar^(k) = N_k bbar^(L) + sum_j N_k^(j) r_j",
             uses=("residual",), introduces=("unrolled identity",),
             reason="b_k = D_k W^(k+1) b_(k+1) + r_k, induct",
             check=unrolled_check(),
             also=(symbolic_identity(_unrolled_identity, "L = 3, generic A_k = D_k W^(k+1), r_k"),)),
        Step("(iii)-(iv) bounds", "||bbar^(k) - N_k bbar^(L)|| <= c_rho lambda beta S_k Sigma_k and "
             "||bbar^(k)|| <= S_k (mu + c_rho lambda beta Sigma_k)",
             uses=("unrolled identity", "first order", "theorem2"), introduces=("mean bound",),
             reason="||N_k^(j)||_2 <= prod_{i=k+1}^{j} s_i, Theorem 2(iv), telescoping",
             check=on_instances("<=", floats=_mean_floats)),
        Step("registry", "the chained bound is the registry's 'mean' statement",
             uses=("mean bound",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity(
                 "proposition1", "mean",
                 lambda: sp.Symbol("S_k") * (sp.Symbol("mu") + sp.Symbol("c_rho") * sp.Symbol("lambda")
                                             * sp.Symbol("beta") * sp.Symbol("Sigma_k"))))),
    )
    return Proof("proposition1", h, steps, ("residual", "first order", "second order", "mean bound", "statement"))
