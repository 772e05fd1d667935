"""The one sparse kernel of the numeric core: applying ``P`` (or ``P^T``) to a dense block.

Every propagation in the forward and backward passes goes through :func:`propagate`, so a
faster kernel (threads, fused loops) replaces it in one place.  ``P = None`` stands for the
identity (an MLP).
"""

from __future__ import annotations

import numpy as np

__all__ = ["propagate", "propagate_transpose"]


def propagate(P, X: np.ndarray) -> np.ndarray:
    """Return ``P X`` (``X`` itself when ``P`` is None, the MLP case)."""
    if P is None:
        return X
    return np.asarray(P @ X)


def propagate_transpose(P, X: np.ndarray, *, symmetric: bool = False) -> np.ndarray:
    """Return ``P^T X``; ``symmetric=True`` skips the transpose."""
    if P is None:
        return X
    if symmetric:
        return np.asarray(P @ X)
    return np.asarray(P.T @ X)
