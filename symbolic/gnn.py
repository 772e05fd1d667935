"""Explicit symbolic GNNs: small matrices with generic entries, forward pass and loss.

The forward definition of the paper, on explicit sympy matrices:
``F^(k) = P X^(k)``, ``H^(k) = F^(k) W^(k)``, ``X^(k+1) = rho(H^(k))`` (k < L), output
``H^(L)``; MSE loss ``(1/(2n)) ||H^(L) - Y||_F^2``.  Used by the derivations to let sympy
differentiate the forward definition itself.

Examples
--------
>>> import sympy as sp
>>> net = symbolic_gnn(n=2, widths=(1, 1, 1))
>>> net.L, net.P.shape, [W.shape for W in net.W]
(1, (2, 2), [(1, 1), (1, 1)])
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

__all__ = ["SymbolicGNN", "symbolic_gnn", "forward", "mse_loss", "centring", "ones",
           "symmetric_stochastic", "mean_row", "E2", "rho_prime"]


@dataclass(frozen=True)
class SymbolicGNN:
    """Generic symbolic GNN: ``P`` (n x n), ``X0`` (n x d_0), ``W[k]`` (d_k x d_{k+1}), ``Y``."""

    P: sp.ImmutableMatrix
    X0: sp.ImmutableMatrix
    W: tuple
    Y: sp.ImmutableMatrix

    @property
    def L(self) -> int:
        """Depth: index of the output layer (there are L+1 weight matrices)."""
        return len(self.W) - 1

    @property
    def n(self) -> int:
        return self.P.shape[0]


def _mat(name, r, c, **assumptions):
    return sp.ImmutableMatrix(r, c, lambda a, b: sp.Symbol(f"{name}_{a}{b}", **assumptions))


def symbolic_gnn(n=2, widths=(1, 1, 1), P=None) -> SymbolicGNN:
    """GNN with generic real entries; ``widths = (d_0, ..., d_{L+1})``.

    ``P`` defaults to a generic (not symmetric) matrix so that ``P^T`` in the backward
    recursion is visible.
    """
    L = len(widths) - 2
    if L < 0:
        raise ValueError("widths needs at least (d_0, d_1)")
    P = _mat("p", n, n, real=True) if P is None else sp.ImmutableMatrix(P)
    X0 = _mat("x", n, widths[0], real=True)
    W = tuple(_mat(f"w{k}", widths[k], widths[k + 1], real=True) for k in range(L + 1))
    Y = _mat("y", n, widths[-1], real=True)
    return SymbolicGNN(P, X0, W, Y)


def forward(net, rho):
    """Return ``(X, F, H)`` lists; ``rho`` is a sympy Function/Lambda applied entrywise."""
    X, F, H = [net.X0], [], []
    for k, W in enumerate(net.W):
        F.append(net.P * X[k])
        H.append(F[k] * W)
        if k < net.L:
            X.append(H[k].applyfunc(rho))
    return X, F, H


def mse_loss(H_out, Y):
    """``(1/(2n)) ||H - Y||_F^2``."""
    R = H_out - Y
    return sum(e**2 for e in R) / (2 * H_out.shape[0])


def ones(n):
    """Column of ones."""
    return sp.ones(n, 1)


def centring(n):
    """``Pi = I - 11^T/n``."""
    return sp.eye(n) - sp.ones(n, n) / n


def mean_row(X):
    """Mean row ``xbar = X^T 1/n`` (as a column)."""
    return X.T * ones(X.shape[0]) / X.shape[0]


def E2(X):
    """Squared smoothness ``E(X)^2 = ||Pi X||_F^2 / n``."""
    C = centring(X.shape[0]) * X
    return sum(e**2 for e in C) / X.shape[0]


def symmetric_stochastic(n=3, name="a"):
    """Generic symmetric P with P1 = 1 (off-diagonal parameters ``name_ij``)."""
    P = sp.zeros(n, n)
    for a in range(n):
        for b in range(a + 1, n):
            P[a, b] = P[b, a] = sp.Symbol(f"{name}_{a}{b}", real=True)
    for a in range(n):
        P[a, a] = 1 - sum(P[a, b] for b in range(n) if b != a)
    return sp.ImmutableMatrix(P)


_t = sp.Dummy("t")


def rho_prime(rho):
    """``rho'`` as a callable, with the same sympy form as ``diff`` produces."""
    d = sp.diff(rho(_t), _t)
    return lambda x: d.subs(_t, x)
