"""Seeded float instances of the remedy networks, for the additional (instance) evidence of the remedy proofs.

Random graphs and the adversarial flat ``P = J + lambda (I - J)`` (every non-trivial
eigenvalue equals ``lambda``, where the linear bounds are attained).  Not proofs: the steps
of :mod:`backsmooth.proofs.remedies` are rule chains and identities; these checks run beside them.
"""

from __future__ import annotations

import functools

import numpy as np

from backsmooth.numeric.random_instances import Ef as _E, lam_of, lazy_walk


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
            P = lazy_walk(A + A.T)
            lam_ = lam_of(P)
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
