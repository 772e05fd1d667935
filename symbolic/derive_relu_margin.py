"""Derivation of ``theorem2_relu`` [extension]: Theorem 2 for ReLU with the margin constant.

1. The margin lemma: for ``b != 0``, ``|1[a > 0] - 1[b > 0]| <= |a - b| / |b|`` (convention
   ``ReLU'(0) = 0``), decided by sympy in the six sign cases of ``(a, b)``.
2. Entrywise: ``(R_k)_ij = 1[H_ij > 0] - 1[hbar_j > 0]`` and ``H_ij - hbar_j = (Pi H)_ij``
   (identity on a generic 3 x 2 ``H``), so ``|(R_k)_ij| <= kappa_k |(Pi H)_ij|`` with
   ``kappa_k = 1 / min_j |hbar^(k)_j|``.
3. The rest of Theorem 2's chain uses only ``|(R_k)_ij| <= c |(Pi H)_ij|`` and ``|rho'| <= 1``:
   the registry's ReLU bounds are the Theorem 2 / Proposition 1 bounds with ``c_rho ->
   kappa_k`` (identities against :mod:`backsmooth.symbolic.bounds`).
4. What happens as the margin closes: a column ``H = (m + e, m - e)`` with ``e > m > 0`` has
   ``||R||_F = 1`` and ``E(H) = e``; the bound ``kappa sqrt(n) E(H) = sqrt(2) e / m`` holds
   (``>= 1``) but tends to infinity as ``m -> 0``: no uniform constant exists.

Examples
--------
>>> all(st.verified for st in derive_theorem2_relu())
True
"""

from __future__ import annotations

import sympy as sp

from .bounds import bound_variant
from .steps import identity_step, inequality_step, limit_step
from .symbols import Sigma_kappa_k, Sigma_lam_k, c_rho, kappa, kappa_k

__all__ = ["derive_margin_lemma", "derive_theorem2_relu", "relu_step"]


def relu_step(x):
    """``ReLU'(x) = 1[x > 0]`` (with ``ReLU'(0) = 0``) for a sympy number of known sign."""
    return sp.Integer(1) if x.is_positive else sp.Integer(0)


def derive_margin_lemma():
    """``|1[a>0] - 1[b>0]| <= |a - b|/|b|`` in every sign case of ``a`` (b != 0)."""
    t, u = sp.symbols("t u", positive=True)
    steps = []
    # a = +t, 0, -t against b = +u, -u; certificate lhs - rhs must be decided <= 0
    for a_name, a in (("a > 0", t), ("a = 0", sp.Integer(0)), ("a < 0", -t)):
        for b_name, b in (("b > 0", u), ("b < 0", -u)):
            lhs = sp.Abs(relu_step(a) - relu_step(b))
            rhs = sp.Abs(a - b) / sp.Abs(b)
            steps.append(inequality_step(
                f"|ReLU'(a) - ReLU'(b)| <= |a - b|/|b| for {a_name}, {b_name}", lhs, rhs,
                sp.simplify(lhs - rhs)))
    return tuple(steps)


def _entrywise():
    H = sp.Matrix(3, 2, lambda i, j: sp.Symbol(f"h_{i}{j}", real=True))
    Pi = sp.eye(3) - sp.ones(3, 3) / 3
    hbar = sp.ones(3, 1) * (sp.ones(1, 3) * H) / 3
    return identity_step("H - 1 hbar^T = Pi H (generic 3 x 2 H): |(R)_ij| <= kappa_k |(Pi H)_ij|",
                         H - hbar, Pi * H)


def _substitution(claim, variant, relu_variant, replace=None, words="c_rho -> kappa_k"):
    theirs = bound_variant(claim, variant).expr.xreplace(replace or {c_rho: kappa_k})
    ours = bound_variant("theorem2_relu", relu_variant).expr
    return identity_step(f"theorem2_relu/{relu_variant} = {claim}/{variant} with {words}",
                         ours, theirs)


def _closing_margin():
    m, e = sp.symbols("m e", positive=True)
    H = sp.Matrix([[m + e], [m - e]])  # e > m: the second entry is negative
    R = sp.Matrix([[0], [-1]])  # ReLU'(m + e) - ReLU'(m) = 0, ReLU'(m - e) - ReLU'(m) = -1
    E_H = sp.sqrt(sum((x - m) ** 2 for x in H) / 2)
    ratio = sp.sqrt(2) * E_H / m  # kappa sqrt(n) E(H) with kappa = 1/m, n = 2
    return (
        identity_step("H = (m + e, m - e), e > m > 0: E(H) = e", E_H, e, size=_EXAMPLE),
        # both sides positive: certified on squares, with e = m (1 + v), v > 0
        inequality_step("||R||_F = 1 <= kappa sqrt(n) E(H) = sqrt(2) e/m (e = m (1 + v), v > 0)",
                        sp.Integer(1), ratio,
                        sp.expand((1 - ratio**2).subs(e, m * (1 + sp.Symbol("v", positive=True)))),
                        size=_EXAMPLE),
        limit_step("kappa sqrt(n) E(H) -> oo as the margin m -> 0: the bound becomes vacuous",
                   ratio, m, 0, sp.oo, size=_EXAMPLE),
    )


#: the one size the margin example is stated at (a counterexample needs one)
_EXAMPLE = "n = 2 (the example's column)"


def derive_theorem2_relu():
    """All steps of the ``theorem2_relu`` derivation."""
    return (
        derive_margin_lemma()
        + (_entrywise(),)
        + (
            _substitution("theorem2", "recursion", "recursion"),
            _substitution("theorem2", "recursion_measured", "recursion_measured"),
            _substitution("theorem2", "R_norm", "R_norm"),
            _substitution("proposition1", "one_step_measured", "mean_one_step"),
            _substitution("theorem2", "unrolled", "unrolled", {c_rho: kappa},
                          "c_rho -> kappa = max_j kappa_j"),
            _substitution("theorem2", "unrolled_product", "unrolled_product",
                          {c_rho: 1, Sigma_lam_k: Sigma_kappa_k},
                          "c_rho Sigma_lam_k -> Sigma_kappa_k (kappa_j inside the sum)"),
        )
        + _closing_margin()
    )
