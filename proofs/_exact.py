"""Exact rational instances for proof checks: re-exported from their one home,
:mod:`backsmooth.symbolic.instances` (propagations with an exactly known lambda, weights with
an exactly known spectral norm, activations with rational values, exact forward and backward
passes of small networks).

Kept so that ``from . import _exact`` in the proofs keeps working; new code should import
from ``backsmooth.symbolic.instances`` directly.
"""

from __future__ import annotations

from backsmooth.symbolic.instances import (  # noqa: F401  (re-exported)
    RHO,
    E,
    R,
    exact_networks,
    fro,
    hadamard,
    max_abs,
    net_backward,
    net_forward,
    rational_matrix,
    rational_propagations,
    rational_weight,
    row_norm,
)

from ._common import J, Pi, ones  # noqa: F401 (re-exported for the proofs)

__all__ = [
    "R", "hadamard", "ones", "J", "Pi", "E", "fro", "row_norm", "max_abs",
    "rational_propagations", "rational_weight", "rational_matrix", "RHO", "net_forward",
    "net_backward", "exact_networks",
]
