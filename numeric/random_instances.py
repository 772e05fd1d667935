"""Small seeded dense instances for property checks: graph families, weights, networks.

These are the float instances the proofs check their steps on (and anyone may use to test a
bound over many adversarial cases); they live here, in ``numeric``, with the measures they
use.  Propagation families (``lambda = max |eig(P - J)|`` computed by ``eigvalsh``): lazy
random walk ``I - (D - A)/(d_max + 1)`` on Erdos-Renyi, ring + chords, two cliques joined by
one edge (near-disconnected, lambda near 1), complete bipartite (eigenvalue near -1), a
path; the flat ``J + lambda (I - J)`` with lambda up to 0.999; the bipartite-like
``J - lambda u u^T`` (u = +-1/sqrt n); and, for (A1)-only statements, signed symmetric
``P = J + V diag(mu) V^T`` with random orthonormal ``V`` orthogonal to 1 (entries of both
signs).  Weights: Gaussian, orthogonal or rank-one, rescaled to a prescribed spectral norm
(``lambda s`` from 0.2 to 1.3, including 0.999).  Widths from 1.  Inputs: Gaussian with a
random mean, aligned with the top eigenvector of ``P - J``, scales 1e-3 to 3.

Networks are run with :func:`backsmooth.numeric.forward` / ``backward`` (MSE and
cross-entropy).  Same seed, same instances.

Examples
--------
>>> import numpy as np
>>> P, lam = propagation(np.random.default_rng(0), 6, "ring")
>>> bool(np.allclose(P.sum(axis=1), 1)) and 0 <= lam < 1
True
>>> len(network_instances(seed=0, count=3))
3
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .activations import Activation
from .activations import activation as _activation
from .model import backward, forward
from .measures import _NORM_CHUNK_ROWS as _ONE_CHUNK
from .measures import max_row_norm, pairwise_difference_norm

__all__ = ["lam_of", "lazy_walk", "propagation", "weight", "network_instances", "ACTS", "Ef",
           "rowf", "matrix_instances", "FAMILIES", "SOFTSIGN"]

SOFTSIGN = Activation(
    "softsign", lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x))**2,
    1.0, 2.0, math.inf, True)
#: activations with Lipschitz rho' (A2b) used for non-linear instances
ACTS = (_activation("tanh"), _activation("arctan"), _activation("sin"), SOFTSIGN,
        _activation("identity"))


def Ef(X):
    """``E(X) = ||Pi X||_F / sqrt(n)`` (float): :func:`.measures.pairwise_difference_norm`.

    The proofs' float checks call this ~70,000 times on matrices of a few rows, where the
    validation and the chunk loop cost more than the arithmetic.  A float64 matrix of at
    most one chunk (4096 rows) takes a direct path doing the same floating-point operations
    in the same order as ``pairwise_difference_norm`` (``X.mean(axis=0)`` is
    ``np.add.reduce(X, axis=0) / n``; one chunk; its scaled sum of squares), so it returns
    the same float to the bit; anything else (other types, 1-d, empty, non-finite) goes
    through ``pairwise_difference_norm`` itself, which validates and raises as before.
    """
    if (type(X) is np.ndarray and X.dtype == np.float64 and X.ndim == 2
            and 0 < X.shape[0] <= _ONE_CHUNK and X.shape[1] > 0):
        n = X.shape[0]
        total = np.add.reduce(X, axis=0)
        if not np.isfinite(total).all():  # a NaN/inf in X (or an overflow): validated below
            return pairwise_difference_norm(X)
        C = X - total / n
        s = float(np.abs(C).max())
        if s == 0.0:            # constant columns: scale 0, sum 0
            return 0.0 / float(np.sqrt(n))
        if math.isfinite(s):    # an overflow of X - mean: left to the validated function
            C /= s
            return s * math.sqrt(0.0 + float(np.vdot(C, C))) / float(np.sqrt(n))
    return pairwise_difference_norm(X)


def rowf(X):
    """``||X||_row = max_i ||X_i||_2``: :func:`.measures.max_row_norm`."""
    return max_row_norm(X)


def lam_of(P):
    """``lambda = max |eig(P - J)|`` of a dense symmetric ``P`` with ``P 1 = 1`` (0 for n = 1)."""
    n = P.shape[0]
    return float(np.max(np.abs(np.linalg.eigvalsh(P - np.full((n, n), 1 / n))))) if n > 1 else 0.0


def lazy_walk(A):
    """Dense lazy random walk ``I - (D - A)/(d_max + 1)`` (as ``propagation_matrix(.., "lazy")``)."""
    d = A.sum(axis=1)
    return np.eye(A.shape[0]) - (np.diag(d) - A) / (d.max() + 1)


def _connected(A):
    n = A.shape[0]
    seen, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for j in np.flatnonzero(A[i]):
            if j not in seen:
                seen.add(int(j))
                todo.append(int(j))
    return len(seen) == n


def propagation(rng, n, family, stochastic=True):
    """One ``(P, lambda)`` of the named family on ``n`` nodes."""
    J = np.full((n, n), 1 / n)
    if family == "flat":
        lam = rng.choice([0.3, 0.7, 0.95, 0.999])
        return J + lam * (np.eye(n) - J), lam
    if family == "bipartite_like":
        u = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        u -= u.mean()
        u /= np.linalg.norm(u) if np.linalg.norm(u) > 0 else 1
        lam = rng.choice([0.5, 0.999]) if n % 2 == 0 else rng.choice([0.3, 0.6])
        P = J - lam * np.outer(u, u)
        return P, lam_of(P)
    if family == "signed" and not stochastic:
        V = np.linalg.qr(np.c_[np.ones(n), rng.standard_normal((n, n - 1))])[0][:, 1:]
        mu = rng.uniform(-0.99, 0.99, n - 1)
        P = J + (V * mu) @ V.T
        return P, lam_of(P)
    for _ in range(50):
        A = np.zeros((n, n))
        if family == "er":
            A = np.triu(rng.random((n, n)) < rng.uniform(0.2, 0.8), 1).astype(float)
        elif family == "ring":
            for i in range(n):
                A[i, (i + 1) % n] = 1
            for _c in range(rng.integers(0, n)):
                i, j = rng.integers(0, n, 2)
                A[min(i, j), max(i, j)] = 1 if i != j else 0
        elif family == "two_cliques":
            h = max(1, n // 2)
            A[:h, :h] = 1
            A[h:, h:] = 1
            A[h - 1, h] = 1
        elif family == "bipartite":
            h = max(1, n // 2)
            A[:h, h:] = 1
        elif family == "path":
            for i in range(n - 1):
                A[i, i + 1] = 1
        A = np.triu(A, 1)
        A = A + A.T
        if n == 1 or _connected(A):
            P = lazy_walk(A)
            return P, lam_of(P)
    return propagation(rng, n, "flat")


FAMILIES = ("er", "ring", "two_cliques", "bipartite", "path", "flat", "bipartite_like")


def weight(rng, d_in, d_out, s, kind=None):
    """A ``d_in x d_out`` weight with spectral norm exactly ``s`` (up to round-off)."""
    kind = kind or rng.choice(["gauss", "orth", "rank1"])
    if kind == "orth":
        Q = np.linalg.qr(rng.standard_normal((max(d_in, d_out),) * 2))[0]
        W = Q[:d_in, :d_out]
        if d_in > d_out:
            W = Q[:, :d_out][:d_in]
    elif kind == "rank1":
        W = np.outer(rng.standard_normal(d_in), rng.standard_normal(d_out))
    else:
        W = rng.standard_normal((d_in, d_out))
    norm = np.linalg.norm(W, 2)
    return W * (s / norm if norm > 0 else 0.0)


def _input(rng, P, n, d):
    scale = 10 ** rng.uniform(-3, 0.5)
    if rng.random() < 0.25 and n > 1:
        w, V = np.linalg.eigh(P - np.full((n, n), 1 / n))
        v = V[:, np.argmax(np.abs(w))]
        return scale * (np.outer(v, rng.standard_normal(d)) + rng.standard_normal(d))
    return scale * (rng.standard_normal((n, d)) + rng.standard_normal(d))


@functools.lru_cache(maxsize=None)
def network_instances(seed=0, count=160, stochastic=True, linear=False):
    """Tuple of dicts describing random networks and every signal of their passes.

    Keys: ``P, lam, n, L, W, s, X, F, H, B, grads, rho, loss, Y`` (``X`` has ``L+1``
    entries, ``H, F, B, grads`` too).
    """
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = int(rng.integers(2, 11)) if i % 7 else 2
        fam = FAMILIES[i % len(FAMILIES)] if stochastic else (
            "signed" if i % 2 else FAMILIES[i % len(FAMILIES)])
        P, lam = propagation(rng, n, fam, stochastic)
        L = int(rng.integers(1, 7))
        widths = [int(rng.integers(1, 5)) if i % 5 else 1 for _ in range(L + 2)]
        target = rng.choice([0.2, 0.6, 0.9, 0.999, 1.3])
        s = [float(target / max(lam, 1e-3) if rng.random() < 0.5 else rng.uniform(0.3, 2.0))
             for _ in range(L + 1)]
        Ws = [weight(rng, widths[k], widths[k + 1], s[k]) for k in range(L + 1)]
        rho = ACTS[-1] if linear else ACTS[i % len(ACTS)]
        X0 = _input(rng, P, n, widths[0])
        fwd = forward(P, X0, Ws, rho)
        loss = "mse" if (i % 3 or widths[-1] < 2) else "cross_entropy"
        if loss == "mse":
            Y = rng.standard_normal((n, widths[-1])) + rng.standard_normal(widths[-1])
        else:
            Y = rng.integers(0, widths[-1], n)
        g = backward(P, fwd, Ws, loss=loss, targets=Y, activation=rho)
        X = list(fwd.X)
        out.append(dict(P=P, lam=lam, n=n, L=L, W=Ws, s=[float(np.linalg.norm(W, 2)) for W in Ws],
                        X=X, F=list(fwd.F), H=list(fwd.H), B=list(g.B), grads=list(g.weight_gradients),
                        rho=rho, loss=loss, Y=Y, X0_scale=float(np.abs(X0).max())))
    return tuple(out)


@functools.lru_cache(maxsize=None)
def matrix_instances(seed=1, count=300, stochastic=False):
    """Tuple of ``(P, lam, X, B, W)`` single-layer instances (X: n x d, B: n x d', W: d x d')."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        n = int(rng.integers(2, 12)) if i % 9 else 2
        fam = ("signed",) + FAMILIES if not stochastic else FAMILIES
        P, lam = propagation(rng, n, fam[i % len(fam)], stochastic)
        d, e = (int(rng.integers(1, 5)), int(rng.integers(1, 5))) if i % 4 else (1, 1)
        X = _input(rng, P, n, d)
        B = _input(rng, P, n, e)
        W = weight(rng, d, int(rng.integers(1, 5)), float(rng.uniform(0.1, 3)))
        out.append((P, lam, X, B, W))
    return tuple(out)
