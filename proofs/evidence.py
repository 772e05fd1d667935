"""Evidence of one step: re-exported from :mod:`backsmooth.symbolic.evidence` (its one home).

The step engine (evidence, steps, chains, verification) lives in ``symbolic/`` so that
derivations and proofs share it; this module keeps the old import path working.

Examples
--------
>>> from backsmooth.proofs.evidence import Evidence
>>> Evidence("instances", True).is_proof
False
"""

from backsmooth.symbolic.evidence import (_RANK, EVIDENCE_KINDS, KIND_MEANING,  # noqa: F401
                                          LEGACY_KINDS, PROOF_KINDS, STRENGTH, UNVERIFIED,
                                          Evidence, is_proof_kind, weakest_kind)

__all__ = ["EVIDENCE_KINDS", "PROOF_KINDS", "LEGACY_KINDS", "KIND_MEANING", "UNVERIFIED", "STRENGTH",
           "weakest_kind", "is_proof_kind", "Evidence"]
