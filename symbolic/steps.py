"""Derivation steps: one checked relation ``lhs <relation> rhs`` of a derivation.

Every step is *produced by checking it*: :func:`identity_step` simplifies ``lhs - rhs``
(entry by entry for matrices) and records whether it is zero; :func:`inequality_step`
asks sympy's assumption system for the sign of an expression that the caller derives
from ``lhs - rhs`` (a log-ratio or a re-parametrised difference); :func:`rational_step`
evaluates ``lhs`` and ``rhs`` on exact rational instances when sympy cannot decide the
inequality symbolically.  ``verified`` is the outcome, never a constant, so a step can
fail.

Examples
--------
>>> import sympy as sp
>>> from backsmooth.symbolic.steps import identity_step
>>> x = sp.Symbol("x")
>>> identity_step("square of a sum", (x + 1)**2, x**2 + 2*x + 1).verified
True
>>> identity_step("wrong", (x + 1)**2, x**2 + 1).verified
False
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = [
    "DerivationStep",
    "identity_step",
    "inequality_step",
    "rational_step",
    "is_zero",
    "limit_step",
]

_RELATIONS = ("==", "<=", "<", ">=")


@dataclass(frozen=True)
class DerivationStep:
    """One step of a derivation.

    Attributes
    ----------
    description : str
        What the step shows, in words.
    lhs, rhs : sympy.Basic
        The two sides (scalars or explicit matrices).
    relation : str
        One of ``"=="``, ``"<="``, ``"<"``, ``">="``.
    verified : bool
        Whether sympy actually established the relation.
    method : str
        How: ``"simplify"`` (difference simplifies to 0), ``"entrywise simplify"``,
        ``"assumptions"`` (sign decided by sympy's assumptions after the stated
        re-parametrisation), ``"rational instances"`` (checked exactly on rational
        instances only, because sympy cannot decide it symbolically).
    """

    description: str
    lhs: sp.Basic
    rhs: sp.Basic
    relation: str
    verified: bool
    method: str

    def __post_init__(self):
        if self.relation not in _RELATIONS:
            raise ValueError(f"relation must be one of {_RELATIONS}, got {self.relation!r}")


def is_zero(expr) -> bool:
    """Return True when ``expr`` (scalar or matrix) simplifies to exactly 0."""
    if isinstance(expr, sp.MatrixBase):
        return all(is_zero(e) for e in expr)
    expr = sp.sympify(expr)
    if expr == 0:
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


def identity_step(description, lhs, rhs) -> DerivationStep:
    """Check ``lhs == rhs`` by simplifying the difference (entrywise for matrices)."""
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
    return DerivationStep(description, lhs, rhs, "==", bool(ok), method)


def inequality_step(description, lhs, rhs, certificate, relation="<=",
                    how="assumptions") -> DerivationStep:
    """Record ``lhs <= rhs`` (or ``<``) certified by the sign of ``certificate``.

    ``certificate`` must be an expression that is ``<= 0`` exactly when the relation
    holds (e.g. ``log(lhs/rhs)`` or ``lhs - rhs`` after substituting the hypotheses as a
    re-parametrisation); sympy's assumption system must *decide* its sign.
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
    return DerivationStep(description, sp.sympify(lhs), sp.sympify(rhs), relation,
                          bool(ok), how)


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
    return DerivationStep(f"{description} [{len(instances)} exact rational instances]",
                          shown_l, shown_r, relation, ok, "rational instances")


def limit_step(description, expr, var, point, expected, direction="+") -> DerivationStep:
    """Check ``lim_{var -> point} expr == expected`` (shown as an unevaluated ``Limit``)."""
    lim = sp.Limit(expr, var, point, direction)
    value = lim.doit()
    expected = sp.sympify(expected)
    ok = value == expected if (value.is_infinite or expected.is_infinite) else is_zero(value - expected)
    return DerivationStep(description, lim, expected, "==", bool(ok), "limit")
