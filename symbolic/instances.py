"""Exact rational instances for inequalities sympy cannot decide symbolically.

Propagation matrices are lazy random walks ``P = I - (D - A)/(d_max + 1)`` on small graphs,
whose spectra are rational: the path on 3 nodes (eigenvalues 1, 2/3, 0; lambda = 2/3), the
4-cycle (1, 1/3, 1/3, -1/3; lambda = 1/3) and the 2-node ``P_p`` (lambda = |1 - 2p|).
Random rational matrices come from ``random.Random(seed)`` (same seed, same numbers).

The proofs' exact instances live here too (their one home; ``proofs/_exact.py`` re-exports
them): propagation matrices with an exactly known ``lambda``, ``P = J + sum_i mu_i h_i h_i^T
/ n`` with ``h_i`` the rows of a Sylvester-Hadamard matrix (``n`` in 2, 4, 8), plus the flat
``P = J + lambda (I - J)``; weights with an exactly known spectral norm (``sigma`` times a
partial isometry cut from a Cayley orthogonal matrix ``(I - A)(I + A)^{-1}``, or ``U
diag(sigma) V^T``); activations with rational values or derivatives (identity, ReLU, softsign
``x/(1+|x|)`` with ``c_rho = 2``, arctan' ``1/(1+x^2)``); and the exact forward and backward
passes of small networks on them (:func:`net_forward`, :func:`net_backward`,
:func:`exact_networks`).

Examples
--------
>>> P, lam = lazy_path3()
>>> lam, P * sp.ones(3, 1) == sp.ones(3, 1)
(2/3, True)
>>> P, lam = rational_propagations()[0]
>>> lam, E(sp.Matrix([[1], [3]]))
(4/5, 1)
"""

from __future__ import annotations

import functools
import random

import sympy as sp

from .gnn import E2, SymbolicGNN, centring, forward, ones  # noqa: F401  (ones: part of the exact API)

__all__ = ["lazy_path3", "lazy_cycle4", "two_node", "propagation_instances",
           "random_rational_matrix", "scaled_rotation", "relu", "softsign",
           "R", "hadamard", "E", "fro", "row_norm", "max_abs", "rational_propagations",
           "rational_weight", "rational_matrix", "RHO", "net_forward", "net_backward",
           "exact_networks", "averaging"]


def _lazy(A):
    A = sp.Matrix(A)
    deg = [sum(A.row(i)) for i in range(A.rows)]
    D = sp.diag(*deg)
    return sp.ImmutableMatrix(sp.eye(A.rows) - (D - A) / (max(deg) + 1))


def lazy_path3():
    """Lazy walk on the path 0-1-2 and its lambda (= 2/3)."""
    return _lazy([[0, 1, 0], [1, 0, 1], [0, 1, 0]]), sp.Rational(2, 3)


def lazy_cycle4():
    """Lazy walk on the 4-cycle and its lambda (= 1/3)."""
    return _lazy([[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]), sp.Rational(1, 3)


def two_node(p):
    """``P_p = [[1-p, p], [p, 1-p]]`` and lambda = |1 - 2p|."""
    p = sp.nsimplify(p)
    return sp.ImmutableMatrix([[1 - p, p], [p, 1 - p]]), abs(1 - 2 * p)


def propagation_instances():
    """A few exact (P, lambda) pairs satisfying (A1+)."""
    return (lazy_path3(), lazy_cycle4(), two_node(sp.Rational(1, 5)), two_node(sp.Rational(7, 10)))


def random_rational_matrix(rng, rows, cols, scale=3, denominator=4):
    """Matrix with entries ``randint(-scale*den, scale*den)/den``."""
    if isinstance(rng, int):
        rng = random.Random(rng)
    return sp.ImmutableMatrix(rows, cols, lambda a, b: sp.Rational(
        rng.randint(-scale * denominator, scale * denominator), denominator))


def scaled_rotation(scale, a=3, b=4):
    """``scale`` times the rotation [[a, -b], [b, a]]/c (a^2 + b^2 = c^2): spectral norm = scale."""
    c = sp.sqrt(a * a + b * b)
    if not c.is_Integer:
        raise ValueError("a^2 + b^2 must be a perfect square")
    return sp.ImmutableMatrix([[a, -b], [b, a]]) * sp.nsimplify(scale) / c


def relu(x):
    """ReLU as a sympy expression (exact on rationals)."""
    return sp.Max(x, 0)


def softsign(x):
    """``x/(1+|x|)``, 1-Lipschitz, exact on rationals."""
    return x / (1 + sp.Abs(x))


# ---------------------------------------------------------------- exact instances of the proofs
def averaging(n):
    """``J = 11^T / n``, the projection on constant signals (exact)."""
    return sp.ones(n, n) / n


R = sp.Rational


def hadamard(n):
    """Sylvester-Hadamard matrix of order ``n`` (a power of 2)."""
    H = sp.Matrix([[1]])
    while H.shape[0] < n:
        H = sp.Matrix(sp.BlockMatrix([[H, H], [H, -H]]))
    if H.shape[0] != n:
        raise ValueError(f"n must be a power of 2, got {n}")
    return H


def fro(M):
    """Exact Frobenius norm."""
    return sp.sqrt(sum(x**2 for x in M))


def E(X):
    """Exact ``E(X) = ||Pi X||_F / sqrt(n)`` (the square root of :func:`.gnn.E2`)."""
    return sp.sqrt(E2(X))


def row_norm(X):
    """Exact ``max_i ||X_i||_2``."""
    return sp.sqrt(max(sum(X[i, j]**2 for j in range(X.shape[1])) for i in range(X.shape[0])))


def max_abs(X):
    """Exact ``max_ij |X_ij|``."""
    return max(abs(x) for x in X)


@functools.lru_cache(maxsize=None)
def rational_propagations(stochastic=True):
    """Tuple of ``(P, lambda)`` with exact ``lambda = max |eig(P - J)|``.

    Includes lambda near 1 (99/100), a bipartite-like ``P = J - lambda u u^T`` (eigenvalue
    ``-lambda``), the fully averaging ``J`` (lambda = 0) and mixed spectra.  With
    ``stochastic`` only entrywise non-negative ``P`` are kept.
    """
    out = []
    for n, mus in [(2, (R(4, 5),)), (2, (-R(4, 5),)), (2, (R(99, 100),)), (2, (R(0),)),
                   (4, (R(1, 3), -R(1, 4), R(0))), (4, (R(99, 100),) * 3),
                   (4, (-R(99, 100), R(0), R(0))), (4, (R(1, 2), R(1, 2), -R(1, 6))),
                   (8, (R(1, 2), -R(1, 3), R(1, 5), 0, R(1, 7), -R(1, 2), R(1, 9))),
                   (4, (R(2), R(-1, 2), R(1, 3)))]:
        H = hadamard(n)
        P = averaging(n)
        for i, mu in enumerate(mus, start=1):
            h = H[i, :].T
            P = P + mu * h * h.T / n
        lam = max(abs(m) for m in mus)
        if lam >= 1:
            continue  # (A1) requires lambda < 1 (kept in the list only to show the filter)
        if stochastic and any(x < 0 for x in P):
            continue
        out.append((sp.ImmutableMatrix(P), lam))
    for n, lam in [(3, R(1, 2)), (5, R(999, 1000)), (3, R(-1, 3))]:
        P = averaging(n) + lam * centring(n)
        out.append((sp.ImmutableMatrix(P), abs(lam)))
    if not stochastic:  # signed P (not entrywise non-negative) still satisfying (A1)
        H = hadamard(4)
        P = averaging(4) + R(9, 10) * H[1, :].T * H[1, :] / 4 - R(9, 10) * H[2, :].T * H[2, :] / 4
        out.append((sp.ImmutableMatrix(P), R(9, 10)))
    return tuple(out)


def _cayley(d, rng):
    A = sp.zeros(d, d)
    for i in range(d):
        for j in range(i + 1, d):
            a = R(rng.randint(-3, 3), rng.randint(1, 3))
            A[i, j], A[j, i] = a, -a
    return (sp.eye(d) - A) * (sp.eye(d) + A).inv()


def rational_weight(d_in, d_out, sigma, rng, kind="isometry"):
    """A rational ``d_in x d_out`` matrix with spectral norm exactly ``sigma``."""
    if kind == "isometry":
        Q = _cayley(max(d_in, d_out), rng)
        return sigma * Q[:d_in, :d_out]
    U, V = _cayley(d_in, rng), _cayley(d_out, rng)
    r = min(d_in, d_out)
    D = sp.zeros(d_in, d_out)
    for i in range(r):
        D[i, i] = sigma if i == 0 else sigma * R(rng.randint(0, 4), 5)
    return U * D * V.T


def rational_matrix(rows, cols, rng, num=4, den=3):
    """``rows x cols`` matrix of ``randint(-num, num)/randint(1, den)`` (``rng``: ``random.Random``)."""
    return sp.Matrix(rows, cols, lambda i, j: R(rng.randint(-num, num), rng.randint(1, den)))


def _softsign(x):
    return x / (1 + abs(x))


def _dsoftsign(x):
    return 1 / (1 + abs(x))**2


#: name -> (rho or None, rho', c_rho, c_2); exact sympy functions of a Rational
RHO = {
    "identity": (lambda x: x, lambda x: sp.Integer(1), sp.Integer(0), sp.Integer(0)),
    "relu": (lambda x: max(x, 0), lambda x: sp.Integer(1) if x > 0 else sp.Integer(0), sp.oo, sp.oo),
    "softsign": (_softsign, _dsoftsign, sp.Integer(2), sp.oo),
    "arctan_derivative": (None, lambda x: 1 / (1 + x**2), 3 * sp.sqrt(3) / 8, sp.Integer(2)),
}


def net_forward(P, X0, Ws, rho):
    """Exact forward pass: lists ``X^(0..L)``, ``F^(0..L)``, ``H^(0..L)`` (:func:`.gnn.forward`
    with the activation named ``rho`` of :data:`RHO`)."""
    return forward(SymbolicGNN(P, sp.Matrix(X0), tuple(Ws), None), RHO[rho][0])


def net_backward(P, Fs, Hs, Ws, BL, rho):
    """Exact backward pass from ``B^(L)``: lists ``B^(0..L)`` and ``grad_0..L``."""
    df = RHO[rho][1]
    L = len(Ws) - 1
    Bs = [None] * (L + 1)
    Bs[L] = sp.Matrix(BL)
    for k in range(L - 1, -1, -1):
        G = P.T * Bs[k + 1] * Ws[k + 1].T
        D = Hs[k].applyfunc(df)
        Bs[k] = sp.matrix_multiply_elementwise(D, G)
    grads = [Fs[k].T * Bs[k] for k in range(L + 1)]
    return Bs, grads


@functools.lru_cache(maxsize=None)
def exact_networks(rho="softsign", seed=0):
    """Small exact networks ``(P, lam, Ws, sigmas, Xs, Fs, Hs, Bs, grads, Y)``, MSE output error.

    Depths 1..3, widths 1..2, spectral norms with ``lambda s`` below and above 1.
    """
    rng = random.Random(seed)
    out = []
    props = rational_propagations(True)
    for idx, (P, lam) in enumerate(props):
        n = P.shape[0]
        if n > 4:
            continue
        L = 1 + idx % 3
        widths = [1 + (idx + i) % 2 for i in range(L + 1)] + [1 + idx % 2]
        sig = [R(rng.choice([1, 2, 3, 5, 7]), rng.choice([2, 3, 4])) for _ in range(L + 1)]
        Ws = [rational_weight(widths[i], widths[i + 1], sig[i], rng,
                              "isometry" if i % 2 == 0 else "svd") for i in range(L + 1)]
        X0 = rational_matrix(n, widths[0], rng)
        Xs, Fs, Hs = net_forward(P, X0, Ws, rho)
        Y = rational_matrix(n, widths[-1], rng)
        BL = (Hs[-1] - Y) / n
        Bs, grads = net_backward(P, Fs, Hs, Ws, BL, rho)
        out.append(dict(P=P, lam=lam, n=n, L=L, W=Ws, s=sig, X=Xs, F=Fs, H=Hs, B=Bs,
                        grads=grads, Y=Y))
    return tuple(out)
