"""Theorem 2 and Proposition 1: non-linear backward oversmoothing and the backward mean.

Notation (``docs/theory.md``): ``G_k = P B^(k+1) W^(k+1)^T``, ``D_k = diag(rho'(hbar^(k)))``,
``R_k = rho'(H^(k)) - 1 rho'(hbar^(k))^T``.  Derived here:

* the exact split ``B^(k) = G_k D_k + R_k * G_k`` and its centred form
  ``Pi B^(k) = P (Pi B^(k+1)) W^(k+1)^T D_k + Pi (R_k * G_k)`` (generic symmetric P, P1 = 1);
* the mean identity ``bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n) (R_k * G_k)^T 1`` (Prop. 1(i));
* ``c_rho = max |tanh''| = 4 sqrt(3)/9`` by solving ``tanh''' = 0``;
* the recursion (iii), the row-norm bound (iv) and Prop. 1(i) on exact instances
  (softsign, ``rho'(x) = 1/(1+|x|)^2``, c_rho = 2: rational on rationals);
* the unrolled uniform forms (Thm 2 (vi), Prop. 1 (iii)): the closed form satisfies the
  recursion with equality (symbolic k, L) and the geometric sums are bounded by
  ``q^k/(1-q)`` for ``q = 1/(1+u)`` (sympy assumptions).

Examples
--------
>>> all(st.verified for st in derive_split())
True
"""

from __future__ import annotations

import functools
import random

import sympy as sp

from .gnn import E2, centring, mean_row, symmetric_stochastic
from .instances import propagation_instances, random_rational_matrix, scaled_rotation
from .steps import identity_step, inequality_step, rational_step
from .symbols import E_BL, E_X0, L, beta, c_rho, k, lam, s

__all__ = ["derive_split", "derive_c_rho_tanh", "derive_recursion_instances",
           "derive_geometric_bound", "derive_theorem2", "derive_proposition1"]


def _generic(name, r, c):
    return sp.ImmutableMatrix(r, c, lambda a, b: sp.Symbol(f"{name}_{a}{b}", real=True))


def derive_split(n=3, d=2):
    """Exact split of ``B^(k)`` and of its centred part and mean (generic symbols)."""
    return _derive_split(n, d)


@functools.lru_cache(maxsize=None)
def _derive_split(n, d):
    # a pure function of (n, d) returning frozen steps: computed once per process (Theorem 2
    # and Proposition 1 both use it)
    P = symmetric_stochastic(n)
    Bn, W = _generic("b", n, d), _generic("w", d, d)
    A = _generic("a", n, d)  # A = rho'(H^(k)) entrywise
    r = sp.Matrix(d, 1, lambda a, b: sp.Symbol(f"r_{a}", real=True))  # rho'(hbar^(k))
    one = sp.ones(n, 1)
    R = A - one * r.T
    D = sp.diag(*r)
    G = P * Bn * W.T
    B = A.multiply_elementwise(G)
    Pi = centring(n)
    return (
        identity_step("B^(k) = rho'(H^(k)) * G_k = G_k D_k + R_k * G_k", B,
                      G * D + R.multiply_elementwise(G)),
        identity_step("Pi B^(k) = P (Pi B^(k+1)) W^(k+1)^T D_k + Pi (R_k * G_k)", Pi * B,
                      P * (Pi * Bn) * W.T * D + Pi * R.multiply_elementwise(G)),
        identity_step("mean row of G_k is W^(k+1) bbar^(k+1)", mean_row(G), W * mean_row(Bn)),
        identity_step("Prop 1(i): bbar^(k) - D_k W^(k+1) bbar^(k+1) = (1/n)(R_k * G_k)^T 1",
                      mean_row(B) - D * W * mean_row(Bn),
                      R.multiply_elementwise(G).T * one / n),
    )


def derive_c_rho_tanh():
    """``c_rho`` for tanh: the maximum of ``|tanh''|`` is ``4 sqrt(3)/9`` (at tanh(x) = 1/sqrt 3)."""
    x = sp.Symbol("x", real=True)
    y = sp.Symbol("y", real=True)  # y = tanh(x), tanh' = 1 - y^2
    second = sp.expand(-2 * y * (1 - y**2))       # tanh'' as a polynomial in y
    crit = [c for c in sp.solve(sp.diff(second, y), y) if c.is_positive]
    value = sp.Abs(second.subs(y, -crit[0])) if crit else sp.nan
    return (
        identity_step("tanh'' = -2 tanh (1 - tanh^2)", sp.diff(sp.tanh(x), x, 2),
                      second.subs(y, sp.tanh(x))),
        identity_step("max |tanh''| = 4 sqrt(3)/9 ~ 0.770 (critical points y = +-1/sqrt 3)",
                      sp.nsimplify(value), 4 * sp.sqrt(3) / 9),
    )


def _softsign_prime(x):
    return 1 / (1 + sp.Abs(x))**2


def _maxabs(A):
    return max(sp.Abs(e) for e in A)


def _rowmax2(A):
    return max(sum(e**2 for e in A.row(a)) for a in range(A.rows))


def derive_recursion_instances(n_instances=8, seed=4):
    """Theorem 2 (iii), (iv) and Proposition 1 (i) on exact instances (softsign, c_rho = 2)."""
    return _derive_recursion_instances(n_instances, seed)


@functools.lru_cache(maxsize=None)
def _derive_recursion_instances(n_instances, seed):
    # seeded, so a pure function of its arguments returning frozen steps: computed once per
    # process (Theorem 2 and Proposition 1 both use it)
    rng = random.Random(seed)
    inst = []
    for P, lam_r in propagation_instances():
        nn = P.shape[0]
        for _ in range(n_instances // 2):
            H = random_rational_matrix(rng, nn, 2, scale=1)
            Bn = random_rational_matrix(rng, nn, 2)
            sc = sp.Rational(rng.randint(1, 8), 4)
            W = scaled_rotation(sc)
            G = P * Bn * W.T
            B = H.applyfunc(_softsign_prime).multiply_elementwise(G)
            hbar = mean_row(H)
            Dk = sp.diag(*[_softsign_prime(h) for h in hbar])
            rk = mean_row(B) - Dk * W * mean_row(Bn)
            inst.append(dict(P=P, lam=lam_r, H=H, Bn=Bn, s=sc, G=G, B=B, r=rk, n=nn))
    c = 2
    return (
        rational_step("Thm 2(iii): E(B^(k)) <= lambda s_{k+1} E(B^(k+1)) + c_rho E(H^(k)) ||G_k||_max "
                      "(softsign, c_rho = 2)",
                      lambda t: sp.sqrt(E2(t["B"])),
                      lambda t: t["lam"] * t["s"] * sp.sqrt(E2(t["Bn"]))
                      + c * sp.sqrt(E2(t["H"])) * _maxabs(t["G"]), inst),
        rational_step("Thm 2(iv): ||B^(k)||_row^2 <= s_{k+1}^2 ||B^(k+1)||_row^2 (P >= 0)",
                      lambda t: _rowmax2(t["B"]), lambda t: t["s"]**2 * _rowmax2(t["Bn"]), inst),
        rational_step("Prop 1(i): ||r_k|| <= c_rho E(H^(k)) ||G_k||_max",
                      lambda t: sp.sqrt(sum(e**2 for e in t["r"])),
                      lambda t: c * sp.sqrt(E2(t["H"])) * _maxabs(t["G"]), inst),
    )


def derive_geometric_bound(description):
    """``sum_{j=k}^{k+r-1} q^j <= q^k/(1-q)`` for ``q = 1/(1+u)``, u > 0, symbolic k, r."""
    u = sp.Symbol("u", positive=True)
    r = sp.Symbol("r", integer=True, nonnegative=True)
    j = sp.Symbol("j", integer=True)
    q = 1 / (1 + u)
    finite = sp.Sum(q**j, (j, k, k + r - 1)).doit()
    return inequality_step(description + ": sum_{j=k}^{L-1} q^j <= q^k/(1-q) (q = 1/(1+u) < 1)",
                           finite, q**k / (1 - q), sp.factor(sp.simplify(finite - q**k / (1 - q))))


def _unrolled_recursion_step():
    """Closed form U_k of the uniform recursion satisfies U_k = lambda s U_(k+1) + a_k, U_L = e_L."""
    j = sp.Symbol("j", integer=True)
    r = sp.Symbol("r", integer=True, positive=True)  # r = L - k
    # a_j = c_rho lambda s_j s_(j+1) E(X^(j)) S_(j+1) beta with s_i = s, E(X^(j)) <= (lambda s)^j E_X0
    a = lambda jj: c_rho * lam * s**2 * (lam * s)**jj * E_X0 * s**(L - jj - 1) * beta  # noqa: E731

    def U(kk, rr):
        return ((lam * s)**rr * E_BL
                + sp.Sum((lam * s)**(j - kk) * a(j), (j, kk, kk + rr - 1)).doit())
    lhs = U(k, r)
    rhs = lam * s * U(k + 1, r - 1) + a(k)

    def generic(e):  # the geometric sum's branch for lambda^2 s != 1
        return e.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.args[-1].expr)
    return (
        identity_step("unrolled closed form U_k = (lambda s)^(L-k) E(B^(L)) + sum_j (lambda s)^(j-k) a_j "
                      "satisfies U_k = lambda s U_(k+1) + a_k (symbolic k, r = L-k; case lambda^2 s != 1)",
                      generic(lhs), generic(rhs)),
        identity_step("... and in the case lambda^2 s = 1 (s = lambda^(-2))",
                      lhs.subs(s, lam**-2), rhs.subs(s, lam**-2)),
        identity_step("base case U_L = E(B^(L))", U(k, 0), E_BL),
    )


def derive_theorem2():
    """All steps of Theorem 2."""
    steps = list(derive_split()[:2]) + list(derive_c_rho_tanh()) + list(derive_recursion_instances()[:2])
    unrolled = _unrolled_recursion_step()
    steps += list(unrolled)
    steps.append(derive_geometric_bound("Thm 2(vi), q = lambda^2 s"))
    # sum_j lambda^(j-k+1) s (lambda s)^j = lambda^(1-k) s sum_j (lambda^2 s)^j: exact prefactor identity
    j = sp.Symbol("j", integer=True)
    steps.append(identity_step("lambda^(j-k+1) s (lambda s)^j = lambda^(1-k) s (lambda^2 s)^j",
                               sp.powsimp(lam**(j - k + 1) * s * (lam * s)**j, force=True),
                               sp.powsimp(lam**(1 - k) * s * (lam**2 * s)**j, force=True)))
    steps.append(identity_step("s^(L-k) lambda^(1-k) s (lambda^2 s)^k = lambda s^(L+1) lambda^k "
                               "(the (vi) prefactor)",
                               sp.powsimp(s**(L - k) * lam**(1 - k) * s * (lam**2 * s)**k, force=True),
                               sp.powsimp(lam * s**(L + 1) * lam**k, force=True)))
    return tuple(steps)


def derive_proposition1():
    """All steps of Proposition 1."""
    steps = [derive_split()[2], derive_split()[3], derive_recursion_instances()[2]]
    j = sp.Symbol("j", integer=True)
    term = s**(j - k) * c_rho * lam * s**2 * (lam * s)**j * E_X0 * s**(L - j - 1) * beta
    steps.append(identity_step("(iii) uniform: s^(j-k) a_j = c_rho lambda beta E(X^(0)) s^(L-k+1) (lambda s)^j",
                               sp.powsimp(sp.expand(term), force=True),
                               sp.powsimp(c_rho * lam * beta * E_X0 * s**(L - k + 1) * (lam * s)**j,
                                          force=True)))
    steps.append(derive_geometric_bound("Prop 1(iii), q = lambda s"))
    return tuple(steps)
