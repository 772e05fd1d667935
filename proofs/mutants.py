"""Mutation testing of proofs: altered steps that are false or unlicensed must be rejected.

For every proof step whose evidence is proof (``all_sizes_identity`` or ``rule``),
:func:`step_mutants` builds altered versions of its check:

- ``direction flipped``: the inequality reversed (rule chains, scalar inequalities);
- ``hypothesis removed``: each hypothesis or cited fact the step's rules need, dropped from
  the step's ``uses``;
- ``constant perturbed`` / ``exponent perturbed``: the bound halved, a symbolic exponent
  raised by one, an identity's right-hand side shifted by a free matrix or doubled;
- ``side condition dropped``: an inequality rule applied in a decreasing context (the
  chain negated, so monotonicity fails), or a sub-multiplicativity with a norm pair no rule
  licenses;
- ``stronger conclusion``: the bound replaced by a strictly smaller one (a third of it);
- ``citation altered``: a citation that is compared with the cited step's statement
  (:mod:`backsmooth.proofs.citations`) with its right-hand side halved must be refused.

:func:`mutation_report` runs them; every mutant must be rejected (its check fails).
Steps whose evidence is not proof (fixed size, instances) are listed as not mutated.

Examples
--------
>>> from backsmooth.proofs import proof
>>> rep = mutation_report(proof("lemma3"))
>>> rep["mutants"] > 0 and rep["rejected"] == rep["mutants"]
True
"""

from __future__ import annotations

import dataclasses

import sympy as sp

from .framework import PROOF_KINDS, Proof, Step, _call

__all__ = ["step_mutants", "mutation_report"]

_DELTA = sp.Symbol("Delta", commutative=False)  # a free matrix: no identity holds with it added


def _pairs(built):
    if isinstance(built, tuple) and len(built) == 2 and not isinstance(built[0], tuple):
        return [built]
    if isinstance(built, tuple) and len(built) == 3 and isinstance(built[2], dict):
        return [built]
    return list(built)


def _check_mutants(check):
    """``[(description, altered check)]`` for one check (no hypothesis removal)."""
    from .rules import AllOf, ByInduction, RuleChain

    out = []
    if isinstance(check, RuleChain):
        t = check.target
        out.append(("direction flipped", RuleChain(t, check.links, check.start)))
        # a zero bound is unchanged by scaling: there the claim becomes start <= -1/2 (or -1/3)
        half, third = (t / 2, t / 3) if t != 0 else (t - sp.Rational(1, 2), t - sp.Rational(1, 3))
        out.append(("constant perturbed (bound halved)", RuleChain(check.start, check.links, half)))
        out.append(("stronger conclusion (a third of the bound)", RuleChain(check.start, check.links, third)))
        pows = [p for p in sp.sympify(t).atoms(sp.Pow) if p.exp.free_symbols]
        if pows:
            p = pows[0]
            out.append(("exponent perturbed", RuleChain(check.start, check.links,
                                                        t.xreplace({p: p.base**(p.exp + 1)}))))
        ineq = [lk for lk in check.links if lk[0] not in ("identity", "transpose", "homogeneity",
                                                             "E definition", "weight norm")
                and not (lk[0] == "cite" and lk[2].get("equal"))]
        if ineq:
            neg = list(check.links)
            out.append(("side condition dropped (monotonicity: chain negated)",
                        RuleChain(-check.start, neg, -check.target)))
        for i, (n, term, prm) in enumerate(check.links):
            if n == "submultiplicative":
                bad = dict(prm, pair="F,F")
                links = list(check.links)
                links[i] = (n, term, bad)
                out.append((f"side condition dropped (norm pair F,F in link {i})",
                            RuleChain(check.start, links, check.target)))
                break
        return out
    if isinstance(check, ByInduction):
        for d, m in _check_mutants(check.step):
            out.append((f"inductive step: {d}", ByInduction(check.variable, check.base, m)))
        for d, m in _check_mutants(check.base)[:2]:
            out.append((f"base case: {d}", ByInduction(check.variable, m, check.step)))
        return out
    if isinstance(check, AllOf):
        for i, c in enumerate(check.checks):
            for d, m in _check_mutants(c):
                parts = list(check.checks)
                parts[i] = m
                out.append((f"part {i}: {d}", AllOf(*parts)))
        return out
    form = getattr(check, "form", None)
    if form == "induction":
        b, s = check.parts
        for d, m in _check_mutants(s):
            out.append((f"inductive step: {d}", check.remake_parts(b, m)))
        return out
    if form in ("identity", "matrix identity", "double sum"):
        build = check.build
        shift = _DELTA if form == "matrix identity" else sp.Symbol("delta_perturbation")

        def shifted():
            return [(lhs, rhs + shift) for lhs, rhs in _pairs(build())]

        def doubled():
            return [(lhs, 2 * rhs if rhs != 0 else rhs + shift) for lhs, rhs in _pairs(build())]

        out.append(("constant perturbed (right-hand side shifted)", check.remake(shifted)))
        out.append(("stronger conclusion (right-hand side doubled)", check.remake(doubled)))
        return out
    if form == "inequality":
        build = check.build

        def flipped():
            return [(r, l, rep) for l, r, rep in _pairs(build())]

        def halved():  # a zero bound would not change: there the claim becomes lhs <= lhs - 1
            return [(l, r / 2 if r != 0 else l - 1, rep) for l, r, rep in _pairs(build())]

        out.append(("direction flipped", check.remake(flipped)))
        out.append(("stronger conclusion (bound halved)", check.remake(halved)))
        return out
    return out


def _needs(check):
    from .rules import AllOf, ByInduction, RuleChain

    if isinstance(check, RuleChain):
        return check.needs()
    if isinstance(check, ByInduction):
        return tuple(h for h in dict.fromkeys(_needs(check.base) + _needs(check.step))
                     if h != "induction hypothesis")
    if isinstance(check, AllOf):
        return tuple(dict.fromkeys(h for c in check.checks for h in _needs(c)))
    needs = getattr(check, "needs", None)
    return tuple(needs()) if callable(needs) else ()


def step_mutants(step: Step):
    """``[(description, altered step)]``: each must fail its check."""
    out = []
    for d, m in _check_mutants(step.check):
        out.append((d, dataclasses.replace(step, check=m, also=())))
    for h in _needs(step.check):
        uses = tuple(u for u in step.uses if u != h)
        if uses != step.uses:
            out.append((f"hypothesis removed: {h}", dataclasses.replace(step, uses=uses, also=())))
    return out


def mutation_report(proof: Proof) -> dict:
    """Run every mutant of every proof step of ``proof``.

    Returns
    -------
    dict
        ``claim``, ``mutants``, ``rejected``, ``steps`` (per step: label, kind, and each
        mutant's description and whether it was rejected), ``not_mutated`` (labels of
        steps whose evidence is not proof).
    """
    steps, not_mutated, total, rejected = [], [], 0, 0
    for st in proof.steps:
        try:
            kind = _call(st.check, st).kind
        except Exception:  # a crashing check is no proof step
            kind = "instances"
        if kind not in PROOF_KINDS:
            not_mutated.append(st.label)
            continue
        rows = []
        for desc, mutant in step_mutants(st):
            try:
                ok = _call(mutant.check, mutant).passed
            except Exception:
                ok = False
            rows.append({"mutant": desc, "rejected": not ok})
            total += 1
            rejected += not ok
        steps.append({"label": st.label, "kind": kind, "mutants": rows})
    # "citation altered": each citation compared with the cited statement (proofs/citations.py),
    # its right-hand side altered, must be refused by the comparison that verify runs
    from .citations import citation_mutant_rows

    for desc_rows, entry in ((citation_mutant_rows(proof).get(e["label"], []), e) for e in steps):
        for desc, refused in desc_rows:
            entry["mutants"].append({"mutant": desc, "rejected": bool(refused)})
            total += 1
            rejected += bool(refused)
    return {"claim": proof.claim, "mutants": total, "rejected": rejected, "steps": steps,
            "not_mutated": not_mutated}
