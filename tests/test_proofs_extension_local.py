"""The extension proofs (theorem2_relu, local_*, saturation_threshold) in the rule engine.

(a) every step's evidence is ``all_sizes_identity`` or ``rule`` (NOT_PROVED lists the steps
that are not, none since local_certificate's unrolled route was proved), (b) every mutant of every proof step is rejected, and
(c) each rule of :mod:`backsmooth.proofs.rules_local` licenses its pattern, refuses what it
must refuse, and is true on random numbers.
"""

import numpy as np
import pytest
import sympy as sp

from backsmooth.proofs import algebra as al
from backsmooth.proofs import proof, verify
from backsmooth.proofs import rules as ru
from backsmooth.proofs import rules_local as rl
from backsmooth.proofs.framework import PROOF_KINDS
from backsmooth.proofs.mutants import mutation_report

CLAIMS = ("theorem2_relu", "local_smoothing", "local_backward_recursion", "local_certificate",
          "saturation_threshold")
#: steps that are honestly not proofs yet (see the proof's notes)
NOT_PROVED: set = set()


@pytest.mark.parametrize("claim", CLAIMS)
def test_every_step_is_a_proof_kind(claim):
    res = verify(proof(claim))
    assert res.passed, res.failed_steps
    for r in res.steps:
        if (claim, r.step.label) in NOT_PROVED:
            assert r.evidence.kind == "instances"
        else:
            assert r.evidence.kind in PROOF_KINDS, (r.step.label, r.evidence.kind, r.evidence.detail)
    expected = "instances" if any(c == claim for c, _ in NOT_PROVED) else None
    if expected is None:
        assert res.strength in PROOF_KINDS
    else:
        assert res.strength == expected


@pytest.mark.parametrize("claim", CLAIMS)
def test_every_mutant_rejected(claim):
    rep = mutation_report(proof(claim))
    assert rep["mutants"] >= 10
    accepted = [(s["label"], m["mutant"]) for s in rep["steps"] for m in s["mutants"] if not m["rejected"]]
    assert not accepted
    assert set(rep["not_mutated"]) == {lab for c, lab in NOT_PROVED if c == claim}


# ------------------------------------------------------------------ rules
i, l, j = rl.IDX
H = rl.entries("H^(k)", real=True)


def _run(start, links, target):
    return ru.RuleChain(start, links, target)._run()


def test_sign_cases_cover_every_sign_and_decide():
    ok = rl.sign_cases(lambda a, b: (sp.Abs(rl.indicator(a) - rl.indicator(b)), sp.Abs(a - b) / sp.Abs(b)),
                       {"a": "real", "b": "nonzero"})
    assert ok().passed and ok().kind == "rule" and len(ok.build()) == 6
    # false in the case a = 0 < b only (1 <= 1/2): the split must find it
    bad = rl.sign_cases(lambda a, b: (sp.Abs(rl.indicator(a) - rl.indicator(b)), sp.Abs(a - b) / (2 * sp.Abs(b))),
                        {"a": "real", "b": "nonzero"})
    assert not bad().passed
    with pytest.raises(ValueError):
        rl.sign_cases(lambda a: (a, a), {"a": "complex"})()


def test_mean_value_and_segment_maximum_need_one_column():
    start = sp.Abs(rl.RHO(H[i, j]) - rl.RHO(H[l, j]))
    xi = rl.between(H[i, j], H[l, j])
    _, needs, _ = _run(start, [("mean value theorem (segment)", None, {}),
                               ("segment maximum", sp.Abs(rl.RHO1(xi)), {})], rl.ell(j) * sp.Abs(H[i, j] - H[l, j]))
    assert needs == (rl.C1, rl.LOCAL_DEFS)
    other = sp.Symbol("q", integer=True, positive=True)
    with pytest.raises(ru.RuleError, match="same column"):
        _run(sp.Abs(rl.RHO(H[i, j]) - rl.RHO(H[l, other])), [("mean value theorem (segment)", None, {})], 0)
    with pytest.raises(ru.RuleError, match="one column"):
        rl.segment_maximum(sp.Abs(rl.RHO1(rl.between(H[i, j], H[l, other]))))
    # rho' gets the rho'' slope c_kj and needs C2
    lic = rl.mean_value(sp.Abs(rl.RHO1(H[i, j]) - rl.RHO1(H[l, j])))
    assert lic.needs == (rl.C2,) and lic.bound.has(rl.RHO2)
    assert rl.segment_maximum(sp.Abs(rl.RHO2(H[i, j]))).bound == rl.c_loc(j)
    with pytest.raises(ru.RuleError):
        rl.segment_maximum(sp.Abs(rl.RHO(H[i, j])))   # no slope bound for rho itself


def test_column_maximum_and_linearity():
    assert rl.column_maximum(rl.ell(j)).bound == rl.ell_k
    assert rl.column_maximum(rl.c_loc(j)).bound == rl.c_k
    with pytest.raises(ru.RuleError):
        rl.column_maximum(rl.ell_k)
    S = sp.Sum(rl.ell_k**2 * rl.cn2(al.matrix("H"), j), (j, 1, rl.d))
    assert rl.sum_linearity(S).bound == rl.ell_k**2 * sp.Sum(rl.cn2(al.matrix("H"), j), (j, 1, rl.d))
    with pytest.raises(ru.RuleError):
        rl.sum_linearity(sp.Sum(rl.ell(j)**2, (j, 1, rl.d)))   # ell_kj depends on j


def test_pairwise_form_both_ways_and_refuses_other_sums():
    M = al.matrix("rho(H^(k))")
    lic = rl.pairwise(rl.cn2(M, j))
    assert lic.relation == "==" and lic.needs == ("lemma1",)
    Hm = al.matrix("H^(k)")
    S = sp.Sum(sp.Abs(H[i, j] - H[l, j])**2, (i, 1, al.n), (l, 1, al.n))
    assert rl.pairwise(S, M=Hm).bound == 2 * al.n * rl.cn2(Hm, j)
    with pytest.raises(ru.RuleError):
        rl.pairwise(sp.Sum(sp.Abs(H[i, j] + H[l, j])**2, (i, 1, al.n), (l, 1, al.n)), M=Hm)


def test_pairwise_form_is_lemma1_on_numbers():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(7)
    lhs = np.sum((x - x.mean())**2)
    rhs = np.sum((x[:, None] - x[None, :])**2) / (2 * x.size)
    assert np.isclose(lhs, rhs, rtol=1e-12)


def test_e_by_columns_and_frobenius_by_entries_round_trip():
    Hm = al.matrix("H^(k)")
    fwd = rl.e_by_columns(ru.E(Hm)).bound
    assert rl.e_by_columns(fwd, M=Hm).bound == ru.E(Hm)
    with pytest.raises(ru.RuleError):
        rl.e_by_columns(fwd * 2, M=Hm)
    root = rl.fro_entries(ru.Fro(ru.PI * Hm)).bound
    assert rl.fro_entries(root, M=ru.PI * Hm).bound == ru.Fro(ru.PI * Hm)
    with pytest.raises(ru.RuleError):
        rl.fro_entries(ru.Fro(Hm * Hm))


def test_termwise_sum_needs_a_proved_premise():
    small = sp.Abs(rl.RHO(H[i, j]) - rl.RHO(H[l, j]))
    S = sp.Sum(small**2, (i, 1, al.n), (l, 1, al.n))
    good = [("mean value theorem (segment)", None, {}),
            ("segment maximum", sp.Abs(rl.RHO1(rl.between(H[i, j], H[l, j]))), {})]
    lic = rl.termwise_by_rule(S, small=small, large=rl.ell(j) * sp.Abs(H[i, j] - H[l, j]), links=good)
    assert lic.relation == "<=" and rl.C1 in lic.needs
    with pytest.raises(ru.RuleError):   # a premise its chain does not reach
        rl.termwise_by_rule(S, small=small, large=rl.ell(j) * sp.Abs(H[i, j] - H[l, j]) / 2, links=good)
    with pytest.raises(ru.RuleError, match=">= 0"):   # a term of unknown sign
        rl.termwise_by_rule(sp.Sum((H[i, j] - H[l, j])**2, (i, 1, al.n)), small=H[i, j] - H[l, j],
                            large=2 * (H[i, j] - H[l, j]), links=good)
    with pytest.raises(ru.RuleError):   # the summand decreases in the term
        rl.termwise_by_rule(sp.Sum(-small, (i, 1, al.n)), small=small,
                            large=rl.ell(j) * sp.Abs(H[i, j] - H[l, j]), links=good)


def test_diagonal_rules_and_hadamard_mean_on_numbers():
    A, B = al.matrix("A"), al.matrix("B")
    v = al.mean(A)
    D = rl.diag(v, "abar")
    assert rl.diagonal_norm(ru.Spec(D)).bound == ru.Fro(v)
    assert rl.diagonal_of_means(ru.Spec(D)).bound == ru.Max(A)
    Dv = rl.diag(A * al.ONE, "A1")      # not a mean: the column-mean rule refuses it
    with pytest.raises(ru.RuleError):
        rl.diagonal_of_means(ru.Spec(Dv))
    with pytest.raises(ru.RuleError):
        rl.diagonal_norm(ru.Spec(A))
    word = al.transpose(ru.Had(A, B)) * al.ONE
    assert rl.hadamard_mean(ru.Fro(word)).bound == ru.Fro(A) * ru.Fro(B)
    assert rl.hadamard_commutes(ru.Had(A, B)).bound == ru.Had(B, A)
    rng = np.random.default_rng(1)
    for _ in range(50):
        Xa, Xb = rng.standard_normal((2, 6, 3)) * rng.uniform(0.1, 10)
        assert np.linalg.norm((Xa * Xb).sum(0)) <= np.linalg.norm(Xa) * np.linalg.norm(Xb) * (1 + 1e-12)
        m = Xa.mean(0)
        assert np.abs(m).max() <= np.abs(Xa).max() and np.abs(m).max() <= np.linalg.norm(m) + 1e-15


def test_margin_rule_pattern():
    a, b = sp.symbols("a b", real=True)
    lic = rl.margin(sp.Abs(rl.indicator(a) - rl.indicator(b)), nonzero="b != 0")
    assert lic.bound == sp.Abs(a - b) / sp.Abs(b) and lic.needs == ("margin lemma", "b != 0")
    with pytest.raises(ru.RuleError):
        rl.margin(sp.Abs(a - b), nonzero="b != 0")
    with pytest.raises(ru.RuleError, match="b != 0"):   # the side condition must be named
        rl.margin(sp.Abs(rl.indicator(a) - rl.indicator(b)))


def test_margin_lemma_on_numbers():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 2000)) * 3
    b[b == 0] = 1.0
    lhs = np.abs((a > 0).astype(float) - (b > 0).astype(float))
    assert np.all(lhs <= np.abs(a - b) / np.abs(b) + 1e-15)


def test_tanh_facts_are_symbolic_and_can_fail():
    from backsmooth.proofs import local_chains as lc
    from backsmooth.proofs.checks import scalar_inequality

    assert lc.tanh_even_identity()().kind == "all_sizes_identity" and lc.tanh_even_identity()().passed
    assert lc.sech_exponential()().kind == "rule" and lc.sech_exponential()().passed
    y = sp.Symbol("y", positive=True)
    # the same check refuses a false exponential bound (sech^2 <= e^(-2a) fails at a = 0)
    assert not scalar_inequality(lambda: (4 / (y + 1 / y)**2, 1 / y**2, {}))().passed
