"""Sign rules of the proof engine: the ReLU margin lemma and scalar facts decided by cases.

``margin`` licenses ``|1[a>0] - 1[b>0]| <= |a - b| / |b|`` (the side condition ``b != 0`` must be
cited); ``sign_cases`` and ``factored_inequality`` are step checks whose evidence is ``rule``:
sympy decides each sign case, or the factored difference, for symbolic magnitudes (never at
points).  Re-exported by :mod:`backsmooth.proofs.rules_local`, which the ReLU and local-constant
proofs import.
"""

from __future__ import annotations

import itertools

import sympy as sp

from . import rules as ru
from .checks import SCALAR_RULE, _decided_nonnegative
from .framework import Evidence
from .rule_base import _need

__all__ = ["CASE_RULE", "margin", "sign_cases", "factored_inequality"]


@ru.rule("margin lemma")
def margin(term, nonzero=None, **_):
    """``|1[a>0] - 1[b>0]| <= |a - b| / |b|``, proved as the step ``margin lemma``; ``nonzero`` names the
    fact that gives ``b != 0`` (its side condition), which the step must cite."""
    _need(nonzero is not None, "margin lemma: name the fact that gives b != 0 (nonzero=...)")
    _need(isinstance(term, sp.Abs), "margin lemma: not |1[a>0] - 1[b>0]|")
    parts = sp.Add.make_args(term.args[0])
    pos = [p for p in parts if not p.could_extract_minus_sign()]
    neg = [-p for p in parts if p.could_extract_minus_sign()]
    _need(len(parts) == 2 and len(pos) == 1 and len(neg) == 1, "margin lemma: not |1[a>0] - 1[b>0]|")
    a, b = (_indicator_arg(p) for p in (pos[0], neg[0]))
    _need(a is not None and b is not None, "margin lemma: not |1[a>0] - 1[b>0]|")
    return ru.Licence(sp.Abs(a - b) / sp.Abs(b), "<=", ("margin lemma", nonzero))


def _indicator_arg(p):
    if isinstance(p, sp.Piecewise) and len(p.args) == 2 and p.args[0][0] == 1 and p.args[1] == (0, True):
        cond = p.args[0][1]
        if isinstance(cond, sp.StrictGreaterThan) and cond.rhs == 0:
            return cond.lhs
    return None


#: the rule name of a case split on signs
CASE_RULE = "case split on signs"
_RANGES = {"real": (1, 0, -1), "nonzero": (1, -1), "positive": (1,), "nonnegative": (1, 0)}


def _cases(statement, variables):
    names = list(variables)
    for v, r in variables.items():
        if r not in _RANGES:
            raise ValueError(f"variable {v}: range must be one of {sorted(_RANGES)}, got {r!r}")
    pos = {v: sp.Symbol(f"{v}_+", positive=True) for v in names}
    out = []
    for signs in itertools.product(*(_RANGES[variables[v]] for v in names)):
        vals = {v: sg * pos[v] for v, sg in zip(names, signs)}
        lhs, rhs = statement(**vals)
        out.append((lhs, rhs, {}))
    return out


def _case_check(build, detail):
    def check() -> Evidence:
        triples = build()
        bad = [i for i, (l, r, rep) in enumerate(triples)
               if not _decided_nonnegative(sp.sympify(r).subs(rep) - sp.sympify(l).subs(rep))]
        msg = (f"{len(triples)} sign cases, each decided by sympy for a symbolic positive magnitude"
               if not bad else f"sympy could not establish cases {bad} of {len(triples)}")
        return Evidence("rule", not bad, msg + (f"; {detail}" if detail else ""), rules=(CASE_RULE, SCALAR_RULE))

    check.rules = (CASE_RULE, SCALAR_RULE)
    check.form, check.build = "inequality", build
    check.remake = lambda new_build: _case_check(new_build, detail)
    return check


def _factored_check(build, detail):
    def check() -> Evidence:
        triples = build()
        bad = []
        for i, (lhs, rhs, rep) in enumerate(triples):
            diff = (sp.sympify(rhs) - sp.sympify(lhs)).subs(rep)
            diff = sp.factor(sp.together(sp.powsimp(sp.expand(diff), force=True)))
            if diff.is_nonnegative is not True:
                bad.append(i)
        msg = (f"{len(triples)} inequalit{'y' if len(triples) == 1 else 'ies'} decided by sympy (factored "
               f"difference non-negative)" if not bad else f"sympy could not establish inequalities {bad}")
        return Evidence("rule", not bad, msg + (f"; {detail}" if detail else ""), rules=(SCALAR_RULE,))

    check.rules = (SCALAR_RULE,)
    check.form, check.build = "inequality", build
    check.remake = lambda new_build: _factored_check(new_build, detail)
    return check


def factored_inequality(build, detail: str = ""):
    """A step check: scalar ``lhs <= rhs`` for every value, by the sign of the factored difference.

    As :func:`backsmooth.proofs.checks.scalar_inequality` (``build()`` returns ``(lhs, rhs, rep)``
    triples, ``rep`` a re-parametrisation encoding the hypotheses) but sympy is asked once, on
    ``factor(together(rhs - lhs))``: a rational function whose factors sympy's assumptions
    decide, which is fast both ways.  Evidence ``rule``.

    Examples
    --------
    >>> p = sp.Symbol("p", nonnegative=True)
    >>> factored_inequality(lambda: [(1 / (2 + p), 1 / (1 + p), {})])().passed
    True
    >>> factored_inequality(lambda: [(1 / (1 + p), 1 / (2 + p), {})])().passed
    False
    """
    return _factored_check(build, detail)


def sign_cases(statement, variables: dict, detail: str = ""):
    """A step check: ``lhs <= rhs`` for every real value of the variables, by a case split on signs.

    Parameters
    ----------
    statement : callable
        ``statement(**values) -> (lhs, rhs)``.
    variables : dict
        Variable name -> range: ``"real"`` (cases ``+t, 0, -t``), ``"nonzero"`` (``+t, -t``),
        ``"nonnegative"`` (``+t, 0``) or ``"positive"`` (``+t``), ``t`` a positive symbol.
        The cases cover the range exactly, by construction.

    Examples
    --------
    >>> sign_cases(lambda a: (sp.Integer(0), sp.Abs(a)), {"a": "real"})().passed
    True
    >>> sign_cases(lambda a: (a, sp.Integer(0)), {"a": "real"})().passed
    False
    """
    return _case_check(lambda: _cases(statement, variables), detail)
