"""Running a proof: re-exported from :mod:`backsmooth.symbolic.chain_verify` (its one home).

Derivations and proofs share one step engine in ``symbolic/``; this module keeps the old
import path working.

Examples
--------
>>> from backsmooth.proofs import proof
>>> verify(proof("lemma1")).strength
'rule'
"""

from backsmooth.symbolic.chain_verify import (_REGISTRY_RESULTS, ProofResult,  # noqa: F401
                                              StepResult, _call, _cited_strengths, _run,
                                              _verify, verify)

from . import framework as _framework  # noqa: F401  (installs the registry as default context)

__all__ = ["StepResult", "ProofResult", "verify"]
