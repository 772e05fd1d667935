"""Round-off-level fits are not violations of Corollary 2 (two instances found by the README's
unseeded hypothesis run of ``tests/test_checks_properties.py::test_corollary2``, session 8).

Before the floors were mended, on the first instance (3 nodes, width 1, ``scale = "boundary"``, arctan, MSE, depths 1 and 2) four
rows say "violated" at round-off level:

* ``mse_gap`` (depth 1): measured ``|Loss - L_const|`` = 2.5e-32, bound 0, floor 1.8e-45;
* ``mean_fitted`` (depth 1): measured mean output error 7.4e-17, exact value 0, floor 2.4e-28;
* the same two parts at depth 2 (9.9e-32 against a bound of 2.5e-32; 1.5e-16 against 0).

The floors scale with quantities that are themselves at round-off level here
(``max(Loss, L_const)``, the output signal ``B^(L) = (H - Y)/n``), while the absolute round-off
of a residual ``H - Y`` is of order ``eps (|H| + |Y|)``, and that of ``(H - Y)^2`` has the cross
term ``2 |H - Y| eps (|H| + |Y|)``.  The MSE floors now scale with ``(|H| + |Y|)/n`` (the mean
output error) and ``sqrt(2 max(Loss, L_const)) (|H| + |Y|)`` (the loss rows).  The second
instance (tanh, depths 5 and 1) failed the same way on ``mean_fitted`` (5.6e-17 against 0).
"""

import pytest

from backsmooth.checks import check


@pytest.mark.parametrize("graph, activation, seed, depths", [
    (["csbm", "er"], "arctan", 7264453, [1, 2]),
    (["regular", "csbm"], "tanh", 1458736, [5, 1]),
])
def test_roundoff_level_fit_is_not_a_violation(graph, activation, seed, depths):
    r = check("corollary2", graph=graph, n=(3, 9), depth=1, width=(1, 1), scale="boundary",
              activation=[activation], loss=["mse"], seed=seed, trials=20, depths=depths)
    assert r.violations == 0, r.summary.get("worst_violation")
