"""Shared helpers of the finite-difference gradient tests (test_gradients_fd, test_remedies).

Central differences along whole-parameter directions: the derivative of
``t -> Loss(theta + t v)`` at ``t = 0`` against ``<grad, v>``.  With ``h = 1e-5`` and O(1)
losses, truncation ``O(h^2 |Loss'''|)`` and round-off ``O(eps |Loss| / h)`` are both <= ~1e-10
relative to ``||grad|| ||v||``, so a relative error above ``RTOL = 1e-6`` means a wrong gradient.
"""

import numpy as np
import scipy.sparse as sp

from backsmooth.numeric.random_instances import lazy_walk

H = 1e-5
RTOL = 1e-6


def random_propagation(kind, n, rng):
    """A random graph's lazy-walk ``P``: ``"dense"``, ``"sparse"`` (CSR) or the row-stochastic
    ``"non_symmetric"`` ``(A + I) / (d + 1)``."""
    A = np.triu((rng.random((n, n)) < 0.5).astype(float), 1)
    A = A + A.T
    d = A.sum(axis=1)
    if kind == "non_symmetric":
        return (A + np.eye(n)) / (d + 1)[:, None]
    P = lazy_walk(A)
    return sp.csr_array(P) if kind == "sparse" else P


def check_directional_derivatives(loss_of, grads, weights, seed=1):
    """Assert ``(loss_of(W + h v) - loss_of(W - h v)) / 2h == <grads, v>`` within ``RTOL``
    for ``v`` the gradient itself and one random direction spanning every layer."""
    rng = np.random.default_rng(seed)
    for v in (grads, [rng.standard_normal(w.shape) for w in weights]):
        plus = [w + H * d for w, d in zip(weights, v)]
        minus = [w - H * d for w, d in zip(weights, v)]
        fd = (loss_of(plus) - loss_of(minus)) / (2 * H)
        exact = sum(float(np.sum(a * b)) for a, b in zip(grads, v))
        scale = np.sqrt(sum(np.sum(a * a) for a in grads)) * np.sqrt(sum(np.sum(b * b) for b in v))
        assert abs(fd - exact) <= RTOL * scale, (fd, exact)
