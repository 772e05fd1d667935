"""Proofs as ordered chains of machine-checked steps.

A :class:`Proof` of a claim is an ordered tuple of :class:`Step` objects leading from the
claim's hypotheses to its statement.  Each step says what it asserts, what it relies on
(``uses``: hypotheses, earlier steps or quantities, or other claims), what it establishes
(``introduces``) and carries a machine ``check`` returning :class:`Evidence` of one of three
kinds:

- ``"symbolic identity"``: a sympy difference that simplifies to zero;
- ``"symbolic inequality"``: an inequality whose sign sympy decides under stated
  assumptions (positive symbols, ``0 < lambda < 1`` by re-parametrisation, ...);
- ``"checked on instances"``: exact rational instances plus seeded random float instances,
  used where sympy cannot decide (matrix-norm inequalities).  This is *not a proof*.

The first two count as *proved symbolically*, the third only as *checked on instances*; a
proof is as strong as its weakest step (:attr:`ProofResult.weakest`).

:func:`check_chain` rejects a proof whose steps do not chain: a step using a name that is
neither a hypothesis, an earlier step label or introduced quantity, nor a claim proved
earlier in the dependency order; it also rejects cycles between proofs.
:func:`verify` runs every step's check.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.proofs.checks import symbolic_identity
>>> x = sp.Symbol("x")
>>> step = Step("expand", "(x+1)^2 = x^2 + 2x + 1", uses=("x",), introduces=("square",),
...             reason="binomial formula",
...             check=symbolic_identity(lambda: ((x + 1)**2, x**2 + 2*x + 1)))
>>> proof = Proof("toy", hypotheses=("x",), steps=(step,), conclusion=("square",))
>>> result = verify(proof, context={})
>>> result.passed, result.weakest
(True, 'proved symbolically')
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

__all__ = [
    "EVIDENCE_KINDS",
    "STRENGTH",
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

#: the kinds of evidence a step's check may return
EVIDENCE_KINDS = ("symbolic identity", "symbolic inequality", "checked on instances")

#: evidence kind -> strength label, weakest last
STRENGTH = {
    "symbolic identity": "proved symbolically",
    "symbolic inequality": "proved symbolically",
    "checked on instances": "checked on instances",
}
_ORDER = ("proved symbolically", "checked on instances")


@dataclass(frozen=True)
class Evidence:
    """The outcome of one machine check.

    Attributes
    ----------
    kind : str
        One of :data:`EVIDENCE_KINDS`.
    passed : bool
        Whether the check established the assertion.
    detail : str
        What was checked (sizes, assumptions, number of instances, worst ratio).
    """

    kind: str
    passed: bool
    detail: str = ""

    def __post_init__(self):
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"evidence kind must be one of {EVIDENCE_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "passed", bool(self.passed))

    @property
    def strength(self) -> str:
        """``"proved symbolically"`` or ``"checked on instances"``."""
        return STRENGTH[self.kind]


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
        ``check() -> Evidence``; must be able to fail.
    latex : str
        Optional LaTeX form of the assertion (math mode content).
    """

    label: str
    asserts: str
    uses: tuple = ()
    introduces: tuple = ()
    reason: str = ""
    check: Callable[[], Evidence] | None = field(default=None, compare=False, repr=False)
    latex: str = ""

    def __post_init__(self):
        object.__setattr__(self, "uses", tuple(self.uses))
        object.__setattr__(self, "introduces", tuple(self.introduces))
        if not self.label:
            raise ValueError("a step needs a non-empty label")
        if self.check is None or not callable(self.check):
            raise TypeError(f"step {self.label!r} needs a callable check returning Evidence")


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
        from backsmooth.proofs.registry import _all_proofs  # local: registry imports us

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
    """A step with the evidence its check returned and the time it took (seconds)."""

    step: Step
    evidence: Evidence
    seconds: float

    @property
    def passed(self) -> bool:
        return self.evidence.passed


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
    """

    proof: Proof
    steps: tuple
    dependencies: tuple
    chain_error: str | None = None

    @property
    def claim(self) -> str:
        return self.proof.claim

    @property
    def passed(self) -> bool:
        """The chain holds and every step's check passed."""
        return self.chain_error is None and all(r.passed for r in self.steps)

    @property
    def weakest(self) -> str:
        """The weakest evidence of the proof: ``"checked on instances"`` if any step is."""
        return max((r.evidence.strength for r in self.steps), key=_ORDER.index)

    @property
    def failed_steps(self) -> tuple:
        return tuple(r.step.label for r in self.steps if not r.passed)


def _run(step: Step) -> StepResult:
    t0 = time.perf_counter()
    try:
        ev = step.check()
        if not isinstance(ev, Evidence):
            raise TypeError(f"check returned {type(ev).__name__}, not Evidence")
    except Exception as exc:  # a crashing check is a failed check, reported as such
        ev = Evidence("checked on instances", False, f"check raised {type(exc).__name__}: {exc}")
    return StepResult(step, ev, time.perf_counter() - t0)


def verify(proof: Proof, context: Mapping[str, Proof] | None = None) -> ProofResult:
    """Check the chain of ``proof`` and run every step's machine check.

    Parameters
    ----------
    proof : Proof
    context : mapping of claim name to Proof, optional
        Other proofs the chain may cite (default: the registry).

    Returns
    -------
    ProofResult
    """
    try:
        deps = check_chain(proof, context)
        err = None
    except ChainError as exc:
        deps, err = (), str(exc)
    return ProofResult(proof, tuple(_run(st) for st in proof.steps), deps, err)
