"""backsmooth.symbolic: the paper's claims as sympy objects (sympy only, no I/O).

Public API
----------
claims()
    Names of the registered claims, in paper order.
claim(name)
    The :class:`Claim` (statement, hypotheses, provenance, default bound).
bound_function(name, variant=None)
    A numpy-lambdified bound with its argument names (for the numeric checks).
Claim, BoundVariant, BoundFunction
    Frozen dataclasses / named tuples of the registry.

All smoothness measures use the ROOT convention E(X) = ||(I - 11^T/n) X||_F / sqrt(n).

Examples
--------
>>> import backsmooth.symbolic as bs
>>> "theorem3" in bs.claims()
True
"""

from backsmooth.symbolic.bounds import BoundFunction, BoundVariant, bound_function, variants
from backsmooth.symbolic.claims import ROOT_CONVENTION, Claim, claim, claims

__all__ = ["claims", "claim", "bound_function", "variants", "Claim", "BoundVariant",
           "BoundFunction", "ROOT_CONVENTION"]
