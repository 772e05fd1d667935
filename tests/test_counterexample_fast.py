"""Proposition 2's exact gradients put the weights' values in with ``xreplace`` (faster than
``subs``): the gradients must be structurally the same as with ``subs``."""

import pytest
import sympy as sp

from backsmooth.symbolic import counterexample as ce
from backsmooth.symbolic.gnn import SymbolicGNN, forward, mse_loss


def _grads_with_subs(construction, L, rho, P):
    # the computation before session 7 (subs), the reference
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


@pytest.mark.parametrize("construction, rho, P", [("B", "relu", "mlp"),
                                                  ("B", "softsign", "mlp")])
def test_gradients_are_those_of_subs(construction, rho, P):
    got = ce.counterexample(construction, 1, rho, P)["grads"]
    want = _grads_with_subs(construction, 1, rho, P)
    assert [sp.srepr(g) for g in got] == [sp.srepr(g) for g in want]
