"""Every check on small instances; checks that can fail; hypotheses that break; the CLI."""

import argparse

import pytest
from backsmooth.numeric.propagation import propagation_matrix

from backsmooth.cli import check as _cmd_check
from backsmooth.checks import CHECKS, ORDER, VERDICTS, check

SMALL = {"n": (3, 10), "depth": (1, 5), "width": (1, 3), "trials": 6}
EXTRA = {
    "proposition2": {"exact_depths": [1], "side_by_side": False, "depth": (1, 4), "trials": 6},
    "corollary2": {"depths": [1, 2, 4], "n": (6, 12), "width": (1, 3), "trials": 3},
    "gcn": dict(SMALL, graph=["er", "star", "barbell"]),
}


def _small(name):
    if name in EXTRA:
        return EXTRA[name]
    return SMALL


class TestEveryCheckOnSmallInstances:
    @pytest.mark.parametrize("name", ORDER)
    def test_no_violation_and_provenance_stated(self, name):
        r = check(name, seed=11, **_small(name))
        assert r.violations == 0, r.summary.get("worst_violation")
        assert r.records and set(r.provenance.values()) <= {"paper", "reconstruction", "extension"}
        assert all(row["verdict"] in VERDICTS for row in r.records)

    def test_theorem1_is_the_papers(self):
        assert check("theorem1", trials=2).provenance == {"theorem1": "paper"}

    def test_gcn_is_an_extension(self):
        assert set(check("gcn", **dict(SMALL, trials=2)).provenance.values()) == {"extension"}


class TestChecksCanFail:
    def test_wrong_rate_lambda_2k_is_caught(self):
        # (lambda s)^(2k) decays twice as fast as Theorem 1's rate: a linear width-1 GNN on a
        # cycle follows lambda s per layer asymptotically, so the wrong bound must break
        def wrong(lam, s, k, E_X0, **_):
            return (lam * s) ** (2 * k) * E_X0

        r = check(
            "theorem1",
            graph="cycle",
            n=10,
            depth=8,
            width=1,
            activation="identity",
            scale="contractive",
            trials=5,
            bound_override={"uniform": wrong},
        )
        assert r.violations > 0
        assert r.summary["worst_violation"]["part"] == "uniform"

    def test_too_small_backward_bound_is_caught(self):
        r = check(
            "corollary1",
            trials=5,
            depth=(3, 6),
            bound_override={
                "uniform": lambda lam, s, L, k, E_BL, **_: 0.5 * (lam * s) ** (L - k) * E_BL
            },
        )
        assert r.violations > 0


class TestBrokenHypotheses:
    def test_s_above_one_over_lambda_breaks_the_alpha_form(self):
        r = check("theorem1", scale="large", trials=8)
        alpha_rows = [row for row in r.records if row["part"] == "alpha"]
        assert alpha_rows and all(row["verdict"] == "hypotheses not met" for row in alpha_rows)
        assert all("alpha<1" in row["hypotheses_failed"] for row in alpha_rows)

    def test_s_above_one_over_lambda_breaks_theorem3_uniform(self):
        r = check("theorem3", scale="large", activation="tanh", trials=5, n=(4, 10), depth=(1, 4))
        rows = [row for row in r.records if row["part"] in ("uniform", "clean")]
        assert all(row["verdict"] == "hypotheses not met" for row in rows)

    def test_non_stochastic_P_gives_hypotheses_not_met(self):
        import networkx as nx

        P = propagation_matrix(nx.star_graph(5), "gcn")  # symmetric, P1 != 1
        r = check("theorem1", P=P, trials=4)
        assert r.summary["hypotheses_not_met"] == r.summary["checks"]
        assert all("A1" in row["hypotheses_failed"] for row in r.records)

    def test_relu_is_outside_theorem2(self):
        r = check("theorem2", activation="relu", trials=4)
        # only (iv), the row-norm growth, holds without rho' Lipschitz (|rho'| <= 1 suffices)
        judged = {row["part"] for row in r.records if row["verdict"] != "hypotheses not met"}
        assert judged <= {"row_growth"}
        assert all(
            "A2b" in row["hypotheses_failed"] for row in r.records if row["part"] != "row_growth"
        )

    def test_disconnected_graph_lambda_one(self, tmp_path):
        path = tmp_path / "two_triangles.txt"
        path.write_text("0 1\n1 2\n2 0\n3 4\n4 5\n5 3\n")
        r = check("theorem1", graph=str(path), trials=2)
        assert all(row["lambda"] == 1.0 for row in r.records)
        assert r.summary["hypotheses_not_met"] == r.summary["checks"]


class TestClaimSpecifics:
    def test_theorem3_output_layer_stationary_and_mean_error_small(self):
        r = check(
            "theorem3",
            loss="mse",
            activation="tanh",
            scale="unit",
            trials=4,
            n=(6, 12),
            depth=(2, 6),
            graph="er_dense",
            output="fitted",
        )
        rows = [row for row in r.records if row["part"] == "per_layer_lemma4"]
        # stationary up to round-off: ||grad_L|| <= max(1e-10, the least-squares gradient's
        # round-off allowance), which grows with ||W^(L)|| (here up to 5e10: the fit of an
        # oversmoothed P X^(L)); a fixed 1e-9 failed on one machine's LAPACK with 1.2e-9
        # (numeric.output_layer.least_squares_gradient_floor)
        assert len(rows) == 4 and all(row["fit_converged"] for row in rows)
        # Lemma 4: mu <= (||grad_L|| + lambda n E(X^(L)) E(B^(L))) / (n ||xbar^(L)||) = mu0; on
        # dense ER graphs (lambda <= 1/2) at depth >= 2, E(X^(L)) is small, so mu0 is too
        for row in rows:
            assert row["mean_output_error"] <= row["mu0"] * (1 + 1e-9)
            assert row["mu0"] < 0.05
        assert r.summary["median_mean_output_error_after_fit"] < 0.05

    def test_theorem3_reports_vacuity(self):
        r = check("theorem3", trials=6, seed=2)
        for part, counts in r.summary["vacuous"].items():
            judged = [
                row
                for row in r.records
                if row["part"] == part and row["verdict"] != "hypotheses not met"
            ]
            assert counts == {"vacuous": sum(row["vacuous"] for row in judged),
                              "judged": len(judged)}
            stated = [n for n in r.notes if n.startswith(f"{part}: bound vacuous")]
            assert len(stated) == 1
            assert f"in {counts['vacuous']} of {counts['judged']} judged" in stated[0]

    def test_theorem3_hypotheses_of_b_and_c_hold_on_default_instances(self):
        # (b), (c) are judged on a real share of the default instances, with and without the
        # output layer in s, and every part reaches half of its bound (a halved bound fails)
        r = check("theorem3", trials=40, seed=0)
        parts = r.summary["parts"]
        for p in ("uniform", "clean", "uniform_hidden", "clean_hidden"):
            judged = parts[p]["checks"] - parts[p]["hypotheses_not_met"] - parts[p]["unresolved"]
            assert judged >= 4, (p, parts[p])
        for p in ("per_layer", "uniform", "uniform_hidden", "clean_hidden"):
            assert parts[p]["max_ratio"] >= 0.5, (p, parts[p])
        assert set(r.summary["tightest_ratio_by_output_layer"]) == {"fitted", "mean_fitted",
                                                                    "random"}

    def test_corollary2_mse_mean_fitted_and_rate(self):
        r = check("corollary2", loss="mse", trials=2, depths=[2, 6, 10, 14])
        means = [row for row in r.records if row["part"] == "mean_fitted"]
        assert means and all(row["verdict"] == "holds" for row in means)
        assert r.summary["rate"]["instances"] == 2

    def test_proposition2_exact_values_are_rationals(self):
        r = check("proposition2", trials=2, exact_depths=[1], side_by_side=False)
        exact = [row for row in r.records if row["part"].startswith("exact_")]
        assert exact and all(row["verdict"] == "holds" for row in exact)
        assert all(
            row["exact_loss"] == "1/2" and row["exact_hidden_grad_squared"] == "0" for row in exact
        )

    def test_proposition2_side_by_side_mlp_keeps_large_hidden_gradients(self):
        from backsmooth.checks.proposition2 import side_by_side

        out = side_by_side(depth=12, seed=0, n=80, epochs=150)
        gnn = next(v for k, v in out.items() if k.startswith("GNN (output layer trained by Adam"))
        mlp = next(v for k, v in out.items() if k.startswith("MLP (output layer trained by Adam"))
        assert gnn["max_hidden_gradient"] < 0.1 * mlp["max_hidden_gradient"]

    def test_gcn_states_what_carries_over(self):
        r = check("gcn", trials=9, **{k: v for k, v in SMALL.items() if k != "trials"})
        assert any("carries over" in note for note in r.notes)
        assert any("theorem1_uniform (E_u)" in note and "FAILS in" in note for note in r.notes)


def _cli(*argv):
    parser = argparse.ArgumentParser(prog="backsmooth")
    _cmd_check.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["check", *argv])
    return args.func(args)


class TestCommandLine:
    def test_one_check_writes_json_and_csv(self, tmp_path, capsys):
        assert _cli("theorem1", "--trials", "3", "--out", str(tmp_path), "--no-progress") == 0
        assert (tmp_path / "theorem1.json").exists() and (tmp_path / "theorem1.csv").exists()
        out = capsys.readouterr().out
        assert "theorem1" in out and "paper" in out and "no violation" in out

    def test_resume_reuses_saved_results(self, tmp_path, capsys, monkeypatch):
        assert _cli("corollary1", "--trials", "2", "--out", str(tmp_path), "--no-progress") == 0
        from backsmooth import checks

        monkeypatch.setattr(checks, "check", lambda *a, **k: pytest.fail("re-ran a saved check"))
        assert (
            _cli("corollary1", "--trials", "2", "--out", str(tmp_path), "--resume", "--no-progress")
            == 0
        )

    def test_graph_option(self, capsys):
        assert _cli("theorem2", "--graph", "karate", "--trials", "2", "--no-progress") == 0

    def test_deprecated_name_still_runs_and_says_so(self, capsys, tmp_path):
        assert _cli("lemmas", "--trials", "1", "--no-progress", "--out", str(tmp_path)) == 0
        assert "deprecated" in capsys.readouterr().err
        assert (tmp_path / "lemmas.json").exists()

    def test_claim_without_own_check_runs_the_covering_check(self, capsys):
        assert _cli("mean_propagation", "--trials", "1", "--no-progress") == 0
        assert "judged by the 'corollary1' check" in capsys.readouterr().err

    def test_list(self, capsys):
        assert _cli("--list") == 0
        out = capsys.readouterr().out
        assert all(name in out for name in ORDER)
        assert "lemmas " not in out  # the deprecated alias is not listed

    @pytest.mark.parametrize(
        "argv",
        [
            (),
            ("theorem1", "--all"),
            ("nope",),
            ("theorem1", "--graph", "no-such-family"),
            ("theorem1", "--trials", "0"),
        ],
    )
    def test_bad_usage_exit_2(self, argv, capsys):
        assert _cli(*argv) == 2
        assert "error" in capsys.readouterr().err

    def test_violation_exit_1(self, monkeypatch, capsys):
        import backsmooth.checks.theorem1 as t1

        real = t1.bound
        monkeypatch.setattr(t1, "bound", lambda *a, **k: 0.5 * real(*a, **k))
        assert _cli("theorem1", "--trials", "4", "--no-progress") == 1
        assert "VIOLATED" in capsys.readouterr().out
