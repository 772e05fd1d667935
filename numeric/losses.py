"""Losses on the GNN output ``H^(L)`` and the output error ``B^(L) = dLoss/dH^(L)``.

Two losses cover the paper's Examples 1 and 2, each averaged over a mask of training
nodes ``M`` (``m = |M|``; by default every node):

* regression (Example 1), squared error
  ``Loss = 1/(2m) sum_{i in M} ||H_i - Y_i||^2``, so ``B^(L)_i = (H_i - Y_i)/m`` on ``M``;
* classification (Example 2), softmax cross-entropy with integer labels
  ``Loss = -1/m sum_{i in M} log softmax(H_i)_{y_i}``, so
  ``B^(L)_i = (softmax(H_i) - e_{y_i})/m`` on ``M``.

Rows outside the mask have ``B^(L)_i = 0``.  ``best_constant_loss`` is ``L_const`` of
Definition 1 (docs/theory.md): the loss of the best constant predictor ``H = 1 c^T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_softmax, softmax

from ._validation import as_float_matrix

__all__ = ["Loss", "loss_function", "LOSSES", "as_mask"]


def as_mask(mask, n: int) -> np.ndarray:
    """Return a boolean mask of length ``n`` (None means every node).

    Accepts a boolean array of length ``n`` or an array of node indices.
    """
    if mask is None:
        return np.ones(n, dtype=bool)
    mask = np.asarray(mask)
    if mask.dtype == bool:
        if mask.shape != (n,):
            raise ValueError(f"boolean mask must have shape ({n},), got {mask.shape}")
        out = mask.copy()
    elif mask.dtype.kind in "iu":
        if mask.ndim != 1 or (mask.size and (mask.min() < 0 or mask.max() >= n)):
            raise ValueError(f"mask indices must be a 1-d array of node ids in [0, {n}), got {mask!r}")
        out = np.zeros(n, dtype=bool)
        out[mask] = True
    else:
        raise TypeError(f"mask must be a boolean array or an integer index array, got dtype {mask.dtype}")
    if not out.any():
        raise ValueError("mask selects no node: the loss would be an empty average; select at least one node")
    return out


@dataclass(frozen=True)
class Loss:
    """A loss on the output ``H^(L)`` (shape ``(n, d_out)``) averaged over a node mask."""

    name: str

    def validate_targets(self, targets, n: int, d_out: int) -> np.ndarray:
        """Return the targets as an array checked against the output shape ``(n, d_out)``."""
        if self.name == "mse":
            Y = as_float_matrix("targets", targets)
            if Y.shape != (n, d_out):
                raise ValueError(
                    f"regression targets must have shape (n, d_out) = ({n}, {d_out}) to match the "
                    f"output H^(L), got {Y.shape}; the last weight matrix sets d_out"
                )
            return Y
        y = np.asarray(targets)
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"class labels must be a 1-d array of length n = {n}, got shape {y.shape}")
        if y.dtype.kind not in "iu":
            if y.dtype.kind == "f" and np.all(np.isfinite(y)) and np.all(y == np.round(y)):
                y = y.astype(np.int64)
            else:
                raise TypeError(f"class labels must be integers, got dtype {y.dtype}")
        if y.size and (y.min() < 0 or y.max() >= d_out):
            raise ValueError(
                f"class labels must lie in [0, {d_out}) (d_out = number of output columns), "
                f"got values in [{y.min()}, {y.max()}]; relabel with 0..C-1 or widen the last layer"
            )
        return y

    def value_and_output_error(self, H: np.ndarray, targets, mask=None) -> tuple[float, np.ndarray]:
        """Return ``(Loss, B^(L))`` for the output ``H`` (B^(L) has the shape of ``H``)."""
        n, d_out = H.shape
        target = self.validate_targets(targets, n, d_out)
        m = as_mask(mask, n)
        count = int(m.sum())
        B = np.zeros_like(H)
        if self.name == "mse":
            R = H[m] - target[m].astype(H.dtype)
            B[m] = R / count
            return float(0.5 * np.sum(R * R) / count), B
        logp = log_softmax(H[m], axis=1)
        rows = np.arange(count)
        y = target[m]
        value = float(-np.sum(logp[rows, y]) / count)
        G = np.exp(logp)
        G[rows, y] -= 1.0
        B[m] = G / count
        return value, B

    def value(self, H, targets, mask=None) -> float:
        """Return the loss value only."""
        return self.value_and_output_error(H, targets, mask)[0]

    def best_constant_loss(self, targets, mask=None, num_outputs: int | None = None) -> float:
        """``L_const = min_c Loss(1 c^T)``: the loss of the best constant predictor.

        MSE: ``(1/2m) ||Y_M - 1 ybar^T||_F^2``; cross-entropy: the entropy ``H(pi)`` of the
        class frequencies ``pi`` on the mask (classes absent from the mask contribute 0).

        Examples
        --------
        >>> loss_function("cross_entropy").best_constant_loss(np.array([0, 1, 0, 1]))
        0.6931471805599453
        """
        if self.name == "mse":
            Y = as_float_matrix("targets", targets)
            m = as_mask(mask, Y.shape[0])
            Ym = Y[m]
            return float(0.5 * np.sum((Ym - Ym.mean(axis=0)) ** 2) / Ym.shape[0])
        y = np.asarray(targets)
        m = as_mask(mask, y.shape[0])
        counts = np.bincount(y[m].astype(np.int64))
        pi = counts[counts > 0] / counts.sum()
        return float(-np.sum(pi * np.log(pi)))

    def best_constant_output(self, targets, mask=None, num_outputs: int | None = None) -> np.ndarray:
        """The best constant output row ``c*`` (MSE: the mean target; CE: ``log pi``)."""
        if self.name == "mse":
            Y = as_float_matrix("targets", targets)
            return Y[as_mask(mask, Y.shape[0])].mean(axis=0)
        y = np.asarray(targets).astype(np.int64)
        m = as_mask(mask, y.shape[0])
        C = int(num_outputs or y.max() + 1)
        counts = np.bincount(y[m], minlength=C).astype(float)
        if np.any(counts == 0):
            raise ValueError("a class is absent from the mask: its best constant logit is -inf")
        return np.log(counts / counts.sum())

    def probabilities(self, H: np.ndarray) -> np.ndarray:
        """Softmax probabilities (cross-entropy only)."""
        return softmax(H, axis=1)


LOSSES = {"mse": Loss("mse"), "cross_entropy": Loss("cross_entropy")}
_ALIASES = {"squared_error": "mse", "regression": "mse", "ce": "cross_entropy", "classification": "cross_entropy"}


def loss_function(name) -> Loss:
    """Return the :class:`Loss` called ``name`` (``"mse"`` or ``"cross_entropy"``).

    Examples
    --------
    >>> H = np.array([[1.0], [3.0]]); Y = np.array([[0.0], [1.0]])
    >>> value, B = loss_function("mse").value_and_output_error(H, Y)
    >>> value, B.ravel().tolist()
    (1.25, [0.5, 1.0])
    """
    if isinstance(name, Loss):
        return name
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name or a Loss, got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in LOSSES:
        known = sorted(set(LOSSES) | set(_ALIASES))
        raise ValueError(f"unknown loss {name!r}; known losses: {', '.join(known)}")
    return LOSSES[key]
