"""The registry of claims (backsmooth.symbolic.claims) and the bounds (bounds.py)."""

import dataclasses
import io

import pytest
import sympy as sp

import backsmooth.symbolic as bs
from backsmooth.symbolic.bounds import BOUNDS, bound_variant
from backsmooth.symbolic.symbols import SYMBOL_MEANINGS

EXPECTED = ("lemma1", "lemma2", "lemma3", "lemma4", "mean_propagation", "theorem1",
            "corollary1", "theorem2", "proposition1", "definition1", "theorem3", "corollary2",
            "proposition2", "remedy_residual", "remedy_initial_residual", "remedy_normalisation")


class TestClaims:
    def test_registry_names_in_paper_order(self):
        assert bs.claims() == EXPECTED

    def test_unknown_name_lists_known_ones(self):
        with pytest.raises(ValueError, match="unknown claim 'theorem9'.*theorem1.*proposition2"):
            bs.claim("theorem9")

    @pytest.mark.parametrize("name", EXPECTED)
    def test_claim_fields(self, name):
        c = bs.claim(name)
        assert c.name == name and c.title
        assert c.provenance in ("paper", "reconstruction", "extension")
        assert c.provenance_note
        assert all(isinstance(h, str) for h in c.hypotheses)
        assert c.statement and all(isinstance(r, sp.core.relational.Relational) for r in c.statement)
        assert set(c.bound.free_symbols) <= set(c.bound_symbols)
        assert all(x.name in SYMBOL_MEANINGS for x in c.bound_symbols)
        assert len(c.latex()) == len(c.text()) == len(c.statement)

    def test_claim_is_frozen(self):
        with pytest.raises(dataclasses.FrozenInstanceError):
            bs.claim("theorem1").name = "x"

    def test_bad_provenance_rejected(self):
        c = bs.claim("lemma1")
        with pytest.raises(ValueError, match="provenance must be one of"):
            dataclasses.replace(c, provenance="folklore")

    def test_corrected_claims_say_so(self):
        assert "gamma" in bs.claim("theorem3").provenance_note
        assert "Corrected" in bs.claim("corollary2").provenance_note
        assert bs.claim("theorem1").provenance == "paper"

    @pytest.mark.parametrize("name", EXPECTED)
    def test_statement_latex_parses_with_mathtext(self, name):
        mathtext = pytest.importorskip("matplotlib.mathtext")
        for fragment in bs.claim(name).latex():
            mathtext.math_to_image(f"${fragment}$", io.BytesIO(), format="png")


ALL_VARIANTS = [(c, v.name) for c in BOUNDS for v in BOUNDS[c]]


class TestBoundFunction:
    @pytest.mark.parametrize("name,variant", ALL_VARIANTS)
    def test_lambdified_matches_sympy(self, name, variant):
        np = pytest.importorskip("numpy")
        f, args, v = bs.bound_function(name, variant)
        assert args == v.arguments and set(v.argument_meanings) == set(args)
        values = {}
        for x in v.symbols:  # a valid point: 0 < lambda < 1, lambda s < 1, alpha < 1, ints
            values[x] = {"lambda": 0.6, "s": 1.1, "alpha": 0.3, "L": 6, "k": 2, "m": 3,
                         "M": 3, "n": 5, "w": -2.5, "gamma": 0.7, "X_F": 3.0}.get(x.name, 0.37)
        got = f(**{bs.bound_function(name, variant).variant.arguments[i]: values[x]
                   for i, x in enumerate(v.symbols)})
        want = float(v.expr.subs(values).evalf())
        assert np.isclose(got, want, rtol=1e-13, atol=0)

    def test_broadcasts_over_arrays(self):
        np = pytest.importorskip("numpy")
        f = bs.bound_function("theorem1", "uniform")
        out = f(lam=0.5, s=1.0, k=np.arange(4), E_X0=1.0)
        np.testing.assert_allclose(out, [1, 0.5, 0.25, 0.125])

    def test_default_variant_is_first(self):
        assert bs.bound_function("theorem1").variant.name == "product"
        assert bs.claim("theorem1").bound == bound_variant("theorem1", "product").expr

    def test_required_variants_exist(self):
        assert {"product", "uniform", "alpha"} <= set(bs.variants("theorem1"))
        assert "uniform" in bs.variants("corollary1")
        assert {"recursion", "unrolled"} <= set(bs.variants("theorem2"))
        assert {"uniform", "clean"} <= set(bs.variants("theorem3"))
        assert {"gnn_A", "gnn_B", "mlp_A", "mlp_B"} <= set(bs.variants("proposition2"))

    def test_unknown_variant(self):
        with pytest.raises(ValueError, match="no bound variant 'cubic'.*product, uniform"):
            bs.bound_function("theorem1", "cubic")

    def test_unknown_claim(self):
        with pytest.raises(ValueError, match="known claims: lemma1"):
            bs.bound_function("lemma9")

    def test_alpha_rate_dominates_uniform_when_s_le_lambda_pow(self):
        np = pytest.importorskip("numpy")
        uni = bs.bound_function("theorem1", "uniform")
        alp = bs.bound_function("theorem1", "alpha")
        lam, alpha = 0.7, 0.4
        s = lam ** (-alpha)
        k = np.arange(20)
        assert np.all(uni(lam, s, k, 1.0) <= alp(lam, alpha, k, 1.0) * (1 + 1e-14))

    def test_proposition2_values(self):
        f = bs.bound_function("proposition2", "gnn_A")
        assert f(lam=0.6, L=2, w=10.0) == pytest.approx(0.6**3 * 10 / 2**0.5, rel=1e-15)
