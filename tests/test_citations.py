"""Citations compared with the statement of the cited step (proofs/citations.py): a citation whose
right-hand side is not what the cited chain established fails its step in ``verify``; the rest are
listed as trust points in ``backsmooth proof NAME --json``."""

import json

import pytest
import sympy as sp

from backsmooth.proofs import proof, verify
from backsmooth.proofs import rules as ru
from backsmooth.proofs.citations import citation_mutants, citation_report, citation_summary
from backsmooth.proofs.framework import Proof, Step

x, y, z = sp.symbols("x y z", positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
f = sp.Function("f", positive=True)


def _toy(cited_rhs, equal=False):
    a = Step("a", "x <= y", uses=("h",), introduces=("fact a",), reason="h",
             check=ru.RuleChain(x, [ru.cite("h", x, y)], y))
    b = Step("b", "x <= ...", uses=("fact a",), introduces=("statement",), reason="fact a",
             check=ru.RuleChain(x, [ru.cite("fact a", x, cited_rhs, equal=equal)], cited_rhs))
    return Proof("toy", ("h",), (a, b), ("statement",))


def test_a_matching_citation_passes_and_is_compared():
    p = _toy(y)
    assert verify(p, context={}).passed
    (row,) = [r for r in citation_report(p) if r["fact"] == "fact a"]
    assert row["status"] == "matches"


def test_a_larger_bound_may_be_cited():
    assert verify(_toy(2 * y), context={}).passed


def test_an_altered_citation_fails_its_step():
    res = verify(_toy(y / 2), context={})
    assert not res.passed and res.failed_steps == ("b",)
    assert "citation differs" in res.steps[1].evidence.detail


def test_an_inequality_cited_as_an_equality_fails():
    assert not verify(_toy(y, equal=True), context={}).passed


def test_induction_hypothesis_compared_with_the_shifted_statement():
    def induction(ih_rhs):
        step = ru.RuleChain(f(k), [ru.cite("h", f(k), 2 * f(k + 1)), ru.cite("induction hypothesis", f(k + 1), ih_rhs),
                                   ("scalar", None, {"to": 2 * z})], 2 * z)
        base = ru.RuleChain(f(0), [ru.cite("h0", f(0), z)], z)
        # the inductive step claims f(k) <= 2z from f(k+1) <= z: its own statement at k -> k+1 is f(k+1) <= 2z
        return ru.ByInduction("k", base, step)

    rows = citation_report(Proof("t", ("h", "h0"), (Step("s", "f(k) <= 2z", uses=("h", "h0"), introduces=("s",),
                                                         reason="", check=induction(z)),), ("s",)))
    (ih,) = [r for r in rows if r["fact"] == "induction hypothesis"]
    assert ih["status"] == "differs" and "k -> k + 1" in ih["detail"]  # z is not the statement's 2z
    ok = ru.RuleChain(f(k), [ru.cite("h", f(k), f(k + 1)), ru.cite("induction hypothesis", f(k + 1), 2 * z)], 2 * z)
    rows = citation_report(Proof("t", ("h",), (Step("s", "f(k) <= 2z", uses=("h",), introduces=("s",), reason="",
                                                    check=ru.ByInduction("k", ru.RuleChain(z, [], z), ok)),),
                           ("s",)))
    assert [r["status"] for r in rows if r["fact"] == "induction hypothesis"] == ["matches"]


def test_local_certificate_citations_all_match_or_are_listed():
    rows = citation_report(proof("local_certificate"))
    assert not [r for r in rows if r["status"] == "differs"]
    assert sum(r["status"] == "matches" for r in rows) >= 10
    summary = citation_summary(proof("local_certificate"))
    assert summary["trust_points"] and all(isinstance(t, str) for t in summary["trust_points"])


@pytest.mark.parametrize("claim", ["local_certificate", "remedy_residual", "corollary2"])
def test_citation_altered_mutants_are_rejected(claim):
    total, rejected = citation_mutants(proof(claim))
    assert total >= 1 and rejected == total


def test_proof_json_lists_the_compared_citations_and_the_trust_points():
    from backsmooth.cli.proof import proof_json

    d = json.loads(json.dumps(proof_json(verify(_toy(y), context={}))))
    assert d["citations"] == {"compared": 1, "differs": [], "trust_points": [
        "a: cites h for x ('h' is a hypothesis or a step whose statement is not a chain)"]}


def test_mutation_report_builds_citation_altered_mutants():
    from backsmooth.proofs.mutants import mutation_report

    rep = mutation_report(_toy(y))
    rows = [m for s in rep["steps"] for m in s["mutants"] if m["mutant"].startswith("citation altered")]
    assert len(rows) == 1 and rows[0]["rejected"] and rep["rejected"] == rep["mutants"]
