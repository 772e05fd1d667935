"""The rules added for Proposition 1 (ii)-(iv), Theorem 3 (a) and Corollary 2, and the steps they prove.

Each rule is tested three ways: it licenses its bound on its pattern, it refuses a term without
its pattern, and the inequality it licenses holds on random instances (numpy; the tolerance is
round-off, the rules' bounds are not tight in general).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import sympy as sp
from scipy.special import softmax

from backsmooth.proofs import algebra as al
from backsmooth.proofs import proof, verify
from backsmooth.proofs import rules as ru
from backsmooth.proofs.framework import _call
from backsmooth.proofs.mutants import step_mutants
from backsmooth.proofs.rules_columns import c_2
from backsmooth.proofs.rules_losses import Inner, L_const, LossOf

RULES = ru.RULES
A, B, G, H, R, X, Y = (al.matrix(x) for x in ("A", "B", "G", "H", "R_k", "X", "Y"))
ONE, n = al.ONE, al.n
rng = np.random.default_rng(20261201)
EPS = 1e-12


def colsum(M):
    return al.transpose(M) * ONE


#: the steps that rested only on instances before (claim, label)
FORMER_INSTANCE_STEPS = [
    ("proposition1", "(ii) second order"), ("proposition1", "(iii) N_k norm"), ("proposition1", "(iii) bound"),
    ("proposition1", "(iv) bound"),
    ("theorem3", "(F1)"), ("theorem3", "(F2)"), ("theorem3", "(F2')"), ("theorem3", "(F3)"), ("theorem3", "(F4)"),
    ("theorem3", "backward route"), ("theorem3", "forward route"),
    ("corollary2", "(a) lower bound"), ("corollary2", "(b) softmax Lipschitz"), ("corollary2", "(b) MSE mean zero"),
    ("corollary2", "(b) stationary")]


class TestColumnRules:
    def test_hadamard_split(self):
        g = al.matrix("g")
        term = ru.Fro(colsum(ru.Had(A, G)))
        parts = (ONE * al.transpose(al.mean(G)), ru.PI * G)
        lic = RULES["hadamard split"](term, parts=parts)
        assert lic.relation == "==" and lic.bound == ru.Fro(colsum(ru.Had(A, parts[0])) + colsum(ru.Had(A, parts[1])))
        with pytest.raises(ru.RuleError):  # G != 1 g^T + Pi G for a free g
            RULES["hadamard split"](term, parts=(ONE * al.transpose(g), ru.PI * G))

    def test_hadamard_constant_rows(self):
        g = al.matrix("g")
        lic = RULES["hadamard (constant rows)"](ru.Fro(colsum(ru.Had(A, ONE * al.transpose(g)))), g=g)
        assert lic.bound == ru.Inf(g) * ru.Fro(colsum(A))
        with pytest.raises(ru.RuleError):
            RULES["hadamard (constant rows)"](ru.Fro(colsum(ru.Had(A, G))), g=g)
        for _ in range(200):  # ||(A o 1 g^T)^T 1|| <= ||g||_inf ||A^T 1||
            nn, d = rng.integers(1, 7, 2)
            Am, gv = rng.standard_normal((nn, d)), rng.standard_normal(d)
            lhs = np.linalg.norm((Am * gv).sum(0))
            assert lhs <= np.abs(gv).max() * np.linalg.norm(Am.sum(0)) * (1 + EPS) + EPS

    def test_column_inner_products(self):
        lic = RULES["Cauchy-Schwarz (column inner products)"](ru.Fro(colsum(ru.Had(A, B))))
        assert lic.bound == ru.Fro(A) * ru.Fro(B)
        with pytest.raises(ru.RuleError):
            RULES["Cauchy-Schwarz (column inner products)"](ru.Fro(A * B))
        for _ in range(200):
            nn, d = rng.integers(1, 7, 2)
            Am, Bm = rng.standard_normal((nn, d)), rng.standard_normal((nn, d))
            assert np.linalg.norm((Am * Bm).sum(0)) <= np.linalg.norm(Am) * np.linalg.norm(Bm) * (1 + EPS)

    def test_taylor_column_sums(self):
        lic = RULES["second-order Taylor (A2c)"](ru.Fro(colsum(R)), H=H)
        assert lic.bound == c_2 / 2 * ru.Fro(ru.PI * H)**2 and "(A2c)" in lic.needs[0]
        with pytest.raises(ru.RuleError):  # only for the Lipschitz remainder R_k
            RULES["second-order Taylor (A2c)"](ru.Fro(colsum(A)), H=H)
        # tanh: rho'' is 2-Lipschitz (c_2 = 2); R = rho'(H) - 1 rho'(hbar)^T
        dtanh = lambda x: 1 - np.tanh(x)**2  # noqa: E731
        worst = 0.0
        for _ in range(300):
            nn, d = rng.integers(2, 8, 2)
            Hm = rng.standard_normal(d) + 10 ** rng.uniform(-3, 0.5) * rng.standard_normal((nn, d))
            Rm = dtanh(Hm) - dtanh(Hm.mean(0))
            C = Hm - Hm.mean(0)
            lhs, rhs = np.linalg.norm(Rm.sum(0)), 2 / 2 * np.linalg.norm(C)**2
            assert lhs <= rhs * (1 + 1e-9) + 1e-15
            worst = max(worst, lhs / rhs)
        assert worst > 0.05  # the instances reach the regime where the bound matters

    def test_triangle_split_off_and_ones(self):
        lic = RULES["triangle (split off)"](ru.Fro(A), b=B)
        assert lic.bound == ru.Fro(A - B) + ru.Fro(B)
        assert RULES["ones vector"](ru.Fro(ONE)).bound == sp.sqrt(n)
        with pytest.raises(ru.RuleError):
            RULES["ones vector"](ru.Fro(A))

    def test_termwise_sum_decided(self):
        lam, j, m, L = ru.lam, *sp.symbols("j m L", integer=True)
        f = sp.Function("f", positive=True)
        total = sp.Sum(lam**(j - m + 1) * f(j), (j, m, L - 1))
        rep = {lam: 1 / (1 + sp.Symbol("v", positive=True))}
        lic = RULES["termwise sum (decided)"](total, small=lam**(j - m + 1), large=lam, rep=rep, needs=("A1",))
        assert lic.bound == sp.Sum(lam * f(j), (j, m, L - 1)) and lic.needs == ("A1",)
        with pytest.raises(ru.RuleError):  # without lambda < 1 it is false, and sympy does not decide it
            RULES["termwise sum (decided)"](total, small=lam**(j - m + 1), large=lam)
        with pytest.raises(ru.RuleError):  # the reverse comparison is false
            RULES["termwise sum (decided)"](sp.Sum(lam * f(j), (j, m, L - 1)), small=lam,
                                            large=lam**(j - m + 1), rep=rep)


class TestLossRules:
    def test_inner_identity(self):
        a = al.matrix("a")
        lin = Inner(ONE * al.transpose(a) - Y, H - ONE * al.transpose(al.mean(H)))
        lic = RULES["inner product identity"](lin, to=(ru.PI * Y, ru.PI * H), coeff=-1)
        assert lic.bound == -Inner(ru.PI * Y, ru.PI * H)
        with pytest.raises(ru.RuleError):  # the sign matters
            RULES["inner product identity"](lin, to=(ru.PI * Y, ru.PI * H), coeff=1)

    def test_cauchy_schwarz_frobenius(self):
        assert RULES["Cauchy-Schwarz (Frobenius)"](Inner(A, B)).bound == ru.Fro(A) * ru.Fro(B)
        with pytest.raises(ru.RuleError):
            RULES["Cauchy-Schwarz (Frobenius)"](ru.Fro(A))

    def test_convexity_and_best_constant_patterns(self):
        c, a = al.mean(H), al.matrix("a(c)")
        lic = RULES["convexity (tangent plane)"](-LossOf(H), c=c, a=a, Y=Y)
        assert lic.needs == ("Loss MSE or mean CE, pi_c > 0",)
        with pytest.raises(ru.RuleError):  # the tangent plane bounds -Loss from above, not Loss
            RULES["convexity (tangent plane)"](LossOf(H), c=c, a=a, Y=Y)
        assert RULES["best constant (L_const)"](-LossOf(ONE * al.transpose(c))).bound == -L_const
        with pytest.raises(ru.RuleError):  # H is not a constant predictor
            RULES["best constant (L_const)"](-LossOf(H))

    @pytest.mark.parametrize("loss", ["mse", "ce"])
    def test_tangent_plane_holds(self, loss):
        # Loss(H) >= Loss(1 c^T) + <1 a(c)^T - Y, H - 1 c^T>/n, c = mean row of H
        for _ in range(200):
            nn, K = rng.integers(2, 8), rng.integers(2, 5)
            Hm = rng.standard_normal((nn, K)) * 10 ** rng.uniform(-2, 1)
            Ym = np.eye(K)[rng.integers(0, K, nn)] if loss == "ce" else rng.standard_normal((nn, K))

            def Lf(M):
                if loss == "mse":
                    return np.sum((M - Ym)**2) / (2 * nn)
                return -np.mean(np.sum(Ym * np.log(softmax(M, axis=1)), 1))
            cm = Hm.mean(0)
            am = cm if loss == "mse" else softmax(cm)
            C = np.tile(cm, (nn, 1))
            rhs = Lf(C) + np.sum((am - Ym) * (Hm - C)) / nn
            assert Lf(Hm) >= rhs - 1e-12 * (1 + abs(rhs))

    def test_softmax_lipschitz(self):
        S, sc = al.matrix("softmax(H)"), al.matrix("softmax(c*)")
        lic = RULES["softmax 1/2-Lipschitz (rows)"](ru.Fro(S - ONE * al.transpose(sc)))
        assert lic.bound == ru.Fro(H - ONE * al.matrix("c*^T")) / 2 and lic.needs == ("Popoviciu step",)
        with pytest.raises(ru.RuleError):
            RULES["softmax 1/2-Lipschitz (rows)"](ru.Fro(H - ONE * al.transpose(sc)))
        worst = 0.0
        for _ in range(400):
            K = rng.integers(2, 6)
            u = rng.standard_normal(K) * 10 ** rng.uniform(-2, 1)
            v = u + rng.standard_normal(K) * 10 ** rng.uniform(-4, 0)
            r = np.linalg.norm(softmax(u) - softmax(v)) / (0.5 * np.linalg.norm(u - v))
            assert r <= 1 + 1e-9
            worst = max(worst, r)
        # 1/2 is the right constant, not a loose one: (1, -1)/sqrt(2) directions at u = 0 reach it
        eps = 1e-6
        u = np.zeros(2)
        assert np.linalg.norm(softmax(u) - softmax(u + eps * np.array([1, -1]))) / (0.5 * eps * np.sqrt(2)) > 0.99


@pytest.fixture(scope="module")
def claim_results():
    return {c: verify(proof(c)) for c in ("proposition1", "theorem3", "corollary2")}


class TestFormerInstanceSteps:
    @pytest.mark.parametrize("claim,label", FORMER_INSTANCE_STEPS)
    def test_step_is_proof(self, claim_results, claim, label):
        st = {s.step.label: s for s in claim_results[claim].steps}[label]
        assert st.passed and st.kind in ("all_sizes_identity", "rule"), st.evidence.detail

    @pytest.mark.parametrize("claim", ["proposition1", "theorem3", "corollary2"])
    def test_claim_strength_is_rule(self, claim_results, claim):
        r = claim_results[claim]
        assert r.passed and r.strength == "rule" and r.is_proof

    @pytest.mark.parametrize("claim,label", FORMER_INSTANCE_STEPS)
    def test_mutants_rejected(self, claim, label):
        st = {s.label: s for s in proof(claim).steps}[label]
        muts = step_mutants(st)
        assert muts
        accepted = [d for d, m in muts if _call(m.check, m).passed]
        assert not accepted, accepted
        kinds = {d.split(" (")[0].split(":")[0] for d, _ in muts}
        assert {"direction flipped", "stronger conclusion"} <= kinds or "inductive step" in kinds, kinds

    def test_dropping_a_hypothesis_is_refused(self):
        # (ii) second order without (A2c): the Taylor rule's side condition is not cited
        st = {s.label: s for s in proof("proposition1").steps}["(ii) second order"]
        assert _call(st.check, st).passed
        bad = dataclasses.replace(st, uses=tuple(u for u in st.uses if "(A2c)" not in u))
        ev = _call(bad.check, bad)
        assert not ev.passed and "(A2c)" in ev.detail


def test_cli_mutants_of_corollary2_all_rejected(capsys):
    import argparse
    import re

    from backsmooth.cli import proof as _cmd_proof

    parser = argparse.ArgumentParser(prog="backsmooth")
    _cmd_proof.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["proof", "corollary2", "--mutants"])
    assert args.func(args) == 0
    m = re.search(r"total: (\d+) of (\d+) mutants rejected", capsys.readouterr().out)
    assert m and m.group(1) == m.group(2) and int(m.group(2)) >= 30
