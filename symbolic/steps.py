"""Derivation steps: steps of the one step engine that keep their two sympy sides.

A :class:`DerivationStep` is a :class:`~backsmooth.symbolic.chain.Step` (the step type of the
proofs) that also keeps ``lhs``, ``relation`` and ``rhs`` as sympy objects for rendering.
Every step is *produced by checking it*, and its :class:`~backsmooth.symbolic.evidence.Evidence`
is named for what the check established:

- :func:`identity_step` simplifies ``lhs - rhs`` (entry by entry for matrices).  Explicit
  matrices, or a scalar built from the generic entries of explicit matrices (symbols such as
  ``x_01``), or a closed number: ``fixed_size_identity`` with the size stated; a scalar
  identity in symbolic parameters (``lambda``, ``s``, ``k``, ``L``...) or matrix expressions
  of symbolic shape: ``all_sizes_identity``;
- :func:`inequality_step` asks sympy's assumption system for the sign of an expression the
  caller derives from ``lhs - rhs`` (a log-ratio or a re-parametrised difference): ``rule``
  (rule "sign decided by sympy"), or ``fixed_size_identity`` when it is stated on generic
  entries of one size;
- :func:`rational_step` evaluates ``lhs`` and ``rhs`` on exact rational instances when sympy
  cannot decide the inequality symbolically: ``instances``;
- :func:`limit_step` evaluates a symbolic limit: ``all_sizes_identity``.

``verified`` is the outcome (``evidence.passed``), never a constant, so a step can fail; the
step's ``check`` returns the recorded evidence, so a derivation is a chain that the chain
checker (:func:`~backsmooth.symbolic.chain.check_chain`) and
:func:`~backsmooth.symbolic.chain_verify.verify` treat exactly like a proof.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.symbolic.steps import identity_step
>>> x = sp.Symbol("x")
>>> step = identity_step("square of a sum", (x + 1)**2, x**2 + 2*x + 1)
>>> step.verified, step.kind
(True, 'all_sizes_identity')
>>> identity_step("wrong", (x + 1)**2, x**2 + 1).verified
False
>>> identity_step("transpose", sp.Matrix([[1, x]]).T, sp.Matrix([1, x])).evidence.label
'fixed_size_identity (2 x 1 matrices)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sympy as sp
from sympy.polys.fields import sfield

from .chain import Step
from .evidence import Evidence

__all__ = [
    "DerivationStep",
    "recorded_step",
    "fixed_size",
    "SIGN_RULE",
    "identity_step",
    "inequality_step",
    "rational_step",
    "is_zero",
    "limit_step",
]

_RELATIONS = ("==", "<=", "<", ">=")


#: the rule a derivation's inequality step applies
SIGN_RULE = "sign decided by sympy"

# a symbol standing for one entry of an explicit matrix or vector of one size: x_01, c_0, x0, pi_1
_ENTRY = re.compile(r"^([A-Za-z]+_\d+|[A-Za-z]\d+)$")


class _Recorded:
    """The check of a derivation step: returns the evidence recorded when the step was checked."""

    __slots__ = ("evidence",)

    def __init__(self, evidence):
        self.evidence = evidence

    @property
    def rules(self):
        return self.evidence.rules

    def __call__(self):
        return self.evidence

    def __reduce__(self):
        return (_Recorded, (self.evidence,))


@dataclass(frozen=True)
class DerivationStep(Step):
    """One step of a derivation: a chain :class:`~backsmooth.symbolic.chain.Step` with its sympy sides.

    Built by :func:`recorded_step` (or the checking functions of this module).  The step's
    ``label`` and ``asserts`` are its description; its ``check`` returns ``evidence``.

    Attributes
    ----------
    lhs, rhs : sympy.Basic
        The two sides (scalars, explicit matrices or matrix expressions).
    relation : str
        One of ``"=="``, ``"<="``, ``"<"``, ``">="``.
    method : str
        How sympy checked it: ``"simplify"`` (also the remedies' matrix expressions of
        symbolic shape), ``"entrywise simplify"``, ``"assumptions"``, ``"rational instances"``,
        ``"limit"``.
    evidence : Evidence
        What the check established (kind, passed, detail, size, rules).

    Examples
    --------
    >>> st = recorded_step("one", sp.Integer(1), sp.Integer(1), "==",
    ...                    Evidence("fixed_size_identity", True, size="a number"), "simplify")
    >>> st.description, st.verified, st.kind, st.check() is st.evidence
    ('one', True, 'fixed_size_identity', True)
    """

    lhs: sp.Basic = None
    rhs: sp.Basic = None
    relation: str = "=="
    method: str = ""
    evidence: Evidence = None

    def __post_init__(self):
        if self.relation not in _RELATIONS:
            raise ValueError(f"relation must be one of {_RELATIONS}, got {self.relation!r}")
        if not isinstance(self.evidence, Evidence):
            raise TypeError(f"derivation step {self.label!r} needs Evidence, got {type(self.evidence).__name__}")
        super().__post_init__()

    @property
    def description(self) -> str:
        """What the step shows, in words (its ``asserts``)."""
        return self.asserts

    @property
    def verified(self) -> bool:
        """Whether the check established the relation (``evidence.passed``)."""
        return self.evidence.passed

    @property
    def kind(self) -> str:
        """The evidence kind (``all_sizes_identity``, ``rule``, ``fixed_size_identity``, ``instances``)."""
        return self.evidence.kind


def recorded_step(description, lhs, rhs, relation, evidence, method, uses=()) -> DerivationStep:
    """A :class:`DerivationStep` whose check returns ``evidence`` (already established)."""
    return DerivationStep(label=description, asserts=description, uses=tuple(uses),
                          check=_Recorded(evidence), lhs=lhs, rhs=rhs, relation=relation,
                          method=method, evidence=evidence)


def fixed_size(*exprs):
    """The one size ``exprs`` are stated at, or ``""`` when they hold for symbolic sizes.

    Explicit matrices give their shape; scalars give the generic entries of explicit matrices
    they contain (symbols named like ``x_01``), or say they are closed numbers.

    Examples
    --------
    >>> x, lam = sp.Symbol("x_01"), sp.Symbol("lambda")
    >>> fixed_size(lam**2, lam * lam), fixed_size(x + 1, 1 + x), fixed_size(sp.Integer(2))
    ('', '1 generic entry x_01', 'closed numbers (no free symbol)')
    """
    for e in exprs:
        if isinstance(e, sp.MatrixBase):
            return f"{e.shape[0]} x {e.shape[1]} matrices"
    if any(isinstance(e, sp.MatrixExpr) for e in exprs):
        return ""  # matrix expressions of symbolic shape
    free = set()
    for e in exprs:
        free |= {str(x) for x in sp.sympify(e).free_symbols}
    entries = sorted(x for x in free if _ENTRY.match(x))
    if entries:
        shown = ", ".join(entries[:2]) + (", ..." if len(entries) > 2 else "")
        return f"{len(entries)} generic entr{'y' if len(entries) == 1 else 'ies'} {shown}"
    if not free:
        return "closed numbers (no free symbol)"
    return ""


def _identity_evidence(ok, size, detail):
    if size:
        return Evidence("fixed_size_identity", ok, detail, size=size)
    return Evidence("all_sizes_identity", ok, detail)


def _zero_rational_function(expr) -> bool:
    """True when ``expr`` is 0 in sympy's field of rational functions of its generators.

    The generators (symbols, and non-rational subterms such as ``rho'(h)``, ``lambda**k`` or
    ``sqrt(x)``) are taken as independent indeterminates, so a zero element is 0 for every
    value of them where ``expr`` is defined: a sound zero test, and one sparse polynomial
    arithmetic pass instead of ``together`` + ``expand``.  False means "not shown here" (the
    caller goes on with its other tests), never "non-zero".  Expressions with floats are left
    to the other tests.
    """
    if expr.has(sp.Float):
        return False
    try:
        _, element = sfield(expr)
    except Exception:  # noqa: BLE001 - not a rational function sympy can build: not shown
        return False
    return not element


def is_zero(expr) -> bool:
    """Return True when ``expr`` (scalar or matrix) simplifies to exactly 0."""
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(e) for e in expr)
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    # expanding is sound (an identity of expressions) and, on the proofs' and derivations'
    # identities, cheaper than building the field element (recorded on their 229 calls: 5.3
    # against 6.7 CPU s; sfield decided every zero expand found); its value is cached, so
    # where it is not 0 the expansion below costs nothing again.  A zero found here is one
    # the old order finds too, by sfield or by the same expansion below, unless ``together``
    # raised an uncaught error first (never on those calls): the same verdicts
    try:
        if sp.expand(expr) == 0:
            return True
    except Exception:  # noqa: BLE001 - not shown here: the tests below decide, as before
        pass
    if _zero_rational_function(expr):
        return True
    try:  # polynomial arithmetic is far faster than Expr.expand on nested products
        num = sp.together(expr).as_numer_denom()[0]
        if sp.Poly(num).is_zero:
            return True
    except (sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        pass
    e = sp.expand(expr)
    if e == 0:
        return True
    e = sp.simplify(e)
    if e == 0:
        return True
    return sp.simplify(sp.expand(sp.powsimp(e))) == 0


def identity_step(description, lhs, rhs, size=None) -> DerivationStep:
    """Check ``lhs == rhs`` by simplifying the difference (entrywise for matrices).

    The evidence is ``fixed_size_identity`` at ``size`` (default :func:`fixed_size` of the two
    sides) when the sides are stated at one size, else ``all_sizes_identity``.
    """
    if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
        lhs, rhs = sp.ImmutableMatrix(lhs), sp.ImmutableMatrix(rhs)
        ok = lhs.shape == rhs.shape and is_zero(lhs - rhs)
        method = "entrywise simplify"
    else:
        lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
        if lhs.is_infinite or rhs.is_infinite:
            ok = lhs == rhs
        else:
            ok = is_zero(lhs - rhs)
        method = "simplify"
    size = fixed_size(lhs, rhs) if size is None else size
    ev = _identity_evidence(bool(ok), size, f"sympy {method}: lhs - rhs "
                            + ("simplifies to 0" if ok else "does not simplify to 0"))
    return recorded_step(description, lhs, rhs, "==", ev, method)


def inequality_step(description, lhs, rhs, certificate, relation="<=",
                    how="assumptions", size=None) -> DerivationStep:
    """Record ``lhs <= rhs`` (or ``<``) certified by the sign of ``certificate``.

    ``certificate`` must be an expression that is ``<= 0`` exactly when the relation
    holds (e.g. ``log(lhs/rhs)`` or ``lhs - rhs`` after substituting the hypotheses as a
    re-parametrisation); sympy's assumption system must *decide* its sign.  The evidence is
    ``rule`` (:data:`SIGN_RULE`) for symbolic parameters, ``fixed_size_identity`` when the
    sides or the certificate are stated at one size (``size``, default :func:`fixed_size`;
    a closed number is no size).
    """
    if relation not in ("<=", "<"):
        raise ValueError("inequality_step supports '<=' and '<'")
    raw = sp.expand(sp.expand_log(sp.sympify(certificate), force=True))
    ok = False
    for cert in (raw, sp.simplify(raw), sp.factor(raw)):
        decided = cert.is_nonpositive if relation == "<=" else cert.is_negative
        if decided is True:
            ok = True
            break
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if size is None:
        size = fixed_size(lhs, rhs, raw)
        size = "" if size.startswith("closed numbers") else size
    detail = f"sympy decided the sign of {raw} ({how})" if ok else f"sympy did not decide the sign of {raw}"
    ev = (Evidence("fixed_size_identity", ok, detail, size=size) if size
          else Evidence("rule", ok, detail, rules=(SIGN_RULE,)))
    return recorded_step(description, lhs, rhs, relation, ev, how)


def rational_step(description, lhs, rhs, instances, relation="<=") -> DerivationStep:
    """Check ``lhs <relation> rhs`` exactly on every substitution in ``instances``.

    Used only where sympy cannot decide the inequality symbolically; the method is
    recorded as ``"rational instances"``.  ``lhs``/``rhs`` may also be callables taking
    one instance and returning an exact sympy number.
    """
    if not instances:
        raise ValueError("rational_step needs at least one instance")
    ok = True
    for inst in instances:
        a = lhs(inst) if callable(lhs) else sp.sympify(lhs).subs(inst)
        b = rhs(inst) if callable(rhs) else sp.sympify(rhs).subs(inst)
        a, b = sp.nsimplify(a) if a.is_Float else a, sp.nsimplify(b) if b.is_Float else b
        diff = sp.simplify(a - b)
        if not diff.is_number:
            raise ValueError(f"instance {inst} leaves free symbols in {diff}")
        holds = {"<=": diff <= 0, "<": diff < 0, "==": diff == 0, ">=": diff >= 0}[relation]
        ok = ok and bool(holds)
    shown_l = sp.Symbol("lhs") if callable(lhs) else sp.sympify(lhs)
    shown_r = sp.Symbol("rhs") if callable(rhs) else sp.sympify(rhs)
    ev = Evidence("instances", ok, f"{len(instances)} exact rational instances")
    return recorded_step(f"{description} [{len(instances)} exact rational instances]",
                         shown_l, shown_r, relation, ev, "rational instances")


def limit_step(description, expr, var, point, expected, direction="+", size="") -> DerivationStep:
    """Check ``lim_{var -> point} expr == expected`` (shown as an unevaluated ``Limit``).

    The evidence is ``all_sizes_identity``, or ``fixed_size_identity`` at ``size`` when the
    caller states the expression at one size (an example of one size).
    """
    lim = sp.Limit(expr, var, point, direction)
    value = lim.doit()
    expected = sp.sympify(expected)
    ok = value == expected if (value.is_infinite or expected.is_infinite) else is_zero(value - expected)
    ev = _identity_evidence(bool(ok), size, f"sympy evaluated the limit: {value}")
    return recorded_step(description, lim, expected, "==", ev, "limit")
