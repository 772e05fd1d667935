"""Machine checks for proof steps: each returns :class:`~backsmooth.proofs.framework.Evidence`.

Builders, each returning a zero-argument callable (the ``check`` of a
:class:`~backsmooth.proofs.framework.Step`):

- :func:`scalar_identity`: ``lhs - rhs`` simplifies to 0 for scalar expressions in symbolic
  parameters (``lambda``, ``s``, ``k``, ``L``, ``n``): evidence ``all_sizes_identity``;
- :func:`scalar_inequality`: ``rhs - lhs >= 0`` decided by sympy for scalar expressions in
  symbolic parameters, after the caller's re-parametrisation of the hypotheses (e.g.
  ``lambda = 1/(1+u)``, ``u > 0``, encodes ``0 < lambda < 1``): evidence ``rule`` (rule
  ``scalar inequality (sympy)``); undecided counts as failed;
- :func:`symbolic_identity`: ``lhs - rhs`` (explicit matrices of one size) simplifies to 0:
  evidence ``fixed_size_identity`` at the size its ``detail`` states;
- :func:`symbolic_inequality`: as :func:`scalar_inequality` but for expressions built at
  one size (e.g. ``L = 3``): evidence ``fixed_size_identity``;
- :func:`on_instances`: the relation on exact rational instances (sympy numbers, compared
  exactly) and on seeded random float instances (numpy, tolerance from float64 round-off):
  evidence ``instances``, "not a proof".

Identities of matrices for every size are in :mod:`backsmooth.proofs.algebra`, inequalities
licensed by named rules in :mod:`backsmooth.proofs.rules`.

Every check can fail: a wrong assertion gives ``passed=False``.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> symbolic_identity(lambda: ((x + 1)**2, x**2 + 1))().passed
False
>>> symbolic_inequality(lambda: (x, x + 1, {}))().passed
True
>>> symbolic_inequality(lambda: (x + 1, x, {}))().passed
False
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from .framework import Evidence
from backsmooth.symbolic.steps import is_zero  # one exact zero test for derivations and proofs

__all__ = [
    "FLOAT_RTOL",
    "FLOAT_ATOL",
    "is_zero",
    "scalar_identity",
    "scalar_inequality",
    "exact_witness",
    "construction_identity",
    "symbolic_identity",
    "symbolic_inequality",
    "on_instances",
    "exact_le",
]

#: relative tolerance for float instances: accumulated float64 round-off of the small
#: products involved (a few hundred flops, eps = 2.2e-16), with a wide safety margin;
#: the same 1e-9 that docs/theory.md's numerical protocol uses for "violation".
FLOAT_RTOL = 1e-9
#: absolute tolerance, relative to the instance's scale (for quantities that are exactly 0)
FLOAT_ATOL = 1e-12


def _pairs(built):
    if isinstance(built, tuple) and len(built) == 2 and not isinstance(built[0], tuple):
        return [built]
    return list(built)


def symbolic_identity(build, detail: str = "", size: str = ""):
    """Return a check that every ``(lhs, rhs)`` from ``build()`` is an identity at one size.

    Evidence kind ``fixed_size_identity`` (not a proof): explicit sympy matrices have one size.

    Parameters
    ----------
    build : callable
        Returns one pair ``(lhs, rhs)`` or a list of pairs (sympy scalars or matrices).
    detail : str
        What the symbols are (sizes, generic entries, symbolic exponents).
    size : str
        The size checked (default: ``detail``).
    """

    def check() -> Evidence:
        pairs = _pairs(build())
        bad = []
        for i, (lhs, rhs) in enumerate(pairs):
            if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
                lhs, rhs = sp.Matrix(lhs), sp.Matrix(rhs)
                if lhs.shape != rhs.shape:
                    bad.append(i)
                    continue
            if not is_zero(lhs - rhs):
                bad.append(i)
        msg = f"{len(pairs)} identit{'y' if len(pairs) == 1 else 'ies'}: difference simplifies to 0"
        if bad:
            msg = f"identities {bad} of {len(pairs)} do NOT simplify to 0"
        return Evidence("fixed_size_identity", not bad, f"{msg}{'; ' + detail if detail else ''}",
                        size=size or detail)

    return check


def construction_identity(build, detail: str = ""):
    """Return a check of identities between the explicit matrices of a construction.

    For a claim *about* an explicit construction (e.g. Proposition 2's ``n = 2`` network), its
    matrices have the construction's own size and every free parameter (weights, ``p``, the
    depth as a symbolic exponent) stays symbolic, so the identity holds for the whole
    statement: evidence ``all_sizes_identity``.  Do not use it for generic matrices checked
    at one size (that is :func:`symbolic_identity`).
    """
    inner = symbolic_identity(build, detail)

    def check() -> Evidence:
        ev = inner()
        return Evidence("all_sizes_identity", ev.passed,
                        ev.detail + " (the construction's own size; parameters and depth symbolic)")

    check.form, check.build = "identity", build
    check.remake = lambda new_build: construction_identity(new_build, detail)
    return check


def scalar_identity(build, detail: str = ""):
    """Return a check that every scalar ``(lhs, rhs)`` from ``build()`` is an identity.

    For expressions in symbolic parameters (sizes, depths, rates), so an identity that
    simplifies to 0 holds for every value: evidence ``all_sizes_identity``.  Explicit
    matrices are refused (they have one size: use :func:`symbolic_identity`).

    Examples
    --------
    >>> L = sp.Symbol("L", integer=True, positive=True)
    >>> scalar_identity(lambda: (2**(L + 1), 2 * 2**L))().kind
    'all_sizes_identity'
    """

    def check() -> Evidence:
        pairs = _pairs(build())
        bad = []
        for i, (lhs, rhs) in enumerate(pairs):
            if isinstance(lhs, sp.MatrixBase) or isinstance(rhs, sp.MatrixBase):
                raise TypeError("scalar_identity takes scalar expressions; explicit matrices have "
                                "one size (symbolic_identity, or backsmooth.proofs.algebra)")
            if not is_zero(sp.sympify(lhs) - sp.sympify(rhs)):
                bad.append(i)
        msg = f"{len(pairs)} scalar identit{'y' if len(pairs) == 1 else 'ies'} in symbolic parameters"
        if bad:
            msg = f"scalar identities {bad} of {len(pairs)} do NOT simplify to 0"
        return Evidence("all_sizes_identity", not bad, f"{msg}{'; ' + detail if detail else ''}")

    check.form, check.build = "identity", build
    check.remake = lambda new_build: scalar_identity(new_build, detail)
    return check


def _decided_nonnegative(expr) -> bool:
    expr = sp.sympify(expr)
    if expr.is_nonnegative is True:
        return True
    if expr.is_negative is True:
        return False
    def _epb(e):
        return sp.simplify(sp.expand_power_base(sp.powsimp(e, force=True), force=True))

    # the forms tried in turn; simplify(expr) and _epb(expr) are computed once and reused by
    # the two factored forms (the same values a second call would return)
    done = {}

    def once(fn):
        def form(e):
            if fn not in done:
                try:
                    done[fn] = (True, fn(e))
                except Exception as exc:  # pragma: no cover - sympy internals
                    done[fn] = (False, exc)
            ok, value = done[fn]
            if not ok:
                raise value
            return value
        return form

    simplified, epb = once(sp.simplify), once(_epb)
    for form in (sp.factor, simplified, sp.together, sp.expand, epb,
                 lambda e: sp.factor(simplified(e)), lambda e: sp.factor(epb(e))):
        try:
            f = form(expr)
        except Exception:  # pragma: no cover - sympy internals
            continue
        if f.is_nonnegative is True:
            return True
        if f.is_negative is True:
            return False
    return False


def symbolic_inequality(build, detail: str = "", size: str = "", *, _kind="fixed_size_identity",
                        _rules=()):
    """Return a check that ``lhs <= rhs`` for every triple from ``build()``.

    Parameters
    ----------
    build : callable
        Returns ``(lhs, rhs, reparametrisation)`` or a list of them; ``reparametrisation`` is
        a dict substituting hypothesised symbols by expressions in positive symbols that
        encode the hypotheses (``{lam: 1/(1+u)}`` for ``0 < lambda < 1``).  sympy must decide
        ``rhs - lhs >= 0`` (or, when both sides are positive, ``log rhs - log lhs >= 0``
        after expanding the logarithms); if it cannot, the check fails.
    detail : str
        The assumptions, in words.
    size : str
        The one size at which it was built (default: ``detail``); evidence kind
        ``fixed_size_identity``.  For expressions in symbolic parameters use
        :func:`scalar_inequality`.
    """

    def check() -> Evidence:
        triples = build()
        if isinstance(triples, tuple) and len(triples) == 3 and isinstance(triples[2], dict):
            triples = [triples]
        bad = []
        for i, (lhs, rhs, rep) in enumerate(triples):
            lhs, rhs = sp.sympify(lhs).subs(rep), sp.sympify(rhs).subs(rep)
            ok = _decided_nonnegative(rhs - lhs)
            if not ok and lhs.is_positive and rhs.is_positive:
                # both sides positive: decide log(rhs) - log(lhs) >= 0 (monomials in powers)
                ok = _decided_nonnegative(sp.expand_log(sp.log(rhs) - sp.log(lhs), force=True))
            if not ok:
                bad.append(i)
        msg = f"{len(triples)} inequalit{'y' if len(triples) == 1 else 'ies'} decided by sympy"
        if bad:
            msg = f"sympy could not establish inequalities {bad} of {len(triples)}"
        return Evidence(_kind, not bad, f"{msg}{'; ' + detail if detail else ''}",
                        size=(size or detail) if _kind == "fixed_size_identity" else "",
                        rules=_rules)

    check.rules = _rules
    check.form, check.build = "inequality", build
    check.remake = lambda new_build: symbolic_inequality(new_build, detail, size, _kind=_kind, _rules=_rules)
    return check


#: the rule name of a scalar inequality decided by sympy
SCALAR_RULE = "scalar inequality (sympy)"


def scalar_inequality(build, detail: str = ""):
    """Return a check that scalar ``lhs <= rhs`` holds for every value of the symbolic parameters.

    Same input as :func:`symbolic_inequality`; the expressions must be scalars in symbolic
    parameters (``k``, ``L``, ``lambda``, ``s``, slacks) whose hypotheses are encoded by the
    re-parametrisation.  Evidence kind ``rule`` (rule :data:`SCALAR_RULE`); sympy not
    deciding counts as failed.

    Examples
    --------
    >>> u = sp.Symbol("u", positive=True)
    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> scalar_inequality(lambda: ((1/(1+u))**(k+1), (1/(1+u))**k, {}))().kind
    'rule'
    """
    return symbolic_inequality(build, detail, _kind="rule", _rules=(SCALAR_RULE,))


#: the rule name of an existence statement decided exactly at a witness
WITNESS_RULE = "exact witness (exact arithmetic)"


def exact_witness(build, detail: str = ""):
    """Return a check of an existence statement (a counter-example) decided exactly at a witness.

    ``build()`` returns ``(lhs, rhs, {})`` triples as :func:`symbolic_inequality`, exact
    numbers at the witness; sympy decides ``lhs <= rhs`` exactly.  An exact witness proves
    "there is an instance with ...": evidence kind ``rule`` (rule :data:`WITNESS_RULE`).
    """
    return symbolic_inequality(build, detail, _kind="rule", _rules=(WITNESS_RULE,))


def exact_le(a, b, relation: str = "<=") -> bool:
    """Decide ``a <= b`` (or ``a == b``) exactly for sympy numbers (radicals allowed)."""
    d = sp.sympify(a) - sp.sympify(b)
    if relation == "==":
        return is_zero(d)
    if d.is_nonpositive is True:
        return True
    if d.is_positive is True:
        return False
    d = sp.radsimp(sp.simplify(d))
    if d == 0 or d.is_nonpositive is True:
        return True
    if d.is_positive is True:
        return False
    # undecided by sympy's assumptions: the sign of an algebraic number, to 60 digits
    v = sp.N(d, 60)
    return bool(v <= 0) and (v < -sp.Float("1e-50") or is_zero(d))


def on_instances(relation: str = "<=", *, exact=None, floats=None, detail: str = ""):
    """Return a check of ``lhs <relation> rhs`` on exact and float instances.

    Parameters
    ----------
    relation : {"<=", "=="}
    exact : callable, optional
        Returns a list of ``(lhs, rhs)`` exact sympy numbers (rational instances; radicals
        allowed), compared exactly.
    floats : callable, optional
        Returns ``(lhs, rhs)`` or ``(lhs, rhs, scale)`` 1-d numpy arrays over seeded random
        instances; ``lhs <= rhs (1 + FLOAT_RTOL) + FLOAT_ATOL * scale`` (or ``|lhs - rhs|``
        within the same tolerance for ``==``).
    detail : str
        The instance families (sizes, adversarial cases).
    """
    if relation not in ("<=", "=="):
        raise ValueError(f"relation must be '<=' or '==', got {relation!r}")
    if exact is None and floats is None:
        raise ValueError("on_instances needs exact or float instances")

    def check() -> Evidence:
        parts, ok = [], True
        if exact is not None:
            pairs = list(exact())
            bad = [i for i, (a, b) in enumerate(pairs) if not exact_le(a, b, relation)]
            ok = ok and bool(pairs) and not bad
            parts.append(f"{len(pairs)} exact rational instances, {len(bad)} violations")
        if floats is not None:
            out = floats()
            lhs, rhs = np.asarray(out[0], float), np.asarray(out[1], float)
            scale = np.asarray(out[2], float) if len(out) > 2 else np.ones_like(rhs)
            if lhs.shape != rhs.shape or lhs.size == 0:
                return Evidence("instances", False, "float instances: shape mismatch or none")
            tol = FLOAT_RTOL * np.abs(rhs) + FLOAT_ATOL * scale
            if relation == "==":
                tol = FLOAT_RTOL * np.maximum(np.abs(lhs), np.abs(rhs)) + FLOAT_ATOL * scale
                viol = np.abs(lhs - rhs) > tol
                worst = float(np.max(np.abs(lhs - rhs) / np.maximum(np.abs(rhs), scale)))
                parts.append(f"{lhs.size} float instances, {int(viol.sum())} violations, "
                             f"max relative deviation {worst:.1e}")
            else:
                viol = lhs > rhs + tol
                pos = rhs > 1e3 * FLOAT_ATOL * scale  # ratios of round-off-level sides are noise
                worst = float(np.max(lhs[pos] / rhs[pos])) if pos.any() else float("nan")
                parts.append(f"{lhs.size} float instances, {int(viol.sum())} violations, "
                             f"max ratio lhs/rhs {worst:.6f}")
            ok = ok and not viol.any() and np.all(np.isfinite(lhs)) and np.all(np.isfinite(rhs))
        text = "; ".join(parts) + " (checked on instances, not a proof)"
        return Evidence("instances", ok, text + (f"; {detail}" if detail else ""))

    return check
