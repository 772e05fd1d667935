"""A known defect, kept as a strict xfail until it is mended (found by the README's unseeded
hypothesis run of ``tests/test_checks_properties.py::test_corollary2``, session 8).

On this instance (3 nodes, width 1, ``scale = "boundary"``, arctan, MSE, depths 1 and 2) four
rows say "violated" at round-off level:

* ``mse_gap`` (depth 1): measured ``|Loss - L_const|`` = 2.5e-32, bound 0, floor 1.8e-45;
* ``mean_fitted`` (depth 1): measured mean output error 7.4e-17, exact value 0, floor 2.4e-28;
* the same two parts at depth 2 (9.9e-32 against a bound of 2.5e-32; 1.5e-16 against 0).

The floors scale with quantities that are themselves at round-off level here
(``max(Loss, L_const)``, the output signal ``B^(L) = (H - Y)/n``), while the absolute round-off
of a residual ``H - Y`` is of order ``eps (|H| + |Y|)``, and that of ``(H - Y)^2`` has the cross
term ``2 |H - Y| eps (|H| + |Y|)``.  Mended floors would make these rows "unresolved"; then this
test passes and its xfail (strict) fails: remove the mark then.
"""

import pytest

from backsmooth.checks import check


@pytest.mark.xfail(strict=True, reason="corollary2's mse_gap and mean_fitted floors scale with "
                   "round-off-level residuals (module docstring)")
def test_roundoff_level_mse_gap_is_not_a_violation():
    r = check("corollary2", graph=["csbm", "er"], n=(3, 9), depth=1, width=(1, 1),
              scale="boundary", activation=["arctan"], loss=["mse"], seed=7264453, trials=20,
              depths=[1, 2])
    assert r.violations == 0, r.summary.get("worst_violation")
