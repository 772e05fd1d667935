"""Proof of ``theorem2_relu`` [extension]: Theorem 2 for ReLU with the margin constant.

``kappa_k = 1 / min_j |hbar^(k)_j|``.  Chain: the margin lemma ``|1[a>0] - 1[b>0]| <= |a - b| /
|b|`` (symbolic, six sign cases), the split of Theorem 2 (i) (symbolic, generic ``rho'``), the
entrywise bound on ``R_k`` and the recursion (checked on random ReLU networks only: matrix-norm
inequalities sympy cannot decide), and the identity between the registry's ReLU bounds and
Theorem 2's with ``c_rho -> kappa_k`` (symbolic).  As strong as its weakest step: *checked on
instances*, like Theorem 2's own chain.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from backsmooth.numeric import activation as _activation
from backsmooth.numeric import backward, forward
from . import _floats as fl
from ._common import A1, A1P, A2, A3, SETTING, collect
from .checks import on_instances, symbolic_identity, symbolic_inequality
from .framework import Proof, Step
from .theorem2 import layer_quantities, split_check

__all__ = ["relu_networks", "theorem2_relu_proof"]

RELU = "rho = ReLU (1-Lipschitz; rho' = 1[x > 0] is a step: (A2b) fails)"
MARGIN = ("margin: min_j |hbar^(k)_j| > 0 over the non-constant columns j of H^(k), every layer "
          "k < L (kappa_k = 1/min_j |hbar^(k)_j|)")


@functools.lru_cache(maxsize=None)
def relu_networks(seed=12, count=120):
    """Random ReLU networks (dicts as :func:`backsmooth.proofs._floats.network_instances`)."""
    rng = np.random.default_rng(seed)
    rho = _activation("relu")
    out = []
    for i in range(count):
        n = int(rng.integers(2, 11))
        P, lam = fl.propagation(rng, n, fl.FAMILIES[i % len(fl.FAMILIES)], True)
        L = int(rng.integers(1, 7))
        widths = [int(rng.integers(1, 5)) for _ in range(L + 2)]
        s = [float(rng.uniform(0.3, 2.0)) for _ in range(L + 1)]
        Ws = [fl.weight(rng, widths[q], widths[q + 1], s[q]) for q in range(L + 1)]
        X0 = rng.standard_normal((n, widths[0])) + rng.standard_normal(widths[0])
        fwd = forward(P, X0, Ws, rho)
        Y = rng.standard_normal((n, widths[-1]))
        g = backward(P, fwd, Ws, loss="mse", targets=Y, activation=rho)
        out.append(dict(P=P, lam=lam, n=n, L=L, W=Ws, s=[float(np.linalg.norm(W, 2)) for W in Ws],
                        X=list(fwd.X), H=list(fwd.H), B=list(g.B), rho=rho))
    return tuple(out)


def _kappa(H):
    """``1 / min_j |hbar_j|`` over the non-constant columns (0 if every column is constant)."""
    live = np.ptp(H, axis=0) > 0
    if not live.any():
        return 0.0
    margin = np.abs(H.mean(0)[live]).min()
    return 1.0 / margin if margin > 0 else np.inf


def _margin_lemma():
    t, u = sp.symbols("t u", positive=True)
    out = []
    for a in (t, sp.Integer(0), -t):
        for b in (u, -u):
            lhs = sp.Integer(abs(int(a.is_positive is True) - int(b.is_positive is True)))
            out.append((lhs, sp.Abs(a - b) / sp.Abs(b), {}))
    return out


def _entry_floats():
    def f(net):
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            H = net["H"][kk]
            kap = _kappa(H)
            if not np.isfinite(kap):
                continue
            PH = H - H.mean(0)
            sc = 1 + np.abs(H).max() * kap
            for a, b in zip(np.abs(q["R"]).ravel(), (kap * np.abs(PH)).ravel()):
                yield a, b, sc
    return collect(relu_networks(), f)


def _recursion_floats():
    def f(net):
        lamv, s_ = net["lam"], net["s"]
        for kk in range(net["L"]):
            q = layer_quantities(net, kk)
            B, B1, H, X = net["B"][kk], net["B"][kk + 1], net["H"][kk], net["X"][kk]
            kap = _kappa(H)
            if not np.isfinite(kap):
                continue
            sc = (np.linalg.norm(B) + np.linalg.norm(B1) * s_[kk + 1]) / np.sqrt(net["n"])
            first = lamv * s_[kk + 1] * fl.Ef(B1)
            yield fl.Ef(B), first + kap * fl.Ef(H) * np.abs(q["G"]).max(), sc
            yield fl.Ef(B), first + kap * lamv * s_[kk] * s_[kk + 1] * fl.Ef(X) * fl.rowf(B1), sc
    return collect(relu_networks(), f)


def _substitution():
    from backsmooth.symbolic.bounds import bound_variant

    pairs = []
    for v in ("recursion", "recursion_measured", "R_norm"):
        theirs = bound_variant("theorem2", v).expr
        ours = bound_variant("theorem2_relu", v).expr
        c = {x.name: x for x in theirs.free_symbols}["c_rho"]
        kap = {x.name: x for x in ours.free_symbols}["kappa_k"]
        pairs.append((ours, theirs.xreplace({c: kap})))
    return pairs


def theorem2_relu_proof() -> Proof:
    """``theorem2_relu``: Theorem 2's recursion for ReLU with ``c_rho -> kappa_k``."""
    h = (A1, A1P, A2, A3, RELU, MARGIN) + SETTING
    steps = (
        Step("(m) margin lemma", "|1[a>0] - 1[b>0]| <= |a - b| / |b| for every real a and b != 0",
             uses=(RELU,), introduces=("margin lemma",),
             reason="the indicators differ only if a, b have opposite signs (or a = 0 < b), "
                    "and then |a - b| >= |b|",
             check=symbolic_inequality(_margin_lemma, "six sign cases of (a, b), a = +-t or 0, "
                                                      "b = +-u, t, u > 0")),
        Step("(i) split", "B^(k) = G_k D_k + R_k o G_k (D_k = diag(1[hbar^(k) > 0]))",
             uses=("GNN recursion", "lemma2"), introduces=("split",),
             reason="rho'(H) = 1 rho'(hbar)^T + R for any rho' (ReLU differentiable off 0)",
             check=split_check(1)),
        Step("(ii) R",
             "|(R_k)_ij| <= kappa_k |(Pi H^(k))_ij|, ||R_k||_F <= kappa_k sqrt(n) E(H^(k))",
             uses=("margin lemma", MARGIN, "split", "E(X)"), introduces=("R bound",),
             reason="margin lemma with a = H_ij, b = hbar_j; H_ij - hbar_j = (Pi H)_ij; "
                    "1/|hbar_j| <= kappa_k; on a constant column R = Pi H = 0",
             check=on_instances("<=", floats=_entry_floats,
                                detail="entrywise, every layer of 120 random ReLU GNNs")),
        Step("(iii) recursion",
             "E(B^(k)) <= lambda s_(k+1) E(B^(k+1)) + kappa_k E(H^(k)) ||G_k||_max "
             "<= lambda s_(k+1) E(B^(k+1)) + kappa_k lambda s_k s_(k+1) E(X^(k)) "
             "||B^(k+1)||_row",
             uses=("split", "R bound", "lemma2", A1P), introduces=("recursion",),
             reason="as Theorem 2 (iii): ||P Pi||_2 <= lambda, ||D_k||_2 <= 1, ||R o G||_F <= "
                    "||R||_F ||G||_max, ||G||_max <= s_(k+1) ||B^(k+1)||_row, "
                    "E(H) <= lambda s_k E(X)",
             check=on_instances("<=", floats=_recursion_floats,
                                detail="both lines, every layer of 120 random ReLU GNNs")),
        Step("registry", "the registry's ReLU bounds are Theorem 2's with c_rho -> kappa_k",
             uses=("recursion", "R bound"), introduces=("statement",),
             reason="substitution", check=symbolic_identity(_substitution, "recursion (both "
                                                                          "lines) and R_norm")),
    )
    return Proof("theorem2_relu", h, steps, ("margin lemma", "R bound", "recursion", "statement"),
                 notes=("Extension: ReLU has no Lipschitz derivative, so Theorem 2 does not apply; "
                        "the margin constant kappa_k replaces c_rho layer by layer and grows "
                        "without bound as the smallest mean pre-activation |hbar^(k)_j| -> 0.",
                        "Steps (ii) and (iii) are checked on instances only (as in Theorem 2): "
                        "this chain is not a proof for every n, d and L."))
