"""backsmooth.proofs: machine-checked proof chains for every claim of the registry.

Each claim of ``backsmooth.symbolic.claims()`` has a :class:`Proof`: ordered steps, each with
a machine check returning :class:`Evidence` ("symbolic identity", "symbolic inequality" =
proved symbolically; "checked on instances" = exact rational and seeded float instances,
not a proof).  :func:`check_chain` rejects steps that do not chain and cycles between
proofs; :func:`verify` runs the checks; :func:`render_text` / :func:`render_latex` render.

Examples
--------
>>> from backsmooth.proofs import proof, verify
>>> verify(proof("proposition2")).weakest
'proved symbolically'
"""

from backsmooth.proofs.framework import (EVIDENCE_KINDS, ChainError, Evidence, Proof, ProofResult, Step,
                                         StepResult, check_chain, dependency_order, verify)
from backsmooth.proofs.registry import proof, proofs
from backsmooth.proofs.render import render_latex, render_text

__all__ = ["EVIDENCE_KINDS", "ChainError", "Evidence", "Proof", "ProofResult", "Step", "StepResult",
           "check_chain", "dependency_order", "verify", "proof", "proofs", "render_text", "render_latex"]
