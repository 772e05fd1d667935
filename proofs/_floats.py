"""Seeded random float instances for proof checks: re-exported from their one home,
:mod:`backsmooth.numeric.random_instances` (graph families, lambda, weights, networks),
with ``E`` and the row norm from :mod:`backsmooth.numeric.measures`.

Kept so that ``from ._floats import ...`` in the proofs keeps working; new code should
import from ``backsmooth.numeric`` directly.
"""

from __future__ import annotations

from backsmooth.numeric.random_instances import (  # noqa: F401  (re-exported)
    ACTS,
    FAMILIES,
    SOFTSIGN,
    Ef,
    lam_of,
    lazy_walk,
    matrix_instances,
    network_instances,
    propagation,
    rowf,
    weight,
)

__all__ = ["lam_of", "propagation", "weight", "network_instances", "ACTS", "Ef", "rowf",
           "matrix_instances"]
