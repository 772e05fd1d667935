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
from backsmooth.numeric import ACTIVATIONS, gradients, initial_weights

from _fd import check_directional_derivatives, random_propagation


def _problem(arch, kind, act, loss, seed):
    rng = np.random.default_rng(seed)
    n, depth = 7, 3
    P = None if arch == "mlp" else random_propagation(kind, n, rng)
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
    check_directional_derivatives(lambda w: _loss(P, X, w, act, loss, Y), g, W)
