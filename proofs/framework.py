"""Proofs as ordered chains of machine-checked steps, each step's evidence named for what it establishes.

The engine itself (evidence, :class:`Step`, :class:`Proof`, :func:`check_chain`, :func:`verify`)
lives in :mod:`backsmooth.symbolic.chain` and :mod:`backsmooth.symbolic.chain_verify`, shared with
the derivations; this module re-exports it (the import path of every proof module) and installs
the registry of proofs as the chain checker's default context.

A :class:`Proof` of a claim is an ordered tuple of :class:`Step` objects leading from the
claim's hypotheses to its statement.  Each step says what it asserts, what it relies on
(``uses``: hypotheses, earlier steps or quantities, or other claims), what it establishes
(``introduces``) and carries a machine ``check`` returning :class:`Evidence` of one of four
kinds (:data:`EVIDENCE_KINDS`), strongest first:

- ``"all_sizes_identity"``: an identity proved for symbolic ``n``, ``d``, ``L`` (matrix
  algebra over non-commuting symbols with the hypotheses as rewrite rules, scalar identities
  in symbolic parameters, induction with base case and step each proved);
- ``"rule"``: an inequality licensed by named rules (:mod:`backsmooth.proofs.rules`) whose
  side conditions were checked, or a scalar inequality in symbolic parameters decided by sympy;
- ``"fixed_size_identity"``: an identity (or an inequality) checked symbolically at one
  stated size (:attr:`Evidence.size`).  Not a proof;
- ``"instances"``: exact rational and seeded random float instances.  Not a proof.

Only the first two are proof (:data:`PROOF_KINDS`).  A proof's :attr:`ProofResult.strength`
is its weakest step, including the strength of every claim it cites; a step may carry
additional evidence (``also``: e.g. instance checks beside a rule chain) that does not count
towards its kind.

The kinds of the first version of this module are still accepted by :class:`Evidence` and
mapped honestly: ``"symbolic identity"`` and ``"symbolic inequality"`` (sympy at one size)
become ``"fixed_size_identity"``, ``"checked on instances"`` becomes ``"instances"``.

:func:`check_chain` rejects a proof whose steps do not chain: a step using a name that is
neither a hypothesis, an earlier step label or introduced quantity, nor a claim proved
earlier in the dependency order; it also rejects cycles between proofs.
:func:`verify` runs every step's check.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.proofs.checks import scalar_identity
>>> x = sp.Symbol("x")
>>> step = Step("expand", "(x+1)^2 = x^2 + 2x + 1", uses=("x",), introduces=("square",),
...             reason="binomial formula",
...             check=scalar_identity(lambda: ((x + 1)**2, x**2 + 2*x + 1)))
>>> proof = Proof("toy", hypotheses=("x",), steps=(step,), conclusion=("square",))
>>> result = verify(proof, context={})
>>> result.passed, result.strength
(True, 'all_sizes_identity')
"""

from __future__ import annotations

from backsmooth.symbolic import chain as _chain
from backsmooth.symbolic.chain import (_DEFAULT_CONTEXT, _RANK, EVIDENCE_KINDS,  # noqa: F401
                                       KIND_MEANING, LEGACY_KINDS, PROOF_KINDS, STRENGTH,
                                       UNVERIFIED, ChainError, Evidence, Proof, Step, _context,
                                       _find_cycle, check_chain, claim_dependencies,
                                       default_context, dependency_order, is_proof_kind,
                                       set_default_context, weakest_kind)
from backsmooth.symbolic.chain_verify import (ProofResult, StepResult, _call, _run,  # noqa: F401
                                              add_step_review, verify)

#: the engine's names (its context set-up excepted: that is this module's job) and the verifier's
__all__ = [name for name in _chain.__all__ if name not in ("set_default_context", "default_context")]
__all__ += ["StepResult", "ProofResult", "verify"]


def _registry_proofs():
    """The registry's proofs (imported when first needed: the registry imports this module)."""
    from .registry import _all_proofs

    return _all_proofs()


set_default_context(_registry_proofs)


def _refuse_differing_citations(proof, steps):
    """A citation that differs from the cited step's statement fails its step (:mod:`.citations`)."""
    from .citations import refuse_differing

    return refuse_differing(proof, steps)


add_step_review(_refuse_differing_citations)
