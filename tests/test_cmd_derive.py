"""The ``backsmooth derive`` command (backsmooth.cli.derive)."""

import argparse
import io

import pytest

import backsmooth.symbolic as bs
from backsmooth.cli import derive as _cmd_derive


def _run(argv, capsys):
    parser = argparse.ArgumentParser(prog="backsmooth")
    sub = parser.add_subparsers(dest="command")
    _cmd_derive.register(sub)
    args = parser.parse_args(["derive", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


class TestDeriveCommand:
    def test_list_shows_every_claim_with_provenance(self, capsys):
        code, out, _ = _run(["--list"], capsys)
        assert code == 0
        for name in bs.claims():
            line = next(li for li in out.splitlines() if li.split()[0] == name)
            assert f"[{bs.claim(name).provenance}]" in line

    def test_theorem1_latex_parses_with_mathtext(self, capsys):
        mathtext = pytest.importorskip("matplotlib.mathtext")
        code, out, _ = _run(["theorem1", "--latex"], capsys)
        assert code == 0
        fragments = [li for li in out.splitlines() if li.strip() and not li.startswith("%")]
        assert len(fragments) >= len(bs.claim("theorem1").statement) + len(bs.derive("theorem1"))
        for fragment in fragments:
            mathtext.math_to_image(f"${fragment}$", io.BytesIO(), format="png")
        assert r"\lambda" in out and r"\mathcal{E}" in out

    @pytest.mark.parametrize("name", bs.derivations())
    def test_every_latex_output_parses(self, name, capsys):
        mathtext = pytest.importorskip("matplotlib.mathtext")
        code, out, _ = _run([name, "--latex"], capsys)
        assert code == 0
        parser = mathtext.MathTextParser("path")  # parses without rasterising
        for fragment in (li for li in out.splitlines() if li.strip() and not li.startswith("%")):
            parser.parse(f"${fragment}$")

    def test_text_output(self, capsys):
        code, out, _ = _run(["theorem3", "--text"], capsys)
        assert code == 0
        assert "provenance: [reconstruction]" in out and "hypotheses: A1+" in out
        assert "[\u2713 instances, rational instances]" in out
        assert "steps passed; strength: instances (not a proof: the weakest step)" in out

    def test_unknown_name_exit_2(self, capsys):
        code, _, err = _run(["theorem7"], capsys)
        assert code == 2
        assert "unknown name 'theorem7'" in err and "proposition2" in err

    def test_missing_name_exit_2(self, capsys):
        code, _, err = _run([], capsys)
        assert code == 2 and "--list" in err

    def test_latex_and_text_exclusive(self):
        parser = argparse.ArgumentParser(prog="backsmooth")
        _cmd_derive.register(parser.add_subparsers(dest="command"))
        with pytest.raises(SystemExit):
            parser.parse_args(["derive", "lemma1", "--latex", "--text"])


class TestDeriveJson:
    """``derive --json``: each step's evidence kind and the derivation's strength (from the steps)."""

    def test_one_derivation_shows_kinds_and_strength(self, capsys):
        import json

        from backsmooth.symbolic.evidence import EVIDENCE_KINDS

        code, out, _ = _run(["lemma2", "--json", "--no-cache"], capsys)
        assert code == 0
        d = json.loads(out)
        steps = bs.derive("lemma2")
        assert d["name"] == "lemma2" and d["provenance"] == bs.claim("lemma2").provenance
        assert [s["kind"] for s in d["steps"]] == [st.kind for st in steps]
        assert all(s["passed"] for s in d["steps"])
        present = {st.kind for st in steps}
        assert d["strength"] == [k for k in EVIDENCE_KINDS if k in present][-1]
        assert d["is_proof"] == (d["strength"] in ("all_sizes_identity", "rule"))
        for s in d["steps"]:
            assert (s["size"] is not None) == (s["kind"] == "fixed_size_identity")
            assert s["strength"] == ("proof" if s["kind"] in ("all_sizes_identity", "rule")
                                     else "not a proof")
        assert any(s["rules"] == ["sign decided by sympy"] for s in d["steps"] if s["kind"] == "rule")

    def test_a_failing_step_fails_the_json_and_the_exit_code(self, capsys, monkeypatch):
        import json

        import sympy as sp

        from backsmooth.symbolic.steps import identity_step, rational_step

        x = sp.Symbol("x", positive=True)
        steps = (identity_step("square of a sum", (x + 1) ** 2, x**2 + 2 * x + 1),
                 rational_step("false on instances", x + 1, x, [{x: sp.Rational(1, 2)}]))
        monkeypatch.setattr(bs, "derive", lambda name: steps)
        code, out, _ = _run(["lemma1", "--json", "--no-cache"], capsys)
        d = json.loads(out)
        assert code == 1 and d["passed"] is False and d["strength"] == "instances"
        assert [s["kind"] for s in d["steps"]] == ["all_sizes_identity", "instances"]
        assert d["kind_counts"] == {"all_sizes_identity": 1, "rule": 0,
                                    "fixed_size_identity": 0, "instances": 1}

    def test_json_with_list_is_refused(self, capsys):
        code, _, err = _run(["--list", "--json"], capsys)
        assert code == 2 and "--json goes with NAME or --all" in err

    def test_all_json_has_one_record_per_derivation(self, capsys, monkeypatch):
        import json

        monkeypatch.setattr(bs, "derivations", lambda: ("lemma4", "remedy_residual"))
        code, out, _ = _run(["--all", "--json", "--no-cache"], capsys)
        d = json.loads(out)["derivations"]
        assert code == 0 and list(d) == ["lemma4", "remedy_residual"]
        assert all(r["strength"] in ("all_sizes_identity", "rule") for r in d.values())
