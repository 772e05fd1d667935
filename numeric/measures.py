"""Measures of (over)smoothing of node signals, forward ``X^(k)`` or backward ``B^(k)``.

For ``X`` in ``R^{n x d}`` with mean row ``xbar = X^T 1 / n``, ``J = 11^T/n`` and the
centring ``Pi = I - J``, the *pairwise-difference energy* (eq. "dirichlet" of the paper) is

.. math::

    E(X)^2 = \\frac{1}{2n^2} \\sum_{i,j} \\|X_i - X_j\\|^2 = \\frac{1}{n}\\|\\Pi X\\|_F^2 .

Conventions (``docs/theory.md`` states the one every bound uses):

- :func:`pairwise_difference_energy` returns the squared quantity ``E(X)^2`` above;
- :func:`pairwise_difference_norm` returns its square root ``E(X) = ||Pi X||_F / sqrt(n)``.

**Every bound in backsmooth uses the root ``E(X)``** (Theorem 1 then reads
``E(X^(k)) <= (lambda s)^k E(X^(0))`` with no squares).  Both are computed in ``O(nd)``.

Generalised measure (an extension): for a symmetric ``P`` that is not stochastic (e.g. GCN
normalisation ``D^-1/2 (A+I) D^-1/2``) the oversmoothed limit is the top eigenvector ``u``
(``propto D^1/2 1``), not the constant vector; ``reference=u`` measures the distance to
``span(u)``: ``||(I - u u^T/||u||^2) X||_F / sqrt(n)``.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import as_float_matrix

__all__ = [
    "pairwise_difference_energy",
    "pairwise_difference_norm",
    "mean_row",
    "mean_component",
    "centred_component",
    "layer_norms",
    "frobenius_norms",
    "max_row_norm",
    "fitted_rate",
    "stable_norm",
]


def stable_norm(A) -> float:
    """Frobenius (or Euclidean) norm computed without underflow or overflow.

    ``sqrt(sum(a**2))`` loses every digit once the entries fall below ``1e-154`` (their
    squares are subnormal) -- which oversmoothed signals and vanishing gradients reach.
    Scaling by ``max|a|`` first keeps full relative precision.

    Examples
    --------
    >>> stable_norm(np.array([3e-170, 4e-170]))
    5e-170
    """
    A = np.asarray(A, dtype=np.float64)
    if A.size == 0:
        return 0.0
    scale = float(np.max(np.abs(A)))
    if scale == 0.0 or not np.isfinite(scale):
        return scale
    return scale * float(np.sqrt(np.sum((A / scale) ** 2)))


def mean_row(X) -> np.ndarray:
    """Return ``xbar = X^T 1 / n`` (the mean row, shape ``(d,)``)."""
    return np.asarray(X).mean(axis=0)


def _reference_projection(X, reference):
    u = np.asarray(reference, dtype=np.float64).ravel()
    if u.shape[0] != X.shape[0]:
        raise ValueError(f"reference vector has length {u.shape[0]} but the signal has {X.shape[0]} rows")
    norm2 = float(u @ u)
    if not np.isfinite(norm2) or norm2 == 0.0:
        raise ValueError("reference vector must be finite and non-zero")
    return np.outer(u, (u @ X) / norm2)


def mean_component(X, reference=None) -> np.ndarray:
    """Return ``J X = 1 xbar^T`` (or the projection onto ``span(reference)``)."""
    X = np.asarray(X)
    if reference is None:
        return np.broadcast_to(mean_row(X), X.shape).copy()
    return _reference_projection(X, reference)


def centred_component(X, reference=None) -> np.ndarray:
    """Return ``Pi X = X - 1 xbar^T``, the component orthogonal to the constants."""
    X = np.asarray(X)
    return X - mean_component(X, reference)


def pairwise_difference_energy(X, reference=None) -> float:
    """Return ``E(X)^2 = 1/(2 n^2) sum_{i,j} ||X_i - X_j||^2`` in ``O(nd)``.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Node signal (forward ``X^(k)`` or backward ``B^(k)``).
    reference : array_like, shape (n,), optional
        Generalised measure: distance to ``span(reference)`` instead of the constants.

    Examples
    --------
    >>> X = np.array([[0.0], [2.0]])
    >>> pairwise_difference_energy(X)     # (|0-2|^2 + |2-0|^2) / (2 * 2^2)
    1.0
    """
    X = as_float_matrix("X", X)
    return pairwise_difference_norm(X, reference) ** 2


def pairwise_difference_norm(X, reference=None) -> float:
    """Return ``E(X) = ||(I - 11^T/n) X||_F / sqrt(n)``, the root convention used in bounds.

    Examples
    --------
    >>> pairwise_difference_norm(np.ones((5, 3)))   # constant rows: fully oversmoothed
    0.0
    """
    X = as_float_matrix("X", X)
    if reference is not None:
        return stable_norm(centred_component(X, reference)) / float(np.sqrt(X.shape[0]))
    return _centred_norm(X) / float(np.sqrt(X.shape[0]))


#: rows per chunk of :func:`_centred_norm` (a chunk stays in cache between its passes)
_NORM_CHUNK_ROWS = 4096


def _centred_norm(X: np.ndarray) -> float:
    """``||X - 1 xbar^T||_F`` as :func:`stable_norm` computes it, in two passes over ``X``.

    The centred rows are formed chunk by chunk; each chunk's sum of squares is scaled by its
    own largest entry and the partial sums are merged on the largest scale (the scaled sum
    of squares of LAPACK's ``nrm2``), so no centred copy of ``X`` is made and nothing
    underflows.  Used by the engine on every ``B^(k)`` when signals are not kept.
    """
    xbar = X.mean(axis=0)
    scale, ssq = 0.0, 0.0
    for a in range(0, X.shape[0], _NORM_CHUNK_ROWS):
        C = X[a:a + _NORM_CHUNK_ROWS] - xbar
        s = float(np.max(np.abs(C))) if C.size else 0.0
        if not np.isfinite(s):
            return s
        if s == 0.0:
            continue
        C /= s
        q = float(np.vdot(C, C))
        if s > scale:
            ssq, scale = ssq * (scale / s) ** 2 + q, s
        else:
            ssq += q * (s / scale) ** 2
    return scale * math.sqrt(ssq)


def layer_norms(signals, reference=None) -> np.ndarray:
    """``E`` of every signal of a list (e.g. ``ForwardPass.X`` or ``Gradients.B``)."""
    return np.array([pairwise_difference_norm(S, reference) for S in signals])


def frobenius_norms(matrices) -> np.ndarray:
    """``||M||_F`` of every matrix of a list (e.g. per-layer gradient norms)."""
    return np.array([stable_norm(M) for M in matrices])


def max_row_norm(X) -> float:
    """``||X||_row = max_i ||X_i||_2`` (used by Theorem 2 for backward signals)."""
    X = np.asarray(X)
    return float(np.sqrt(np.max(np.sum(X * X, axis=1))))


def fitted_rate(values, steps=None):
    """Per-step rate of a sequence: ``exp`` of the least-squares slope of ``log values``.

    The measured counterpart of a geometric bound's rate (``lambda s`` in Theorem 1):
    ``values[j] ~ C rate**steps[j]``.

    Parameters
    ----------
    values : array_like
        Positive values (e.g. ``E(X^(k))`` per layer); values at or below 0 and non-finite
        ones are dropped.
    steps : array_like, optional
        Abscissae (default ``0, 1, 2, ...``).

    Returns
    -------
    float or None
        The rate; **None** (never NaN) when fewer than two values remain or they share one
        step: there is then no rate to report, and JSON writes ``null``.

    Examples
    --------
    >>> round(fitted_rate([8.0, 4.0, 2.0, 1.0]), 12)
    0.5
    >>> fitted_rate([1.0, 0.0]) is None
    True
    """
    v = np.asarray(values, float)
    x = np.arange(v.size, dtype=float) if steps is None else np.asarray(steps, float)
    keep = np.isfinite(v) & (v > 0)
    if keep.sum() < 2 or np.ptp(x[keep]) == 0:
        return None
    slope = np.polyfit(x[keep], np.log(v[keep]), 1)[0]
    return float(np.exp(slope))
