"""backsmooth.symbolic: the paper's claims as sympy objects (sympy only, no I/O).

Public API
----------
claims()
    Names of the registered claims, in paper order.
claim(name)
    The :class:`Claim` (statement, hypotheses, provenance, default bound).
derive(name)
    Perform the claim's sympy derivation; a tuple of :class:`DerivationStep`.
derivations()
    Every name ``derive`` accepts (the claims plus ``backprop`` and ``relu``).
bound_function(name, variant=None)
    A numpy-lambdified bound with its argument names (for the numeric checks).
variants(name)
    Names of the bound variants of a claim.

All smoothness measures use the ROOT convention E(X) = ||(I - 11^T/n) X||_F / sqrt(n).

Examples
--------
>>> import backsmooth.symbolic as bs
>>> "theorem3" in bs.claims()
True
>>> all(step.verified for step in bs.derive("lemma1"))
True
"""

from .bounds import BoundFunction, BoundVariant, bound_function, variants
from .claims import ROOT_CONVENTION, Claim, claim, claims
from .derivations import derivations, derive
from .steps import DerivationStep

__all__ = ["claims", "claim", "derive", "derivations", "bound_function", "variants", "Claim",
           "DerivationStep", "BoundVariant", "BoundFunction", "ROOT_CONVENTION"]
