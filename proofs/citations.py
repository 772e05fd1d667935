"""Citations compared with what the cited fact established, and the trust points left.

A rule chain applies an established fact with :func:`backsmooth.proofs.rules_basic.cite`
``(name, lhs, rhs)``; the rule itself takes ``lhs <= rhs`` as given.  This module compares each
citation with the statement of the cited fact where that statement is machine-readable:

- an earlier step of the same proof whose check is a rule chain (statement ``start <= target``)
  or an identity chain (:class:`~backsmooth.proofs.finite_sums.WordChain`, ``start = target``),
  also inside :class:`~backsmooth.chains.AllOf` and :class:`~backsmooth.chains.ByInduction`
  (the statement of the inductive step, for a generic ``k``);
- the ``induction hypothesis`` of the enclosing induction: the statement of the inductive step with
  its index shifted (``k -> k + 1``, or ``k -> t`` for another term ``t != k`` of a strong induction).

A citation whose left-hand side is such a statement's left-hand side (exactly, or after the index
shift) is **compared**: its right-hand side must be the statement's (equal by sympy, or a larger
bound decided by sympy), and an inequality may not be cited as an equality; otherwise it
**differs** and :func:`refuse_differing` makes the step fail.  Every other citation is **not
compared** and is listed as a trust point (:func:`citation_report`): a cited claim (its statement
is text), a step whose check is not a chain (an identity of pairs, a scalar check), or a left-hand
side written in other letters than the cited statement's.

Examples
--------
>>> from backsmooth.proofs import proof
>>> rows = citation_report(proof("local_certificate"))
>>> sorted({r["status"] for r in rows}) == ["matches", "not compared"]
True
"""

from __future__ import annotations

import sympy as sp

from .evidence import Evidence

__all__ = ["citations", "statements", "citation_report", "refuse_differing", "trust_points",
           "citation_summary", "citation_mutants", "citation_mutant_rows", "EQUALITY_LINKS"]

IH = "induction hypothesis"


def _chain_types():
    from .chains import AllOf, ByInduction, RuleChain
    from .finite_sums import WordChain

    return RuleChain, WordChain, AllOf, ByInduction


def statements(check):
    """``[(lhs, rhs, relation)]`` a check establishes, where machine-readable (chains only)."""
    RuleChain, WordChain, AllOf, ByInduction = _chain_types()
    if isinstance(check, RuleChain):
        rel = "=" if all(_is_equality(lk) for lk in check.links) else "<="
        return [(sp.sympify(check.start), sp.sympify(check.target), rel)]
    if isinstance(check, WordChain):
        return [(sp.sympify(check.start), sp.sympify(check.target), "=")]
    if isinstance(check, AllOf):
        return [s for c in check.checks for s in statements(c)]
    if isinstance(check, ByInduction):
        return statements(check.step)
    return []


#: links that only rewrite to an equal expression (a chain of them establishes an equality)
EQUALITY_LINKS = ("rewrite", "identity", "E definition", "transpose", "homogeneity", "weight norm",
                  "weight norm (layer index)", "transpose (indexed)", "linearity of sums", "hadamard commutative")


def _is_equality(link):
    name, _, prm = link
    return name in EQUALITY_LINKS or (name == "cite" and bool(prm.get("equal")))


def citations(check, hypothesis=()):
    """``[(fact, lhs, rhs, equal, hypothesis statements)]`` of every citation inside ``check``."""
    RuleChain, WordChain, AllOf, ByInduction = _chain_types()
    out = []
    if isinstance(check, RuleChain):
        for name, term, prm in check.links:
            if name == "cite":
                out.append((prm["fact"], term, prm["rhs"], bool(prm.get("equal")), hypothesis))
            for key in ("links",):  # an inner chain (termwise sums)
                if isinstance(prm, dict) and prm.get(key):
                    out.extend(citations(RuleChain(prm.get("small"), prm[key], prm.get("large")), hypothesis))
            for key in ("first", "second"):  # the two chains of a minimum
                if isinstance(prm, dict) and prm.get(key):
                    links, bound = prm[key]
                    out.extend(citations(RuleChain(term, links, bound), hypothesis))
    elif isinstance(check, WordChain):
        for name, prm in check.links:
            if name == "cite":
                out.append((prm["fact"], prm["old"], prm["new"], True, hypothesis))
    elif isinstance(check, AllOf):
        for c in check.checks:
            out.extend(citations(c, hypothesis))
    elif isinstance(check, ByInduction):
        out.extend(citations(check.base, hypothesis))
        out.extend(citations(check.step, tuple(statements(check.step))))
    return out


def _same(a, b):
    a, b = sp.sympify(a), sp.sympify(b)
    if a == b:
        return True
    if a.is_commutative and b.is_commutative:
        try:
            return sp.simplify(a - b) == 0
        except Exception:  # pragma: no cover - sympy failing to simplify is "not the same"
            return False
    from .finite_sums import canon

    return not canon(a - b)


def _at_least(rhs, target):
    from .rule_base import decide_le

    try:
        return sp.sympify(rhs).is_commutative and decide_le(target, rhs)
    except Exception:  # pragma: no cover
        return False


def _shifts(start, lhs):
    """Index values ``t`` with ``start[k -> t] == lhs`` for an integer symbol ``k`` of ``start``."""
    out = []
    for k in sorted((x for x in sp.sympify(start).free_symbols if x.is_integer), key=str):
        w = sp.Wild("t")
        m = sp.sympify(lhs).match(sp.sympify(start).xreplace({k: w}))
        if m and w in m and m[w] != k and _same(sp.sympify(start).xreplace({k: m[w]}), lhs):
            out.append((k, m[w]))
    return out


def _compare(lhs, rhs, equal, stmts, hypothesis):
    """``(status, detail)`` of one citation against the candidate statements, or None."""
    from .norms import _Norm

    lifted = []
    for s_lhs, s_rhs, rel in stmts:  # an identity A = B also gives ||A|| = ||B|| for every norm
        lifted.append((s_lhs, s_rhs, rel))
        if rel == "=" and isinstance(lhs, _Norm):
            lifted.append((type(lhs)(s_lhs), type(lhs)(s_rhs), rel))
    for s_lhs, s_rhs, rel in lifted:
        # the induction hypothesis is the statement at another index (k -> k + 1, or t != k);
        # a step's statement holds at its index, and for a generic layer k at any other
        subs = [] if hypothesis or not _same(s_lhs, lhs) else [({}, "")]
        subs += [({k: t}, f" at {k} -> {t}") for k, t in _shifts(s_lhs, lhs)]
        for rep, how in subs[:1]:
            target = sp.sympify(s_rhs).xreplace(rep)
            if equal and rel != "=":
                return "differs", f"cited as an equality, but the statement{how} is an inequality"
            if _same(rhs, target):
                return "matches", f"the cited statement{how}"
            if not equal and _at_least(rhs, target):
                return "matches", f"a larger bound than the cited statement{how}"
            return "differs", f"the cited statement{how} has right-hand side {target}, not {rhs}"
    return None


def citation_report(proof):
    """One row per citation of every step: ``step``, ``fact``, ``lhs``, ``rhs``, ``status``
    (``matches``, ``differs`` or ``not compared``) and ``detail``."""
    from .registry import proofs as _claims

    claims = set(_claims())
    by_name, rows = {}, []
    for st in proof.steps:
        for fact, lhs, rhs, equal, hyp in citations(st.check):
            row = {"step": st.label, "fact": fact, "lhs": str(lhs), "rhs": str(rhs), "equal": equal}
            res = None
            if fact == IH:
                res = _compare(lhs, rhs, equal, hyp, True) if hyp else None
                why = ("the hypothesis is written in letters of layer k + 1 that are not the statement's "
                       "letters with k shifted (a naming convention)" if hyp else
                       "the induction is not proved by chains")
            elif fact in by_name:
                res = _compare(lhs, rhs, equal, by_name[fact], False)
                why = (f"the cited step {fact!r} has no chain statement with this left-hand side"
                       if by_name[fact] else f"the cited step {fact!r} is not proved by a chain")
            elif fact in claims:
                why = f"{fact!r} is a claim: its statement is text"
            else:
                why = f"{fact!r} is a hypothesis or a step whose statement is not a chain"
            if res is None:
                res = ("not compared", why)
            row["status"], row["detail"] = res
            rows.append(row)
        stmts = statements(st.check)
        for name in (st.label,) + tuple(st.introduces):
            by_name.setdefault(name, stmts)
    return rows


def trust_points(proof):
    """The citations that are taken as given (not compared), as short strings."""
    return [f"{r['step']}: cites {r['fact']} for {r['lhs']} <= {r['rhs']} ({r['detail']})"
            for r in citation_report(proof) if r["status"] == "not compared"]


def refuse_differing(proof, step_results):
    """The step results with every step that cites a fact other than it was established failed."""
    from .verification import StepResult

    bad: dict = {}
    for r in citation_report(proof):
        if r["status"] == "differs":
            bad.setdefault(r["step"], []).append(f"{r['fact']}: {r['detail']}")
    if not bad:
        return step_results
    out = []
    for res in step_results:
        if res.step.label in bad:
            ev = Evidence(res.evidence.kind, False, "citation differs from the cited statement: "
                          + "; ".join(bad[res.step.label]), rules=res.evidence.rules)
            res = StepResult(res.step, ev, res.seconds, res.also)
        out.append(res)
    return tuple(out)


def citation_summary(proof) -> dict:
    """``{"compared": n, "differs": [...], "trust_points": [...]}`` for the proof's JSON."""
    rows = citation_report(proof)
    return {"compared": sum(r["status"] != "not compared" for r in rows),
            "differs": [f"{r['step']}: {r['fact']}: {r['detail']}" for r in rows if r["status"] == "differs"],
            "trust_points": [f"{r['step']}: cites {r['fact']} for {r['lhs']} ({r['detail']})"
                             for r in rows if r["status"] == "not compared"]}


def citation_mutants(proof):
    """``(mutants, rejected)``: every compared citation with its right-hand side altered (halved,
    or shifted by -1/2 when it is 0) must be refused by the comparison ("citation altered")."""
    rows = citation_mutant_rows(proof)
    return sum(len(v) for v in rows.values()), sum(ok for v in rows.values() for _, ok in v)


def citation_mutant_rows(proof) -> dict:
    """``{step label: [(description, rejected)]}`` of the "citation altered" mutants."""
    out: dict = {}
    by_name = {}
    for st in proof.steps:
        for fact, lhs, rhs, equal, hyp in citations(st.check):
            stmts = hyp if fact == IH else by_name.get(fact)
            if not stmts:
                continue
            res = _compare(lhs, rhs, equal, stmts, fact == IH)
            if not res or res[0] != "matches":
                continue
            rhs = sp.sympify(rhs)
            bad = rhs / 2 if rhs != 0 and rhs.is_commutative else (rhs - sp.Rational(1, 2) if rhs == 0 else 2 * rhs)
            refused = (_compare(lhs, bad, equal, stmts, fact == IH) or ("",))[0] == "differs"
            out.setdefault(st.label, []).append((f"citation altered ({fact}: right-hand side {bad})", refused))
        stmts = statements(st.check)
        for name in (st.label,) + tuple(st.introduces):
            by_name.setdefault(name, stmts)
    return out
