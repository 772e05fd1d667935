"""The rule registry: what a rule licenses, how rules are registered, and the decisions they share.

A rule is a function ``f(term, **params) -> Licence`` registered under its name in :data:`RULES`
(decorator :func:`rule`); it raises :class:`RuleError` when the term lacks its pattern or its side
conditions.  :func:`decide_le` decides a scalar inequality with sympy and :func:`monotone` whether an
expression is non-decreasing in a sub-term (all norms and parameters non-negative).

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> decide_le(x, 2 * x), decide_le(2 * x, x)
(True, False)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .algebra import split_word
from .checks import _decided_nonnegative
from .norms import _Norm

__all__ = ["RuleError", "Licence", "RULES", "rule", "decide_le", "monotone"]


class RuleError(ValueError):
    """A rule applied to a term without its pattern or without its side conditions."""


@dataclass(frozen=True)
class Licence:
    """What a rule licenses: ``term <relation> bound``, needing these hypotheses."""

    bound: object
    relation: str = "<="
    needs: tuple = ()


RULES: dict = {}


def rule(name):
    """Register a rule function ``f(term, **params) -> Licence`` under ``name``."""
    def deco(fn):
        RULES[name] = fn
        fn.rule_name = name
        return fn
    return deco

def _word(M):
    """``(coefficient, [letters])`` of a product of matrices (powers written out)."""
    return split_word(M)


def _need(cond, msg):
    if not cond:
        raise RuleError(msg)

def _decide_le(a, b, rep=None) -> bool:
    """sympy decides ``a <= b`` (after ``rep``), directly or, both sides positive, on logarithms.

    The verdict is ``direct or logs``: the direct decision of ``b - a >= 0`` or the route on
    logarithms (:func:`_decide_le_on_logs`).  Both are pure and deterministic, and the direct
    decision raises only from its first two assumption queries (its forms are tried under
    ``except``), so the logarithms may be tried first with the same verdict and the same
    exception: those two queries are asked first, as before; a log route that raises is
    re-raised only where the direct decision then fails, exactly where the direct-first order
    raised it.  Logarithms first because they decide the proofs' positive monomial bounds in a
    fraction of the time the direct forms take to fail on them.
    """
    a, b = sp.sympify(a).subs(rep or {}), sp.sympify(b).subs(rep or {})
    diff = b - a
    if diff.is_nonnegative is True:     # _decided_nonnegative's own first queries, as before
        return True
    diff.is_negative  # noqa: B018 - asked (and may raise) before anything else, as before
    try:
        if _decide_le_on_logs(a, b):
            return True
        failure = None
    except Exception as exc:  # raised only where the direct decision fails too (below)
        failure = exc
    if _decided_nonnegative(diff):
        return True
    if failure is not None:
        raise failure
    return False


def _decide_le_on_logs(a, b) -> bool:
    """The route on logarithms of :func:`_decide_le` (``a``, ``b`` substituted), in its order."""
    for x, y in ((a, b), (sp.factor(sp.simplify(a)), sp.factor(sp.simplify(b)))):
        if x.is_positive and y.is_positive:
            if _decided_nonnegative(sp.expand_log(sp.log(y) - sp.log(x), force=True)):
                return True
            ratio = sp.powsimp(sp.simplify(y / x), force=True)
            if _decided_nonnegative(sp.expand_log(sp.log(ratio), force=True)):
                return True
        elif x.is_nonnegative and y.is_nonnegative:
            # b = r a with a >= 0: b >= a where r >= 1 (and both are >= 0 where a = 0)
            ratio = sp.powsimp(sp.simplify(y / x), force=True)
            if _decided_nonnegative(ratio - 1) or (ratio.is_positive and _decided_nonnegative(
                    sp.expand_log(sp.log(ratio), force=True))):
                return True
    return False


def _monotone(expr, term, rep=None):
    # derivative >= 0 for positive values of the term and of every norm; the expressions are
    # continuous, so the monotonicity extends to the boundary (zero norms)
    tau = sp.Dummy("tau", positive=True)
    e = expr.xreplace({term: tau}).subs(rep or {})
    atoms = {a: sp.Dummy(positive=True) for a in e.atoms(_Norm)}
    e = e.xreplace(atoms)
    return _decided_nonnegative(sp.diff(e, tau))


#: public names of the shared decisions
decide_le, monotone = _decide_le, _monotone
