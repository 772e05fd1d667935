"""Input validation shared by the numeric core (private).

Every public function of :mod:`backsmooth.numeric` validates its inputs through these
helpers so that bad input raises a :class:`ValueError` or :class:`TypeError` saying
which argument is wrong, what was expected and how to fix it -- never a silent wrong
number.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

__all__ = [
    "as_rng",
    "as_float_matrix",
    "as_square_operator",
    "check_finite",
]


def as_rng(seed) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` from ``seed`` (Generator, int or None)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (numbers.Integral, np.integer)):
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be a numpy.random.Generator, an int or None, got {type(seed).__name__}; "
        "pass e.g. seed=0 or seed=numpy.random.default_rng(0)"
    )


def check_finite(name: str, values) -> None:
    """Raise ValueError if ``values`` (dense or sparse) holds NaN or inf."""
    data = values.data if sp.issparse(values) else np.asarray(values)
    if data.dtype.kind in "fc" and not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite value(s); remove or impute them before "
            "calling (e.g. numpy.nan_to_num) -- backsmooth never computes with non-finite input"
        )


def as_float_matrix(name: str, values, *, dtype=np.float64, ndim: int = 2) -> np.ndarray:
    """Return ``values`` as a finite floating array with ``ndim`` dimensions."""
    if sp.issparse(values):
        values = values.toarray()
    try:
        array = np.asarray(values, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a numeric array, got {type(values).__name__}") from exc
    if ndim == 2 and array.ndim == 1:
        array = array[:, None]
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-d array, got shape {array.shape}")
    check_finite(name, array)
    return array


def as_square_operator(name: str, P, *, dtype=np.float64):
    """Return ``P`` as a finite square CSR array (or dense ndarray kept dense).

    ``None`` is passed through: it stands for the identity (an MLP).
    """
    if P is None:
        return None
    if sp.issparse(P):
        P = sp.csr_array(P, dtype=dtype)
    else:
        try:
            P = np.asarray(P, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"{name} must be a scipy.sparse array or a 2-d numeric array, "
                f"got {type(P).__name__}"
            ) from exc
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError(f"{name} must be square (n x n), got shape {P.shape}")
    check_finite(name, P)
    return P
