"""Backward recursions of the remedy layers, derived by sympy's matrix calculus [extension].

Each layer's vector-Jacobian product is obtained by differentiating ``Tr(G^T f(X))`` (``G`` the
incoming gradient, ``f`` the layer's linear part) with respect to a ``MatrixSymbol`` of
*symbolic* size ``n x d``: sympy's matrix derivative returns ``dLoss/dX`` as a matrix
expression, compared with the hand-derived form used by :mod:`backsmooth.numeric.remedies`.
These are identities for every ``n`` and ``d`` (``Pi = I - 1 1^T/n`` with sympy's
``OneMatrix``); the elementwise activation enters through the generic chain rule
``B = rho'(H) o G`` derived in :mod:`~backsmooth.symbolic.derive_backward`.

* residual: ``d/dX Tr(G^T r X + B^T P X W) = r G + P^T B W^T``;
* initial residual: ``d/dX = (1 - a) P^T B M^T``, ``d/dA = a B M^T``, ``d/dW = b F^T B``
  (``M = (1 - b) I + b W``, ``F = (1 - a) P X + a A``);
* mean subtraction: ``d/dH Tr(G^T Pi H) = Pi G`` and ``1^T Pi = 0`` (zero mean row);
* PairNorm ``N(H) = sigma sqrt(n) Pi H / ||Pi H||_F``: the directional derivative along
  ``E`` equals ``<B, E>`` with ``B = (sigma sqrt(n)/||Pi H||)(Pi G - <Pi G, c> c)``,
  ``c = Pi H/||Pi H||``; the traces ``u = Tr(G^T Pi H)``, ``q = Tr(H^T Pi H)``,
  ``g_E = Tr(G^T Pi E)``, ``h_E = Tr(H^T Pi E)``, ``e = Tr(E^T Pi E)`` are scalars (linearity
  of the trace and ``Pi^T Pi = Pi``, itself checked at symbolic ``n``).

Examples
--------
>>> steps = derive_residual()
>>> all(st.verified for st in steps), steps[0].description.endswith("[matrix calculus, symbolic n x d]")
(True, True)
"""

from __future__ import annotations

import itertools

import sympy as sp

from .evidence import Evidence
from .steps import DerivationStep, identity_step, inequality_step, recorded_step
from . import symbols as sy  # the paper's symbols: one home

__all__ = ["derive_residual", "derive_initial_residual", "derive_normalisation", "centring"]

_n, _d, _e = sp.symbols("n d e", integer=True, positive=True)
_METHOD = "simplify"  # of a matrix expression of symbolic size n x d (sympy matrix calculus)


def centring(n=_n):
    """``Pi = I - 1 1^T / n`` as a sympy matrix expression of symbolic size."""
    one = sp.OneMatrix(n, 1)
    return sp.Identity(n) - one * one.T / n


def _one_powers(expr):
    """Rewrite ``(c 1_{n x n})^k = c^k n^(k-1) 1_{n x n}`` and other positive powers as products."""
    def is_pow(x):
        return isinstance(x, sp.MatPow) and x.exp.is_Integer and x.exp > 0

    def rewrite(x):
        coeff, mats = x.base.as_coeff_mmul() if isinstance(x.base, sp.MatMul) else (1, x.base)
        mats = mats.args if isinstance(mats, sp.MatMul) else (mats,)
        if len(mats) == 1 and isinstance(mats[0], sp.OneMatrix) and mats[0].rows == mats[0].cols:
            k = int(x.exp)
            return coeff**k * mats[0].rows**(k - 1) * mats[0]
        return sp.MatMul(*([x.base] * int(x.exp)))

    return expr.replace(is_pow, rewrite)


def _terms(expr):
    """Distribute products over sums: the list of product terms of a matrix expression."""
    if isinstance(expr, sp.MatAdd):
        return [t for a in expr.args for t in _terms(a)]
    if isinstance(expr, sp.MatPow) and expr.exp.is_Integer and expr.exp > 0:
        return _terms(sp.MatMul(*([expr.base] * int(expr.exp)), evaluate=False))
    if isinstance(expr, sp.MatMul):
        parts = [_terms(a) if isinstance(a, sp.MatrixExpr) else [a] for a in expr.args]
        return [_one_powers(sp.MatMul(*combo).doit()) for combo in itertools.product(*parts)]
    if isinstance(expr, sp.Transpose):
        return [sp.Transpose(t).doit() for t in _terms(expr.arg)]
    return [expr]


def _matrix_zero(expr) -> bool:
    total = sp.MatAdd(*_terms(sp.sympify(expr))).doit()
    return total == 0 or isinstance(total, sp.ZeroMatrix)


def _matrix_step(description, lhs, rhs) -> DerivationStep:
    """Record ``lhs == rhs`` for matrix expressions of symbolic size (checked, can fail)."""
    ok = lhs.shape == rhs.shape and _matrix_zero(lhs - rhs)
    ev = Evidence("all_sizes_identity", bool(ok),
                  "matrix expressions of symbolic shape: the difference " + ("cancels" if ok else "does not cancel"))
    return recorded_step(f"{description} [matrix calculus, symbolic n x d]", lhs, rhs, "==", ev, _METHOD)


def derive_residual():
    """Residual layer ``X' = r X + rho(P X W)``: ``dX = r G + P^T B W^T`` and the energy rates."""
    X = sp.MatrixSymbol("X", _n, _d)
    P = sp.MatrixSymbol("P", _n, _n)
    W = sp.MatrixSymbol("W", _d, _d)
    G = sp.MatrixSymbol("G", _n, _d)
    B = sp.MatrixSymbol("B", _n, _d)
    r = sp.Symbol("r", real=True)
    grad = sp.Trace(G.T * (r * X) + B.T * (P * X * W)).diff(X)
    lam, s, t = sy.lam, sy.s, sp.Symbol("t", nonnegative=True)
    # the per-layer lower rate r - lambda s_i decreases in s_i: with s_i = s/(1+t) <= s,
    # (r - lambda s) - (r - lambda s_i) = -lambda s t/(1+t) <= 0
    rate_cert = (r - lam * s) - (r - lam * s / (1 + t))
    return (
        _matrix_step("residual: dLoss/dX^(k) = r G^(k+1) + P^T B^(k) W^(k)T", grad, r * G + P.T * B * W.T),
        inequality_step("residual, s_i <= s: the lower rate r - lambda s_i is at least r - lambda s",
                        r - lam * s, r - lam * s / (1 + t), rate_cert),
        identity_step("vanilla limit r = 0: the residual recursion is the paper's B^(k-1) = P^T B^(k) W^(k)T "
                      "(rate lambda s_k)", (r * sp.Symbol("E_Bk") + lam * s * sp.Symbol("E_Bk")).subs(r, 0),
                      lam * s * sp.Symbol("E_Bk")),
    )


def _mean_step(a, b):
    """Mean row of the main-path signal, on the general symmetric stochastic 3 x 3 ``P`` (one size)."""
    from .gnn import mean_row, symmetric_stochastic

    P = symmetric_stochastic(3)
    B = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"b_{i}{j}", real=True))
    W = sp.Matrix(2, 2, lambda i, j: sp.Symbol(f"w_{i}{j}", real=True))
    M = (1 - b) * sp.eye(2) + b * W
    return identity_step("mean row of the main path: bbar^(k-1) = (1 - a) M^(k) bbar^(k) (linear rho, "
                         "P symmetric, P1 = 1; checked for n = 3, d = 2 only)",
                         mean_row((1 - a) * P.T * B * M.T), (1 - a) * M * mean_row(B))


def derive_initial_residual():
    """Initial residual ``H = ((1 - a) P X + a A) M``, ``M = (1 - b) I + b W``: the three VJPs."""
    X = sp.MatrixSymbol("X", _n, _d)
    A = sp.MatrixSymbol("A", _n, _d)
    P = sp.MatrixSymbol("P", _n, _n)
    W = sp.MatrixSymbol("W", _d, _d)
    B = sp.MatrixSymbol("B", _n, _d)
    a, b = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
    M = (1 - b) * sp.Identity(_d) + b * W
    F = (1 - a) * P * X + a * A
    f = sp.Trace(B.T * (F * M))
    return (
        _matrix_step("initial residual: dLoss/dX^(k) = (1 - a) P^T B^(k) M^(k)T (main path)",
                     f.diff(X), (1 - a) * P.T * B * M.T),
        _matrix_step("initial residual: dLoss/dX^(1) gains a B^(k) M^(k)T from every layer (anchor path)",
                     f.diff(A), a * B * M.T),
        _matrix_step("initial residual: dLoss/dW^(k) = b F^(k)T B^(k), F = (1 - a) P X + a X^(1)",
                     f.diff(W), b * F.T * B),
        _mean_step(a, b),
    )


def derive_normalisation():
    """Mean subtraction and PairNorm: the Jacobian-transpose products and their zero mean."""
    H = sp.MatrixSymbol("H", _n, _d)
    G = sp.MatrixSymbol("G", _n, _d)
    Pi = centring()
    one = sp.OneMatrix(_n, 1)
    steps = [
        _matrix_step("mean subtraction: dLoss/dH = d/dH Tr(G^T Pi H) = Pi G", sp.Trace(G.T * (Pi * H)).diff(H),
                     Pi * G),
        _matrix_step("1^T Pi = 0: a normalised layer's backward signal B^(k) = Pi (...) has mean row 0",
                     one.T * Pi, sp.ZeroMatrix(1, _n)),
        _matrix_step("Pi^T Pi = Pi (so Tr((H + tE)^T Pi^T Pi (H + tE)) = q + 2 t h_E + t^2 e)",
                     Pi.T * Pi, Pi),
    ]
    sig, t = sy.sigma_pn, sp.Symbol("t", real=True)
    u, q = sp.Symbol("u", real=True), sp.Symbol("q", positive=True)
    gE, hE, e = sp.symbols("g_E h_E e", real=True)
    n = sp.Symbol("n", positive=True)
    value = sig * sp.sqrt(n) * (u + t * gE) / sp.sqrt(q + 2 * t * hE + t**2 * e)
    directional = sp.diff(value, t).subs(t, 0)
    # <B, E> for B = (sigma sqrt(n)/sqrt(q)) (Pi G - <Pi G, c> c), c = Pi H/sqrt(q):
    # <Pi G, E> = g_E, <Pi G, c> = u/sqrt(q), <c, E> = h_E/sqrt(q)
    claimed = sig * sp.sqrt(n) / sp.sqrt(q) * (gE - (u / sp.sqrt(q)) * (hE / sp.sqrt(q)))
    steps.append(identity_step("PairNorm: d/dt <G, N(H + tE)> at t = 0 equals <B, E>, "
                               "B = (sigma sqrt(n)/||Pi H||)(Pi G - <Pi G, c> c)", directional, claimed))
    # energy of B: ||Pi G - <Pi G, c> c||^2 = ||Pi G||^2 - <Pi G, c>^2 (c a unit vector), and the
    # factor sigma sqrt(n)/||Pi H||_F = sigma / E(H) in the root convention
    pg2, pc = sp.Symbol("pg2", nonnegative=True), sp.Symbol("pc", real=True)
    steps.append(identity_step("||Pi G - <Pi G, c> c||^2 = ||Pi G||^2 - <Pi G, c>^2 for a unit c",
                               pg2 - 2 * pc * pc + pc**2, pg2 - pc**2))
    E_H = sp.Symbol("E_H", positive=True)
    steps.append(identity_step("sigma sqrt(n)/||Pi H||_F = sigma/E(H) (root convention ||Pi H||_F = sqrt(n) E(H))",
                               sig * sp.sqrt(n) / (sp.sqrt(n) * E_H), sig / E_H))
    return tuple(steps)
