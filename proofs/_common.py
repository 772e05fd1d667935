"""Shared pieces of the proofs: hypothesis names, generic symbolic matrices, helpers.

Generic symbolic objects: ``P3`` is the general symmetric 3 x 3 matrix with ``P 1 = 1``
(three free parameters ``a, b, c``), ``P_p`` the general symmetric 2 x 2 one; ``mat(name,
r, c)`` a matrix of independent real symbols.  Identities checked on them hold for every
such ``P`` and every matrix of those sizes.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

# the generic symbolic pieces have their one home in backsmooth.symbolic (re-exported here)
from backsmooth.symbolic import symbols as _symbols
from backsmooth.symbolic.gnn import centring as Pi  # noqa: F401  Pi = I - 11^T/n
from backsmooth.symbolic.gnn import mean_row, ones  # noqa: F401  xbar = X^T 1/n, column of ones
from backsmooth.symbolic.instances import averaging as J  # noqa: F401  J = 11^T/n

__all__ = [
    "A1", "A1P", "A2", "A2A", "A2B", "A2C", "A3", "LINEAR", "SETTING",
    "P3", "P_p", "mat", "ones", "J", "Pi", "mean_row", "fro2", "registry_expr",
    "registry_identity", "collect",
]

A1 = "(A1) P symmetric, P1 = 1, |mu_i| <= lambda < 1 off the constants"
A1P = "(A1+) P >= 0 entrywise (||P||_inf = 1)"
A2 = "(A2) rho elementwise, 1-Lipschitz"
A2A = "(A2a) rho(0) = 0"
A2B = "(A2b) rho' is c_rho-Lipschitz"
A2C = "(A2c) rho'' is c_2-Lipschitz"
A3 = "(A3) s_i <= s for every i"
LINEAR = "rho = id (linear GNN)"
#: the notation of docs/theory.md, available to every proof
SETTING = (
    "GNN recursion",  # F = P X, H = F W, X' = rho(H), B recursion, grad_k = F^T B
    "J, Pi",
    "E(X)",
    "xbar",
    "norms",  # ||.||_F, ||.||_2, ||.||_row, ||.||_max
    "s_k, Q_k, S_k, Lam_k",
)

a_, b_, c_ = sp.symbols("a b c", real=True)
P3 = sp.ImmutableMatrix([[1 - a_ - b_, a_, b_], [a_, 1 - a_ - c_, c_], [b_, c_, 1 - b_ - c_]])
p_ = _symbols.p  # the off-diagonal entry of P_p (the paper's symbols: one home)
P_p = sp.ImmutableMatrix([[1 - p_, p_], [p_, 1 - p_]])


def mat(name, r, c):
    """An ``r x c`` matrix of independent real symbols ``name_ij``."""
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}{j}", real=True))


def backward_step_split():
    """One non-linear backward step on generic 3 x 3 symbols, split as in Theorem 2 (i).

    Returns a dict with ``H`` (3 x 2), ``B1`` (= B^(k+1), 3 x 2), ``W`` (= W^(k+1), 2 x 2),
    ``G = P3 B1 W^T``, ``D = diag(rho'(hbar))``, ``R = rho'(H) - 1 rho'(hbar)^T`` and
    ``Bk = rho'(H) o G`` (``rho'`` a generic function), shared by Theorem 2 and Proposition 1.
    """
    rho_prime = sp.Function("rho_prime")
    H, B1, W = mat("h", 3, 2), mat("b", 3, 2), mat("w", 2, 2)
    G = P3 * B1 * W.T
    hbar = H.T * ones(3) / 3
    dr = H.applyfunc(rho_prime)
    D = sp.diag(*[rho_prime(hbar[c]) for c in range(2)])
    R = dr - ones(3) * sp.Matrix([[rho_prime(hbar[c]) for c in range(2)]])
    return {"H": H, "B1": B1, "W": W, "G": G, "D": D, "R": R,
            "Bk": sp.matrix_multiply_elementwise(dr, G)}


def fro2(M):
    return sum(x**2 for x in M)


def registry_expr(name, variant):
    """The sympy bound of ``backsmooth.symbolic`` for a claim variant (imported lazily)."""
    from backsmooth.symbolic.bounds import bound_variant

    return bound_variant(name, variant).expr


def registry_identity(name, variant, chained):
    """A ``symbolic_identity`` builder: the proof's chained bound equals the registry's.

    ``chained`` is a callable returning the proof's expression, written in the registry's own
    symbols (:mod:`backsmooth.symbolic.symbols`).  Nothing is matched by name: a symbol that
    only shares a registry symbol's name (a re-declaration, perhaps with other assumptions)
    makes the check raise, so it fails and says which symbol.
    """
    def build():
        reg = registry_expr(name, variant)
        expr = chained()
        by_name = {x.name: x for x in reg.free_symbols}
        stray = sorted(str(x) for x in expr.free_symbols if x.name in by_name and x != by_name[x.name])
        if stray:
            raise ValueError(f"{name}/{variant}: {', '.join(stray)} re-declared instead of taken from "
                             "backsmooth.symbolic.symbols (same name, other assumptions or object)")
        return expr, reg

    return build


def collect(instances, fn):
    """Apply ``fn(instance) -> iterable of (lhs, rhs[, scale])`` and stack into arrays."""
    rows = [tuple(r) for inst in instances for r in fn(inst)]
    if not rows:
        return np.zeros(0), np.zeros(0)
    width = max(len(r) for r in rows)
    rows = [r + (1.0,) * (width - len(r)) for r in rows]
    arr = np.array(rows, dtype=float)
    return tuple(arr[:, i] for i in range(arr.shape[1]))
