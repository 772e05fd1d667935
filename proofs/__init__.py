"""backsmooth.proofs: machine-checked proof chains for every claim of the registry.

Each claim of ``backsmooth.symbolic.claims()`` has a :class:`Proof`: ordered steps, each with
a machine check returning :class:`Evidence` of one of four kinds, named for what it
establishes: ``all_sizes_identity`` and ``rule`` (proof), ``fixed_size_identity`` (one stated
size) and ``instances`` (exact rational and seeded float instances) -- the last two are not
proof.  A proof's strength is its weakest step, including every claim it cites.
:func:`check_chain` rejects steps that do not chain and cycles between proofs; :func:`verify`
runs the checks; :func:`render_text` / :func:`render_latex` render.

Examples
--------
>>> from backsmooth.proofs import proof, verify
>>> verify(proof("lemma1")).passed
True
"""

from .framework import (EVIDENCE_KINDS, KIND_MEANING, PROOF_KINDS, ChainError, Evidence, Proof,
                                         ProofResult, Step, StepResult, check_chain, dependency_order,
                                         verify, weakest_kind)
from .registry import proof, proofs
from .render import render_latex, render_text

__all__ = ["EVIDENCE_KINDS", "PROOF_KINDS", "KIND_MEANING", "ChainError", "Evidence", "Proof", "ProofResult",
           "Step", "StepResult", "check_chain", "dependency_order", "verify", "weakest_kind", "proof", "proofs",
           "render_text", "render_latex"]
