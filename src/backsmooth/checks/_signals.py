"""Measured quantities of one forward/backward pass, named as the symbolic registry names them.

:func:`measure` runs the exact numeric core (:func:`backsmooth.numeric.model.gradients`) and
returns the inputs every bound needs, per layer ``k = 0..L`` where relevant:

``s_k = ||W^(k)||_2``, ``E(X^(k))``, ``E(H^(k))``, ``E(B^(k))`` (root convention,
:func:`backsmooth.numeric.measures.pairwise_difference_norm`), ``Lam_k = prod_{i<k} lambda s_i``,
``Q_k = prod_{i<k} s_i``, ``S_k = prod_{i=k+1}^{L} s_i``,
``Sigma_k = sum_{j=k}^{L-1} s_j E(X^(j))``,
``beta = ||B^(L)||_row``, ``mu = ||bbar^(L)||``, ``xi = ||X^(0)||_F`` and the gradient norms.
:func:`measure_instance` and :func:`fit_output` run the core on a sampled instance of
:mod:`backsmooth.checks._instances` (its ``P``, ``X^(0)``, weights, activation, loss, targets).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.initialisation import spectral_norms
from backsmooth.numeric.measures import (
    frobenius_norms,
    max_row_norm,
    mean_row,
    pairwise_difference_norm,
    stable_norm,
)
from backsmooth.numeric.model import gradients

__all__ = ["FIT_ERRORS", "Measured", "fit_output", "measure", "measure_instance"]


@dataclass(frozen=True)
class Measured:
    """Signals and measured quantities of one pass (arrays indexed by the layer ``k``)."""

    grads: object
    P: object
    lam: float
    s: np.ndarray
    E_X: np.ndarray
    E_H: np.ndarray
    E_B: np.ndarray
    Lam: np.ndarray
    Q: np.ndarray
    S: np.ndarray
    Sigma: np.ndarray
    beta: float
    mu: float
    xi: float
    grad_norms: np.ndarray
    X_scale: np.ndarray
    H_scale: np.ndarray
    B_scale: np.ndarray

    @property
    def X(self):
        return self.grads.forward.X

    @property
    def H(self):
        return self.grads.forward.H

    @property
    def B(self):
        return self.grads.B

    @property
    def depth(self) -> int:
        return len(self.s) - 1

    @property
    def n(self) -> int:
        return self.X[0].shape[0]

    @property
    def width(self) -> int:
        return max(max(x.shape[1] for x in self.X), max(b.shape[1] for b in self.B))


def _scale(M):
    return float(np.linalg.norm(M)) / np.sqrt(M.shape[0])


def measure(P, X0, weights, activation, loss, targets, lam, reference=None) -> Measured:
    """Forward/backward pass on ``(P, X0, weights)`` and every measured bound input.

    ``reference`` (an extension): measure ``E`` relative to ``span(reference)`` instead of the
    constants (the generalised measure for a non-stochastic symmetric ``P``).
    """
    g = gradients(P, X0, list(weights), activation=activation, loss=loss, targets=targets)
    # the forward pass recomputes each H^(k) = P X^(k) W^(k) on access: take them once (three
    # uses below)
    X, H, B = g.forward.X, list(g.forward.H), g.B
    L = len(weights) - 1
    s = spectral_norms(weights)
    E = lambda M: pairwise_difference_norm(M, reference)
    E_X = np.array([E(x) for x in X])
    E_H = np.array([E(h) for h in H])
    E_B = np.array([E(b) for b in B])
    Lam = np.concatenate([[1.0], np.cumprod(lam * s[:L])])
    Q = np.concatenate([[1.0], np.cumprod(s[:L])])
    S = np.array([np.prod(s[k + 1 :]) for k in range(L + 1)])
    terms = s[:L] * E_X[:L]
    Sigma = np.array([terms[k:].sum() for k in range(L + 1)])
    # Magnitudes the round-off floors are taken relative to (see checks._framework).  An
    # absolute error made at layer j is carried to layer k by the weights, so the scale of a
    # signal is at least that of its source: forward Q_k ||X^(0)||, backward S_k ||B^(L)||.
    # Backward signals also carry rho'(H) evaluated at a perturbed H: an error delta in H
    # moves rho' by c_rho delta, an amplification 1 + c_rho max|H| (1 for rho' not Lipschitz,
    # where the claims needing (A2b) are not judged anyway).
    X_sc = np.array([_scale(x) for x in X])
    X_sc = np.maximum(X_sc, Q * X_sc[0])
    H_sc = np.maximum(np.array([_scale(h) for h in H]), s * X_sc)
    c_rho = _activation(activation).derivative_lipschitz
    amp = 1.0 + (
        c_rho * max(float(np.abs(h).max()) for h in H[:-1]) if L and np.isfinite(c_rho) else 0.0
    )
    B_sc = np.array([_scale(b) for b in B])
    B_sc = amp * np.maximum(B_sc, S * B_sc[-1])
    return Measured(
        grads=g,
        P=P,
        lam=float(lam),
        s=s,
        E_X=E_X,
        E_H=E_H,
        E_B=E_B,
        Lam=Lam,
        Q=Q,
        S=S,
        Sigma=Sigma,
        beta=max_row_norm(B[-1]),
        mu=stable_norm(mean_row(B[-1])),
        xi=float(np.linalg.norm(X[0])),
        grad_norms=frobenius_norms(g.weight_gradients),
        X_scale=X_sc,
        H_scale=H_sc,
        B_scale=B_sc,
    )


def measure_instance(inst, weights=None, *, reference=None) -> Measured:
    """:func:`measure` on a sampled instance, with its own weights unless ``weights`` is given."""
    return measure(
        inst.P,
        inst.X0,
        inst.weights if weights is None else weights,
        inst.params["activation"],
        inst.params["loss"],
        inst.targets,
        inst.lam,
        reference=reference,
    )


#: what :func:`fit_output` raises on extreme inputs (features that overflow, singular systems);
#: a check skips the instance and says so in its notes
FIT_ERRORS = (ValueError, FloatingPointError, np.linalg.LinAlgError)


def fit_output(inst, **options):
    """Train the output layer of a sampled instance alone (hidden weights kept).

    :func:`backsmooth.numeric.output_layer.fit_output_layer` on the instance's ``P``,
    ``X^(0)``, weights, targets, loss and activation; ``options`` (``tol``, ``max_iter``) are
    passed on.  Raises one of :data:`FIT_ERRORS` when the fit fails.
    """
    from backsmooth.numeric.output_layer import fit_output_layer

    return fit_output_layer(
        inst.P,
        inst.X0,
        inst.weights,
        targets=inst.targets,
        loss=inst.params["loss"],
        activation=inst.params["activation"],
        **options,
    )
