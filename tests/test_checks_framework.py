"""Tests of the check framework (src/backsmooth/checks/_framework.py, _runner.py, _instances.py)."""

import csv
import json
import math

import numpy as np
import pytest

from backsmooth.checks import CHECKS, ORDER, RTOL, check
from backsmooth.checks._framework import (
    fitted_rate,
    part_record,
    roundoff_floor,
    summarise,
    verdicts,
)
from backsmooth.checks._instances import RERUN_KEYS, build_instance, draw, resolve_scale


class TestVerdicts:
    def test_upper_bound_within_round_off_holds(self):
        assert verdicts(1.0 + 0.5 * RTOL, 1.0, 0.0).all()

    def test_upper_bound_beyond_round_off_is_violated(self):
        assert not verdicts(1.0 + 10 * RTOL, 1.0, 0.0).any()

    def test_floor_absorbs_round_off_of_a_vanishing_bound(self):
        assert verdicts(1e-17, 0.0, 1e-15).all()
        assert not verdicts(1e-13, 0.0, 1e-15).any()

    def test_lower_bound(self):
        assert verdicts(2.0, 1.0, 0.0, ">=").all()
        assert not verdicts(0.5, 1.0, 0.0, ">=").any()

    def test_nan_never_holds(self):
        assert not verdicts(np.nan, 1.0, 0.0).any()
        assert not verdicts(1.0, np.nan, 0.0).any()

    def test_infinite_bound_holds(self):
        assert verdicts(1e300, np.inf, 0.0).all()

    def test_bad_relation(self):
        with pytest.raises(ValueError, match="relation"):
            verdicts(1.0, 1.0, 0.0, "<")


class TestPartRecord:
    def test_hypothesis_failure_wins_over_violation(self):
        row = part_record({"instance": 0}, "p", 2.0, 1.0, 0.0, {"A1": False})
        assert row["verdict"] == "hypotheses not met" and row["hypotheses_failed"] == "A1"

    def test_worst_layer_is_the_violating_one(self):
        row = part_record(
            {"instance": 0}, "p", [0.5, 3.0, 0.9], [1.0, 1.0, 1.0], 0.0, {}, layers=[0, 1, 2]
        )
        assert row["verdict"] == "violated" and row["layer"] == 1 and row["layers_failing"] == 1

    def test_tightest_resolvable_layer_reported(self):
        row = part_record(
            {"instance": 0}, "p", [1e-20, 0.5], [1e-20, 1.0], 1e-16, {}, layers=[0, 1]
        )
        assert row["layer"] == 1 and row["ratio"] == 0.5


class TestSummary:
    def test_counts_and_tightest_case_rerun(self):
        rows = [
            part_record(
                {"instance": i, "graph": "er", "seed": 0, "start": i},
                "p",
                m,
                1.0,
                0.0,
                {"A1": i != 2},
            )
            for i, m in enumerate([0.2, 0.7, 5.0])
        ]
        s = summarise(rows)
        assert (s["instances"], s["violations"], s["hypotheses_not_met"]) == (3, 0, 1)
        assert s["tightest_ratio"] == 0.7 and s["tightest_case"]["rerun"]["start"] == 1

    def test_fitted_rate_of_a_geometric_sequence(self):
        assert fitted_rate(3.0 * 0.5 ** np.arange(6)) == pytest.approx(0.5, rel=1e-12)
        assert fitted_rate([1.0, 0.0]) is None

    def test_roundoff_floor_grows_with_depth_and_size(self):
        assert roundoff_floor(1.0, 10, 50, 5) > roundoff_floor(1.0, 1, 5, 1) > 0


class TestSampling:
    def test_draw_fixed_range_choice(self):
        rng = np.random.default_rng(0)
        assert draw(3, rng) == 3
        assert 2 <= draw((2, 4), rng, "n") <= 4 and isinstance(draw((2, 4), rng, "n"), int)
        assert draw(["a"], rng) == "a"
        with pytest.raises(ValueError, match="lo > hi"):
            draw((4, 2), rng, "n")

    def test_boundary_scale_is_exactly_lambda_to_minus_alpha(self):
        s, alpha, mode = resolve_scale("boundary", 0.5, np.random.default_rng(1))
        assert mode == "boundary" and s == 0.5 ** (-alpha)

    def test_unknown_scale_mode(self):
        with pytest.raises(ValueError, match="unknown scale mode"):
            resolve_scale("huge", 0.5, np.random.default_rng(0))

    def test_same_seed_same_instance(self):
        a = build_instance({"graph": "er", "n": (4, 12), "seed": 5}, 3)
        b = build_instance({"graph": "er", "n": (4, 12), "seed": 5}, 3)
        assert a.params == b.params and all(
            np.array_equal(x, y) for x, y in zip(a.weights, b.weights)
        )

    def test_rerun_with_recorded_parameters_rebuilds_the_instance(self):
        a = build_instance({"graph": ["er", "sbm"], "n": (4, 12), "depth": (1, 5), "seed": 2}, 7)
        # the keys a summary's "rerun" carries (start = 7 is the index passed below)
        b = build_instance({k: a.params[k] for k in RERUN_KEYS}, 7)
        assert np.array_equal(a.P, b.P) and np.array_equal(a.X0, b.X0)
        assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))

    def test_edge_list_file(self, tmp_path):
        path = tmp_path / "g.txt"
        path.write_text("0 1\n1 2\n2 3\n3 0\n0 2\n")
        r = check("theorem1", graph=str(path), trials=3)
        assert {row["n"] for row in r.table()} == {4} and r.violations == 0


class TestCheckFunction:
    def test_registry_in_paper_order(self):
        from backsmooth.checks._registry import DEPRECATED_ALIASES
        from backsmooth.symbolic import claims

        assert set(ORDER) == set(CHECKS) - set(DEPRECATED_ALIASES)
        own = [name for name in ORDER if name in claims()]
        assert own == sorted(own, key=claims().index)

    def test_unknown_check(self):
        with pytest.raises(ValueError, match="unknown check 'theorem9'"):
            check("theorem9")

    def test_unknown_setting(self):
        with pytest.raises(TypeError, match="unknown setting"):
            check("theorem1", depht=3)

    def test_bad_trials(self):
        with pytest.raises(ValueError, match="trials"):
            check("theorem1", trials=0)

    def test_result_is_frozen_and_exports(self, tmp_path):
        r = check("corollary1", trials=4, seed=1)
        with pytest.raises(AttributeError):
            r.name = "x"
        r.to_json(tmp_path / "r.json")
        r.to_csv(tmp_path / "r.csv")
        data = json.loads((tmp_path / "r.json").read_text())
        assert data["provenance"] == {
            "corollary1": "reconstruction",
            "mean_propagation": "reconstruction",
        }
        assert len(data["records"]) == len(r.records)
        with open(tmp_path / "r.csv", newline="") as fh:
            assert len(list(csv.DictReader(fh))) == len(r.records)

    def test_same_seed_same_table(self):
        a, b = check("theorem2", trials=4, seed=9), check("theorem2", trials=4, seed=9)
        assert [r["ratio"] for r in a.table()] == [r["ratio"] for r in b.table()]

    def test_tightest_case_reruns_to_the_same_ratio(self):
        r = check("theorem1", trials=15, seed=4)
        case = r.summary["tightest_case"]
        again = check("theorem1", trials=1, **case["rerun"])
        row = next(x for x in again.table() if x["part"] == case["part"])
        assert math.isclose(row["ratio"], r.summary["tightest_ratio"], rel_tol=1e-12)


def test_summary_parts_in_first_appearance_order():
    """The per-part summary lists the parts in the order the rows first name them: the same
    order in every process (a set's order of strings changes with the hash seed, and with it
    the bytes of a check's JSON for the same seed)."""
    names = [f"part{c}" for c in "qwertyuiopas"]
    rows = [{"instance": i, "part": name, "verdict": "holds", "relation": "<=", "ratio": 0.5,
             "measured": 0.5, "bound": 1.0, "resolvable": True, "fitted_rate": 0.3,
             "predicted_rate": 0.8}
            for i, name in enumerate(names)]
    assert list(summarise(rows)["parts"]) == names
