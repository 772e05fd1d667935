"""Tests of backsmooth.proofs: every claim proved, every step checked, broken chains rejected."""

from __future__ import annotations

import argparse
import dataclasses
import re

import pytest
import sympy as sp

from backsmooth.proofs import (ChainError, Evidence, Proof, Step, check_chain, proof, proofs,
                               render_latex, render_text, verify)
from backsmooth.proofs.checks import on_instances, symbolic_identity, symbolic_inequality
from backsmooth.proofs.framework import dependency_order
from backsmooth.proofs.registry import _all_proofs

from backsmooth.symbolic import claims

#: the one list of claims (a claim added to the registry is tested here without an edit)
CLAIMS = claims()
#: the paper's 13 claims (registry order pins them first), whose proofs were rewritten in the rule
#: engine; the extension claims added later still carry steps written with the first API, whose
#: fixed-size checks may not state their size (issue 11 lists them to convert)
ENGINE_CLAIMS = CLAIMS[:13]


@pytest.fixture(scope="module")
def results():
    return {name: verify(proof(name)) for name in proofs()}


class TestRegistry:
    def test_every_claim_has_a_proof(self):
        from backsmooth.proofs.registry import missing_proofs

        assert missing_proofs() == (), "write NAME_proof() in a module of backsmooth.proofs"
        assert set(proofs()) == set(CLAIMS)

    def test_builder_naming_no_claim_is_refused(self, monkeypatch):
        import types

        from backsmooth.proofs import lemmas, registry

        monkeypatch.setattr(lemmas, "lemma9_proof", types.FunctionType(
            lemmas.lemma1_proof.__code__, lemmas.__dict__, "lemma9_proof"), raising=False)
        registry.builders.cache_clear()
        try:
            with pytest.raises(ValueError, match="lemma9_proof names no claim"):
                registry.builders()
        finally:
            monkeypatch.undo()
            registry.builders.cache_clear()

    def test_dependency_order(self):
        order = proofs()
        for name in order:
            for dep in check_chain(proof(name)):
                assert order.index(dep) < order.index(name)

    def test_unknown_claim(self):
        with pytest.raises(ValueError, match="known claims: lemma1"):
            proof("theorem9")


class TestVerify:
    @pytest.mark.parametrize("name", CLAIMS)
    def test_every_step_passes(self, results, name):
        r = results[name]
        assert r.chain_error is None
        assert r.failed_steps == (), render_text(r)

    @pytest.mark.parametrize("name", CLAIMS)
    def test_strength_derived_from_steps_and_citations(self, results, name):
        # the label is recomputed here from the steps' kinds and the cited claims' labels
        order = ("all_sizes_identity", "rule", "fixed_size_identity", "instances", "unverified")
        r = results[name]
        own = max((s.evidence.kind for s in r.steps), key=order.index)
        assert r.weakest == own
        cited = [results[d].strength for d in r.dependencies]
        assert r.strength == max([own] + cited, key=order.index)
        assert r.is_proof == (r.strength in ("all_sizes_identity", "rule"))

    def test_strength_includes_cited_claims(self):
        ok = Step("a", "A", uses=("h", "lemma9"), check=_ok)
        own = _toy([ok])
        weak = _toy([Step("b", "B", uses=("h",), check=lambda: Evidence("instances", True, ""))])
        weak = dataclasses.replace(weak, claim="lemma9")
        r = verify(own, context={"lemma9": weak})
        assert r.weakest == "all_sizes_identity" and r.strength == "instances" and not r.is_proof
        assert verify(own, context={"lemma9": None}).strength == "unverified"

    def test_legacy_kinds_are_mapped_honestly(self):
        assert Evidence("symbolic identity", True, "4 x 2").kind == "fixed_size_identity"
        assert Evidence("symbolic inequality", True).kind == "fixed_size_identity"
        assert Evidence("symbolic identity", True).size == "size not stated"
        assert Evidence("checked on instances", True).kind == "instances"
        assert not Evidence("checked on instances", True).is_proof
        with pytest.raises(ValueError):
            Evidence("proved", True)

    def test_fixed_size_steps_state_their_size(self, results):
        # the 13 claims rewritten in the engine; proofs written with the first API may state none
        for r in (results[c] for c in ENGINE_CLAIMS):
            for s in r.steps:
                for ev in (s.evidence,) + s.also:
                    if ev.kind == "fixed_size_identity":
                        assert ev.size and ev.size != "size not stated", (r.claim, s.step.label)

    def test_instance_evidence_is_labelled(self, results):
        for r in results.values():
            for s in r.steps:
                for ev in (s.evidence,) + s.also:
                    if ev.kind == "instances":
                        assert "not a proof" in ev.detail or "check raised" in ev.detail

    def test_crashing_check_fails(self):
        def boom():
            raise RuntimeError("no")
        p = Proof("toy", ("h",), (Step("s", "x", uses=("h",), check=boom),), ("s",))
        r = verify(p, context={})
        assert not r.passed and "RuntimeError" in r.steps[0].evidence.detail


def _toy(steps, hyp=("h",), conclusion=None):
    return Proof("toy", hyp, tuple(steps), conclusion or (steps[-1].label,))


def _ok():
    return Evidence("all_sizes_identity", True, "")


class TestChecker:
    def test_valid_chain(self):
        p = _toy([Step("a", "A", uses=("h",), introduces=("q",), check=_ok),
                  Step("b", "B", uses=("a", "q", "lemma1"), check=_ok)])
        assert check_chain(p, context={"lemma1": None}) == ("lemma1",)

    def test_unestablished_name(self):
        p = _toy([Step("a", "A", uses=("h", "mystery"), check=_ok)])
        with pytest.raises(ChainError, match="'mystery', which is not a hypothesis"):
            check_chain(p, context={})

    def test_reordered_chain(self):
        # theorem1's real proof with its first two steps swapped... and a step moved before its source
        real = proof("theorem1")
        steps = list(real.steps)
        i = next(k for k, s in enumerate(steps) if s.label == "induction")
        steps.insert(0, steps.pop(i))
        broken = dataclasses.replace(real, steps=tuple(steps))
        with pytest.raises(ChainError, match="before it is established"):
            check_chain(broken)
        assert not verify(broken).passed

    def test_unestablished_conclusion(self):
        p = _toy([Step("a", "A", uses=("h",), check=_ok)], conclusion=("b",))
        with pytest.raises(ChainError, match="conclusion 'b'"):
            check_chain(p, context={})

    def test_self_citation(self):
        p = _toy([Step("a", "A", uses=("toy",), check=_ok)])
        with pytest.raises(ChainError, match="uses the claim being proved"):
            check_chain(p, context={})

    def test_cycle_between_proofs(self):
        ctx = _all_proofs()
        # make lemma2 cite theorem1, which cites lemma2
        l2 = ctx["lemma2"]
        first = dataclasses.replace(l2.steps[0], uses=l2.steps[0].uses + ("theorem1",))
        bad = dataclasses.replace(l2, steps=(first,) + l2.steps[1:])
        with pytest.raises(ChainError, match="cycle between proofs: lemma2 -> theorem1 -> lemma2"):
            check_chain(bad)
        ctx = dict(ctx, lemma2=bad)
        with pytest.raises(ChainError, match="cycle"):
            dependency_order(ctx)


class TestWrongSteps:
    """A wrong assertion is caught by its machine check."""

    def test_squared_rate_in_theorem1(self):
        from backsmooth.proofs.theorem1 import uniform_rate_check

        assert uniform_rate_check(1)().passed
        ev = uniform_rate_check(2)()  # (lambda s)^(2k): the squared convention's rate for the root E
        assert not ev.passed and "violations" in ev.detail

    def test_sign_flip_in_gradient_decomposition(self):
        from backsmooth.proofs.lemmas import _decomposition

        assert symbolic_identity(_decomposition(1))().passed
        assert not symbolic_identity(_decomposition(-1))().passed

    def test_sign_flip_in_theorem2_split(self):
        from backsmooth.proofs.theorem2 import split_check

        assert not split_check(-1)().passed

    def test_wrong_registry_bound(self):
        from backsmooth.proofs._common import registry_identity

        from backsmooth.symbolic.symbols import E_X0, k, lam, s

        wrong = registry_identity("theorem1", "uniform", lambda: (lam * s)**(2 * k) * E_X0)
        assert not symbolic_identity(wrong)().passed

    def test_wrong_inequality_direction(self):
        u = sp.Symbol("u", positive=True)
        lam = 1 / (1 + u)
        assert symbolic_inequality(lambda: (lam**2, lam, {}))().passed
        assert not symbolic_inequality(lambda: (lam, lam**2, {}))().passed

    def test_wrong_gprop2_rate(self):
        from backsmooth.proofs.proposition2 import _exact_values

        assert not symbolic_identity(_exact_values(2, sign=-1))().passed

    def test_on_instances_catches_violation(self):
        import numpy as np

        bad = on_instances("<=", floats=lambda: (np.array([1.0, 2.0]), np.array([1.0, 1.5])))
        assert not bad().passed
        assert not on_instances("<=", exact=lambda: [(sp.sqrt(2), sp.Rational(7, 5))])().passed
        assert on_instances("<=", exact=lambda: [(sp.Rational(7, 5), sp.sqrt(2))])().passed

    def test_wrong_step_fails_the_proof(self):
        from backsmooth.proofs.theorem1 import uniform_rate_check

        real = proof("theorem1")
        steps = tuple(dataclasses.replace(s, also=(uniform_rate_check(2),)) if s.label == "uniform" else s
                      for s in real.steps)
        r = verify(dataclasses.replace(real, steps=steps))
        assert not r.passed and r.failed_steps == ("uniform",)
        assert "[\u2717] uniform" in render_text(r)


class TestRendering:
    @pytest.mark.parametrize("name", ["lemma1", "theorem2", "proposition2"])
    def test_latex_balanced(self, results, name):
        tex = render_latex(results[name])
        assert tex.startswith(r"\begin{proof}") and tex.rstrip().endswith(r"\end{proof}")
        begins = re.findall(r"\\begin\{(\w+)\}", tex)
        ends = re.findall(r"\\end\{(\w+)\}", tex)
        assert sorted(begins) == sorted(ends)
        assert tex.count(r"\item") == len(results[name].steps)
        body = re.sub(r"\\[{}%$#_&]", "", tex)
        assert body.count("{") == body.count("}")
        assert body.count("$") % 2 == 0

    def test_text_has_status_and_kind(self, results):
        text = render_text(results["lemma3"])
        assert "\u2713" in text and "all_sizes_identity" in text and "rule" in text
        assert "strength:" in text.splitlines()[0]


class TestCLI:
    def _parser(self):
        from backsmooth.cli import proof as _cmd_proof

        parser = argparse.ArgumentParser(prog="backsmooth")
        sub = parser.add_subparsers(dest="command")
        _cmd_proof.register(sub)
        return parser

    def _run(self, argv):
        args = self._parser().parse_args(argv)
        return args.func(args)

    def test_list(self, capsys):
        assert self._run(["proof", "--list"]) == 0
        assert capsys.readouterr().out.split() == list(proofs())

    def test_one_proof_latex(self, capsys):
        assert self._run(["proof", "proposition2", "--latex"]) == 0
        assert r"\begin{proof}" in capsys.readouterr().out

    def test_bad_usage(self, capsys):
        assert self._run(["proof", "nonsense"]) == 2
        assert "known claims" in capsys.readouterr().err
        assert self._run(["proof"]) == 2


class TestMutants:
    """Altered chains must be rejected by the checker (issue: mutation test)."""

    def _parser(self):
        from backsmooth.cli import proof as _cmd_proof

        parser = argparse.ArgumentParser(prog="backsmooth")
        _cmd_proof.register(parser.add_subparsers(dest="command"))
        return parser

    def test_cli_mutants_all_rejected(self, capsys):
        args = self._parser().parse_args(["proof", "lemma3", "--mutants"])
        assert args.func(args) == 0
        out = capsys.readouterr().out
        m = re.search(r"total: (\d+) of (\d+) mutants rejected", out)
        assert m and m.group(1) == m.group(2) and int(m.group(2)) >= 15

    def test_every_kind_of_mutant_is_built(self):
        from backsmooth.proofs.mutants import mutation_report

        rep = mutation_report(proof("lemma3"))
        kinds = {m["mutant"].split(" (")[0].split(":")[0] for s in rep["steps"] for m in s["mutants"]}
        for k in ("direction flipped", "hypothesis removed", "constant perturbed", "side condition dropped",
                  "stronger conclusion"):
            assert k in kinds, kinds
        assert rep["rejected"] == rep["mutants"]

    def test_an_accepting_checker_is_caught(self):
        # a "rule" check that accepts anything: its mutants are accepted and reported
        from backsmooth.proofs.mutants import mutation_report

        def lax():
            return Evidence("rule", True, "accepts anything")
        lax.form, lax.build = "inequality", lambda: (sp.Integer(1), sp.Integer(2), {})
        lax.remake = lambda build: lax
        rep = mutation_report(_toy([Step("a", "1 <= 2", uses=("h",), check=lax)]))
        assert rep["mutants"] == 2 and rep["rejected"] == 0

    def test_removed_hypothesis_is_refused(self):
        from backsmooth.proofs._common import A1
        from backsmooth.proofs.lemmas import remainder_chain

        chain = remainder_chain()
        ok = Step("r", "remainder", uses=(A1,), check=chain)
        assert chain(ok).passed
        assert not chain(dataclasses.replace(ok, uses=())).passed
        assert "(A1)" in chain(dataclasses.replace(ok, uses=())).detail


class TestJSON:
    def test_all_json(self, capsys):
        import json

        from backsmooth.cli import proof as _cmd_proof

        parser = argparse.ArgumentParser(prog="backsmooth")
        _cmd_proof.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["proof", "--all", "--json"])
        args.func(args)
        docs = json.loads(capsys.readouterr().out)
        assert [d["claim"] for d in docs] == list(proofs())
        kinds = {"all_sizes_identity", "rule", "fixed_size_identity", "instances"}
        for d in docs:
            assert d["strength"] in kinds | {"unverified"}
            for st in d["steps"]:
                assert st["kind"] in kinds and st["statement"] and isinstance(st["rules"], list)
                if st["kind"] == "rule":
                    assert st["rules"]


class TestRichDisplay:
    def test_proof_view_typesets_offline_with_badges(self):
        from backsmooth.display import proof_view

        view = proof_view("lemma3")
        html = view._repr_html_()
        assert 'src="data:image/' in html  # typeset formulas are inline pictures (offline)
        assert 'src="http' not in html and "<script" not in html
        assert html.count("st-ok") >= len(view.result.steps)
        for kind in ("all_sizes_identity", "rule"):
            assert kind in html
        md = view._repr_markdown_()
        assert md.count("\n1. ") + md.startswith("1. ") <= 1 and "`rule`" in md and "$" in md
        assert view._repr_latex_().startswith(r"\begin{proof}")
        assert str(view).startswith("Proof of lemma3")

    def test_failed_step_shows_failed_badge(self):
        from backsmooth.display import ProofView

        bad = _toy([Step("a", "A", uses=("h",), check=lambda: Evidence("rule", False, "refused"))])
        html = ProofView(verify(bad, context={}))._repr_html_()
        assert "st-bad" in html and "refused" in html


def test_witness_mutants_are_not_no_ops():
    # a zero bound halved is unchanged: the mutant must still alter (and falsify) the claim
    from backsmooth.proofs.framework import _call
    from backsmooth.proofs.mutants import step_mutants

    step = next(s for s in proof("theorem3").steps if s.label == "gamma needed")
    muts = step_mutants(step)
    assert len(muts) == 2 and all(not _call(m.check, m).passed for _, m in muts)
