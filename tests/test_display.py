"""Tests of backsmooth.display: the notebook helpers on real claims, derivations and checks."""

import dataclasses

import matplotlib
import numpy as np
import pytest
import sympy as sp

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import backsmooth  # noqa: E402
import backsmooth.symbolic as bs  # noqa: E402
from backsmooth import display  # noqa: E402
from backsmooth.display import (  # noqa: E402
    check_text, derivation_text, plot_check, proof_text, show_check, show_derivation,
    show_proof, show_statement, statement_text,
)
from backsmooth.symbolic.steps import identity_step, rational_step  # noqa: E402


@pytest.fixture(scope="module")
def check_result():
    """A small real check with both bound parts (<=) and identity parts (==)."""
    return backsmooth.check("corollary1", trials=2, seed=0)


@pytest.fixture
def typeset(monkeypatch):
    """Record what would be typeset: display(Math(tex)) appends tex."""
    shown = []
    monkeypatch.setattr(display, "_math_display", lambda math: (shown.append, lambda tex: tex))
    return shown


@pytest.fixture
def two_steps(monkeypatch):
    """derive("lemma1") replaced by one true identity and one false rational inequality."""
    x = sp.Symbol("x", positive=True)
    steps = (identity_step("square of a sum", (x + 1) ** 2, x**2 + 2 * x + 1),
             rational_step("false on instances", x + 1, x, [{x: sp.Rational(1, 2)}]))
    monkeypatch.setattr(bs, "derive", lambda name: steps)
    return steps


class TestStatementText:
    def test_theorem1_names_claim_provenance_hypotheses_and_statement(self):
        c = bs.claim("theorem1")
        text = statement_text("theorem1")
        assert text.splitlines()[0] == f"theorem1 [{c.provenance}] {c.title}"
        assert all(h in text for h in c.hypotheses)
        assert c.provenance_note in text
        assert all(rel in text for rel in c.text())

    def test_claim_without_hypotheses_says_none(self):
        assert bs.claim("definition1").hypotheses == ()
        assert "hypotheses: none" in statement_text("definition1")

    def test_unknown_claim(self):
        with pytest.raises(ValueError, match="unknown claim 'theorem9'; known claims: .*theorem1"):
            statement_text("theorem9")

    def test_not_a_name(self):
        with pytest.raises(TypeError, match="claim name"):
            statement_text(bs.claim("theorem1"))


class TestShowStatement:
    def test_outside_a_kernel_prints_the_text(self, capsys):
        show_statement("theorem1")
        assert capsys.readouterr().out == statement_text("theorem1") + "\n"

    def test_in_a_kernel_shows_a_rich_view_with_each_relation_typeset(self, capsys, typeset):
        show_statement("theorem2", math=True)
        assert capsys.readouterr().out == ""
        (view,) = typeset
        html = view._repr_html_()
        assert str(view) == statement_text("theorem2")
        assert f"[{bs.claim('theorem2').provenance}]" in html
        # one typeset picture per relation of the statement, each with its LaTeX as alt text
        assert html.count("<img class=\"math\"") == len(bs.claim("theorem2").statement)
        assert all(_html_escaped(tex) in html for tex in bs.claim("theorem2").latex())


def _html_escaped(text):
    import html

    return html.escape(text, quote=True)


class TestDerivationText:
    def test_lemma1_every_step_with_its_status_kind_and_method(self):
        steps = bs.derive("lemma1")
        lines = derivation_text("lemma1").splitlines()
        assert lines[0].startswith(f"lemma1: {len(steps)} steps, {len(steps)} passed; strength ")
        assert len(lines) == 1 + len(steps)
        for i, (line, st) in enumerate(zip(lines[1:], steps), 1):
            assert line.strip().startswith(f"{i}. [\u2713 {st.evidence.label}, {st.method}]")
            assert line.endswith(st.description)

    def test_failed_step_is_marked_and_strength_is_the_weakest_kind(self, two_steps):
        assert two_steps[1].verified is False
        lines = derivation_text("lemma1").splitlines()
        assert lines[0] == ("lemma1: 2 steps, 1 passed; strength instances (not a proof); "
                            "kinds: all_sizes_identity 1, instances 1")
        assert "[\u2713 all_sizes_identity, simplify] square of a sum" in lines[1]
        assert "[\u2717 instances, rational instances] false on instances" in lines[2]

    def test_no_fixed_size_or_instance_step_is_called_proved(self):
        from backsmooth.derivation_view import derivation_html, derivation_markdown

        for name in ("lemma1", "lemma2", "proposition2"):
            texts = (derivation_text(name), derivation_markdown(name), derivation_html(name))
            assert not any(w in t.lower() for t in texts for w in ("proved", "verified"))
            assert "fixed_size_identity" in texts[0] and "(not a proof)" in texts[0]

    def test_limit_counts_the_steps_left_out(self):
        n = len(bs.derive("lemma1"))
        lines = derivation_text("lemma1", limit=1).splitlines()
        assert len(lines) == 3
        assert lines[-1] == f" ... {n - 1} more steps"

    def test_extra_derivation_name(self):
        assert derivation_text("backprop").startswith("backprop: ")

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="unknown derivation 'lemma9'"):
            derivation_text("lemma9")

    @pytest.mark.parametrize("limit", [-1, 1.5])
    def test_bad_limit(self, limit):
        with pytest.raises(ValueError, match="limit must be a non-negative int"):
            derivation_text("lemma1", limit=limit)


class TestShowDerivation:
    def test_outside_a_kernel_prints_the_text(self, capsys):
        show_derivation("lemma1", limit=2)
        assert capsys.readouterr().out == derivation_text("lemma1", limit=2) + "\n"

    def test_in_a_kernel_shows_each_step_typeset_with_its_status(self, capsys, typeset,
                                                                 two_steps):
        show_derivation("lemma1")
        assert capsys.readouterr().out == ""
        (view,) = typeset
        html = view._repr_html_()
        from backsmooth.symbolic.render import latex_step

        assert _html_escaped(latex_step(two_steps[0])) in html  # the symbolic step is typeset
        assert html.count("<li>") == 2 and ">failed<" in html and ">passed<" in html
        assert ">all_sizes_identity<" in html and ">instances<" in html and ">not a proof<" in html
        assert "\u2717 instances" in str(view)
        assert "\\text{2. false on instances" in view._repr_latex_()
        assert "FAILED: instances" in view._repr_latex_()
        assert view._repr_markdown_().startswith("**lemma1**: 2 steps, 1 passed; strength instances")


class TestRichViewsReadOffline:
    """What a notebook exported to HTML shows must not need the network (no MathJax, no CDN)."""

    @pytest.mark.parametrize("make", ["statement", "derivation", "proof"])
    def test_no_script_and_no_remote_resource(self, make):
        import re

        from backsmooth.derivation_view import DerivationView

        view = {"statement": lambda: display.StatementView("lemma3"),
                "derivation": lambda: DerivationView("theorem1", limit=6),
                "proof": lambda: display.proof_view("lemma3")}[make]()
        html = view._repr_html_()
        assert "<script" not in html
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
        assert "<img class=\"math\" src=\"data:image/svg+xml" in html
        assert "<style>" in html  # the badges' colours travel with the output


class TestProofText:
    def test_lemma1_proof_passes(self, capsys):
        text = proof_text("lemma1")
        assert text.startswith("Proof of lemma1: PASSED")
        show_proof("lemma1")
        assert capsys.readouterr().out == text + "\n\n"

    def test_unknown_proof(self):
        with pytest.raises(ValueError, match="no proof named 'lemma9'"):
            proof_text("lemma9")


class TestCheckText:
    def test_one_line_per_part_with_counts(self, check_result):
        text = check_text(check_result)
        assert text.startswith(str(check_result))
        parts = check_result.summary["parts"]
        part_lines = text.splitlines()[len(str(check_result).splitlines()):]
        assert sorted(li.split(":")[0].strip() for li in part_lines) == sorted(parts)
        for li in part_lines:
            p = parts[li.split(":")[0].strip()]
            assert f"{p['checks']} checks, {p['violations']} violations" in li

    def test_identity_parts_give_deviation_bounds_give_ratio(self, check_result):
        lines = {li.split(":")[0].strip(): li for li in check_text(check_result).splitlines()[2:]}
        worst = max(r["deviation"] for r in check_result.records if r["part"] == "closed_form")
        assert lines["closed_form"].endswith(f"max deviation {worst:.3g}")
        assert worst < 1e-12  # a closed form of the linear GNN, exact up to round-off
        ratio = check_result.summary["parts"]["uniform"]["max_ratio"]
        assert lines["uniform"].endswith(f"max ratio {ratio:.3g}")

    def test_show_check_prints(self, check_result, capsys):
        show_check(check_result)
        assert capsys.readouterr().out == check_text(check_result) + "\n"

    def test_not_a_result(self):
        with pytest.raises(TypeError, match="CheckResult"):
            check_text({"summary": {}})


class TestPlotCheck:
    def test_one_part_plots_bound_against_measured(self, check_result):
        ax = plot_check(check_result, "uniform")
        try:
            rows = [r for r in check_result.records
                    if r["part"] == "uniform" and r["resolvable"] and r["measured"] > 0]
            assert rows, "the small check should have resolvable instances"
            points = ax.get_lines()[0]
            assert sorted(points.get_xdata()) == sorted(r["bound"] for r in rows)
            assert sorted(points.get_ydata()) == sorted(r["measured"] for r in rows)
            diagonal = ax.get_lines()[-1]
            assert np.array_equal(diagonal.get_xdata(), diagonal.get_ydata())
            assert ax.get_xlabel() == "bound" and ax.get_ylabel() == "measured"
            assert "corollary1" in ax.get_title()
            assert ax.get_xscale() == ax.get_yscale() == "log"
        finally:
            plt.close(ax.figure)

    def test_every_part_in_the_legend(self, check_result):
        ax = plot_check(check_result)
        try:
            labels = [t.get_text() for t in ax.get_legend().get_texts()]
            for part in check_result.summary["parts"]:
                assert any(lab.startswith(f"{part}: ") for lab in labels)
            # identity parts compare an error with 0: nothing to show on log axes, and said so
            assert any(lab.startswith("closed_form: 0 (") for lab in labels)
        finally:
            plt.close(ax.figure)

    def test_draws_on_the_given_axes(self, check_result):
        fig, ax = plt.subplots()
        try:
            assert plot_check(check_result, "product", ax=ax) is ax
            assert ax.get_lines()
        finally:
            plt.close(fig)

    def test_violated_rows_are_marked(self, check_result):
        rows = [dict(r) for r in check_result.records]
        target = next(r for r in rows if r["part"] == "uniform" and r["resolvable"])
        target["verdict"] = "violated"
        ax = plot_check(dataclasses.replace(check_result, records=tuple(rows)), "uniform")
        try:
            crosses = [li for li in ax.get_lines() if li.get_marker() == "x"]
            assert len(crosses) == 1
            assert list(crosses[0].get_xdata()) == [target["bound"]]
        finally:
            plt.close(ax.figure)

    def test_unknown_part(self, check_result):
        with pytest.raises(ValueError, match="has no part 'nope'; its parts: closed_form"):
            plot_check(check_result, "nope")

    def test_not_a_result(self):
        with pytest.raises(TypeError, match="CheckResult"):
            plot_check([1, 2, 3])
