"""Backpropagation of a GNN derived by differentiating the forward definition.

With ``B^(k) := dLoss/dH^(k)`` sympy differentiates the loss of an explicit network with
generic entries and a generic differentiable ``rho`` (a sympy ``Function``) and compares,
entry by entry, with

* the backward recursion ``B^(k) = rho'(H^(k)) * (P^T B^(k+1) W^(k+1)^T)`` (``*`` Hadamard),
* the weight gradient ``dLoss/dW^(k) = F^(k)^T B^(k)``, ``F^(k) = P X^(k)``,
* for the linear GNN (``rho = id``) the closed forms
  ``B^(k) = (P^T)^(L-k) B^(L) (W^(k+1) ... W^(L))^T`` and ``X^(k) = P^k X^(0) W^(0)...W^(k-1)``,
* the mean of the backward signal of a linear GNN with symmetric P, P1 = 1:
  ``bbar^(k) = W^(k+1) bbar^(k+1) = M_k bbar^(L)`` (``M_k = W^(k+1) ... W^(L)``).

Examples
--------
>>> steps = derive_backprop(n=2, widths=(1, 1, 1))
>>> all(st.verified for st in steps)
True
"""

from __future__ import annotations

import functools

import sympy as sp

from .gnn import (
    forward, mean_row, mse_loss, rho_prime, symbolic_gnn, symmetric_stochastic,
)
from .steps import identity_step

__all__ = ["true_backward_signals", "derive_backprop", "derive_linear_closed_forms",
           "derive_mean_propagation", "generic_rho"]

generic_rho = sp.Function("rho")


def _downstream_loss(net, rho, k, Z):
    """Loss as a function of ``Z`` standing for ``H^(k)``."""
    H = Z
    for j in range(k + 1, net.L + 1):
        H = net.P * H.applyfunc(rho) * net.W[j]
    return mse_loss(H, net.Y)


def true_backward_signals(net, rho):
    """``[B^(0), ..., B^(L)]`` computed as ``dLoss/dH^(k)`` by sympy (no recursion used)."""
    return list(_true_backward_signals(net, rho))


@functools.lru_cache(maxsize=None)
def _true_backward_signals(net, rho):
    # net (a frozen dataclass of immutable matrices) and rho are immutable: computed once per
    # process for each (net, rho)
    _, _, H = forward(net, rho)
    out = []
    for k in range(net.L + 1):
        r, c = H[k].shape
        Z = sp.Matrix(r, c, lambda a, b: sp.Symbol(f"z_{a}{b}", real=True))
        loss = _downstream_loss(net, rho, k, sp.ImmutableMatrix(Z))
        D = sp.Matrix(r, c, lambda a, b: sp.diff(loss, Z[a, b]))
        out.append(sp.ImmutableMatrix(D.subs(dict(zip(Z, H[k])), simultaneous=True)))
    return tuple(out)


def derive_backprop(n=2, widths=(1, 2, 1, 1), rho=generic_rho):
    """Check the backward recursion and ``grad_k = F^(k)^T B^(k)`` against sympy's derivative.

    Parameters
    ----------
    n : int
        Number of nodes.
    widths : tuple of int
        ``(d_0, ..., d_{L+1})``.
    rho : sympy Function or Lambda
        Activation (default: a generic undefined function ``rho``).
    """
    net = symbolic_gnn(n, widths)
    X, F, H = forward(net, rho)
    B = true_backward_signals(net, rho)
    drho = rho_prime(rho)
    steps = [identity_step("output signal B^(L) = dLoss/dH^(L) = (H^(L) - Y)/n (MSE)",
                           B[net.L], (H[net.L] - net.Y) / n)]
    for k in range(net.L - 1, -1, -1):
        rec = H[k].applyfunc(drho).multiply_elementwise(net.P.T * B[k + 1] * net.W[k + 1].T)
        steps.append(identity_step(
            f"B^({k}) = dLoss/dH^({k}) equals rho'(H^({k})) * (P^T B^({k + 1}) W^({k + 1})^T)",
            B[k], rec))
    loss = mse_loss(H[net.L], net.Y)
    for k in range(net.L + 1):
        G = sp.Matrix(*net.W[k].shape, lambda a, b: sp.diff(loss, net.W[k][a, b]))
        steps.append(identity_step(f"dLoss/dW^({k}) equals F^({k})^T B^({k})", G, F[k].T * B[k]))
    return tuple(steps)


def _Mk(net, k):
    """``M_k = W^(k+1) ... W^(L)``."""
    M = sp.eye(net.W[k].shape[1])
    for j in range(k + 1, net.L + 1):
        M = M * net.W[j]
    return M


def derive_linear_closed_forms(n=2, widths=(1, 2, 1, 1)):
    """Linear GNN: closed forms of ``X^(k)`` and ``B^(k)`` (generic, non-symmetric P)."""
    return _derive_linear_closed_forms(n, tuple(widths))


@functools.lru_cache(maxsize=None)
def _derive_linear_closed_forms(n, widths):
    # frozen steps, a pure function of (n, widths): computed once per process (the backprop
    # and Corollary 1 derivations both use it)
    ident = sp.Lambda(sp.Symbol("t"), sp.Symbol("t"))
    net = symbolic_gnn(n, widths)
    X, _, H = forward(net, ident)
    B = true_backward_signals(net, ident)
    steps = []
    for k in range(net.L + 1):
        prod = sp.eye(widths[0])
        for j in range(k):
            prod = prod * net.W[j]
        steps.append(identity_step(f"X^({k}) = P^{k} X^(0) W^(0)...W^({k - 1})", X[k],
                                   net.P**k * net.X0 * prod))
    for k in range(net.L + 1):
        closed = (net.P.T)**(net.L - k) * B[net.L] * _Mk(net, k).T
        steps.append(identity_step(f"B^({k}) = (P^T)^{net.L - k} B^(L) (W^({k + 1})...W^(L))^T",
                                   B[k], closed))
    return tuple(steps)


def derive_mean_propagation(n=3, widths=(1, 2, 2, 1)):
    """Linear GNN, symmetric P with P1 = 1: means of backward signals are never attenuated.

    Uses the linear recursion ``B^(k) = P^T B^(k+1) W^(k+1)^T`` and its closed form (both
    derived from the forward definition by :func:`derive_backprop` and
    :func:`derive_linear_closed_forms`) with generic ``B^(L)``.
    """
    P = symmetric_stochastic(n)
    net = symbolic_gnn(n, widths, P=P)
    L = net.L
    BL = sp.ImmutableMatrix(n, widths[-1], lambda a, b: sp.Symbol(f"b_{a}{b}", real=True))
    one = sp.ones(n, 1)
    steps = [identity_step("1^T P = 1^T (P symmetric, P1 = 1)", one.T * P, one.T),
             identity_step("P^T = P", P.T, P)]
    B = {L: BL}
    for k in range(L - 1, -1, -1):
        B[k] = P.T * B[k + 1] * net.W[k + 1].T
        steps.append(identity_step(f"bbar^({k}) = W^({k + 1}) bbar^({k + 1})", mean_row(B[k]),
                                   net.W[k + 1] * mean_row(B[k + 1])))
    for k in range(L + 1):
        closed = P**(L - k) * BL * _Mk(net, k).T
        steps.append(identity_step(f"bbar^({k}) = M_{k} bbar^(L), M_k = W^(k+1)...W^(L)",
                                   mean_row(closed), _Mk(net, k) * mean_row(BL)))
    return tuple(steps)
