"""``derive(name)``: run the sympy derivation of a claim and return its checked steps.

Every derivation is performed when called (and cached: the steps are immutable), so
``derive`` reports what sympy established now, never a stored answer.  Besides the
claims of the registry two derivations have their own names: ``"backprop"`` (the backward
recursion and the weight gradient derived from the forward definition) and ``"relu"``
(what carries over to ReLU GNNs and what does not).

Examples
--------
>>> steps = derive("lemma4")
>>> all(st.verified for st in steps), steps[0].method
(True, 'simplify')
"""

from __future__ import annotations

from functools import lru_cache

from backsmooth.symbolic import counterexample as _ce
from backsmooth.symbolic import derive_backward as _bw
from backsmooth.symbolic import derive_lemmas as _lm
from backsmooth.symbolic import derive_nonlinear as _nl
from backsmooth.symbolic import derive_relu as _relu
from backsmooth.symbolic import derive_remedies as _rem
from backsmooth.symbolic import derive_stationary as _st
from backsmooth.symbolic import derive_theorem1 as _t1
from backsmooth.symbolic.claims import claims

__all__ = ["derive", "derivations", "EXTRA_DERIVATIONS"]

#: derivations that are not claims of the registry, with a one-line description
EXTRA_DERIVATIONS = {
    "backprop": "Backward recursion and weight gradient, derived by differentiating the "
                "forward definition (generic rho), plus the linear closed forms",
    "relu": "ReLU GNNs: Lipschitz, masked linear recursion, constant-pattern form, and why "
            "(A2b)-based results do not cover ReLU",
}

_TABLE = {
    "lemma1": _lm.derive_lemma1,
    "lemma2": _lm.derive_lemma2,
    "lemma3": _lm.derive_lemma3,
    "lemma4": _lm.derive_lemma4,
    "mean_propagation": _bw.derive_mean_propagation,
    "theorem1": lambda: _t1.derive_theorem1() + _relu.derive_relu_lipschitz(),
    "corollary1": _t1.derive_corollary1,
    "theorem2": lambda: _nl.derive_theorem2() + _relu.derive_relu_constant_pattern(),
    "proposition1": _nl.derive_proposition1,
    "definition1": _st.derive_definition1,
    "theorem3": _st.derive_theorem3,
    "corollary2": _st.derive_corollary2,
    "proposition2": _ce.derive_proposition2,
    "backprop": lambda: _bw.derive_backprop() + _bw.derive_linear_closed_forms(),
    "relu": _relu.derive_relu,
    "remedy_residual": lambda: _rem.derive_residual(),
    "remedy_initial_residual": lambda: _rem.derive_initial_residual(),
    "remedy_normalisation": lambda: _rem.derive_normalisation(),
}


def derivations() -> tuple:
    """Every name ``derive`` accepts: the claims (paper order), then ``backprop``, ``relu``."""
    return claims() + tuple(EXTRA_DERIVATIONS)


@lru_cache(maxsize=None)
def _run(name):
    return tuple(_TABLE[name]())


def derive(name) -> tuple:
    """Perform the derivation of ``name`` and return its :class:`DerivationStep` tuple.

    Raises
    ------
    ValueError
        If ``name`` is unknown (the message lists the known names).
    """
    if not isinstance(name, str) or name not in _TABLE:
        raise ValueError(f"unknown derivation {name!r}; known names: {', '.join(derivations())}")
    return _run(name)
