"""Exact rational instances for inequalities sympy cannot decide symbolically.

Propagation matrices are lazy random walks ``P = I - (D - A)/(d_max + 1)`` on small graphs,
whose spectra are rational: the path on 3 nodes (eigenvalues 1, 2/3, 0; lambda = 2/3), the
4-cycle (1, 1/3, 1/3, -1/3; lambda = 1/3) and the 2-node ``P_p`` (lambda = |1 - 2p|).
Random rational matrices come from ``random.Random(seed)`` (same seed, same numbers).

Examples
--------
>>> P, lam = lazy_path3()
>>> lam, P * sp.ones(3, 1) == sp.ones(3, 1)
(2/3, True)
"""

from __future__ import annotations

import random

import sympy as sp

__all__ = ["lazy_path3", "lazy_cycle4", "two_node", "propagation_instances",
           "random_rational_matrix", "scaled_rotation", "relu", "softsign"]


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
