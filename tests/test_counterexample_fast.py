"""Proposition 2's exact gradients are taken one layer at a time, the other layers' weights put in
first with ``xreplace`` (faster than differentiating in every symbol and substituting with
``subs``): the gradients must be structurally the same as by that all-symbols ``subs`` route."""

import pytest
import sympy as sp

from backsmooth.symbolic import counterexample as ce
from backsmooth.symbolic.gnn import SymbolicGNN, forward, mse_loss


def _grads_with_subs(construction, L, rho, P):
    # the computation before session 7 (every symbol, then subs), the reference
    Pm = sp.eye(2) if P == "mlp" else sp.ImmutableMatrix([[1 - ce.p_sym, ce.p_sym],
                                                           [ce.p_sym, 1 - ce.p_sym]])
    values = ce.construction(construction, L)
    syms = [sp.ImmutableMatrix(*V.shape, lambda a, b, k=k: sp.Symbol(f"W{k}_{a}{b}", real=True))
            for k, V in enumerate(values)]
    Y = sp.ImmutableMatrix([[1], [-1]])
    _, _, H = forward(SymbolicGNN(sp.ImmutableMatrix(Pm), sp.ImmutableMatrix(sp.eye(2)),
                                  tuple(syms), Y), ce._ACT[rho])
    loss = mse_loss(H[-1], Y)
    sub = {s: v for S, V in zip(syms, values) for s, v in zip(S, V)}
    return [sp.ImmutableMatrix(*S.shape, lambda a, b, S=S: sp.factor(sp.expand(
        sp.diff(loss, S[a, b]).subs(sub)))) for S in syms]


@pytest.mark.parametrize("construction, L, rho, P", [("B", 1, "relu", "mlp"),
                                                     ("B", 1, "softsign", "mlp"),
                                                     ("A", 1, "tanh", "gnn"),
                                                     ("A", 2, "id", "mlp")])
def test_gradients_are_those_of_subs(construction, L, rho, P):
    got = ce.counterexample(construction, L, rho, P)["grads"]
    want = _grads_with_subs(construction, L, rho, P)
    assert [sp.srepr(g) for g in got] == [sp.srepr(g) for g in want]
