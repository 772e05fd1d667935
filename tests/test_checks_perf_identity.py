"""Session 7 speed-ups of the numeric checks give the same results as the routes they replace.

* proposition2's exact gradient: sympy differentiates the loss with respect to one layer's
  weights at a time (the others at their values) instead of the loss in all the weights
  at once; the partial derivatives, hence the printed rationals, must be the same.
"""

import pytest
import sympy as sp

from backsmooth.checks import proposition2 as p2


def _srepr(values):
    return [sp.srepr(v) for v in values]


@pytest.mark.parametrize("kind, rho, p", [("A", "tanh", None), ("B", "relu", sp.Rational(1, 5))])
def test_per_layer_exact_gradient_is_the_all_symbols_one(kind, rho, p):
    w = sp.Rational(7, 3)
    assert _srepr(p2.exact_gradient_check(kind, 1, w, p, rho)) == _srepr(
        p2._exact_gradient_check_all_symbols(kind, 1, w, p, rho))


@pytest.mark.parametrize("kind, rho", [("A", "identity")])
def test_per_layer_route_off_the_stationary_point(kind, rho, monkeypatch):
    # (rational activations only: tanh off 0 leaves sympy huge tanh expressions to simplify)
    # at the constructions every hidden gradient is 0; move the weights so that none is,
    # and the two routes must still agree entry for entry (a route that dropped a layer's
    # terms, or used the wrong layer's point, would differ here)
    base = p2._rational_construction(kind, 1)
    shift = [sp.Rational(1, 3), sp.Rational(-2, 7), sp.Rational(1, 11), sp.Rational(3, 5)]
    moved = tuple(sp.ImmutableMatrix(M.shape[0], M.shape[1],
                                     lambda i, j, M=M, k=k: M[i, j] + shift[(i + 2 * j + k) % 4])
                  for k, M in enumerate(base))
    monkeypatch.setattr(p2, "_rational_construction", lambda kind, L: moved)
    args = (kind, 1, sp.Rational(7, 3), sp.Rational(1, 5), rho)
    new = p2.exact_gradient_check(*args)
    assert new[2] != 0 and new[0] != sp.Rational(1, 2)
    assert _srepr(new) == _srepr(p2._exact_gradient_check_all_symbols(*args))
