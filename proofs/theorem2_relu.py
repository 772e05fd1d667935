"""Proof of ``theorem2_relu`` [extension]: Theorem 2 for ReLU with the margin constant.

``kappa_k = 1 / min_j |hbar^(k)_j|``.  Chain: the margin lemma ``|1[a>0] - 1[b>0]| <= |a - b| /
|b|`` (every real a, b != 0: a case split on signs, each case decided by sympy), the split of
Theorem 2 (i) (for every size, generic ``rho'``: Theorem 2's own check), the entrywise bound on
``R_k`` (rule chain from the margin lemma; a constant column separately) and its Frobenius form
(termwise sum), the recursion (Theorem 2's rule chain with the R link replaced by the R bound),
and the identity between the registry's ReLU bounds and Theorem 2's with ``c_rho -> kappa_k``
(scalar identity in symbolic parameters).  Every step is ``rule`` or ``all_sizes_identity``;
the random ReLU networks remain as additional evidence.
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from backsmooth.numeric import activation as _activation
from backsmooth.numeric import backward, forward
from . import _floats as fl
from ._common import A1, A1P, A2, A3, SETTING, collect
from . import algebra as al
from . import rules as ru
from . import rules_local as rl
from . import theorem2 as t2
from .checks import on_instances, scalar_identity
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
    return t2._recursion_floats(relu_networks(), lambda net, kk: _kappa(net["H"][kk]))


_i, _l, _j = rl.IDX
_H, _HB = rl.entries("H^(k)", real=True), rl.entries("hbar^(k)", real=True)
_RE, _PIH = rl.entries("R_k"), rl.entries("Pi H^(k)")


def margin_check():
    """(m) ``|1[a>0] - 1[b>0]| <= |a - b|/|b|`` for every real a and b != 0 (sign cases)."""
    return rl.sign_cases(lambda a, b: (sp.Abs(rl.indicator(a) - rl.indicator(b)), sp.Abs(a - b) / sp.Abs(b)),
                         {"a": "real", "b": "nonzero"}, "a in {t, 0, -t}, b in {u, -u}, t, u > 0")


def r_entry_check():
    """(ii) entrywise: the margin lemma on a non-constant column; both sides 0 on a constant one."""
    Hij, hb = _H[_i, _j], _HB[_j]
    chain = ru.RuleChain(sp.Abs(_RE[_i, _j]), [
        ("rewrite", None, {"to": sp.Abs(rl.indicator(Hij) - rl.indicator(hb)),
                           "defs": {_RE[_i, _j]: rl.indicator(Hij) - rl.indicator(hb)},
                           "name": "R_k = rho'(H) - 1 rho'(hbar)^T with rho' = 1[x > 0]"}),
        ("margin lemma", None, {"nonzero": MARGIN}),
        ru.cite(MARGIN, 1 / sp.Abs(hb), rl.kappa),
        ("rewrite", None, {"to": rl.kappa * sp.Abs(_PIH[_i, _j]), "defs": {_PIH[_i, _j]: Hij - hb},
                           "name": "(Pi H)_ij = H_ij - hbar_j"})],
        rl.kappa * sp.Abs(_PIH[_i, _j]), "non-constant column j (|hbar_j| >= 1/kappa_k > 0)")
    constant = scalar_identity(lambda: (sp.Abs(rl.indicator(hb) - rl.indicator(hb)), rl.kappa * sp.Abs(hb - hb)),
                               "constant column j: H_ij = hbar_j, so R_ij = 0 = kappa_k (Pi H)_ij")
    return ru.AllOf(chain, constant)


def r_fro_chain():
    """(ii) ``||R_k||_F <= kappa_k sqrt(n) E(H^(k))`` from the entrywise bound, summed."""
    R, Hk = al.matrix("R_k"), al.matrix("H^(k)")
    big = sp.Sum(sp.Abs(_RE[_i, _j])**2, (_i, 1, al.n), (_j, 1, rl.d))
    summed = sp.Sum(rl.kappa**2 * sp.Abs(_PIH[_i, _j])**2, (_i, 1, al.n), (_j, 1, rl.d))
    return ru.RuleChain(ru.Fro(R), [
        ("Frobenius by entries", ru.Fro(R), {}),
        ("termwise sum", big, {"small": sp.Abs(_RE[_i, _j]), "large": rl.kappa * sp.Abs(_PIH[_i, _j]),
                               "premise": "R entrywise"}),
        ("linearity of sums", summed, {}),
        ("Frobenius by entries", sp.sqrt(sp.Sum(sp.Abs(_PIH[_i, _j])**2, (_i, 1, al.n), (_j, 1, rl.d))),
         {"M": ru.PI * Hk}),
        ("E definition", ru.Fro(ru.PI * Hk), {})],
        rl.kappa * sp.sqrt(al.n) * ru.E(Hk))


def recursion_chain():
    """(iii) Theorem 2's rule chain with ``||R_k||_F <= kappa_k sqrt(n) E(H^(k))`` (the R bound) for (A2b)."""
    base = t2.recursion_chain()
    links, skip = [], False
    for lk in base.links:
        if skip:
            skip = False
            continue
        if lk[0] == "Lipschitz rho' (A2b)" and lk[1] == ru.Fro(t2._R):
            links.append(ru.cite("R bound", ru.Fro(t2._R), rl.kappa * sp.sqrt(al.n) * ru.E(t2._Hk)))
            skip = True  # the next link (E definition of ||Pi H||_F) is part of the R bound
            continue
        links.append(lk)
    return ru.RuleChain(base.start, links, base.target.xreplace({ru.c_rho: rl.kappa}), base.detail)


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
             check=margin_check(),
             latex=r"|\mathbf{1}[a>0] - \mathbf{1}[b>0]| \le |a - b|/|b|"),
        Step("(i) split", "B^(k) = G_k D_k + R_k o G_k (D_k = diag(1[hbar^(k) > 0]))",
             uses=("GNN recursion", "lemma2", A1), introduces=("split",),
             reason="rho'(H) = 1 rho'(hbar)^T + R for any rho' (ReLU differentiable off 0); Pi P = P Pi",
             check=t2.split_all_check(1), also=(split_check(1),)),
        Step("(ii) R entries", "|(R_k)_ij| <= kappa_k |(Pi H^(k))_ij|",
             uses=("margin lemma", MARGIN, "split", "E(X)"), introduces=("R entrywise",),
             reason="margin lemma with a = H_ij, b = hbar_j; H_ij - hbar_j = (Pi H)_ij; "
                    "1/|hbar_j| <= kappa_k; on a constant column R = Pi H = 0",
             check=r_entry_check(),
             latex=r"|(R_k)_{ij}| \le \kappa_k |(\Pi H^{(k)})_{ij}|",
             also=(on_instances("<=", floats=_entry_floats,
                                detail="entrywise, every layer of 120 random ReLU GNNs"),)),
        Step("(ii) R", "||R_k||_F <= kappa_k sqrt(n) E(H^(k))",
             uses=("R entrywise", "E(X)"), introduces=("R bound",),
             reason="square and sum the entrywise bound; ||Pi H||_F = sqrt(n) E(H)",
             check=r_fro_chain()),
        Step("(iii) recursion",
             "E(B^(k)) <= lambda s_(k+1) E(B^(k+1)) + kappa_k E(H^(k)) ||G_k||_max "
             "<= lambda s_(k+1) E(B^(k+1)) + kappa_k lambda s_k s_(k+1) E(X^(k)) "
             "||B^(k+1)||_row",
             uses=("split", "R bound", "lemma2", "theorem1", A1, A1P, A2, "s_k, Q_k, S_k, Lam_k"),
             introduces=("recursion",),
             reason="as Theorem 2 (iii): ||P Pi||_2 <= lambda, ||D_k||_2 <= 1, ||R o G||_F <= "
                    "||R||_F ||G||_max, ||G||_max <= s_(k+1) ||B^(k+1)||_row, "
                    "E(H) <= lambda s_k E(X)",
             check=recursion_chain(),
             also=(on_instances("<=", floats=_recursion_floats,
                                detail="both lines, every layer of 120 random ReLU GNNs"),)),
        Step("registry", "the registry's ReLU bounds are Theorem 2's with c_rho -> kappa_k",
             uses=("recursion", "R bound"), introduces=("statement",),
             reason="substitution", check=scalar_identity(_substitution, "recursion (both lines) and R_norm, "
                                                                          "symbolic parameters")),
    )
    return Proof("theorem2_relu", h, steps, ("margin lemma", "R bound", "recursion", "statement"),
                 notes=("Extension: ReLU has no Lipschitz derivative, so Theorem 2 does not apply; "
                        "the margin constant kappa_k replaces c_rho layer by layer and grows "
                        "without bound as the smallest mean pre-activation |hbar^(k)_j| -> 0.",
                        "Every step is a rule chain or an identity for every n, d and L; the random ReLU "
                        "networks are additional evidence."))
