"""Elementwise activation functions rho with their derivatives.

The paper's assumption ass:sigma (called (A2) in ``docs/theory.md``) asks that
rho be elementwise and 1-Lipschitz, so that ``|rho'| <= 1``; the finer results need more:

* (A2a) ``rho(0) = 0`` (hence ``|rho(x)| <= |x|``), used for norm bounds on ``X^(k)``;
* (A2b) ``rho'`` is ``c_rho``-Lipschitz (Theorem 2, Proposition 1, Theorem 3, Corollary 2);
* (A2c) ``rho''`` is ``c_2``-Lipschitz (second-order Proposition 1).

ReLU and leaky ReLU satisfy (A2) and (A2a) but not (A2b): their derivative is a step, so
``c_rho = inf`` and the results that need (A2b) do not cover them.

Each :class:`Activation` records these constants so checks can decide whether a claim's
hypotheses hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["Activation", "activation", "ACTIVATIONS"]


@dataclass(frozen=True)
class Activation:
    """An elementwise activation rho with its derivative and regularity constants.

    Attributes
    ----------
    name : str
    function : callable
        ``rho``, applied elementwise.
    derivative : callable
        ``rho'`` (for ReLU-type functions the right derivative at 0, i.e. ``1[x > 0]``).
    lipschitz : float
        Lipschitz constant of ``rho`` (1 for every built-in activation).
    derivative_lipschitz : float
        ``c_rho``, the Lipschitz constant of ``rho'`` (``inf`` for ReLU-type).
    second_derivative_lipschitz : float
        ``c_2``, the Lipschitz constant of ``rho''`` (``inf`` where undefined).
    zero_at_zero : bool
        Whether ``rho(0) = 0`` (assumption (A2a)).
    derivative_from_output : callable or None
        ``rho'`` written as a function of ``rho(x)`` when that is possible (tanh:
        ``1 - y**2``); lets the backward pass avoid storing pre-activations.
    """

    name: str
    function: Callable[[np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray], np.ndarray]
    lipschitz: float
    derivative_lipschitz: float
    second_derivative_lipschitz: float
    zero_at_zero: bool
    derivative_from_output: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def satisfies_ass_sigma(self) -> bool:
        """(A2): elementwise and 1-Lipschitz."""
        return self.lipschitz <= 1.0

    @property
    def has_lipschitz_derivative(self) -> bool:
        """(A2b): ``rho'`` is Lipschitz (``c_rho < inf``)."""
        return math.isfinite(self.derivative_lipschitz)

    @property
    def is_linear(self) -> bool:
        """True for the identity (a linear GNN)."""
        return self.name == "identity"

    def hypotheses(self) -> dict:
        """Which parts of ass:sigma hold, as a dict of booleans and constants."""
        return {
            "activation": self.name,
            "A2 (1-Lipschitz)": self.satisfies_ass_sigma,
            "A2a (rho(0)=0)": self.zero_at_zero,
            "A2b (rho' Lipschitz)": self.has_lipschitz_derivative,
            "c_rho": self.derivative_lipschitz,
            "c_2": self.second_derivative_lipschitz,
        }

    def __call__(self, x):
        return self.function(x)


def _sigmoid(x):
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


_LEAK = 0.01


def _tanh_derivative_from_output(y):
    """``tanh' = 1 - y^2`` from ``y = tanh(x)``."""
    return 1.0 - y * y


def _tanh_derivative_from_output_into(y, out):
    """``out = 1 - y^2``: the same two roundings as :func:`_tanh_derivative_from_output`, in ``out``."""
    np.multiply(y, y, out=out)
    np.subtract(1.0, out, out=out)
    return out


def derivative_from_output_into(rho):
    """``f(y, out)`` computing ``rho.derivative_from_output(y)`` into ``out`` with the same
    roundings (no temporaries), or None.  Matched on the function itself, so an Activation
    given another derivative never gets it."""
    if rho.derivative_from_output is _tanh_derivative_from_output:
        return _tanh_derivative_from_output_into
    return None

ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(
        "identity", lambda x: x, np.ones_like, 1.0, 0.0, 0.0, True, np.ones_like
    ),
    "relu": Activation(
        "relu",
        lambda x: np.maximum(x, 0),
        lambda x: (x > 0).astype(x.dtype),
        1.0,
        math.inf,
        math.inf,
        True,
        lambda y: (y > 0).astype(y.dtype),
    ),
    "leaky_relu": Activation(
        "leaky_relu",
        lambda x: np.where(x > 0, x, _LEAK * x),
        lambda x: np.where(x > 0, 1.0, _LEAK).astype(x.dtype),
        1.0,
        math.inf,
        math.inf,
        True,
        lambda y: np.where(y > 0, 1.0, _LEAK).astype(y.dtype),
    ),
    "tanh": Activation(
        "tanh",
        np.tanh,
        lambda x: 1.0 - np.tanh(x) ** 2,
        1.0,
        4.0 / (3.0 * math.sqrt(3.0)),  # max |tanh''| attained at tanh(x)^2 = 1/3
        2.0,  # max |tanh'''| = 2 at 0
        True,
        _tanh_derivative_from_output,
    ),
    "arctan": Activation(
        "arctan",
        np.arctan,
        lambda x: 1.0 / (1.0 + x * x),
        1.0,
        3.0 * math.sqrt(3.0) / 8.0,  # max |2x/(1+x^2)^2| at x^2 = 1/3
        2.0,
        True,
    ),
    "softplus": Activation(
        "softplus",
        lambda x: np.logaddexp(0.0, x),
        _sigmoid,
        1.0,
        0.25,  # max sigmoid' = 1/4
        math.sqrt(3.0) / 18.0,  # max |sigmoid''| = 1/(6 sqrt 3)
        False,  # softplus(0) = log 2
    ),
    "sin": Activation("sin", np.sin, np.cos, 1.0, 1.0, 1.0, True),
}


def activation(name) -> Activation:
    """Return the :class:`Activation` called ``name`` (or ``name`` itself if already one).

    Examples
    --------
    >>> rho = activation("tanh")
    >>> float(rho.derivative(np.array(0.0)))
    1.0
    >>> rho.has_lipschitz_derivative, activation("relu").has_lipschitz_derivative
    (True, False)
    """
    if isinstance(name, Activation):
        return name
    if not isinstance(name, str):
        raise TypeError(f"activation must be a name or an Activation, got {type(name).__name__}")
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; known activations: {', '.join(sorted(ACTIVATIONS))}"
        ) from None
