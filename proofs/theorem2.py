"""Proof of Theorem 2 (non-linear backward oversmoothing), ``docs/theory.md``.

With ``G_k = P B^(k+1) W^(k+1)T``, ``D_k = diag(rho'(hbar^(k)))``, ``R_k = rho'(H^(k)) -
1 rho'(hbar^(k))^T``: ``B^(k) = G_k D_k + R_k o G_k``; ``E(B^(k)) <= lambda s_(k+1) E(B^(k+1)) +
c_rho lambda s_k s_(k+1) E(X^(k)) ||B^(k+1)||_row``; unrolled with the backward growth
``S_k``; uniform ``s_i <= s``, ``lambda^2 s < 1``: ``E(B^(k)) <= (lambda s)^(L-k) E(B^(L)) +
c_rho lambda s^(L+1) lambda^k E(X^(0)) ||B^(L)||_row / (1 - lambda^2 s)``.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from backsmooth.proofs import _floats as fl
from backsmooth.proofs._common import (A1, A1P, A2, A2B, A3, P3, SETTING, Pi, backward_step_split,
                                       collect, registry_identity)
from backsmooth.proofs.checks import scalar_identity, on_instances, symbolic_identity, symbolic_inequality
from backsmooth.proofs.framework import Proof, Step

__all__ = ["theorem2_proof", "split_check", "layer_quantities"]

lam = sp.Symbol("lambda", positive=True)
s = sp.Symbol("s", positive=True)
L = sp.Symbol("L", integer=True, positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
j = sp.Symbol("j", integer=True)
c_rho, beta, E_X0, E_BL = sp.symbols("c_rho beta E_X0 E_BL", nonnegative=True)
_v = sp.Symbol("v", positive=True)
def split_check(sign=1):
    """Symbolic check of (i): ``Pi B^(k) = P Pi B^(k+1) W^T D + sign * Pi (R o G)`` (sign=1 true)."""
    def build():
        q = backward_step_split()
        B1, W, G, D, Bk = q["B1"], q["W"], q["G"], q["D"], q["Bk"]
        RG = sp.matrix_multiply_elementwise(q["R"], G)
        return [(Bk, G * D + RG), (Pi(3) * Bk, P3 * (Pi(3) * B1) * W.T * D + sign * Pi(3) * RG)]
    return symbolic_identity(build, "general symmetric stochastic 3 x 3 P, generic H, B^(k+1), W, generic rho'")


def layer_quantities(net, kk):
    """Per layer ``k < L``: dict of G, R, D, c_rho and measures (floats)."""
    rho = net["rho"]
    H, B1, W1, P = net["H"][kk], net["B"][kk + 1], net["W"][kk + 1], net["P"]
    G = P @ B1 @ W1.T
    hbar = H.mean(0)
    R = rho.derivative(H) - rho.derivative(hbar)[None, :]
    return dict(G=G, R=R, D=np.diag(rho.derivative(hbar)), c=rho.derivative_lipschitz, hbar=hbar)


def _nets():
    return fl.network_instances()


def _entry_floats():
    def f(net):
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            H = net["H"][kk]
            PH = H - H.mean(0)
            sc = 1 + np.abs(H).max()
            for a, b in zip(np.abs(q["R"]).ravel(), (q["c"] * np.abs(PH)).ravel()):
                yield a, b, sc
            yield np.linalg.norm(q["R"]), q["c"] * np.sqrt(net["n"]) * fl.Ef(H), sc * net["n"]
    return collect(_nets(), f)


def _recursion_floats():
    def f(net):
        lamv, s_ = net["lam"], net["s"]
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            B, B1, H, X = net["B"][kk], net["B"][kk + 1], net["H"][kk], net["X"][kk]
            sc = (np.linalg.norm(B) + np.linalg.norm(B1) * s_[kk + 1]) / np.sqrt(net["n"])
            first = lamv * s_[kk + 1] * fl.Ef(B1)
            yield fl.Ef(B), first + q["c"] * fl.Ef(H) * np.abs(q["G"]).max(), sc
            yield fl.Ef(B), first + q["c"] * lamv * s_[kk] * s_[kk + 1] * fl.Ef(X) * fl.rowf(B1), sc
    return collect(_nets(), f)


def _row_floats():
    def f(net):
        for kk in range(net["L"]):
            B, B1 = net["B"][kk], net["B"][kk + 1]
            yield fl.rowf(B), net["s"][kk + 1] * fl.rowf(B1), fl.rowf(B1) * net["s"][kk + 1] + 1e-300
    return collect(_nets(), f)


def _unrolled_floats():
    def f(net):
        lamv, s_, L_, B, X = net["lam"], net["s"], net["L"], net["B"], net["X"]
        c = net["rho"].derivative_lipschitz
        beta_ = fl.rowf(B[L_])
        for kk in range(L_ + 1):
            Sk = float(np.prod(s_[kk + 1:]))
            inter = sum(lamv**(jj - kk + 1) * s_[jj] * fl.Ef(X[jj]) for jj in range(kk, L_))
            yield fl.Ef(B[kk]), Sk * (lamv**(L_ - kk) * fl.Ef(B[L_]) + c * beta_ * inter), \
                np.linalg.norm(B[L_]) * max(Sk, 1)
    return collect(_nets(), f)


def _uniform_floats():
    def f(net):
        lamv, s_, L_, B, X = net["lam"], net["s"], net["L"], net["B"], net["X"]
        sm = max(s_)
        if lamv**2 * sm >= 1:
            return
        c = net["rho"].derivative_lipschitz
        for kk in range(L_ + 1):
            rhs = (lamv * sm)**(L_ - kk) * fl.Ef(B[L_]) + c * lamv * sm**(L_ + 1) * lamv**kk * \
                fl.Ef(X[0]) * fl.rowf(B[L_]) / (1 - lamv**2 * sm)
            yield fl.Ef(B[kk]), rhs, np.linalg.norm(B[L_]) * max(sm, 1)**L_
    return collect(_nets(), f)


def _telescoping():
    # (prod_{i=k+1}^{j} s_i) s_j s_{j+1} S_{j+1} = s_j S_k, every 0 <= k <= j < L, L = 4
    sv = sp.symbols("s0:5", positive=True)
    Lc = 4
    out = []
    for kk in range(Lc):
        Sk = sp.prod(sv[kk + 1:])
        for jj in range(kk, Lc):
            out.append((sp.prod(sv[kk + 1:jj + 1]) * sv[jj] * sv[jj + 1] * sp.prod(sv[jj + 2:]), sv[jj] * Sk))
    return out


def _geometric():
    S = sp.piecewise_fold(sp.summation(lam**(j - k + 1) * s * (lam * s)**j, (j, k, L - 1)))
    S = S.args[-1][0] if isinstance(S, sp.Piecewise) else S
    return S, lam * s * (lam * s)**k / (1 - lam**2 * s), {s: 1 / (1 + _v) / lam**2}


def _chained():
    # S_k [lambda^(L-k) e_B + c beta e_X lambda s (lambda s)^k/(1 - lambda^2 s)] with S_k = s^(L-k)
    return s**(L - k) * (lam**(L - k) * E_BL + c_rho * beta * E_X0 * lam * s * (lam * s)**k / (1 - lam**2 * s))


def theorem2_proof() -> Proof:
    """Theorem 2 (non-linear backward oversmoothing)."""
    h = (A1, A1P, A2, A2B, A3) + SETTING
    steps = (
        Step("(i) split", "B^(k) = G_k D_k + R_k o G_k, Pi B^(k) = P (Pi B^(k+1)) W^(k+1)T D_k + Pi (R_k o G_k)",
             uses=("GNN recursion", "lemma2"), introduces=("split",),
             reason="rho'(H) = 1 rho'(hbar)^T + R and (1 r^T) o M = M diag(r); Pi P = P Pi",
             check=split_check(1),
             latex=r"\Pi B^{(k)} = P(\Pi B^{(k+1)})W^{(k+1)\top}D_k + \Pi(R_k\odot G_k)"),
        Step("(ii) R", "|(R_k)_ij| <= c_rho |(Pi H^(k))_ij|, ||R_k||_F <= c_rho sqrt(n) E(H^(k))",
             uses=(A2B, "split", "E(X)"), introduces=("R bound",),
             reason="rho' is c_rho-Lipschitz and H_ij - hbar_j = (Pi H)_ij",
             check=on_instances("<=", floats=_entry_floats, detail="entrywise, every layer, 5 activations")),
        Step("(iii) recursion", "E(B^(k)) <= lambda s_(k+1) E(B^(k+1)) + c_rho E(H^(k)) ||G_k||_max "
             "<= lambda s_(k+1) E(B^(k+1)) + c_rho lambda s_k s_(k+1) E(X^(k)) ||B^(k+1)||_row",
             uses=("split", "R bound", "lemma2", "theorem1", A1P), introduces=("recursion",),
             reason="||P Pi||_2 <= lambda, ||D_k||_2 <= 1, ||R o G||_F <= ||R||_F ||G||_max, "
                    "||G||_max <= ||G||_row <= ||P||_inf s_(k+1) ||B^(k+1)||_row, E(H) <= lambda s_k E(X)",
             check=on_instances("<=", floats=_recursion_floats, detail="both lines, every layer")),
        Step("(iv) row norm", "||B^(k)||_row <= s_(k+1) ||B^(k+1)||_row, hence ||B^(j)||_row <= S_j beta",
             uses=("lemma2", A2, A1P), introduces=("row growth",),
             reason="|rho'| <= 1, ||P||_inf = 1 (A1+), ||XW||_row <= ||X||_row ||W||_2",
             check=on_instances("<=", floats=_row_floats)),
        Step("(v) telescoping", "(prod_{i=k+1}^{j} s_i) s_j s_(j+1) S_(j+1) = s_j S_k",
             uses=("s_k, Q_k, S_k, Lam_k",), introduces=("telescoping",),
             reason="S_(j+1) s_(j+1) = S_j",
             check=symbolic_identity(_telescoping, "L = 4, every 0 <= k <= j < L, generic s_i")),
        Step("(v) unrolled", "E(B^(k)) <= S_k [lambda^(L-k) E(B^(L)) + c_rho beta sum_{j=k}^{L-1} lambda^(j-k+1) s_j E(X^(j))]",
             uses=("recursion", "row growth", "telescoping"), introduces=("unrolled",),
             reason="unroll e_k <= lambda s_(k+1) e_(k+1) + a_k with a_k <= c_rho lambda s_k S_k beta E(X^(k)) / ...",
             check=on_instances("<=", floats=_unrolled_floats, detail="every layer of 160 GNNs")),
        Step("(vi) geometric", "sum_{j=k}^{L-1} lambda^(j-k+1) s (lambda s)^j <= lambda s (lambda s)^k / (1 - lambda^2 s)",
             uses=("unrolled", "theorem1", A3), introduces=("geometric",),
             reason="geometric series of ratio lambda^2 s < 1 (with E(X^(j)) <= (lambda s)^j E(X^(0)))",
             check=symbolic_inequality(_geometric, "k, L symbolic; lambda^2 s = 1/(1+v) < 1")),
        Step("(vi) registry", "S_k <= s^(L-k) turns the unrolled bound into the registry's uniform statement",
             uses=("geometric", "unrolled"), introduces=("statement",),
             reason="s^(L-k) lambda s (lambda s)^k = lambda s^(L+1) lambda^k",
             check=scalar_identity(registry_identity("theorem2", "unrolled", _chained))),
        Step("(vi) on nets", "the uniform bound on networks with lambda^2 s < 1",
             uses=("statement",), introduces=("uniform checked",), reason="evaluation",
             check=on_instances("<=", floats=_uniform_floats)),
    )
    return Proof("theorem2", h, steps, ("split", "recursion", "row growth", "unrolled", "statement"),
                 notes=("Our statement corrects the reconstruction's unrolled constant: it carries the backward "
                        "growth S_k = prod_{i>k} s_i and the max-row norm ||B||_row (||.||_max alone cannot be "
                        "propagated through ||W||_2); this proof follows the corrected version.",
                        "(v) rests on the telescoping identity s_{k+1} S_{k+1} = S_k, checked symbolically for "
                        "L = 4; the unrolled inequality itself is checked on instances only."))
