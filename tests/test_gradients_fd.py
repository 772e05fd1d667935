"""Weight gradients against central finite differences along whole-parameter directions.

Complements tests/test_model.py (entrywise differences on one graph): here the derivative of
``t -> Loss(theta + t v)`` at ``t = 0`` along a direction ``v`` spanning *all* layers at once is
compared with ``<grad, v>``, for every activation x loss x {GNN, MLP}, and for dense, sparse
and non-symmetric ``P``.  Central differences: truncation ``O(h^2 |Loss'''|)`` and round-off
``O(eps |Loss| / h)``; with ``h = 1e-5`` and O(1) losses both are <= ~1e-10 relative to
``||grad|| ||v||``, far below the 1e-6 target, so a failure means a wrong gradient.
"""

import zlib

import numpy as np
import pytest
import scipy.sparse as sp
from backsmooth.numeric import ACTIVATIONS, gradients, initial_weights

H = 1e-5
RTOL = 1e-6


def _P(kind, n, rng):
    A = (rng.random((n, n)) < 0.5).astype(float)
    A = np.triu(A, 1)
    A = A + A.T
    d = A.sum(axis=1)
    P = np.eye(n) - (np.diag(d) - A) / (d.max() + 1)
    if kind == "sparse":
        return sp.csr_array(P)
    if kind == "non_symmetric":
        return (A + np.eye(n)) / (d + 1)[:, None]
    return P


def _problem(arch, kind, act, loss, seed):
    rng = np.random.default_rng(seed)
    n, depth = 7, 3
    P = None if arch == "mlp" else _P(kind, n, rng)
    X = rng.standard_normal((n, 3))
    W = initial_weights([3, 4, 2, 4, 3], "glorot", seed=rng)
    Y = rng.standard_normal((n, 3)) if loss == "mse" else rng.integers(0, 3, n)
    assert len(W) == depth + 1
    return P, X, W, Y


def _loss(P, X, W, act, loss, Y):
    return gradients(P, X, W, activation=act, loss=loss, targets=Y).loss


@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize(
    "arch,kind", [("gnn", "dense"), ("gnn", "sparse"), ("gnn", "non_symmetric"), ("mlp", None)]
)
def test_directional_derivative(act, loss, arch, kind):
    P, X, W, Y = _problem(
        arch, kind, act, loss, seed=zlib.crc32(f"{act}{loss}{arch}{kind}".encode())
    )
    g = gradients(P, X, W, activation=act, loss=loss, targets=Y).weight_gradients
    rng = np.random.default_rng(1)
    for v in (g, [rng.standard_normal(w.shape) for w in W]):
        plus = [w + H * d for w, d in zip(W, v)]
        minus = [w - H * d for w, d in zip(W, v)]
        fd = (_loss(P, X, plus, act, loss, Y) - _loss(P, X, minus, act, loss, Y)) / (2 * H)
        exact = sum(float(np.sum(a * b)) for a, b in zip(g, v))
        scale = np.sqrt(sum(np.sum(a * a) for a in g)) * np.sqrt(sum(np.sum(b * b) for b in v))
        assert abs(fd - exact) <= RTOL * scale, (fd, exact)
