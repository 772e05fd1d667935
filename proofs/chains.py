"""Step checks built from rules: a chain of rule applications, an induction, several parts.

:class:`RuleChain` starts from an expression and applies one named rule (see
:data:`backsmooth.proofs.rule_base.RULES`) at a time to a sub-term, checking monotonicity every time an
inequality is applied inside a larger expression; it must end exactly at the stated bound.
:class:`ByInduction` proves a statement from a base case and an inductive step; :class:`AllOf` joins
parts of one step.  Evidence kind ``rule`` (the weakest kind of the parts for the last two).

Examples
--------
>>> import sympy as sp
>>> from backsmooth.proofs.algebra import matrix
>>> from backsmooth.proofs.norms import Fro, Spec
>>> P, X = matrix("P"), matrix("X")
>>> chain = RuleChain(Fro(P * X), [("submultiplicative", Fro(P * X), {"split": 1, "pair": "2,F"}),
...                                ("contraction", Spec(P), {})], Fro(X))
>>> chain().passed
True
>>> chain(type("Step", (), {"uses": ()})()).passed   # ||P||_2 <= 1 needs (A1), not cited
False
"""

from __future__ import annotations

import sympy as sp

from . import rules_basic, rules_columns, rules_losses  # noqa: F401  (register the rules a chain applies)
from .checks import is_zero
from .framework import Evidence
from .norms import MONOTONE
from .rule_base import RULES, RuleError, _decide_le, _monotone

__all__ = ["RuleChain", "ByInduction", "AllOf"]


class RuleChain:
    """A step check: ``start <= target`` by a chain of rule applications.

    Parameters
    ----------
    start : sympy expression
    links : list of ``(rule name, term, params)``
        Apply rule ``rule name`` to the sub-term ``term`` of the current expression.
        ``("scalar", None, {"to": expr, "rep": {...}})`` replaces the whole expression by a
        larger one, decided by sympy (rule ``scalar inequality (sympy)``).
    target : sympy expression
        The stated bound; the chain must end exactly there.
    detail : str
    rep : dict, optional
        A re-parametrisation encoding hypotheses (``{lam: 1/(1+v)}``) used by the
        monotonicity checks; ``rep_needs`` names those hypotheses (the step must cite them).
    """

    wants_step = True

    def __init__(self, start, links, target, detail: str = "", rep=None, rep_needs=()):
        self.start, self.links, self.target, self.detail = start, list(links), target, detail
        #: hypotheses encoded as a re-parametrisation for the monotonicity checks, and their names
        self.rep, self.rep_needs = dict(rep or {}), tuple(rep_needs)
        self.rules = tuple(dict.fromkeys({"scalar": "scalar inequality (sympy)",
                                          "scalar bound": "scalar inequality (sympy)",
                                          "rewrite": "definitions (sums, products)"}.get(lk[0], lk[0])
                                         for lk in self.links))

    def needs(self):
        """Hypotheses and facts the rules of the chain need (empty when the chain breaks)."""
        try:
            return self._run()[1]
        except RuleError:
            return ()

    def _run(self):
        expr, needs, used = sp.sympify(self.start), [], []
        for i, (name, term, params) in enumerate(self.links):
            if name == "rewrite":
                from sympy.simplify.simplify import product_simplify, sum_simplify

                new = sp.sympify(params["to"])
                peeled = new
                if "peel" in params:  # sum_{j=a}^{b} f(j) = f(a) + sum_{j=a+1}^{b} f(j), for a <= b
                    a0 = params["peel"]
                    peeled = new.replace(
                        lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.limits[0][1] == a0,
                        lambda e: e.function.subs(e.limits[0][0], a0)
                        + sp.Sum(e.function, (e.limits[0][0], a0 + 1, e.limits[0][2])))
                diff = (expr - peeled).xreplace(params.get("defs", {}))
                if not is_zero(sum_simplify(product_simplify(sp.expand(diff)))):
                    raise RuleError(f"link {i}: {expr} = {new} does not follow from "
                                    f"{params.get('name', 'the definitions')}")
                expr = new
                used.append("definition: " + params.get("name", "sums and products"))
                continue
            if name == "scalar bound":  # a sub-term bounded by a larger one, decided by sympy
                new = sp.sympify(params["to"])
                rep = params.get("rep", {})
                if not expr.has(term):
                    raise RuleError(f"link {i} (scalar bound): {term} does not occur in {expr}")
                if not _decide_le(term, new, rep):
                    raise RuleError(f"link {i}: sympy cannot decide {term} <= {new}")
                if not _monotone(expr, term, self.rep):
                    raise RuleError(f"link {i} (scalar bound): {expr} is not non-decreasing in {term}")
                expr = expr.xreplace({term: new})
                used.extend(u for u in ("scalar inequality (sympy)", MONOTONE) if u not in used)
                needs.extend(h for h in params.get("needs", ()) if h not in needs)
                continue
            if name == "scalar":
                new = sp.sympify(params["to"])
                rep = params.get("rep", {})
                if not _decide_le(expr, new, rep):
                    raise RuleError(f"link {i}: sympy cannot decide {expr} <= {new}")
                expr = new
                used.append("scalar inequality (sympy)")
                continue
            if name not in RULES:
                raise RuleError(f"link {i}: no rule named {name!r}")
            if term is None:
                term = expr  # the rule applies to the whole expression
            if not expr.has(term):
                raise RuleError(f"link {i} ({name}): {term} does not occur in {expr}")
            lic = RULES[name](term, **params)
            if lic.relation == "<=":
                if not _monotone(expr, term, self.rep):
                    raise RuleError(f"link {i} ({name}): {expr} is not non-decreasing in {term}")
                if MONOTONE not in used and expr != term:
                    used.append(MONOTONE)
            expr = expr.xreplace({term: lic.bound})
            needs.extend(h for h in lic.needs if h not in needs)
            used.append(name)
        if not is_zero(sp.simplify(expr - self.target)):
            raise RuleError(f"the chain ends at {expr}, not at the stated bound {self.target}")
        needs.extend(h for h in self.rep_needs if h not in needs)
        return expr, tuple(needs), tuple(dict.fromkeys(used))

    def __call__(self, step=None) -> Evidence:
        try:
            _, needs, used = self._run()
        except RuleError as exc:
            return Evidence("rule", False, f"rule chain refused: {exc}", rules=self.rules)
        cited = set(getattr(step, "uses", ()) or ()) if step is not None else None
        missing = [h for h in needs if cited is not None and h not in cited]
        if missing:
            return Evidence("rule", False, "side conditions not cited by the step: " + "; ".join(missing),
                            rules=used)
        msg = f"{len(self.links)} rule applications, side conditions checked ({', '.join(needs) or 'none'})"
        return Evidence("rule", True, msg + (f"; {self.detail}" if self.detail else ""), rules=used)


class _WithFacts:
    def __init__(self, step, facts):
        self.uses = tuple(getattr(step, "uses", ()) or ()) + tuple(facts)
        self.label = getattr(step, "label", "")


class ByInduction:
    """A step check: a statement for every value of ``variable`` from a base case and a step.

    ``base`` and ``step`` are checks (rule chains, identities); the inductive step may cite
    the fact ``"induction hypothesis"``.  The evidence is the weaker of the two kinds.
    """

    wants_step = True

    def __init__(self, variable, base, step, detail=""):
        self.variable, self.base, self.step, self.detail = variable, base, step, detail
        self.rules = ("induction on " + variable,) + tuple(getattr(base, "rules", ())) + \
            tuple(getattr(step, "rules", ()))

    def _call(self, check, st):
        return check(st) if getattr(check, "wants_step", False) else check()

    def __call__(self, st=None) -> Evidence:
        from .framework import weakest_kind

        eb = self._call(self.base, st)
        es = self._call(self.step, _WithFacts(st, ("induction hypothesis",)) if st is not None else None)
        kind = weakest_kind((eb.kind, es.kind))
        msg = (f"induction on {self.variable}: base {'proved' if eb.passed else 'FAILED'} ({eb.detail}); "
               f"step {'proved' if es.passed else 'FAILED'} ({es.detail})")
        rules = tuple(dict.fromkeys(("induction on " + self.variable,) + eb.rules + es.rules))
        return Evidence(kind, eb.passed and es.passed, msg + (f"; {self.detail}" if self.detail else ""),
                        size=eb.size or es.size, rules=rules)


class AllOf:
    """A step check made of several checks (parts of one step); its kind is the weakest."""

    wants_step = True

    def __init__(self, *checks):
        self.checks = checks
        self.rules = tuple(dict.fromkeys(r for c in checks for r in getattr(c, "rules", ())))

    def __call__(self, st=None) -> Evidence:
        from .framework import weakest_kind

        evs = [c(st) if getattr(c, "wants_step", False) else c() for c in self.checks]
        bad = [i for i, e in enumerate(evs) if not e.passed]
        msg = f"{len(evs)} parts" + (f", parts {bad} FAILED: " + "; ".join(evs[i].detail for i in bad)
                                      if bad else ", each proved")
        return Evidence(weakest_kind(e.kind for e in evs), not bad, msg,
                        size="; ".join(e.size for e in evs if e.size),
                        rules=tuple(dict.fromkeys(r for e in evs for r in e.rules)))
