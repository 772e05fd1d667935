"""Every claim of the registry has every layer, found by its name.

``backsmooth.symbolic.claims()`` is the one list of claims.  For each claim this test finds,
by the claim's name and nothing else: its bound variants (``symbolic.bounds``), its
derivation (``symbolic.derive``), its proof (``NAME_proof`` in ``backsmooth.proofs``), the
check that judges it (``backsmooth.checks.check_for``), its notebook section (a
``show_derivation("NAME")`` call in ``notebooks/``) and its report sections (``claim/NAME``,
``derivation/NAME``, ``proof/NAME`` and the check's section).  A claim added to the registry
without one of them fails here with a message that says what to write; :data:`WITHOUT`
states, for a (claim, layer) pair, why a layer is missing on purpose.
"""

import re
from pathlib import Path

import pytest

from backsmooth.symbolic import claims

NOTEBOOK_DIR = Path(__file__).resolve().parents[1] / "notebooks"

#: (claim, layer) -> why the claim has no such layer (empty: every claim has every layer)
WITHOUT: dict = {}

LAYERS = ("bound", "derivation", "proof", "check", "notebook", "report")


def _notebook_claims():
    text = "".join(p.read_text(encoding="utf-8") for p in NOTEBOOK_DIR.glob("[0-9]*.py"))
    return set(re.findall(r'show_derivation\("(\w+)"', text))


def _missing(name, layer):
    """None if claim ``name`` has ``layer``, else what a contributor must add."""
    if layer == "bound":
        from backsmooth.symbolic.bounds import BOUNDS

        if not BOUNDS.get(name):
            return (f"bound variants: give the _SPEC entry of {name!r} in symbolic/claims.py a "
                    "7th element (its bound variants)")
    elif layer == "derivation":
        from backsmooth.symbolic.derivations import missing_derivations

        if missing_derivations((name,)):
            return (f"derivation: write derive_{name}() in a symbolic/derive_*.py module (or a "
                    "_TABLE entry in symbolic/derivations.py)")
    elif layer == "proof":
        from backsmooth.proofs.registry import missing_proofs

        if missing_proofs((name,)):
            return f"proof: write {name}_proof() in a module of proofs/"
    elif layer == "check":
        from backsmooth.checks import check_for

        if check_for(name) is None:
            return (f"check: register one with @register({name!r}, title, ({name!r},), "
                    f"DEFAULTS) in src/backsmooth/checks/{name}.py")
    elif layer == "notebook":
        if name not in _notebook_claims():
            return f"notebook section: call show_derivation({name!r}) in a notebooks/*.py chapter"
    elif layer == "report":
        from backsmooth.checks import check_for
        from backsmooth.report import plan

        keys = set(plan("quick", claims()))
        need = [f"claim/{name}", f"derivation/{name}", f"proof/{name}"]
        if check_for(name) is not None:
            need.append(f"check/{check_for(name)}")
        absent = [k for k in need if k not in keys]
        if absent:
            return f"report sections {absent}: see backsmooth.report.plan"
    return None


@pytest.mark.parametrize("name", claims())
def test_claim_has_every_layer(name):
    missing = [_missing(name, layer) for layer in LAYERS if (name, layer) not in WITHOUT]
    missing = [m for m in missing if m]
    assert not missing, f"claim {name!r} lacks:\n  " + "\n  ".join(missing)


def test_reasons_name_real_claims_and_layers():
    for (name, layer), why in WITHOUT.items():
        assert name in claims() and layer in LAYERS and why.strip()


def test_an_unregistered_name_is_reported_missing_in_every_layer():
    # the detector itself can fail: a name the registry does not know lacks every layer
    # (the report layer is judged through the registry, so only the first five apply)
    for layer in LAYERS[:5]:
        assert _missing("no_such_claim", layer), layer


def test_check_names_are_claims_or_stated_extensions():
    from backsmooth.checks import CHECKS, ORDER
    from backsmooth.checks._registry import DEPRECATED_ALIASES, EXTENSION_CHECKS

    assert set(ORDER) == set(CHECKS) - set(DEPRECATED_ALIASES)
    for name in ORDER:
        assert name in claims() or EXTENSION_CHECKS[name].strip()
        assert set(CHECKS[name].claims) <= set(claims())


def test_a_check_named_after_no_claim_is_refused():
    from backsmooth.checks._framework import CheckSpec
    from backsmooth.checks._registry import validate

    bogus = {"lemmas_and_more": CheckSpec("lemmas_and_more", "t", ("lemma1",), None, {})}
    with pytest.raises(ValueError, match="not a claim"):
        validate(bogus)
    wrong = {"lemma1": CheckSpec("lemma1", "t", ("lemma1", "lemma9"), None, {})}
    with pytest.raises(ValueError, match="unknown claim"):
        validate(wrong)


def test_a_table_keyed_by_a_stale_name_is_refused():
    from backsmooth.symbolic.claims import check_keys

    with pytest.raises(ValueError, match="theorem9"):
        check_keys({"theorem1": 1, "theorem9": 2}, "a table")
    check_keys({"theorem1": 1, "relu": 2}, "a table", extra=("relu",))


class TestHypothesesComeFromTheClaim:
    def _inst(self):
        from backsmooth.checks._instances import instances

        settings = {"graph": "er", "n": 8, "depth": 2, "width": 2, "activation": "identity",
                    "scale": 1.0, "loss": "mse", "propagation": "lazy", "trials": 1, "seed": 0}
        return next(iter(instances(settings)))

    def test_labels_are_the_registrys(self):
        from backsmooth.checks._runner import claim_hypotheses
        from backsmooth.symbolic import claim

        hyp = claim_hypotheses(self._inst(), "corollary1", A3=True)
        assert tuple(hyp) == claim("corollary1").hypotheses

    def test_an_undecided_hypothesis_is_an_error(self):
        from backsmooth.checks._runner import claim_hypotheses

        with pytest.raises(ValueError, match="A3"):
            claim_hypotheses(self._inst(), "corollary1")

    def test_a_label_the_claim_does_not_state_is_an_error(self):
        from backsmooth.checks._runner import claim_hypotheses

        with pytest.raises(ValueError, match="does not state"):
            claim_hypotheses(self._inst(), "theorem1", parts=("A2b",))
        with pytest.raises(ValueError, match="not hypotheses of"):
            claim_hypotheses(self._inst(), "theorem1", A3=True)

    def test_corollary1_judges_A3(self, monkeypatch):
        # the uniform forms of Corollary 1 use s_i <= s: the check now judges the claim's A3
        import backsmooth.checks.corollary1 as c1
        from backsmooth.checks import check

        seen = []
        real = c1.claim_hypotheses

        def spy(*args, **kwargs):
            out = real(*args, **kwargs)
            seen.append(tuple(out))
            return out

        monkeypatch.setattr(c1, "claim_hypotheses", spy)
        check("corollary1", trials=2, seed=0)
        assert ("A1", "rho=id", "A3") in seen


class TestBoundVariantsLiveWithTheClaim:
    """A new claim's bound variants sit in its one ``_SPEC`` entry (symbolic/claims.py)."""

    def _entry(self, *bounds):
        import sympy as sp

        from backsmooth.symbolic.symbols import E_X, w

        entry = ("demo_scaling", "E(cX) = |c| E(X)", "extension", "test entry", (),
                 (sp.Eq(sp.Symbol("E_cX", nonnegative=True), sp.Abs(w) * E_X),))
        return entry + bounds

    def test_an_entry_with_its_variants_registers_them(self):
        import sympy as sp

        from backsmooth.symbolic.claims import _build
        from backsmooth.symbolic.symbols import E_X, w

        table = {}
        spec = (("identity", "E(cX)", "==", sp.Abs(w) * E_X, (w, E_X), "E(cX) = |c| E(X)"),
                ("upper", "E(cX)", "<=", 2 * sp.Abs(w) * E_X, (w, E_X), "slack"))
        built = _build((self._entry(spec),), table)
        c = built["demo_scaling"]
        assert c.variants == ("identity", "upper")
        assert c.bound_symbols == (w, E_X)
        assert [v.relation for v in table["demo_scaling"]] == ["==", "<="]

    def test_an_entry_without_variants_says_where_to_put_them(self):
        from backsmooth.symbolic.claims import _build

        with pytest.raises(ValueError, match="7th element"):
            _build((self._entry(),), {})

    def test_variants_in_both_places_are_refused(self):
        import sympy as sp

        from backsmooth.symbolic.claims import _build
        from backsmooth.symbolic.symbols import E_X, w

        spec = (("identity", "E(cX)", "==", sp.Abs(w) * E_X, (w, E_X), ""),)
        table = {"demo_scaling": ("already",)}
        with pytest.raises(ValueError, match="keep one"):
            _build((self._entry(spec),), table)

    def test_an_undeclared_symbol_or_relation_is_refused(self):
        import sympy as sp

        from backsmooth.symbolic.claims import _build
        from backsmooth.symbolic.symbols import E_X, w

        with pytest.raises(ValueError, match="not among its arguments"):
            _build((self._entry((("v", "E(cX)", "==", sp.Abs(w) * E_X, (w,), ""),)),), {})
        with pytest.raises(ValueError, match="relation"):
            _build((self._entry((("v", "E(cX)", "<", sp.Abs(w) * E_X, (w, E_X), ""),)),), {})

    def test_the_registry_has_no_claim_twice_and_every_claim_has_variants(self):
        from backsmooth.symbolic.bounds import BOUNDS
        from backsmooth.symbolic.claims import _SPEC

        names = [e[0] for e in _SPEC]
        assert len(names) == len(set(names)) and set(names) == set(BOUNDS)
