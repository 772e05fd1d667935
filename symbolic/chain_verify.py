"""Running a chain of steps (a proof or a derivation): every step's check, the chain, and the
strength of the claims it cites.

:func:`verify` returns a :class:`ProofResult` (per step a :class:`StepResult`); results of the
proofs of the default context (the registry, once ``backsmooth.proofs`` is imported) are cached
by proof identity so that a cited claim is verified once.

Examples
--------
>>> from backsmooth.symbolic.chain import Proof, Step
>>> from backsmooth.symbolic.evidence import Evidence
>>> steps = (Step("a", "x = x", check=lambda: Evidence("all_sizes_identity", True)),
...          Step("b", "x <= 2x", uses=("a",), check=lambda: Evidence("instances", True)))
>>> result = verify(Proof("toy", (), steps, ("b",)), context={})
>>> result.passed, result.strength
(True, 'instances')
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Mapping

from .chain import ChainError, Proof, Step, _context, check_chain, default_context
from .evidence import EVIDENCE_KINDS, PROOF_KINDS, UNVERIFIED, Evidence, weakest_kind

__all__ = ["StepResult", "ProofResult", "verify", "add_step_review"]

#: functions ``review(proof, step_results) -> step_results`` run after a chain's checks; the proof
#: layer installs one that fails a step whose citation differs from the cited statement
_STEP_REVIEWS: list = []


def add_step_review(review) -> None:
    """Run ``review(proof, step_results) -> step_results`` on every verified chain (once per function)."""
    if not callable(review):
        raise TypeError("a step review must be callable")
    if review not in _STEP_REVIEWS:
        _STEP_REVIEWS.append(review)


@dataclass(frozen=True)
class StepResult:
    """A step with the evidence its check returned, the additional evidence and the time (seconds)."""

    step: Step
    evidence: Evidence
    seconds: float
    also: tuple = ()

    @property
    def passed(self) -> bool:
        return self.evidence.passed and all(e.passed for e in self.also)

    @property
    def kind(self) -> str:
        return self.evidence.kind


@dataclass(frozen=True)
class ProofResult:
    """The verification of a proof: the chain and every step's check.

    Attributes
    ----------
    proof : Proof
    steps : tuple of StepResult
    dependencies : tuple of str
        Claims the proof cites.
    chain_error : str or None
        Why the chain was rejected, if it was.
    cited : tuple of (str, str)
        Each cited claim with its strength (:data:`UNVERIFIED` when it has no verified proof).
    """

    proof: Proof
    steps: tuple
    dependencies: tuple
    chain_error: str | None = None
    cited: tuple = ()

    @property
    def claim(self) -> str:
        return self.proof.claim

    @property
    def passed(self) -> bool:
        """The chain holds and every step's check passed."""
        return self.chain_error is None and all(r.passed for r in self.steps)

    @property
    def weakest(self) -> str:
        """The weakest evidence kind among this proof's own steps."""
        return weakest_kind(r.evidence.kind for r in self.steps)

    @property
    def strength(self) -> str:
        """The proof's strength: its weakest step, including the strength of every cited claim."""
        return weakest_kind([self.weakest] + [s for _, s in self.cited])

    @property
    def is_proof(self) -> bool:
        """Passed, and every step (and cited claim) is ``all_sizes_identity`` or ``rule``."""
        return self.passed and self.strength in PROOF_KINDS

    @property
    def failed_steps(self) -> tuple:
        return tuple(r.step.label for r in self.steps if not r.passed)

    @property
    def kind_counts(self) -> dict:
        """Number of steps of each evidence kind."""
        out = {k: 0 for k in EVIDENCE_KINDS}
        for r in self.steps:
            out[r.evidence.kind] += 1
        return out


def _call(check, step):
    t = check(step) if getattr(check, "wants_step", False) else check()
    if not isinstance(t, Evidence):
        raise TypeError(f"check returned {type(t).__name__}, not Evidence")
    return t


def _run(step: Step) -> StepResult:
    t0 = time.perf_counter()
    try:
        ev = _call(step.check, step)
    except Exception as exc:  # a crashing check is a failed check, reported as such
        ev = Evidence("instances", False, f"check raised {type(exc).__name__}: {exc}")
    also = []
    for extra in step.also:
        try:
            also.append(_call(extra, step))
        except Exception as exc:
            also.append(Evidence("instances", False, f"check raised {type(exc).__name__}: {exc}"))
    return StepResult(step, ev, time.perf_counter() - t0, tuple(also))


#: results of proofs verified against the registry, by id of the (immutable, cached) Proof
_REGISTRY_RESULTS: dict = {}


def _cited_strengths(deps, ctx, context_given, memo):
    out = []
    for name in deps:
        p = ctx.get(name)
        if p is None:
            out.append((name, UNVERIFIED))
            continue
        r = _verify(p, ctx if context_given else None, memo)
        out.append((name, r.strength if r.passed else UNVERIFIED))
    return tuple(out)


def _verify(proof, context, memo):
    key = id(proof)
    if context is None and key in _REGISTRY_RESULTS and _REGISTRY_RESULTS[key].proof is proof:
        return _REGISTRY_RESULTS[key]
    if key in memo and memo[key].proof is proof:
        return memo[key]
    ctx = _context(proof, context)
    try:
        deps = check_chain(proof, ctx)
        err = None
    except ChainError as exc:
        deps, err = (), str(exc)
    steps = tuple(_run(st) for st in proof.steps)
    for review in _STEP_REVIEWS:
        steps = tuple(review(proof, steps))
    cited = _cited_strengths(deps, ctx, context is not None, memo) if err is None else ()
    result = ProofResult(proof, steps, deps, err, cited)
    memo[key] = result
    if context is None and default_context().get(proof.claim) is proof:
        _REGISTRY_RESULTS[key] = result
    return result


def verify(proof: Proof, context: Mapping[str, Proof] | None = None) -> ProofResult:
    """Check the chain of ``proof``, run every step's machine check and rate cited claims.

    Parameters
    ----------
    proof : Proof
    context : mapping of claim name to Proof, optional
        Other proofs the chain may cite (default: :func:`~backsmooth.symbolic.chain.default_context`,
        the registry once ``backsmooth.proofs`` is imported).  Cited proofs are verified
        too (registry results are cached) so that :attr:`ProofResult.strength` includes
        theirs; a cited name mapped to ``None`` counts as :data:`UNVERIFIED`.

    Returns
    -------
    ProofResult
    """
    return _verify(proof, context, {})
