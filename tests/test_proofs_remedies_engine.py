"""The remedy proofs in the rule engine: evidence kinds, mutants, and the rules of proofs/rules_remedies.py."""

from __future__ import annotations

import argparse
import re

import numpy as np
import pytest
import sympy as sp

from backsmooth.proofs import proof, verify
from backsmooth.proofs import algebra as al
from backsmooth.proofs._common import A1
from backsmooth.proofs import rules as ru
from backsmooth.proofs import rules_remedies as rr
from backsmooth.proofs.mutants import mutation_report

ALL, RULE = "all_sizes_identity", "rule"
#: the kind each step must have: identities for the Jacobians, rule chains for the inequalities
KINDS = {
    "remedy_residual": {"recursion": ALL, "lemma2": RULE, "one layer": RULE, "uniform rate": RULE,
                        "unroll": RULE, "registry": ALL},
    "remedy_initial_residual": {"main path": ALL, "anchor path": ALL, "weights": ALL, "mean": ALL,
                                "centred one layer": RULE, "centred bound": RULE, "mean one layer": RULE,
                                "mean bound": RULE, "registry": ALL},
    "remedy_normalisation": {"mean Jacobian": ALL, "centred": ALL, "projector": ALL, "PairNorm Jacobian": ALL,
                             "zero mean, both normalisations": ALL, "mean one layer": RULE,
                             "mean contraction": RULE, "PairNorm step": RULE, "registry": ALL},
}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_step_is_proof_of_the_stated_kind(name):
    r = verify(proof(name))
    assert r.passed, r.failed_steps
    assert {s.step.label: s.kind for s in r.steps} == KINDS[name]
    assert r.is_proof and r.strength == RULE
    # the instance checks of the first version stay, as additional evidence only
    assert any(e.kind == "instances" and e.passed for s in r.steps for e in s.also)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_mutant_is_rejected(name):
    rep = mutation_report(proof(name))
    assert rep["not_mutated"] == []
    assert rep["mutants"] >= 35 and rep["rejected"] == rep["mutants"], [
        (s["label"], m["mutant"]) for s in rep["steps"] for m in s["mutants"] if not m["rejected"]]
    kinds = {m["mutant"].split(": ")[-1].split(" (")[0] for s in rep["steps"] for m in s["mutants"]}
    assert {"direction flipped", "constant perturbed", "stronger conclusion", "side condition dropped"} <= kinds
    assert any(m["mutant"].startswith("hypothesis removed") for s in rep["steps"] for m in s["mutants"])


def test_cli_mutants_of_a_remedy_claim():
    from backsmooth.cli import proof as cmd

    parser = argparse.ArgumentParser(prog="backsmooth")
    cmd.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["proof", "remedy_initial_residual", "--mutants"])
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert args.func(args) == 0
    m = re.search(r"total: (\d+) of (\d+) mutants rejected", buf.getvalue())
    assert m and m.group(1) == m.group(2)


# -- sympy matrix calculus translated to words -----------------------------------------------------
_n, _d = sp.symbols("n d", integer=True, positive=True)
X, B, G = (sp.MatrixSymbol(x, _n, _d) for x in ("X", "B", "G"))
P, W = sp.MatrixSymbol("P", _n, _n), sp.MatrixSymbol("W", _d, _d)


def test_to_algebra_translates_and_refuses_what_it_cannot():
    one = sp.OneMatrix(_n, 1)
    assert rr.to_algebra(P.T * B * W.T) == al.matrix("P^T") * al.matrix("B") * al.matrix("W^T")
    assert rr.to_algebra(one.T * B) == al.ONE_T * al.matrix("B")
    assert rr.to_algebra(sp.OneMatrix(_n, _n)) == al.ONE * al.ONE_T
    assert rr.to_algebra(2 * sp.Identity(_n) + sp.ZeroMatrix(_n, _n)) == 2
    with pytest.raises(TypeError):
        rr.to_algebra(sp.Trace(X.T * B) * sp.Identity(_n))


def test_matrix_calculus_identity_rejects_wrong_vjps_and_uncited_symmetry():
    grad = sp.Trace(G.T * (P * X * W)).diff(X)
    assert rr.matrix_calculus_identity(lambda: (grad, P.T * G * W.T))().passed
    assert not rr.matrix_calculus_identity(lambda: (grad, P.T * G * W))().passed
    assert not rr.matrix_calculus_identity(lambda: (grad, 2 * P.T * G * W.T))().passed
    # P^T = P is (A1): only with the hypothesis cited
    wrong = rr.matrix_calculus_identity(lambda: (grad, P * G * W.T))
    assert not wrong().passed

    class Cites:
        uses = (A1,)

    assert wrong(Cites()).passed


# -- traces ----------------------------------------------------------------------------------------
def test_inner_is_bilinear_cyclic_and_knows_pi():
    Gl, Hl, El = al.matrix("G"), al.matrix("H"), al.matrix("E")
    x = sp.Symbol("x")
    assert sp.expand(rr.inner(Gl + x * El, Hl) - rr.inner(Gl, Hl) - x * rr.inner(El, Hl)) == 0
    assert rr.inner(Gl, Hl) - rr.inner(Hl, Gl) == 0
    assert rr.inner(Gl, Hl) != rr.inner(Gl, El)
    # <Pi G, Pi H> = <G, Pi H> (Pi^T Pi = Pi), but <Pi G, H> != <G, H>
    assert sp.expand(rr.inner(ru.PI * Gl, ru.PI * Hl) - rr.inner(Gl, ru.PI * Hl)) == 0
    assert sp.expand(rr.inner(ru.PI * Gl, Hl) - rr.inner(Gl, Hl)) != 0


def test_inner_agrees_with_numbers():
    rng = np.random.default_rng(0)
    n, d = 5, 3
    Gv, Hv = rng.standard_normal((n, d)), rng.standard_normal((n, d))
    Pin = np.eye(n) - np.ones((n, n)) / n
    expr = rr.inner(al.matrix("G"), ru.PI * al.matrix("H"))
    # evaluate each trace symbol: words of G, H, G^T, H^T, 1, 1^T
    mats = {"G": Gv, "H": Hv, "G^T": Gv.T, "H^T": Hv.T, "1": np.ones((n, 1)), "1^T": np.ones((1, n))}
    vals = {}
    for sym in expr.free_symbols:
        if sym.name.startswith("tr("):
            words = sym.name[3:-1].split(" ")
            M = mats[words[0]]
            for w in words[1:]:
                M = M @ mats[w]
            vals[sym] = float(np.trace(M))
    vals[al.n] = n
    assert float(expr.subs(vals)) == pytest.approx(float(np.trace(Gv.T @ Pin @ Hv)), rel=1e-12)


@pytest.mark.parametrize("sign,ok", [(1, True), (0, False), (-1, False), (2, False)])
def test_pairnorm_jacobian_is_checked(sign, ok):
    from backsmooth.proofs.remedies_normalisation import pairnorm_check

    assert pairnorm_check(sign)().passed is ok


def test_pairnorm_jacobian_against_finite_differences():
    """The proved formula, numerically: <B, E> equals the derivative of <G, N(H + tE)>."""
    rng = np.random.default_rng(1)
    n, d, sigma = 6, 3, 1.3
    Pin = np.eye(n) - np.ones((n, n)) / n
    Hv, Gv, Ev = (rng.standard_normal((n, d)) for _ in range(3))

    def N(Hm):
        return sigma * np.sqrt(n) * Pin @ Hm / np.linalg.norm(Pin @ Hm)

    h = 1e-6
    fd = (np.sum(Gv * N(Hv + h * Ev)) - np.sum(Gv * N(Hv - h * Ev))) / (2 * h)
    c = Pin @ Hv / np.linalg.norm(Pin @ Hv)
    EH = np.linalg.norm(Pin @ Hv) / np.sqrt(n)
    Bv = sigma / EH * (Pin @ Gv - np.sum(Pin @ Gv * c) * c)
    assert np.sum(Bv * Ev) == pytest.approx(fd, rel=1e-7)


# -- the rules -------------------------------------------------------------------------------------
r_, lam, s_ = sp.Symbol("r", positive=True), ru.lam, ru.s
Bl, Cl = al.matrix("B"), al.matrix("C")


def test_reverse_triangle_rule_and_its_side_condition():
    lic = rr.reverse_triangle(r_ * ru.E(Bl), to=r_ * Bl + Cl)
    assert lic.relation == "<=" and lic.bound == ru.E(r_ * Bl + Cl) + ru.E(Cl)
    assert rr.reverse_triangle(ru.Fro(Bl), to=Bl + Cl).bound == ru.Fro(Bl + Cl) + ru.Fro(Cl)
    with pytest.raises(ru.RuleError, match="not shown positive"):  # c = r - lambda s may be negative
        rr.reverse_triangle((r_ - lam * s_) * ru.E(Bl), to=(r_ - lam * s_) * Bl + Cl)
    with pytest.raises(ru.RuleError):  # not c N(X)
        rr.reverse_triangle(ru.E(Bl) + ru.E(Cl), to=Bl)
    with pytest.raises(ru.RuleError):  # nothing to bound
        rr.reverse_triangle(r_ * ru.E(Bl), to=r_ * Bl)


def test_reverse_triangle_holds_numerically():
    rng = np.random.default_rng(2)
    for _ in range(200):
        n, d = rng.integers(2, 7), rng.integers(1, 4)
        Bv, Cv, c = rng.standard_normal((n, d)), rng.standard_normal((n, d)), rng.uniform(0.01, 3)
        Ef = lambda M: np.linalg.norm(M - M.mean(0)) / np.sqrt(n)  # noqa: E731
        assert c * Ef(Bv) <= Ef(c * Bv + Cv) + Ef(Cv) + 1e-12


def test_projection_rule_and_its_side_conditions():
    c = al.matrix("c")
    Xl = ru.PI * Bl
    lic = rr.projection_perp(ru.Fro(Xl - rr.Inner(Xl, c) * c), c=c)
    assert lic.bound == ru.Fro(Xl) and lic.needs == (rr.UNIT_C,)
    with pytest.raises(ru.RuleError, match="coefficient"):  # 3 <X, c> c: not the projection
        rr.projection_perp(ru.Fro(Xl - 3 * rr.Inner(Xl, c) * c), c=c)
    with pytest.raises(ru.RuleError, match="coefficient"):  # <Y, c> c for another Y
        rr.projection_perp(ru.Fro(Xl - rr.Inner(Cl, c) * c), c=c)
    with pytest.raises(ru.RuleError):
        rr.projection_perp(ru.Spec(Xl - rr.Inner(Xl, c) * c), c=c)
    # numerically: ||X - <X, c> c|| <= ||X|| for unit c, but not for c of norm 2
    rng = np.random.default_rng(3)
    Xv, cv = rng.standard_normal((5, 2)), rng.standard_normal((5, 2))
    cu = cv / np.linalg.norm(cv)
    assert np.linalg.norm(Xv - np.sum(Xv * cu) * cu) <= np.linalg.norm(Xv)
    c2 = 2 * cu
    Xa = cu  # aligned with c: X - 4 X = -3 X
    assert np.linalg.norm(Xa - np.sum(Xa * c2) * c2) > np.linalg.norm(Xa)


def test_mixing_norm_rule():
    lic = rr.mixing_norm(ru.Spec(al.transpose(al.matrix("M^(k)"))))
    assert lic.bound == sp.Symbol("m_M", nonnegative=True) and lic.needs == (rr.MIXING,)
    for bad in (ru.Fro(al.matrix("M^(k)")), ru.Spec(al.matrix("W^(k)"))):
        with pytest.raises(ru.RuleError):
            rr.mixing_norm(bad)


def test_lower_unroll_needs_lambda_s_at_most_r():
    """Without the re-parametrisation r = lambda s + v, multiplying by r - lambda s is refused."""
    from backsmooth.proofs.remedies import residual_unroll_check

    lower = residual_unroll_check().checks[0]
    assert lower.step.rep  # the hypothesis is encoded
    bare = ru.RuleChain(lower.step.start, lower.step.links, lower.step.target)

    class St:
        uses = ("induction hypothesis", "uniform rates", "one-layer bounds")

    ev = bare(St())
    assert not ev.passed and "non-decreasing" in ev.detail
