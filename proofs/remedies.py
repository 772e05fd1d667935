"""Proofs of the remedy claims [extension]: residual, initial residual, normalisation.

The backward recursions are derived by sympy's matrix calculus at symbolic size
(:mod:`backsmooth.symbolic.derive_remedies`); the energy inequalities chain them with
Lemma 2 (``E(P M W) <= lambda ||W||_2 E(M)``), the (reverse) triangle inequality of the
seminorm ``E`` and ``|rho'| <= 1``.  Those matrix-norm steps are checked on seeded float
instances (random graphs and the adversarial flat ``P = J + lambda (I - J)``, on which the
linear bounds are attained) and are labelled as such: they are not proofs.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> verify(remedy_residual_proof(), context={"lemma2": None}).passed
True
"""

from __future__ import annotations

import functools

import numpy as np
import sympy as sp

from ._common import A1, A2, A3, LINEAR, SETTING, registry_identity
from .checks import on_instances, symbolic_identity
from .framework import Evidence, Proof, Step

__all__ = ["remedy_residual_proof", "remedy_initial_residual_proof", "remedy_normalisation_proof"]

lam = sp.Symbol("lambda", positive=True)
s = sp.Symbol("s", positive=True)
L = sp.Symbol("L", integer=True, positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
RESIDUAL = "residual layer X^(k+1) = r X^(k) + rho(P X^(k) W^(k)), 1 <= k <= L-1"
INITIAL = "initial-residual layer H^(k) = ((1-a) P X^(k) + a X^(1)) M^(k), 1 <= k <= L-1"
NORMALISED = "normalised layer X^(k+1) = rho(N(P X^(k) W^(k))), N = Pi or PairNorm"
SIDE = "lambda s <= r"


def _derived(name, index, *, all_sizes=True):
    """A check running step ``index`` of ``derive(name)`` now (it can fail)."""
    def check():
        from backsmooth.symbolic.derivations import derive

        st = derive(name)[index]
        if st.method == "assumptions":
            return Evidence("symbolic inequality", st.verified, f"{st.description} (sympy assumptions)")
        if all_sizes:
            return Evidence("symbolic identity", st.verified, f"{st.description} ({st.method})")
        return Evidence("checked on instances", st.verified,
                        f"{st.description}: identity with generic entries at ONE size (not a proof for all n)")
    return check


def _E(M):
    C = M - M.mean(axis=0, keepdims=True)
    return float(np.sqrt(np.sum(C * C) / M.shape[0]))


@functools.lru_cache(maxsize=None)
def _instances(kind, count=60, seed=0):
    """Seeded networks: ``(P, lam, weights, B list, extra)`` for one remedy kind."""
    from backsmooth.numeric import gradients, initial_weights
    from backsmooth.numeric.remedies import initial_residual_gnn, normalised_gnn, residual_gnn

    rng = np.random.default_rng([seed, zlib_key(kind)])
    out = []
    for i in range(count):
        n = int(rng.integers(3, 12))
        if i % 3 == 0:  # adversarial: every non-trivial eigenvalue equals lambda
            lam_ = float(rng.uniform(0.05, 0.95))
            J = np.full((n, n), 1.0 / n)
            P = J + lam_ * (np.eye(n) - J)
        else:
            A = np.triu((rng.random((n, n)) < rng.uniform(0.3, 0.9)).astype(float), 1)
            A = A + A.T
            d = A.sum(axis=1)
            P = np.eye(n) - (np.diag(d) - A) / (d.max() + 1)
            ev = np.sort(np.abs(np.linalg.eigvalsh(P)))
            lam_ = float(ev[-2])
        depth = int(rng.integers(2, 8))
        width = int(rng.integers(1, 5))
        scale = float(rng.uniform(0.2, 2.0))
        W = initial_weights([int(rng.integers(1, 4))] + [width] * depth + [int(rng.integers(1, 3))],
                            "spectral", scale=scale, seed=rng)
        act = "identity" if kind in ("residual", "initial", "gcnii") or i % 2 else "tanh"
        extra = {"activation": act}
        if kind == "residual":
            extra["r"] = float(rng.uniform(0.3, 2.0))
            net = residual_gnn(P, depth, act, skip=extra["r"])
        elif kind in ("initial", "gcnii"):
            extra["a"] = float(rng.uniform(0.0, 0.9))
            extra["b"] = float(rng.uniform(0.1, 1.0)) if kind == "gcnii" else None
            net = initial_residual_gnn(P, depth, act, alpha=extra["a"], beta=extra["b"])
        else:
            extra["norm"] = "mean" if i % 4 < 2 else "pair"
            extra["sigma"] = float(rng.uniform(0.3, 2.0))
            net = normalised_gnn(P, depth, act, norm=extra["norm"], scale=extra["sigma"])
        X = rng.standard_normal((n, W[0].shape[0])) + rng.standard_normal(W[0].shape[0])
        Y = rng.standard_normal((n, W[-1].shape[1])) + 1.0
        g = gradients(net, X, W, targets=Y)
        extra["H"] = [g.forward.H[j] for j in range(depth)] if kind == "normalisation" else None
        out.append((P, lam_, W, g.B, extra))
    return tuple(out)


def zlib_key(kind):
    import zlib

    return zlib.crc32(kind.encode())


def _norm2(W):
    return float(np.linalg.norm(W, 2))


# -- residual ------------------------------------------------------------------------------------
def _res_lemma2():
    rows = []
    for P, lam_, W, B, ex in _instances("residual"):
        for j in range(1, len(W) - 1):
            M = P.T @ B[j] @ W[j].T
            rows.append((_E(M), lam_ * _norm2(W[j]) * _E(B[j]), np.linalg.norm(B[j])))
    return tuple(np.array(c) for c in zip(*rows))


def _res_step():
    rows = []
    for P, lam_, W, B, ex in _instances("residual"):
        r = ex["r"]
        for j in range(1, len(W) - 1):  # B^(j-1) from B^(j): lower and upper, written as "<="
            rows.append(((r - lam_ * _norm2(W[j])) * _E(B[j]), _E(B[j - 1]), np.linalg.norm(B[j])))
            rows.append((_E(B[j - 1]), (r + lam_ * _norm2(W[j])) * _E(B[j]), np.linalg.norm(B[j])))
    return tuple(np.array(c) for c in zip(*rows))


def _res_unrolled():
    rows = []
    for P, lam_, W, B, ex in _instances("residual"):
        Lh, r = len(W) - 1, ex["r"]
        s_ = max(_norm2(W[j]) for j in range(1, Lh)) if Lh > 1 else 0.0
        for j in range(Lh):
            e = _E(B[Lh - 1])
            if lam_ * s_ <= r:
                rows.append(((r - lam_ * s_) ** (Lh - 1 - j) * e, _E(B[j]), np.linalg.norm(B[j]) + e))
            rows.append((_E(B[j]), (r + lam_ * s_) ** (Lh - 1 - j) * e, np.linalg.norm(B[j]) + e))
    return tuple(np.array(c) for c in zip(*rows))


def remedy_residual_proof() -> Proof:
    """Residual GNN (linear rho): ``(r - lambda s)^(L-1-k) E(B^(L-1)) <= E(B^(k)) <= (r + lambda s)^(L-1-k) E(B^(L-1))``."""
    h = (A1, LINEAR, A3, SIDE, RESIDUAL) + SETTING
    steps = (
        Step("recursion", "dLoss/dX^(k) = r G^(k+1) + P^T B^(k) W^(k)T; with rho = id, "
             "B^(k-1) = r B^(k) + P^T B^(k) W^(k)T (1 <= k <= L-1)",
             uses=(RESIDUAL, LINEAR, "GNN recursion"), introduces=("residual recursion",),
             reason="sympy differentiates Tr(G^T r X + B^T P X W) by a MatrixSymbol X of size n x d",
             check=_derived("remedy_residual", 0)),
        Step("lemma2", "E(P^T B^(k) W^(k)T) <= lambda s_k E(B^(k))",
             uses=("lemma2", A1), introduces=("contraction of the propagated part",),
             reason="Lemma 2(b), (c) with P^T = P",
             check=on_instances("<=", floats=_res_lemma2, detail="60 residual GNNs, a third with flat P")),
        Step("one layer", "(r - lambda s_k) E(B^(k)) <= E(B^(k-1)) <= (r + lambda s_k) E(B^(k))",
             uses=("residual recursion", "contraction of the propagated part", "E(X)"),
             introduces=("one-layer bounds",),
             reason="E is a seminorm: |E(r B + C) - r E(B)| <= E(C)",
             check=on_instances("<=", floats=_res_step, detail="both sides, every hidden layer")),
        Step("uniform rate", "s_i <= s gives r - lambda s_i >= r - lambda s",
             uses=("one-layer bounds", A3), introduces=("uniform rates",),
             reason="re-parametrise s_i = s/(1 + t), t >= 0",
             check=_derived("remedy_residual", 1)),
        Step("unroll", "with lambda s <= r every factor is >= 0: (r - lambda s)^(L-1-k) E(B^(L-1)) <= E(B^(k)) "
             "<= (r + lambda s)^(L-1-k) E(B^(L-1))",
             uses=("uniform rates", SIDE), introduces=("unrolled bounds",),
             reason="induction from k = L-1 down; a product of non-negative lower factors",
             check=on_instances("<=", floats=_res_unrolled, detail="every layer of 60 residual GNNs")),
        Step("registry", "the chained lower bound is the registry's statement",
             uses=("unrolled bounds",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=symbolic_identity(registry_identity(
                 "remedy_residual", "lower",
                 lambda: (sp.Symbol("r", positive=True) - lam * s)**(L - 1 - k) * sp.Symbol("E_BL1")))),
    )
    return Proof("remedy_residual", h, steps, ("residual recursion", "unrolled bounds", "statement"),
                 notes=("For tanh the recursion gains rho'(H) o (...); no bound is claimed there: "
                        "the remedies figure measures it.",))


# -- initial residual ----------------------------------------------------------------------------
def _mixing(W, b):
    return W if b is None else (1 - b) * np.eye(W.shape[0]) + b * W


def _ir_rows(kind):
    rows_c, rows_m = [], []
    for P, lam_, W, B, ex in _instances(kind):
        a, b, Lh = ex["a"], ex["b"], len(W) - 1
        Ms = [_mixing(W[j], b) for j in range(1, Lh)]
        m = max((_norm2(M) for M in Ms), default=0.0)
        for j in range(1, Lh):  # B^(0) also gets the anchor path: only k >= 1 is on the main path
            q = Lh - 1 - j
            eB, mB = _E(B[Lh - 1]), np.linalg.norm(B[Lh - 1].mean(axis=0))
            rows_c.append((_E(B[j]), ((1 - a) * lam_ * m) ** q * eB, np.linalg.norm(B[Lh - 1])))
            rows_m.append((np.linalg.norm(B[j].mean(axis=0)), ((1 - a) * m) ** q * mB, np.linalg.norm(B[Lh - 1])))
    return rows_c, rows_m


def _ir_centred():
    rows = _ir_rows("initial")[0] + _ir_rows("gcnii")[0]
    return tuple(np.array(c) for c in zip(*rows))


def _ir_mean():
    rows = _ir_rows("initial")[1] + _ir_rows("gcnii")[1]
    return tuple(np.array(c) for c in zip(*rows))


def remedy_initial_residual_proof() -> Proof:
    """Initial residual (linear rho): the main path contracts by ``(1 - a) lambda m_M`` (centred), ``(1 - a) m_M`` (mean)."""
    h = (A1, LINEAR, INITIAL) + SETTING
    steps = (
        Step("main path", "dLoss/dX^(k) = (1 - a) P^T B^(k) M^(k)T, so B^(k-1) = (1 - a) P^T B^(k) M^(k)T (rho = id)",
             uses=(INITIAL, LINEAR, "GNN recursion"), introduces=("main-path recursion",),
             reason="sympy matrix derivative of Tr(B^T ((1-a) P X + a A) M) by X",
             check=_derived("remedy_initial_residual", 0)),
        Step("anchor path", "dLoss/dX^(1) collects a B^(k) M^(k)T from every layer k",
             uses=(INITIAL,), introduces=("anchor path",),
             reason="sympy matrix derivative by A = X^(1)",
             check=_derived("remedy_initial_residual", 1)),
        Step("weights", "dLoss/dW^(k) = b F^(k)T B^(k), F^(k) = (1 - a) P X^(k) + a X^(1)",
             uses=(INITIAL,), introduces=("weight gradient",),
             reason="sympy matrix derivative by W",
             check=_derived("remedy_initial_residual", 2)),
        Step("mean", "bbar^(k-1) = (1 - a) M^(k) bbar^(k)",
             uses=("main-path recursion", A1, "mean_propagation"), introduces=("mean recursion",),
             reason="1^T P^T = 1^T (P1 = 1)",
             check=_derived("remedy_initial_residual", 3, all_sizes=False)),
        Step("centred bound", "E(B^(k)) <= ((1 - a) lambda m_M)^(L-1-k) E(B^(L-1)), 1 <= k <= L-1",
             uses=("main-path recursion", "lemma2"), introduces=("centred bound",),
             reason="Lemma 2(b), (c) per layer, ||M^(i)||_2 <= m_M; induct (B^(0) is excluded: layer 0 "
                    "also receives the anchor path)",
             check=on_instances("<=", floats=_ir_centred,
                                detail="120 initial-residual and GCNII GNNs, a third with flat P")),
        Step("mean bound", "||bbar^(k)|| <= ((1 - a) m_M)^(L-1-k) ||bbar^(L-1)||, 1 <= k <= L-1",
             uses=("mean recursion",), introduces=("mean bound",),
             reason="||M^(i)||_2 <= m_M; induct",
             check=on_instances("<=", floats=_ir_mean, detail="the same networks")),
        Step("registry", "the centred bound is the registry's statement",
             uses=("centred bound",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=symbolic_identity(registry_identity(
                 "remedy_initial_residual", "centred",
                 lambda: ((1 - sp.Symbol("a")) * lam * sp.Symbol("m_M"))**(L - 1 - k) * sp.Symbol("E_BL1")))),
    )
    return Proof("remedy_initial_residual", h, steps,
                 ("centred bound", "mean bound", "anchor path", "statement"),
                 notes=("What follows: unlike the vanilla GNN, even the MEAN of the backward signal decays "
                        "along the main path (by (1 - a) m_M per layer), so the deep layers' gradients vanish "
                        "faster; the gradient reaches W^(0) through the anchor path instead (one hop from "
                        "every layer). Training can still escape: the model acts like a shallow network "
                        "with an a-weighted skip to X^(1). Not a bound: measured in the remedies figure.",))


# -- normalisation -------------------------------------------------------------------------------
def _norm_rows():
    zero, mean_b, pair_b = [], [], []
    for P, lam_, W, B, ex in _instances("normalisation"):
        Lh = len(W) - 1
        for j in range(Lh):
            # round-off scale: B^(j) is computed from G^(j+1) = P^T B^(j+1) W^(j+1)T times the
            # normalisation's factor (1, or sigma/E(H^(j))); a projection can cancel most of it
            factor = 1.0 if ex["norm"] == "mean" else ex["sigma"] / _E(ex["H"][j])
            upstream = _norm2(P) * np.linalg.norm(B[j + 1]) * _norm2(W[j + 1]) * factor
            zero.append((np.linalg.norm(B[j].mean(axis=0)), 0.0, max(np.linalg.norm(B[j]) + upstream, 1e-300)))
        if ex["norm"] == "mean":
            s_ = max((_norm2(W[j]) for j in range(1, Lh)), default=0.0)
            for j in range(Lh):
                e = _E(B[Lh - 1])
                mean_b.append((_E(B[j]), (lam_ * s_) ** (Lh - 1 - j) * e, np.linalg.norm(B[Lh - 1])))
        else:
            for j in range(Lh - 1):
                bound = ex["sigma"] * lam_ * _norm2(W[j + 1]) * _E(B[j + 1]) / _E(ex["H"][j])
                pair_b.append((_E(B[j]), bound, np.linalg.norm(B[j + 1])))
    return zero, mean_b, pair_b


def _arrays(rows):
    return tuple(np.array(c) for c in zip(*rows))


def remedy_normalisation_proof() -> Proof:
    """Mean subtraction and PairNorm: ``bbar^(k) = 0``; contraction by ``lambda s`` resp. ``sigma lambda s_(k+1)/E(H^(k))``."""
    h = (A1, A2, NORMALISED) + SETTING
    steps = (
        Step("mean Jacobian", "mean subtraction: B^(k) = Pi (rho'(N(H^(k))) o G^(k+1))",
             uses=(NORMALISED, "J, Pi", "GNN recursion"), introduces=("mean-subtraction signal",),
             reason="sympy matrix derivative of Tr(G^T Pi H) by H",
             check=_derived("remedy_normalisation", 0)),
        Step("centred", "1^T Pi = 0: every normalised layer has bbar^(k) = 0",
             uses=("mean-subtraction signal",), introduces=("zero mean",),
             reason="OneMatrix algebra at symbolic n",
             check=_derived("remedy_normalisation", 1)),
        Step("projector", "Pi^T Pi = Pi", uses=("J, Pi",), introduces=("projector",),
             reason="OneMatrix algebra at symbolic n", check=_derived("remedy_normalisation", 2)),
        Step("PairNorm Jacobian", "PairNorm: B^(k) = (sigma/E(H^(k))) (Pi Ghat - <Pi Ghat, c> c), "
             "Ghat = rho'(N(H^(k))) o G^(k+1), c = Pi H^(k)/||Pi H^(k)||_F",
             uses=(NORMALISED, "projector"), introduces=("PairNorm signal",),
             reason="directional derivative of sigma sqrt(n) <G, Pi H>/||Pi H||_F with traces as scalars",
             check=_derived("remedy_normalisation", 3)),
        Step("zero mean on instances", "bbar^(k) = 0 on the computed signals (both normalisations)",
             uses=("zero mean", "PairNorm signal"), introduces=("centred signals",),
             reason="B^(k) = Pi (...) in both cases",
             check=on_instances("==", floats=lambda: _arrays(_norm_rows()[0]),
                                detail="60 normalised GNNs, identity and tanh")),
        Step("mean contraction", "mean subtraction: E(B^(k)) <= lambda s_(k+1) E(B^(k+1)), hence "
             "E(B^(k)) <= (lambda s)^(L-1-k) E(B^(L-1))",
             uses=("centred signals", "lemma2", A2), introduces=("mean-subtraction bound",),
             reason="||Pi (D o G)||_F <= ||G||_F (|rho'| <= 1), G = P B W^T with B centred: "
                    "||P B||_F <= lambda ||B||_F; E(B) = ||B||_F/sqrt(n) for centred B",
             check=on_instances("<=", floats=lambda: _arrays(_norm_rows()[1]),
                                detail="mean-subtraction GNNs, every layer")),
        Step("PairNorm step", "PairNorm: E(B^(k)) <= sigma lambda s_(k+1) E(B^(k+1)) / E(H^(k))",
             uses=("PairNorm signal", "centred signals", "lemma2", A2), introduces=("PairNorm bound",),
             reason="||Pi Ghat - <Pi Ghat, c> c|| <= ||Ghat|| <= ||G^(k+1)|| <= lambda s_(k+1) ||B^(k+1)||",
             check=on_instances("<=", floats=lambda: _arrays(_norm_rows()[2]),
                                detail="PairNorm GNNs, k <= L-2")),
        Step("registry", "the mean-subtraction bound is the registry's statement",
             uses=("mean-subtraction bound",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=symbolic_identity(registry_identity(
                 "remedy_normalisation", "mean", lambda: (lam * s)**(L - 1 - k) * sp.Symbol("E_BL1")))),
    )
    return Proof("remedy_normalisation", h, steps,
                 ("zero mean", "mean-subtraction bound", "PairNorm bound", "statement"),
                 notes=("PairNorm's factor sigma lambda s_(k+1)/E(H^(k)) is not below 1 in general: forward "
                        "oversmoothing (small E(H^(k))) is exactly what amplifies the backward signal. "
                        "Whether it escapes is measured, not bounded.",))
