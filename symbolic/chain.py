"""The one step engine: steps, chains of steps and the chain checker, for derivations and proofs.

A :class:`Proof` of a claim is an ordered tuple of :class:`Step` objects leading from the
claim's hypotheses to its statement.  Each step says what it asserts, what it relies on
(``uses``: hypotheses, earlier steps or quantities, or other claims), what it establishes
(``introduces``) and carries a machine ``check`` returning :class:`Evidence` of one of four
kinds (:data:`EVIDENCE_KINDS`), strongest first:

- ``"all_sizes_identity"``: an identity proved for symbolic ``n``, ``d``, ``L`` (matrix
  algebra over non-commuting symbols with the hypotheses as rewrite rules, scalar identities
  in symbolic parameters, induction with base case and step each proved);
- ``"rule"``: an inequality licensed by named rules whose side conditions were checked, or a
  scalar inequality in symbolic parameters decided by sympy;
- ``"fixed_size_identity"``: an identity (or an inequality) checked symbolically at one
  stated size (:attr:`Evidence.size`).  Not a proof;
- ``"instances"``: exact rational and seeded random float instances.  Not a proof.

The same engine serves ``backsmooth derive`` and ``backsmooth proof``: a derivation
(:mod:`backsmooth.symbolic.derivations`) is a chain of :class:`~backsmooth.symbolic.steps.DerivationStep`
(a :class:`Step` that also keeps its two sympy sides for rendering), checked by the same
:func:`check_chain` and rated by the same :func:`~backsmooth.symbolic.chain_verify.verify`.
The proofs of the registry (``backsmooth.proofs``) install themselves as the default context
of :func:`check_chain` (:func:`set_default_context`): imports point one way, symbolic -> proofs.

:func:`check_chain` rejects a chain whose steps do not chain: a step using a name that is
neither a hypothesis, an earlier step label or introduced quantity, nor a claim proved
earlier in the dependency order; it also rejects cycles between proofs.

Examples
--------
>>> ok = Evidence("all_sizes_identity", True, "(x+1)^2 - (x^2+2x+1) simplifies to 0")
>>> step = Step("expand", "(x+1)^2 = x^2 + 2x + 1", uses=("x",), introduces=("square",),
...             check=lambda: ok)
>>> check_chain(Proof("toy", hypotheses=("x",), steps=(step,), conclusion=("square",)), context={})
()
>>> check_chain(Proof("toy", hypotheses=(), steps=(step,), conclusion=("square",)), context={})
Traceback (most recent call last):
...
backsmooth.symbolic.chain.ChainError: the proof of 'toy' does not chain: step 'expand' uses 'x', ...
"""

from __future__ import annotations

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
    "ChainError",
    "check_chain",
    "claim_dependencies",
    "dependency_order",
    "set_default_context",
    "default_context",
]

from .evidence import (_RANK, EVIDENCE_KINDS, KIND_MEANING, LEGACY_KINDS,  # noqa: E402,F401
                       PROOF_KINDS, STRENGTH, UNVERIFIED, Evidence, is_proof_kind, weakest_kind)

#: () -> mapping of claim name to Proof: what a chain may cite when no ``context`` is given.
#: Empty here; ``backsmooth.proofs`` installs its registry (symbolic does not import proofs).
_DEFAULT_CONTEXT = [dict]


def set_default_context(provider) -> None:
    """Install ``provider() -> {claim: Proof}`` as the default context of the chain checker."""
    if not callable(provider):
        raise TypeError("the default context provider must be callable")
    _DEFAULT_CONTEXT[0] = provider


def default_context() -> dict:
    """The proofs a chain may cite by default (the registry once ``backsmooth.proofs`` is imported)."""
    return dict(_DEFAULT_CONTEXT[0]())


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

    Examples
    --------
    >>> Step("s", "1 = 1", check=lambda: Evidence("all_sizes_identity", True)).uses
    ()
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
    ctx = default_context() if context is None else dict(context)
    ctx[proof.claim] = proof
    return ctx


def check_chain(proof: Proof, context: Mapping[str, Proof] | None = None) -> tuple:
    """Check that the steps of ``proof`` chain; return the claims it depends on.

    Every name a step uses must be a hypothesis of the proof, the label of an earlier step,
    a name introduced by an earlier step, or another claim of ``context`` (default: the
    proofs installed by :func:`set_default_context`: the registry) that does not depend back
    on this one.  Every conclusion name
    must be established.

    Parameters
    ----------
    proof : Proof
    context : mapping of claim name to Proof, optional
        The other proofs (default: :func:`default_context`); ``proof`` replaces any entry of the
        same claim.  A value
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
