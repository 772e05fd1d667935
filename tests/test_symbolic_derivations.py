"""Every derivation sympy performs (backsmooth.symbolic.derive and its modules)."""

import pytest
import sympy as sp

import backsmooth.symbolic as bs
from backsmooth.symbolic.counterexample import counterexample, p_sym, w_sym
from backsmooth.symbolic.derive_stationary import theorem3_counterexample
from backsmooth.symbolic.steps import (
    DerivationStep, identity_step, inequality_step, limit_step, rational_step,
)
from backsmooth.symbolic.symbols import alpha, k, lam, s


class TestDerive:
    @pytest.mark.parametrize("name", bs.derivations())
    def test_every_step_verified(self, name):
        steps = bs.derive(name)
        assert steps and all(isinstance(st, DerivationStep) for st in steps)
        failed = [st.description for st in steps if not st.verified]
        assert not failed, failed
        for st in steps:
            assert isinstance(st.lhs, sp.Basic) and isinstance(st.rhs, sp.Basic)
            assert st.method in ("simplify", "entrywise simplify", "assumptions",
                                 "rational instances", "limit")
            if st.method == "rational instances":
                assert "rational instances" in st.description
                assert st.kind == "instances"
            if isinstance(st.lhs, sp.MatrixBase):  # explicit matrices: one stated size
                assert st.kind == "fixed_size_identity" and st.evidence.size
            if st.kind == "rule":
                assert st.evidence.rules == ("sign decided by sympy",) and st.method == "assumptions"

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="unknown derivation 'lemma7'.*backprop, relu"):
            bs.derive("lemma7")

    def test_derivations_cover_claims_and_extras(self):
        assert bs.derivations() == bs.claims() + ("backprop", "relu")


class TestStepsCanFail:
    """The checking helpers reject false statements (no step that cannot fail)."""

    def test_false_identity(self):
        x = sp.Symbol("x")
        assert not identity_step("wrong", (x + 1)**2, x**2 + 1).verified

    def test_false_matrix_identity(self):
        P = sp.Matrix(2, 2, sp.symbols("p0:4"))
        assert not identity_step("P^T = P for generic P", P.T, P).verified

    def test_alpha_rate_fails_when_hypothesis_reversed(self):
        v = sp.Symbol("v", positive=True)
        lhs, rhs = (lam * s)**k, lam**((1 - alpha) * k)
        st = inequality_step("s >= lambda^-alpha", lhs, rhs,
                             sp.log(lhs.subs(s, lam**(-alpha) * (1 + v)) / rhs))
        assert not st.verified

    def test_rational_step_detects_violation(self):
        x = sp.Symbol("x")
        st = rational_step("x^2 <= x", x**2, x, [{x: sp.Rational(1, 2)}, {x: 2}])
        assert not st.verified and st.method == "rational instances"

    def test_limit_step(self):
        e = sp.Symbol("e", positive=True)
        assert limit_step("1/e -> oo", 1 / e, e, 0, sp.oo).verified
        assert not limit_step("1/e -> 0", 1 / e, e, 0, 0).verified


class TestBackprop:
    def test_recursion_uses_P_transpose(self):
        """With P (not P^T) the recursion is wrong for a generic non-symmetric P."""
        from backsmooth.symbolic.derive_backward import generic_rho, true_backward_signals
        from backsmooth.symbolic.gnn import forward, rho_prime, symbolic_gnn
        net = symbolic_gnn(2, (1, 1, 1))
        _, _, H = forward(net, generic_rho)
        B = true_backward_signals(net, generic_rho)
        wrong = H[0].applyfunc(rho_prime(generic_rho)).multiply_elementwise(net.P * B[1] * net.W[1].T)
        assert not identity_step("with P instead of P^T", B[0], wrong).verified

    def test_generic_rho_n3(self):
        from backsmooth.symbolic.derive_backward import derive_backprop
        assert all(st.verified for st in derive_backprop(n=3, widths=(1, 1, 1)))


class TestTheorem3Correction:
    def test_output_gradient_zero_but_hidden_not(self):
        g0, g1 = theorem3_counterexample()
        assert g1 == sp.zeros(2, 1)
        assert all(e.is_Rational for e in g0) and sum(e**2 for e in g0) > 0


class TestProposition2:
    @pytest.mark.parametrize("L", [1, 2, 3])
    def test_mlp_construction_B_exact(self, L):
        r = counterexample("B", L, "relu", "mlp")
        assert r["loss"] == sp.Rational(1, 2) and r["bbar_L"] == 0
        assert all(g == sp.zeros(*g.shape) for g in r["grads"][1:])
        assert sp.simplify(sum(e**2 for e in r["grads"][0]) - w_sym**2) == 0

    def test_gnn_construction_A_rational(self):
        r = counterexample("A", 2, "id", "gnn")
        g = r["grads"][0].subs({w_sym: 4, p_sym: sp.Rational(1, 4)})
        assert sum(e**2 for e in g) == sp.Rational(1, 2)**6 * 16 / 2

    def test_bad_construction(self):
        with pytest.raises(ValueError, match="construction must be 'A' or 'B'"):
            counterexample("C", 1)


class TestReLU:
    def test_not_covered_is_stated(self):
        # behaviour: the checks of the claims said not to cover ReLU refuse to judge ReLU rows
        # (hypothesis A2b fails), except the parts that need only |rho'| <= 1
        from backsmooth.checks import check
        from backsmooth.symbolic.derive_relu import RELU_NOT_COVERED

        needs_only_A2 = {"row_growth", "full_gradient"}
        for name in ("theorem2", "proposition1", "theorem3"):
            assert name in RELU_NOT_COVERED
            r = check(name, activation="relu", trials=3, seed=1, n=(4, 8), depth=(1, 3))
            rows = [row for row in r.records if row["part"] not in needs_only_A2]
            assert rows and all(row["verdict"] == "hypotheses not met" for row in rows)
            assert all("A2b" in row["hypotheses_failed"] for row in rows)

    def test_relu_margin_claim_judges_relu(self):
        from backsmooth.checks import check

        r = check("theorem2_relu", trials=6, seed=1, n=(4, 8), depth=(1, 3))
        assert r.provenance == {"theorem2_relu": "extension"}
        assert r.violations == 0 and r.summary["judged"] > 0

    def test_relu_margin_derivation_verified(self):
        from backsmooth.symbolic.derivations import derive

        steps = derive("theorem2_relu")
        assert len(steps) >= 10 and all(st.verified for st in steps)


class TestOneStepEngine:
    """Derivation steps are steps of the proofs' engine, with evidence named for what they establish."""

    x = sp.Symbol("x")

    def test_derivation_step_is_a_chain_step(self):
        from backsmooth.symbolic.chain import Step

        st = identity_step("square", (self.x + 1)**2, self.x**2 + 2 * self.x + 1)
        assert isinstance(st, Step) and st.check() is st.evidence and st.asserts == "square"

    def test_kind_of_each_checking_function(self):
        lam_v = sp.Symbol("v", positive=True)
        # scalar identity in a symbolic parameter: every value
        assert identity_step("sq", (lam + 1)**2, lam**2 + 2 * lam + 1).kind == "all_sizes_identity"
        # explicit matrices: the size is stated
        P = sp.Matrix(2, 3, sp.symbols("p0:6"))
        st = identity_step("transpose twice", P.T.T, P)
        assert st.verified and st.evidence.label == "fixed_size_identity (2 x 3 matrices)"
        # a scalar built from the generic entries of explicit matrices is also one size
        X = sp.Matrix(3, 1, lambda a, b: sp.Symbol(f"x_{a}{b}"))
        st = identity_step("sum of squares", (X.T * X)[0], sum(e**2 for e in X))
        assert st.kind == "fixed_size_identity" and "x_00" in st.evidence.size
        # an inequality whose sign sympy decides in symbolic parameters: a rule, named
        lhs, rhs = lam / (1 + lam_v), lam
        st = inequality_step("shrink", lhs, rhs, sp.log(lhs / rhs))
        assert st.verified and st.kind == "rule" and st.rules == ("sign decided by sympy",)
        # rational instances: instances; a symbolic limit: all sizes
        st = rational_step("x^2 <= x", self.x**2, self.x, [{self.x: sp.Rational(1, 2)}])
        assert st.verified and st.kind == "instances"
        e = sp.Symbol("e", positive=True)
        assert limit_step("1/e -> oo", 1 / e, e, 0, sp.oo).kind == "all_sizes_identity"
        assert limit_step("ex", 1 / e, e, 0, sp.oo, size="n = 2").kind == "fixed_size_identity"

    def test_failing_step_fails_its_chain(self):
        from backsmooth.symbolic.chain_verify import verify
        from backsmooth.symbolic.derivations import chain_of

        good = identity_step("sq", (lam + 1)**2, lam**2 + 2 * lam + 1)
        bad = identity_step("wrong", (lam + 1)**2, lam**2 + 1)
        result = verify(chain_of("toy", (good, bad)), context={})
        assert not result.passed and result.failed_steps == ("wrong",)
        assert verify(chain_of("toy", (good,)), context={}).passed

    def test_chain_checker_refuses_an_unestablished_name(self):
        from dataclasses import replace

        from backsmooth.symbolic.chain import ChainError
        from backsmooth.symbolic.derivations import chain_of

        first = identity_step("first", lam, lam)
        second = replace(identity_step("second", lam**2, lam * lam), uses=("first",))
        chain_of("toy", (first, second))  # uses an earlier step: chains
        with pytest.raises(ChainError, match="'second' uses 'first' before it is established"):
            chain_of("toy", (second, first))
        with pytest.raises(ChainError, match="uses 'mystery', which is not a hypothesis"):
            chain_of("toy", (replace(first, uses=("mystery",)),))

    @pytest.mark.parametrize("name", ["lemma1", "lemma4", "theorem1", "remedy_residual"])
    def test_strength_is_the_weakest_step(self, name):
        from backsmooth.symbolic.derivations import derivation_result
        from backsmooth.symbolic.evidence import EVIDENCE_KINDS

        result = derivation_result(name)
        kinds = {st.kind for st in bs.derive(name)}
        weakest = [k for k in EVIDENCE_KINDS if k in kinds][-1]
        assert result.passed and result.strength == weakest
        assert sum(result.kind_counts.values()) == len(bs.derive(name))

