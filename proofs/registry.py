"""The registry of proofs: one :class:`~backsmooth.proofs.framework.Proof` per claim.

Claim names are those of ``backsmooth.symbolic.claims()``.  :func:`proof` builds one proof;
:func:`proofs` lists the names in dependency order (every proof after the claims it cites).

Examples
--------
>>> "theorem1" in proofs()
True
>>> proof("lemma1").claim
'lemma1'
"""

from __future__ import annotations

import functools
import importlib

from backsmooth.proofs.framework import Proof, dependency_order

__all__ = ["PROOF_BUILDERS", "proof", "proofs"]

#: claim name -> (module, builder function)
PROOF_BUILDERS = {
    "lemma1": ("lemmas", "lemma1_proof"),
    "lemma2": ("lemmas", "lemma2_proof"),
    "lemma3": ("lemmas", "lemma3_proof"),
    "mean_propagation": ("lemmas", "mean_propagation_proof"),
    "theorem1": ("theorem1", "theorem1_proof"),
    "corollary1": ("corollary1", "corollary1_proof"),
    "theorem2": ("theorem2", "theorem2_proof"),
    "proposition1": ("proposition1", "proposition1_proof"),
    "definition1": ("theorem3", "definition1_proof"),
    "lemma4": ("theorem3", "lemma4_proof"),
    "theorem3": ("theorem3", "theorem3_proof"),
    "corollary2": ("corollary2", "corollary2_proof"),
    "proposition2": ("proposition2", "proposition2_proof"),
    "remedy_residual": ("remedies", "remedy_residual_proof"),
    "remedy_initial_residual": ("remedies", "remedy_initial_residual_proof"),
    "remedy_normalisation": ("remedies", "remedy_normalisation_proof"),
}


def _build(name) -> Proof:
    module, fn = PROOF_BUILDERS[name]
    return getattr(importlib.import_module(f"backsmooth.proofs.{module}"), fn)()


@functools.lru_cache(maxsize=None)
def _all_proofs_cached():
    return tuple((name, _build(name)) for name in PROOF_BUILDERS)


def _all_proofs() -> dict:
    return dict(_all_proofs_cached())


def proof(name) -> Proof:
    """Return the proof of claim ``name``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if not isinstance(name, str) or name not in PROOF_BUILDERS:
        raise ValueError(f"no proof for claim {name!r}; known claims: {', '.join(PROOF_BUILDERS)}")
    return _all_proofs()[name]


def proofs() -> tuple:
    """Claim names with a proof, in dependency order."""
    return dependency_order(_all_proofs())
