"""Edge cases of the numeric checks that once crashed."""

import pytest

import backsmooth


@pytest.mark.parametrize("name", ["theorem1", "gcn"])
def test_depth_zero_instances_are_skipped_and_said(name):
    result = backsmooth.check(name, depth=(0, 2), trials=12, seed=0)
    assert any("depth L = 0 skipped" in note for note in result.notes)
    assert all(row["depth"] >= 1 for row in result.records)
    assert result.records
