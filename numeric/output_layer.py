"""Training the output layer alone to stationarity: ``min over W^(L) of Loss(P X^(L) W^(L))``.

With the hidden layers ``W^(0..L-1)`` fixed, the output ``H^(L) = F^(L) W^(L)`` is linear in
``W^(L)`` (``F^(L) = P X^(L)``), so the output-layer problem is convex:

* MSE over the mask ``M`` (``m = |M|``): ``(1/2m) ||F_M W - Y_M||_F^2``, solved in closed form by
  least squares (the minimum-norm solution ``W = F_M^+ Y_M``); its gradient
  ``F_M^T (F_M W - Y_M)/m`` vanishes up to round-off (:func:`least_squares_gradient_floor`);
* mean cross-entropy ``-(1/m) sum_{i in M} log softmax(F_i W)_{y_i}``: gradient
  ``F_M^T (softmax(F_M W) - Y_M)/m`` and Hessian
  ``(1/m) sum_i (F_i F_i^T) kron (diag(p_i) - p_i p_i^T)``; solved by a damped Newton method
  (exact Hessian, least-squares solve so the flat direction ``W -> W + v 1^T`` is harmless)
  down to ``||grad_L||_F <= tol``.

This is the "trained last layer" of Lemma 4 / Theorem 3 / Corollary 2 in ``docs/theory.md``:
checks call :func:`fit_output_layer` and then measure every other layer's gradient.  Note
(Corollary 2 there): the least-squares ``W^(L)`` may have a huge norm, since it also fits the
tiny fluctuation of an oversmoothed ``F^(L)``; and with separable classes cross-entropy has no
minimiser (the infimum is approached as ``||W|| -> inf``): then ``converged`` is False and the
achieved gradient norm is reported, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import log_softmax

from .losses import as_mask, loss_function
from .model import ForwardPass, Network, backward, forward, gnn

__all__ = ["OutputLayerFit", "fit_output_layer", "least_squares_gradient_floor"]


@dataclass(frozen=True)
class OutputLayerFit:
    """Result of :func:`fit_output_layer`.

    Attributes
    ----------
    weights : tuple of ndarray
        ``W^(0), ..., W^(L-1)`` unchanged and the fitted ``W^(L)``.
    output_weight : ndarray
        The fitted ``W^(L)``.
    gradient_norm : float
        Achieved ``||dLoss/dW^(L)||_F``, recomputed by a full forward/backward pass.
    loss : float
        Loss at the fitted weights.
    converged : bool
        ``gradient_norm <= tol`` (cross-entropy); for MSE, ``gradient_norm`` at most
        ``max(tol, gradient_floor)``: the least-squares solution is exact up to round-off.
    iterations : int
        Newton iterations (0 for the MSE closed form).
    method : str
    gradient_floor : float
        MSE: the round-off allowance of the gradient at the least-squares solution
        (:func:`least_squares_gradient_floor`); 0.0 for cross-entropy.
    """

    weights: tuple = field(repr=False)
    output_weight: np.ndarray = field(repr=False)
    gradient_norm: float
    loss: float
    converged: bool
    iterations: int
    method: str
    gradient_floor: float = 0.0


def least_squares_gradient_floor(F, W, Y) -> float:
    """Round-off allowance of ``||F^T (F W - Y)||_F / m`` at a computed least-squares ``W``.

    In exact arithmetic the gradient of ``(1/2m) ||F W - Y||_F^2`` vanishes at ``W = F^+ Y``.
    A backward-stable solver (LAPACK's SVD-based ``gelsd``, what ``np.linalg.lstsq`` calls)
    returns the exact solution of a nearby problem ``(F + dF, Y + dY)`` with
    ``||dF|| <= c eps ||F||``, ``||dY|| <= c eps ||Y||`` (and drops the directions with singular
    values below ``rcond sigma_max``, ``rcond = eps max(m, d)``: a term of the same form), so
    ``F^T (F W - Y) = -dF^T r - F^T (dF W - dY)`` with ``r`` the residual; evaluating
    ``F W - Y`` and ``F^T (.)`` adds ``gamma_(m+d) ||F|| (||F|| ||W|| + ||Y||)``.  With
    ``||r|| <= ||F W|| + ||Y||``:
    ``||grad||_F <= c (m + d) eps ||F||_2 (2 ||F||_F ||W||_2 + 2 ||Y||_F) / m``,
    taken with the constant of the checks' floors, ``c = 16``.  An ill-conditioned ``F`` (an
    oversmoothed ``P X^(L)``: nearly rank one) makes ``||W||`` huge, and the floor with it.

    Examples
    --------
    >>> import numpy as np
    >>> F = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]); Y = np.array([[1.0], [2.0], [0.0]])
    >>> W = np.linalg.lstsq(F, Y, rcond=None)[0]
    >>> g = np.linalg.norm(F.T @ (F @ W - Y)) / 3
    >>> bool(g <= least_squares_gradient_floor(F, W, Y) < 1e-13)
    True
    """
    F, W, Y = (np.asarray(a, dtype=float) for a in (F, W, Y))
    m, d = F.shape
    if m == 0:
        return 0.0
    norm2 = lambda M: float(np.linalg.norm(M, 2)) if M.size else 0.0  # noqa: E731
    scale = norm2(F) * (2.0 * float(np.linalg.norm(F)) * norm2(W) + 2.0 * float(np.linalg.norm(Y)))
    return 16.0 * (m + d) * float(np.finfo(float).eps) * scale / m


def _ce_value_grad(F, Y1, W):
    Z = F @ W
    logp = log_softmax(Z, axis=1)
    m = F.shape[0]
    value = -np.sum(Y1 * logp) / m
    p = np.exp(logp)
    return value, F.T @ (p - Y1) / m, p


def _ce_hessian(F, p):
    m, d = F.shape
    C = p.shape[1]
    # (1/m) sum_i kron(F_i F_i^T, diag(p_i) - p_i p_i^T), indices (a, c), (b, e) -> vec(W) row-major
    S = np.einsum("ia,ib,ic->abc", F, F, p) / m                 # sum F_a F_b p_c
    T = np.einsum("ia,ib,ic,ie->abce", F, F, p, p) / m          # sum F_a F_b p_c p_e
    Hs = -T
    idx = np.arange(C)
    Hs[:, :, idx, idx] += S
    return Hs.transpose(0, 2, 1, 3).reshape(d * C, d * C)


def fit_output_layer(network, X, weights, *, targets, loss="cross_entropy", mask=None,
                     tol: float = 1e-10, max_iter: int = 100, activation="tanh") -> OutputLayerFit:
    """Train only ``W^(L)`` to a stationary point of the (convex) output-layer problem.

    Parameters
    ----------
    network : Network, sparse array, ndarray or None
        Prebuilt :class:`Network` or the propagation matrix ``P`` (None: MLP).
    X : ndarray, shape (n, d_0)
        ``X^(0)``.
    weights : sequence of ndarray
        ``W^(0), ..., W^(L)``; the hidden ones are kept, ``W^(L)`` is the Newton start.
    targets : ndarray
        Labels (cross-entropy) or regression targets (MSE).
    loss : {"cross_entropy", "mse"}
    mask : optional
        Training nodes ``M`` (default: all).
    tol : float
        Target ``||dLoss/dW^(L)||_F`` (cross-entropy; MSE is solved exactly: converged when
        the gradient is at most ``tol`` or its round-off allowance).
    max_iter : int
        Newton iterations at most.

    Raises
    ------
    FloatingPointError
        If the features ``P X^(L)`` the output layer sees are not finite (inputs or hidden
        weights that overflow float64): no output weight can be fitted to them.  Trial Newton
        points that overflow are not an error: they are rejected and the step is halved.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> P = np.full((6, 6), 1 / 6) * 0.5 + np.eye(6) * 0.5
    >>> X = rng.standard_normal((6, 3))
    >>> W = [rng.standard_normal((3, 4)), rng.standard_normal((4, 2))]
    >>> fit = fit_output_layer(P, X, W, targets=np.array([0, 1, 0, 1, 1, 0]))
    >>> fit.converged, fit.gradient_norm <= 1e-10
    (True, True)
    """
    net = network if isinstance(network, Network) else gnn(network, len(weights) - 1, activation)
    W = [np.array(w, dtype=np.float64, copy=True) for w in weights]
    loss_fn = loss_function(loss)
    X = np.asarray(X, dtype=np.float64)
    m = as_mask(mask, X.shape[0])
    fwd = forward(net, X, W)
    F = fwd.F[-1][m]
    if not np.all(np.isfinite(F)):
        raise FloatingPointError(
            "the output layer's features P X^(L) are not finite (the inputs or hidden weights "
            "overflow float64 in the forward pass): the output layer cannot be fitted")
    d, C = W[-1].shape
    iterations, floor = 0, 0.0
    if loss_fn.name == "mse":
        Y = loss_fn.validate_targets(targets, X.shape[0], C)[m]
        W[-1] = np.linalg.lstsq(F, Y, rcond=None)[0]
        method = "least squares (minimum norm)"
        floor = least_squares_gradient_floor(F, W[-1], Y)
    else:
        y = loss_fn.validate_targets(targets, X.shape[0], C)[m]
        Y1 = np.zeros((F.shape[0], C))
        Y1[np.arange(F.shape[0]), y] = 1.0
        Wl = W[-1]
        value, grad, p = _ce_value_grad(F, Y1, Wl)
        method = "Newton (exact Hessian, backtracking)"
        while np.linalg.norm(grad) > tol and iterations < max_iter:
            iterations += 1
            with np.errstate(over="ignore", invalid="ignore"):  # checked on the next line
                Hs = _ce_hessian(F, p)
            if not np.all(np.isfinite(Hs)):
                break  # features so large that the Hessian overflows: keep the last finite iterate
            step = -np.linalg.lstsq(Hs, grad.ravel(), rcond=1e-14)[0].reshape(d, C)
            if not np.all(np.isfinite(step)):
                break
            gnorm = np.linalg.norm(grad)
            t = 1.0
            while t > 1e-12:
                # a trial point may overflow (a long Newton step on nearly separable data): it
                # is rejected below and the step halved, so numpy need not warn about it
                with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
                    v_new, g_new, p_new = _ce_value_grad(F, Y1, Wl + t * step)
                if not (np.isfinite(v_new) and np.all(np.isfinite(g_new))):
                    t *= 0.5
                    continue
                # accept a decrease of the loss, or (below round-off of the loss) of the gradient
                if v_new <= value - 1e-4 * t * abs(np.sum(grad * step)) or (
                        abs(v_new - value) <= 1e-14 * max(1.0, abs(value)) and np.linalg.norm(g_new) < gnorm):
                    break
                t *= 0.5
            else:
                break
            Wl, value, grad, p = Wl + t * step, v_new, g_new, p_new
        W[-1] = Wl
    fwd = ForwardPass(X=fwd.X, F=fwd.F, H=fwd.H[:-1] + [fwd.F[-1] @ W[-1]])
    g = backward(net, fwd, W, loss=loss_fn, targets=targets, mask=m)
    gnorm = float(np.linalg.norm(g.weight_gradients[-1]))
    return OutputLayerFit(weights=tuple(W), output_weight=W[-1], gradient_norm=gnorm, loss=float(g.loss),
                          converged=bool(gnorm <= max(tol, floor)), iterations=iterations, method=method,
                          gradient_floor=floor)
