"""Weight initialisations ``W^(0), ..., W^(L)`` for a network of given widths.

``widths = (d_0, d_1, ..., d_{L+1})`` gives ``L + 1`` matrices ``W^(k)`` of shape
``(d_k, d_{k+1})``.  Schemes:

* ``"glorot"``: ``N(0, 2/(d_k + d_{k+1}))`` entries (Glorot & Bengio 2010, normal form);
* ``"he"``: ``N(0, 2/d_k)`` (He et al. 2015);
* ``"orthogonal"``: a random (semi-)orthogonal matrix times ``gain``, so every singular
  value equals ``gain``;
* ``"spectral"``: a Gaussian matrix rescaled so that ``s_k = ||W^(k)||_2`` equals ``scale``
  exactly -- the theorem checks need weights with a prescribed ``s``;
* ``"gaussian"``: ``N(0, scale^2/d_k)`` entries (LeCun normal times a gain) [extension];
* ``"balanced"``: Glorot weights times ``scale``, then every hidden neuron rescaled so that
  its incoming and outgoing weight norms are equal (:func:`balance`) [extension].
"""

from __future__ import annotations

import numpy as np

from ._validation import as_rng

__all__ = ["initial_weights", "INITIALISATIONS", "spectral_norms", "balance"]

INITIALISATIONS = ("glorot", "he", "orthogonal", "spectral", "gaussian", "balanced")


def _orthogonal(rng, rows, cols):
    A = rng.standard_normal((max(rows, cols), min(rows, cols)))
    Q, R = np.linalg.qr(A)
    Q = Q * np.sign(np.diag(R))  # Haar-distributed
    return Q if rows >= cols else Q.T


def initial_weights(widths, scheme: str = "glorot", *, scale: float = 1.0, seed=None, dtype=np.float64):
    """Return a list of ``L + 1`` weight matrices for ``widths = (d_0, ..., d_{L+1})``.

    Parameters
    ----------
    widths : sequence of int
        Layer widths ``d_0`` (input features) to ``d_{L+1}`` (outputs).
    scheme : {"glorot", "he", "orthogonal", "spectral"}
    scale : float
        Gain multiplying ``"glorot"``/``"he"``/``"orthogonal"`` weights; for ``"spectral"``
        the exact spectral norm ``s`` of every ``W^(k)``.
    seed : int or numpy.random.Generator

    Examples
    --------
    >>> W = initial_weights([3, 4, 4, 2], "spectral", scale=0.5, seed=0)
    >>> [w.shape for w in W], np.allclose(spectral_norms(W), 0.5)
    ([(3, 4), (4, 4), (4, 2)], True)
    """
    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must list at least two positive sizes (d_0, ..., d_(L+1)), got {widths}")
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"scale must be a positive finite number, got {scale}")
    rng = as_rng(seed)
    weights = []
    for d_in, d_out in zip(widths[:-1], widths[1:]):
        if scheme == "glorot":
            W = rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / (d_in + d_out)) * scale
        elif scheme == "he":
            W = rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / d_in) * scale
        elif scheme == "orthogonal":
            W = _orthogonal(rng, d_in, d_out) * scale
        elif scheme == "gaussian":
            W = rng.standard_normal((d_in, d_out)) * (scale / np.sqrt(d_in))
        elif scheme == "balanced":
            W = rng.standard_normal((d_in, d_out)) * np.sqrt(2.0 / (d_in + d_out)) * scale
        elif scheme == "spectral":
            W = rng.standard_normal((d_in, d_out))
            W *= scale / np.linalg.norm(W, 2)
        else:
            raise ValueError(f"unknown initialisation {scheme!r}; known: {', '.join(INITIALISATIONS)}")
        weights.append(W)
    if scheme == "balanced":
        weights = balance(weights)
    return [W.astype(dtype, copy=False) for W in weights]


def spectral_norms(weights) -> np.ndarray:
    """Return ``s_k = ||W^(k)||_2`` for every weight matrix."""
    return np.array([np.linalg.norm(np.asarray(W, dtype=np.float64), 2) for W in weights])


def balance(weights, *, tol: float = 1e-12, max_sweeps: int = 10_000, relaxation: float = 1.9):
    """Rescale hidden neurons so that incoming and outgoing weight norms are equal [extension].

    Hidden neuron ``j`` of layer ``k + 1`` has incoming weights ``W^(k)[:, j]`` and outgoing
    weights ``W^(k+1)[j, :]``; its column is multiplied by ``c_j`` and its row divided by
    ``c_j``.  ``c_j = sqrt(||out|| / ||in||)`` balances the neuron exactly (it minimises
    ``sum_k ||W^(k)||_F^2`` over that neuron's log-scale, a strictly convex problem);
    sweeps over all neurons use the over-relaxed step ``c_j = (||out|| / ||in||)^(omega/2)``,
    ``omega = relaxation`` in ``(0, 2)`` (``1``: plain coordinate descent, which needs
    thousands of sweeps at depth 40; ``1.9``: a few hundred).  Sweeps stop when every
    ``| ||in|| / ||out|| - 1 | <= tol`` (checked, so the result is balanced whatever
    ``omega``).  For positively homogeneous ``rho`` (ReLU) the network function is unchanged;
    for tanh it is not.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = balance([rng.standard_normal((3, 4)), 5 * rng.standard_normal((4, 2))])
    >>> bool(np.allclose(np.linalg.norm(W[0], axis=0), np.linalg.norm(W[1], axis=1)))
    True
    """
    if not 0.0 < relaxation < 2.0:
        raise ValueError(f"relaxation omega must lie in (0, 2), got {relaxation}")
    W = [np.array(w, dtype=np.float64, copy=True) for w in weights]
    if any(w.ndim != 2 for w in W) or any(a.shape[1] != b.shape[0] for a, b in zip(W[:-1], W[1:])):
        raise ValueError("balance needs matrices that chain, W^(k) of shape (d_k, d_(k+1))")
    worst = np.inf
    for _ in range(max_sweeps):
        worst = 0.0
        for k in range(len(W) - 1):
            inc = np.sqrt(np.einsum("ij,ij->j", W[k], W[k]))
            out = np.sqrt(np.einsum("ij,ij->i", W[k + 1], W[k + 1]))
            if np.any(inc == 0) or np.any(out == 0):
                raise ValueError(f"a hidden neuron of layer {k + 1} has all-zero weights: it cannot be balanced")
            worst = max(worst, float(np.max(np.abs(inc / out - 1.0))))
            c = (out / inc) ** (0.5 * relaxation)
            W[k] *= c[None, :]
            W[k + 1] /= c[:, None]
        if worst <= tol:
            return W
    raise RuntimeError(f"balance did not converge in {max_sweeps} sweeps (imbalance {worst:.3g})")
