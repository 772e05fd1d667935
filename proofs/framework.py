"""Proofs as ordered chains of machine-checked steps, each step's evidence named for what it establishes.

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

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

__all__ = [
    "EVIDENCE_KINDS",
    "PROOF_KINDS",
    "LEGACY_KINDS",
    "KIND_MEANING",
    "UNVERIFIED",
    "STRENGTH",
    "weakest_kind",
    "is_proof_kind",
    "Evidence",
    "Step",
    "Proof",
    "StepResult",
    "ProofResult",
    "ChainError",
    "check_chain",
    "claim_dependencies",
    "dependency_order",
    "verify",
]

#: the kinds of evidence a step's check may return, strongest first
EVIDENCE_KINDS = ("all_sizes_identity", "rule", "fixed_size_identity", "instances")
#: the kinds that are proof
PROOF_KINDS = ("all_sizes_identity", "rule")
#: kinds of the first version of this module -> the honest kind they stand for
LEGACY_KINDS = {
    "symbolic identity": "fixed_size_identity",
    "symbolic inequality": "fixed_size_identity",
    "checked on instances": "instances",
}
#: the strength of a cited claim that was not verified here (no proof, or a failing one)
UNVERIFIED = "unverified"
_RANK = {kind: i for i, kind in enumerate(EVIDENCE_KINDS + (UNVERIFIED,))}
#: evidence kind -> "proof" or "not a proof"
STRENGTH = {kind: ("proof" if kind in PROOF_KINDS else "not a proof") for kind in EVIDENCE_KINDS}
#: one line per kind, for legends
KIND_MEANING = {
    "all_sizes_identity": "identity proved for symbolic n, d, L (proof)",
    "rule": "inequality licensed by named rules with checked side conditions (proof)",
    "fixed_size_identity": "checked symbolically at one stated size (not a proof)",
    "instances": "checked on exact and random instances (not a proof)",
    UNVERIFIED: "cites a claim that is not verified here (not a proof)",
}


def weakest_kind(kinds) -> str:
    """The weakest of evidence kinds (``"all_sizes_identity"`` for none)."""
    kinds = tuple(kinds)
    for k in kinds:
        if k not in _RANK:
            raise ValueError(f"unknown evidence kind {k!r}; known: {EVIDENCE_KINDS + (UNVERIFIED,)}")
    return max(kinds, key=_RANK.__getitem__) if kinds else EVIDENCE_KINDS[0]


def is_proof_kind(kind) -> bool:
    """Whether evidence of ``kind`` is proof (:data:`PROOF_KINDS`)."""
    return kind in PROOF_KINDS


@dataclass(frozen=True)
class Evidence:
    """The outcome of one machine check.

    Attributes
    ----------
    kind : str
        One of :data:`EVIDENCE_KINDS` (a legacy kind of :data:`LEGACY_KINDS` is mapped).
    passed : bool
        Whether the check established the assertion.
    detail : str
        What was checked (sizes, assumptions, number of instances, worst ratio).
    size : str
        For ``"fixed_size_identity"``: the one size it was checked at (required; a legacy
        check that states none gets ``"size not stated"`` followed by its detail).
    rules : tuple of str
        Names of the rules (:mod:`backsmooth.proofs.rules`) the check applied.
    """

    kind: str
    passed: bool
    detail: str = ""
    size: str = ""
    rules: tuple = ()

    def __post_init__(self):
        kind = LEGACY_KINDS.get(self.kind, self.kind)
        if kind not in EVIDENCE_KINDS:
            raise ValueError(f"evidence kind must be one of {EVIDENCE_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "passed", bool(self.passed))
        object.__setattr__(self, "rules", tuple(self.rules))
        if kind == "fixed_size_identity" and not self.size:
            object.__setattr__(self, "size", "size not stated")

    @property
    def strength(self) -> str:
        """``"proof"`` (all_sizes_identity, rule) or ``"not a proof"``."""
        return STRENGTH[self.kind]

    @property
    def is_proof(self) -> bool:
        return self.kind in PROOF_KINDS

    @property
    def label(self) -> str:
        """The kind, with the size for a fixed-size identity (``"fixed_size_identity (4 x 2)"``)."""
        return f"{self.kind} ({self.size})" if self.kind == "fixed_size_identity" else self.kind


@dataclass(frozen=True)
class Step:
    """One step of a proof.

    Attributes
    ----------
    label : str
        Unique within its proof; later steps may cite it in ``uses``.
    asserts : str
        The assertion in plain text.
    uses : tuple of str
        Names the step relies on: hypotheses, earlier labels or introduced names, claims.
    introduces : tuple of str
        Names of the quantities or facts the step establishes.
    reason : str
        Why the assertion holds, in words.
    check : callable
        ``check() -> Evidence``; must be able to fail.  A check with a true attribute
        ``wants_step`` is called as ``check(step)``: rule chains read the step's ``uses`` to
        check that every hypothesis a rule needs is cited.
    latex : str
        Optional LaTeX form of the assertion (math mode content).
    also : tuple of callable
        Additional checks (e.g. instance checks beside a rule chain), run and reported but
        not counted towards the step's kind; each must pass for the step to pass.
    rules : tuple of str
        The rules the step applies (default: the ``rules`` attribute of its check).
    """

    label: str
    asserts: str
    uses: tuple = ()
    introduces: tuple = ()
    reason: str = ""
    check: Callable[[], Evidence] | None = field(default=None, compare=False, repr=False)
    latex: str = ""
    also: tuple = field(default=(), compare=False, repr=False)
    rules: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "uses", tuple(self.uses))
        object.__setattr__(self, "introduces", tuple(self.introduces))
        object.__setattr__(self, "also", tuple(self.also))
        if not self.label:
            raise ValueError("a step needs a non-empty label")
        if self.check is None or not callable(self.check):
            raise TypeError(f"step {self.label!r} needs a callable check returning Evidence")
        if any(not callable(c) for c in self.also):
            raise TypeError(f"step {self.label!r}: every additional check must be callable")
        rules = tuple(self.rules) or tuple(getattr(self.check, "rules", ()))
        object.__setattr__(self, "rules", rules)


@dataclass(frozen=True)
class Proof:
    """A proof of the registry claim ``claim``.

    Attributes
    ----------
    claim : str
        Claim name (``backsmooth.symbolic.claim(name)``).
    hypotheses : tuple of str
        Names available from the start: assumptions and the notation of the setting.
    steps : tuple of Step
    conclusion : tuple of str
        Names (step labels or introduced facts) that together are the claim's statement;
        each must be established by the steps.
    notes : tuple of str
        Where this proof departs from ``docs/theory.md`` (corrections), and why.
    """

    claim: str
    hypotheses: tuple
    steps: tuple
    conclusion: tuple
    notes: tuple = ()

    def __post_init__(self):
        for name in ("hypotheses", "steps", "conclusion", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.steps:
            raise ValueError(f"the proof of {self.claim!r} has no step")
        if not self.conclusion:
            raise ValueError(f"the proof of {self.claim!r} names no conclusion")


class ChainError(ValueError):
    """A proof whose steps do not chain, or a cycle between proofs."""


def claim_dependencies(proof: Proof, known) -> tuple:
    """Claims (names in ``known``) cited by the steps of ``proof``, in order of first use."""
    local = set(proof.hypotheses)
    for st in proof.steps:
        local.add(st.label)
        local.update(st.introduces)
    out = []
    for st in proof.steps:
        for u in st.uses:
            if u in known and u not in local and u not in out:
                out.append(u)
    return tuple(out)


def _find_cycle(graph: Mapping[str, tuple], start: str):
    """Return a list of claims forming a cycle reachable from ``start``, or None."""
    state: dict = {}
    path: list = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    return visit(start)


def dependency_order(proofs: Mapping[str, Proof]) -> tuple:
    """Order claim names so that every proof comes after the claims it cites.

    Raises
    ------
    ChainError
        If the proofs cite each other in a cycle.
    """
    known = set(proofs)
    graph = {name: claim_dependencies(p, known) for name, p in proofs.items()}
    order: list = []
    for name in proofs:
        cycle = _find_cycle(graph, name)
        if cycle:
            raise ChainError("cycle between proofs: " + " -> ".join(cycle))
    done: set = set()

    def place(node):
        if node in done:
            return
        done.add(node)
        for dep in graph[node]:
            place(dep)
        order.append(node)

    for name in proofs:
        place(name)
    return tuple(order)


def _context(proof: Proof, context):
    if context is None:
        from .registry import _all_proofs  # local: registry imports us

        context = _all_proofs()
    ctx = dict(context)
    ctx[proof.claim] = proof
    return ctx


def check_chain(proof: Proof, context: Mapping[str, Proof] | None = None) -> tuple:
    """Check that the steps of ``proof`` chain; return the claims it depends on.

    Every name a step uses must be a hypothesis of the proof, the label of an earlier step,
    a name introduced by an earlier step, or another claim of ``context`` (default: the
    registry of proofs) that does not depend back on this one.  Every conclusion name
    must be established.

    Parameters
    ----------
    proof : Proof
    context : mapping of claim name to Proof, optional
        The other proofs; ``proof`` replaces any entry of the same claim.  A value
        ``None`` stands for a claim accepted without a proof here (no dependencies).

    Raises
    ------
    ChainError
        Listing every broken link (or the cycle).
    """
    ctx = _context(proof, context)
    known = set(ctx)
    problems = []
    established = set(proof.hypotheses)
    later = {}
    for i, st in enumerate(proof.steps):
        for name in (st.label,) + st.introduces:
            later.setdefault(name, i)
    labels = set()
    for i, st in enumerate(proof.steps):
        if st.label in labels:
            problems.append(f"step {st.label!r} is labelled twice")
        labels.add(st.label)
        for u in st.uses:
            if u in established:
                continue
            if u == proof.claim:
                problems.append(f"step {st.label!r} uses the claim being proved ({u!r})")
            elif u in known:
                continue
            elif u in later and later[u] >= i:
                problems.append(
                    f"step {st.label!r} uses {u!r} before it is established "
                    f"(by step {proof.steps[later[u]].label!r})")
            else:
                problems.append(
                    f"step {st.label!r} uses {u!r}, which is not a hypothesis, an earlier step "
                    f"or quantity, or a proved claim")
        established.add(st.label)
        established.update(st.introduces)
    for c in proof.conclusion:
        if c not in established:
            problems.append(f"conclusion {c!r} is not established by any step")
    graph = {name: claim_dependencies(p, known) if p is not None else ()
             for name, p in ctx.items()}
    cycle = _find_cycle(graph, proof.claim)
    if cycle:
        problems.append("cycle between proofs: " + " -> ".join(cycle))
    if problems:
        raise ChainError(f"the proof of {proof.claim!r} does not chain: " + "; ".join(problems))
    return graph[proof.claim]


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
    cited = _cited_strengths(deps, ctx, context is not None, memo) if err is None else ()
    result = ProofResult(proof, steps, deps, err, cited)
    memo[key] = result
    if context is None:
        from .registry import _all_proofs  # local: registry imports us

        if _all_proofs().get(proof.claim) is proof:
            _REGISTRY_RESULTS[key] = result
    return result


def verify(proof: Proof, context: Mapping[str, Proof] | None = None) -> ProofResult:
    """Check the chain of ``proof``, run every step's machine check and rate cited claims.

    Parameters
    ----------
    proof : Proof
    context : mapping of claim name to Proof, optional
        Other proofs the chain may cite (default: the registry).  Cited proofs are verified
        too (registry results are cached) so that :attr:`ProofResult.strength` includes
        theirs; a cited name mapped to ``None`` counts as :data:`UNVERIFIED`.

    Returns
    -------
    ProofResult
    """
    return _verify(proof, context, {})
