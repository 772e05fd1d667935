"""PairNorm rows whose E(H^(k)) is at round-off are ``unresolved`` (not "hypotheses not met")."""

import numpy as np
import pytest

from backsmooth.checks import check
from backsmooth.checks.remedies import _unresolved_unless
from backsmooth.checks._verdicts import part_record


def test_pairnorm_on_a_complete_graph_is_unresolved():
    # instance 0 of seed 3 is complete:6, whose P is J up to round-off (lambda ~ 1e-16): every
    # H^(k) is constant up to round-off, so sigma/E(H^(k)) is round-off
    r = check("remedy_normalisation", trials=1, seed=3)
    assert r.records[0]["graph"].startswith("complete") and r.records[0]["lambda"] < 1e-12
    pair = [row for row in r.records if row["part"] in ("pairnorm", "zero_mean_pair")]
    assert pair and all(row["verdict"] == "unresolved" for row in pair)
    assert all("round-off" in row["unresolved_reason"] for row in pair)
    assert all(row["layers_unresolved"] == row["layers_checked"] for row in pair)
    assert r.summary["unresolved"] == len(pair)
    assert r.summary["hypotheses_not_met"] == 0
    # the mean-subtraction rows of the same instance are judged
    assert {row["verdict"] for row in r.records if row["part"] in ("mean", "zero_mean_mean")} == {
        "holds"}


def test_no_pairnorm_row_fails_a_round_off_hypothesis():
    r = check("remedy_normalisation", trials=20, seed=5)
    assert not any("round-off" in row["hypotheses"] for row in r.records)
    assert r.summary["holds"] > 0


@pytest.mark.parametrize("measured,verdict", [(0.5, "holds"), (2.0, "violated")])
def test_unresolved_unless_maps_judged_rows(measured, verdict):
    row = part_record({}, "pairnorm", [measured, 0.1], [1.0, 1.0], 0.0, {}, layers=[0, 1])
    assert row["verdict"] == verdict
    assert _unresolved_unless(True, row) is row
    out = _unresolved_unless(False, row)
    assert out["verdict"] == "unresolved" and out["layers_unresolved"] == 2
    assert row["verdict"] == verdict  # the original row is not modified


def test_unresolved_unless_keeps_hypotheses_not_met():
    row = part_record({}, "pairnorm", np.nan, np.nan, 0.0, {"A1": False})
    assert _unresolved_unless(False, row)["verdict"] == "hypotheses not met"
