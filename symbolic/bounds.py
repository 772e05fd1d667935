"""Bounds of the claims as sympy expressions, and their numeric (lambdified) versions.

Every claim has one or more *variants* of its bound (Theorem 1: the product form
``prod_{i<k} lambda s_i E(X^(0))``, the uniform form ``(lambda s)^k E(X^(0))``, the alpha
form ``lambda^((1-alpha)k) E(X^(0))``; ...).  A variant records the quantity it bounds,
the relation (``<=`` upper bound, ``>=`` lower bound, ``==`` exact value), the sympy
expression of the right-hand side and the ordered arguments a numeric caller supplies,
each with its meaning.  All smoothness measures use the ROOT convention
``E(X) = ||(I - 11^T/n) X||_F / sqrt(n)``.

Examples
--------
>>> from backsmooth.symbolic.bounds import bound_function
>>> f = bound_function("theorem1", "uniform")
>>> f.arguments
('lam', 's', 'k', 'E_X0')
>>> float(f(lam=0.5, s=1.0, k=3, E_X0=2.0))
0.25
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import sympy as sp

from . import symbols as S
from .symbols import (
    L, M, Lam_k, Lam_L, Q_k, S_k, Sigma_k, Sigma_m, E_B, E_BL, E_Bk, E_Bk1, E_HL, E_Hk,
    E_X0, E_XL, E_Xk, E_Y, E_X, G_max, L_const, B_row_k1, X_F, alpha, beta, c_rho, delta,
    delta_L, gamma, k, lam, m, mu, n, s, s_k, s_k1, s_L, w, xbar, xi, c_2, Sigma_lam_k,
    gbar_inf, bbar_k1,
)
from .symbols import Sigma_kappa_k, kappa, kappa_k  # theorem2_relu
from .symbols import s_out  # theorem3 *_hidden

from . import local_symbols as _LS  # noqa: E402  (extension symbols)

__all__ = ["BoundVariant", "BoundFunction", "BOUNDS", "bound_variant", "bound_function",
           "variants", "make_variant"]


@dataclass(frozen=True)
class BoundVariant:
    """One form of a claim's bound.

    Attributes
    ----------
    claim, name : str
        The claim and the variant name.
    quantity : str
        The measured left-hand side (plain text), e.g. ``"E(X^(k))"``.
    relation : str
        ``"<="`` (upper bound), ``">="`` (lower bound) or ``"=="`` (exact value).
    expr : sympy.Expr
        The right-hand side.
    symbols : tuple of sympy.Symbol
        Ordered arguments of the numeric function.
    description : str
        Where the form comes from (docs/theory.md item).
    """

    claim: str
    name: str
    quantity: str
    relation: str
    expr: sp.Expr
    symbols: tuple
    description: str

    @property
    def arguments(self) -> tuple:
        """Python names of the arguments, in order."""
        return tuple(S.python_name(x) for x in self.symbols)

    @property
    def argument_meanings(self) -> dict:
        """Map each argument's Python name to its meaning (root convention for E)."""
        return {S.python_name(x): S.SYMBOL_MEANINGS[x.name] for x in self.symbols}


class BoundFunction(NamedTuple):
    """A lambdified bound: ``function(*values)`` or ``function(**{name: value})``.

    Unpacks as ``(function, arguments)``; calling the tuple calls the function.
    """

    function: object
    arguments: tuple
    variant: BoundVariant

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs)


def make_variant(claim, name, quantity, relation, expr, syms, description) -> BoundVariant:
    """Build one :class:`BoundVariant`; ``ValueError`` if ``expr`` uses an undeclared symbol.

    Examples
    --------
    >>> from backsmooth.symbolic.symbols import E_X, w
    >>> make_variant("demo", "scale", "E(wX)", "==", abs(w) * E_X, (w, E_X), "").arguments
    ('w', 'E_X')
    """
    if relation not in ("<=", ">=", "=="):
        raise ValueError(f"{claim}/{name}: relation must be '<=', '>=' or '==', got {relation!r}")
    missing = set(sp.sympify(expr).free_symbols) - set(syms)
    if missing:
        raise ValueError(f"{claim}/{name}: the bound uses symbols {missing} that are not among "
                         f"its arguments {tuple(syms)}")
    return BoundVariant(claim, name, quantity, relation, sp.sympify(expr), tuple(syms),
                        description)


_v = make_variant
_geo = 1 / (1 - lam * s)

#: claim name -> tuple of variants (the first one is the default).  The claims registered
#: before issue 13's second pass keep their variants here; a NEW claim gives its variants in
#: its own ``_SPEC`` entry (symbolic/claims.py), which enters them into this dict at import.
BOUNDS = {
    "lemma1": (
        _v("lemma1", "identity", "E(X)", "==", sp.sqrt(X_F**2 / n - xbar**2), (X_F, xbar, n),
           "Lemma 1: E(X)^2 = ||X||_F^2/n - ||xbar||^2"),
    ),
    "lemma2": (
        _v("lemma2", "power", "E(P^m X)", "<=", lam**m * E_X, (lam, m, E_X), "Lemma 2(b)"),
        _v("lemma2", "weights", "E(X W)", "<=", s_k * E_X, (s_k, E_X), "Lemma 2(c), s_k = ||W||_2"),
        _v("lemma2", "activation", "E(rho(X))", "<=", E_X, (E_X,), "Lemma 2(d), rho 1-Lipschitz"),
    ),
    "lemma3": (
        _v("lemma3", "centred", "||grad_k - n xbar^(k) bbar^(k)T||_F", "<=", lam * n * E_Xk * E_Bk,
           (lam, n, E_Xk, E_Bk), "Lemma 3: ||(Pi X)^T P (Pi B)||_F <= lambda n E(X) E(B)"),
    ),
    "lemma4": (
        _v("lemma4", "mu0", "||bbar^(L)||", "<=", (delta_L + lam * n * E_XL * E_BL) / (n * gamma),
           (delta_L, lam, n, E_XL, E_BL, gamma), "Lemma 4, a posteriori (measured E(X^(L)))"),
        _v("lemma4", "a_priori", "||bbar^(L)||", "<=",
           (delta_L + lam * n * Lam_L * E_X0 * E_BL) / (n * gamma),
           (delta_L, lam, n, Lam_L, E_X0, E_BL, gamma), "Lemma 4 with Theorem 1"),
    ),
    "mean_propagation": (
        _v("mean_propagation", "product", "||bbar^(k)||", "<=", S_k * mu, (S_k, mu),
           "linear GNN: bbar^(k) = M_k bbar^(L), ||M_k||_2 <= S_k = prod_{i>k} s_i"),
        _v("mean_propagation", "uniform", "||bbar^(k)||", "<=", s**(L - k) * mu, (s, L, k, mu),
           "linear GNN with s_i <= s"),
    ),
    "theorem1": (
        _v("theorem1", "product", "E(X^(k))", "<=", Lam_k * E_X0, (Lam_k, E_X0),
           "Theorem 1, Lam_k = prod_{i<k} lambda s_i precomputed"),
        _v("theorem1", "uniform", "E(X^(k))", "<=", (lam * s)**k * E_X0, (lam, s, k, E_X0),
           "Theorem 1 with s_i <= s"),
        _v("theorem1", "alpha", "E(X^(k))", "<=", lam**((1 - alpha) * k) * E_X0,
           (lam, alpha, k, E_X0), "Theorem 1 with s <= lambda^(-alpha), 0 <= alpha < 1"),
        _v("theorem1", "step", "E(H^(k))", "<=", lam * s_k * E_Xk, (lam, s_k, E_Xk),
           "one layer: E(P X W) <= lambda s_k E(X)"),
    ),
    "corollary1": (
        _v("corollary1", "uniform", "E(B^(k))", "<=", (lam * s)**(L - k) * E_BL,
           (lam, s, L, k, E_BL), "Corollary 1(iii), linear GNN, s_i <= s"),
        _v("corollary1", "product", "E(B^(k))", "<=", lam**(L - k) * S_k * E_BL,
           (lam, L, k, S_k, E_BL), "Corollary 1(iii), S_k = prod_{i=k+1}^L s_i"),
        _v("corollary1", "distance", "||B^(k) - 1 (M_k bbar^(L))^T||_F", "<=",
           sp.sqrt(n) * (lam * s)**(L - k) * E_BL, (n, lam, s, L, k, E_BL), "Corollary 1(iv)"),
    ),
    "theorem2": (
        _v("theorem2", "recursion", "E(B^(k))", "<=",
           lam * s_k1 * E_Bk1 + c_rho * lam * s_k * s_k1 * E_Xk * B_row_k1,
           (lam, s_k, s_k1, E_Bk1, E_Xk, B_row_k1, c_rho), "Theorem 2(iii), second line"),
        _v("theorem2", "recursion_measured", "E(B^(k))", "<=",
           lam * s_k1 * E_Bk1 + c_rho * E_Hk * G_max,
           (lam, s_k1, E_Bk1, E_Hk, G_max, c_rho), "Theorem 2(iii), first line"),
        _v("theorem2", "unrolled", "E(B^(k))", "<=",
           (lam * s)**(L - k) * E_BL
           + c_rho * lam * s**(L + 1) * lam**k * E_X0 * beta / (1 - lam**2 * s),
           (lam, s, L, k, E_BL, E_X0, beta, c_rho), "Theorem 2(vi), s_i <= s, lambda^2 s < 1"),
        _v("theorem2", "unrolled_s_le_1", "E(B^(k))", "<=",
           lam**(L - k) * E_BL + c_rho * lam**(k + 1) * E_X0 * beta / (1 - lam**2),
           (lam, L, k, E_BL, E_X0, beta, c_rho), "Theorem 2(vi), s <= 1"),
        _v("theorem2", "R_norm", "||R_k||_F", "<=", c_rho * sp.sqrt(n) * E_Hk, (c_rho, n, E_Hk),
           "Theorem 2(ii)"),
        _v("theorem2", "row_growth", "||B^(k)||_row", "<=", s_k1 * B_row_k1, (s_k1, B_row_k1),
           "Theorem 2(iv) (P >= 0)"),
        _v("theorem2", "unrolled_product", "E(B^(k))", "<=",
           S_k * (lam**(L - k) * E_BL + c_rho * beta * Sigma_lam_k),
           (S_k, lam, L, k, E_BL, c_rho, beta, Sigma_lam_k), "Theorem 2(v), first line"),
    ),
    "proposition1": (
        _v("proposition1", "one_step", "||r_k||", "<=",
           c_rho * lam * s_k * s_k1 * E_Xk * B_row_k1, (c_rho, lam, s_k, s_k1, E_Xk, B_row_k1),
           "Proposition 1(i)"),
        _v("proposition1", "one_step_measured", "||r_k||", "<=", c_rho * E_Hk * G_max,
           (c_rho, E_Hk, G_max), "Proposition 1(i), first inequality"),
        _v("proposition1", "uniform", "||bbar^(k) - N_k bbar^(L)||", "<=",
           c_rho * lam * s**(L - k + 1) * beta * E_X0 * (lam * s)**k * _geo,
           (c_rho, lam, s, L, k, beta, E_X0), "Proposition 1(iii), s_i <= s, lambda s < 1"),
        _v("proposition1", "mean", "||bbar^(k)||", "<=", S_k * (mu + c_rho * lam * beta * Sigma_k),
           (S_k, mu, c_rho, lam, beta, Sigma_k), "Proposition 1(iv)"),
        _v("proposition1", "second_order", "||r_k||", "<=",
           c_rho * lam * s_k1 * E_Hk * E_Bk1 + c_2 / 2 * gbar_inf * E_Hk**2,
           (c_rho, lam, s_k1, E_Hk, E_Bk1, c_2, gbar_inf), "Proposition 1(ii), needs (A2c)"),
        _v("proposition1", "second_order_a_priori", "||r_k||", "<=",
           c_rho * lam**2 * s_k * s_k1 * E_Xk * E_Bk1
           + c_2 / 2 * lam**2 * s_k**2 * s_k1 * E_Xk**2 * bbar_k1,
           (c_rho, lam, s_k, s_k1, E_Xk, E_Bk1, c_2, bbar_k1), "Proposition 1(ii), second line"),
    ),
    "definition1": (
        _v("definition1", "full_gradient", "||grad_theta Loss||", "<=", sp.sqrt(L + 1) * delta,
           (L, delta), "a layer-wise delta-stationary point has ||grad|| <= sqrt(L+1) delta"),
        _v("definition1", "constant_loss_mse", "L_const", "==", E_Y**2 / 2, (E_Y,),
           "MSE: loss of the best constant predictor"),
    ),
    "theorem3": (
        _v("theorem3", "uniform", "max_k ||grad_k||_F", "<=",
           sp.sqrt(n) * xi * s**L * (mu + lam**(L - M) * E_BL
                                     + 2 * c_rho * lam * s * E_X0 * beta * (lam * s)**M * _geo),
           (n, xi, s, L, M, mu, lam, E_BL, c_rho, E_X0, beta), "Theorem 3(b), delta(M)"),
        _v("theorem3", "clean", "max_k ||grad_k||_F", "<=",
           sp.sqrt(n) * xi * (mu + lam**sp.floor(L / 2)
                              * (E_BL + 2 * c_rho * E_X0 * beta / (1 - lam))),
           (n, xi, mu, lam, L, E_BL, c_rho, E_X0, beta), "Theorem 3(c), s <= 1"),
        _v("theorem3", "forward_route", "||grad_k||_F", "<=",
           sp.sqrt(n) * xi * Q_k * S_k * (mu + c_rho * lam * beta * Sigma_k)
           + lam * n * E_Xk * S_k * (lam**(L - k) * E_BL + c_rho * lam * beta * Sigma_k),
           (n, xi, Q_k, S_k, mu, c_rho, lam, beta, Sigma_k, E_Xk, L, k, E_BL),
           "Theorem 3(a), T2_k"),
        _v("theorem3", "backward_route", "||grad_k||_F", "<=",
           sp.sqrt(n) * xi * Q_k * S_k * (lam**(L - m) * E_BL + mu + 2 * c_rho * lam * beta * Sigma_m),
           (n, xi, Q_k, S_k, lam, L, m, E_BL, mu, c_rho, beta, Sigma_m),
           "Theorem 3(a), T1_k for one m in k..L (minimise over m)"),
        _v("theorem3", "uniform_hidden", "max_k ||grad_k||_F", "<=",
           sp.sqrt(n) * xi * s**(L - 1) * s_out
           * (mu + lam**(L - M) * E_BL + 2 * c_rho * lam * s * E_X0 * beta * (lam * s)**M * _geo),
           (n, xi, s, L, s_out, M, mu, lam, E_BL, c_rho, E_X0, beta),
           "Theorem 3(b) with s = max_{i<L} s_i (hidden layers only) and s_out = max(s_L, s): "
           "Q_k S_k <= s^(L-1) s_out; needs lambda s < 1 for the hidden layers only"),
        _v("theorem3", "clean_hidden", "max_k ||grad_k||_F", "<=",
           sp.sqrt(n) * xi * s_out * (mu + lam**sp.floor(L / 2)
                                      * (E_BL + 2 * c_rho * E_X0 * beta / (1 - lam))),
           (n, xi, s_out, mu, lam, L, E_BL, c_rho, E_X0, beta),
           "Theorem 3(c) with s_i <= 1 for the hidden layers only and s_out = max(s_L, 1)"),
    ),
    "corollary2": (
        _v("corollary2", "loss_lower", "Loss", ">=", L_const - E_Y * lam * s_L * Lam_L * E_X0,
           (L_const, E_Y, lam, s_L, Lam_L, E_X0), "Corollary 2(a), middle form"),
        _v("corollary2", "loss_lower_measured", "Loss", ">=", L_const - E_Y * E_HL,
           (L_const, E_Y, E_HL), "Corollary 2(a), first form"),
        _v("corollary2", "loss_lower_uniform", "Loss", ">=",
           L_const - E_Y * s_L * lam**(L + 1) * s**L * E_X0,
           (L_const, E_Y, s_L, lam, L, s, E_X0), "Corollary 2(a), s_i <= s for i < L"),
        _v("corollary2", "mse_gap", "|Loss - L_const|", "<=", E_Y * E_HL + E_HL**2 / 2,
           (E_Y, E_HL), "Corollary 2(b), MSE, mean-fitted output layer"),
        _v("corollary2", "ce_mean_error", "||bbar^(L)||", "<=", E_HL / (2 * n), (E_HL, n),
           "Corollary 2(b), cross-entropy, mean-fitted output layer (softmax 1/2-Lipschitz)"),
    ),
    "proposition2": (
        _v("proposition2", "gnn_A", "||grad_0||_F", "==", lam**(L + 1) * sp.Abs(w) / sp.sqrt(2),
           (lam, L, w), "Proposition 2(b), construction A, P_p with lambda = |1-2p|"),
        _v("proposition2", "gnn_B", "||grad_0||_F", "==", lam**(L + 1) * sp.Abs(w), (lam, L, w),
           "Proposition 2(b), construction B"),
        _v("proposition2", "mlp_A", "||grad_0||_F", "==", sp.Abs(w) / sp.sqrt(2), (w,),
           "Proposition 2(a), construction A (P = I, lambda = 1)"),
        _v("proposition2", "mlp_B", "||grad_0||_F", "==", sp.Abs(w), (w,),
           "Proposition 2(a), construction B (P = I, lambda = 1)"),
    ),
    "theorem2_relu": (
        _v("theorem2_relu", "recursion", "E(B^(k))", "<=",
           lam * s_k1 * E_Bk1 + kappa_k * lam * s_k * s_k1 * E_Xk * B_row_k1,
           (lam, s_k1, E_Bk1, kappa_k, s_k, E_Xk, B_row_k1),
           "ReLU: Theorem 2(iii) with c_rho replaced by the margin constant kappa_k"),
        _v("theorem2_relu", "recursion_measured", "E(B^(k))", "<=",
           lam * s_k1 * E_Bk1 + kappa_k * E_Hk * G_max,
           (lam, s_k1, E_Bk1, kappa_k, E_Hk, G_max), "ReLU: Theorem 2(iii), first line"),
        _v("theorem2_relu", "R_norm", "||R_k||_F", "<=", kappa_k * sp.sqrt(n) * E_Hk,
           (kappa_k, n, E_Hk), "ReLU: |(R_k)_ij| <= |(Pi H^(k))_ij| / |hbar^(k)_j|"),
        _v("theorem2_relu", "unrolled_product", "E(B^(k))", "<=",
           S_k * (lam**(L - k) * E_BL + beta * Sigma_kappa_k),
           (S_k, lam, L, k, E_BL, beta, Sigma_kappa_k),
           "ReLU: Theorem 2(v) with kappa_j inside the sum"),
        _v("theorem2_relu", "unrolled", "E(B^(k))", "<=",
           (lam * s)**(L - k) * E_BL
           + kappa * lam * s**(L + 1) * lam**k * E_X0 * beta / (1 - lam**2 * s),
           (lam, s, L, k, E_BL, E_X0, beta, kappa),
           "ReLU: Theorem 2(vi), kappa = max_j kappa_j, s_i <= s, lambda^2 s < 1"),
        _v("theorem2_relu", "mean_one_step", "||r_k||", "<=", kappa_k * E_Hk * G_max,
           (kappa_k, E_Hk, G_max), "ReLU: Proposition 1(i), first inequality, c_rho -> kappa_k"),
    ),
    # ---- extension (issue 17): local constants along a run
    "local_smoothing": (
        _v("local_smoothing", "one_step", "E(X^(k+1))", "<=", lam * s_k * _LS.ell_k * E_Xk,
           (lam, s_k, _LS.ell_k, E_Xk), "local smoothing: lambda s_k ell_k E(X^(k))"),
        _v("local_smoothing", "weighted", "E(X^(k+1))", "<=", _LS.ell_w * E_Hk, (_LS.ell_w, E_Hk),
           "local smoothing: column-weighted slope times the measured E(H^(k))"),
        _v("local_smoothing", "weighted_step", "E(X^(k+1))", "<=", lam * s_k * _LS.ell_w * E_Xk,
           (lam, s_k, _LS.ell_w, E_Xk), "local smoothing: lambda s_k ell^w_k E(X^(k))"),
    ),
    "local_backward_recursion": (
        _v("local_backward_recursion", "fluctuation", "E(B^(k))", "<=",
           lam * s_k1 * _LS.ell_k * E_Bk1 + _LS.E_Dk * _LS.gbar_norm,
           (lam, s_k1, _LS.ell_k, E_Bk1, _LS.E_Dk, _LS.gbar_norm),
           "local backward recursion, fluctuation: lambda s_(k+1) ell_k E(B^(k+1)) + E(rho'(H^(k))) ||W^(k+1) bbar^(k+1)||"),
        _v("local_backward_recursion", "mean_remainder", "||bbar^(k) - dbar^(k) o W^(k+1) bbar^(k+1)||", "<=",
           lam * s_k1 * _LS.E_Dk * E_Bk1, (lam, s_k1, _LS.E_Dk, E_Bk1),
           "local backward recursion, mean remainder: lambda s_(k+1) E(rho'(H^(k))) E(B^(k+1))"),
        _v("local_backward_recursion", "derivative_spread", "E(rho'(H^(k)))", "<=", _LS.c_k * E_Hk, (_LS.c_k, E_Hk),
           "mean value theorem for rho' on the column segments"),
    ),
    "local_certificate": (
        _v("local_certificate", "certificate", "||grad_k||_F", "<=",
           n * _LS.xbar_k * _LS.m_k + lam * n * E_Xk * _LS.e_k, (n, _LS.xbar_k, _LS.m_k, lam, E_Xk, _LS.e_k),
           "local certificate: Lemma 3 with m_k >= ||bbar^(k)||, e_k >= E(B^(k)) from the local recursion"),
    ),
    "saturation_threshold": (
        _v("saturation_threshold", "sech", "ell_k", "<=", 1 / sp.cosh(_LS.a_sat)**2, (_LS.a_sat,),
           "tanh: every column segment avoids (-a, a) => ell_k <= sech(a)^2"),
        _v("saturation_threshold", "exponential", "ell_k", "<=", 4 * sp.exp(-2 * _LS.a_sat), (_LS.a_sat,),
           "tanh: sech(a)^2 <= 4 exp(-2a)"),
    ),
    # -- remedies [extension]: symbolic/derive_remedies.py -----------------------------------
    "remedy_residual": (
        _v("remedy_residual", "lower", "E(B^(k))", ">=", (S.r_skip - lam * s)**(L - 1 - k) * S.E_BL1,
           (S.r_skip, lam, s, L, k, S.E_BL1),
           "linear residual GNN, lambda s <= r: the skip path keeps E(B) (k <= L-1)"),
        _v("remedy_residual", "upper", "E(B^(k))", "<=", (S.r_skip + lam * s)**(L - 1 - k) * S.E_BL1,
           (S.r_skip, lam, s, L, k, S.E_BL1), "linear residual GNN: growth at most r + lambda s per layer"),
    ),
    "remedy_initial_residual": (
        _v("remedy_initial_residual", "centred", "E(B^(k))", "<=",
           ((1 - S.a_ir) * lam * S.m_ir)**(L - 1 - k) * S.E_BL1, (S.a_ir, lam, S.m_ir, L, k, S.E_BL1),
           "linear initial-residual GNN: the main path contracts by (1 - a) lambda m_M per layer"),
        _v("remedy_initial_residual", "mean", "||bbar^(k)||", "<=",
           ((1 - S.a_ir) * S.m_ir)**(L - 1 - k) * S.bbar_L1, (S.a_ir, S.m_ir, L, k, S.bbar_L1),
           "linear initial-residual GNN: the mean row is scaled by (1 - a) M per layer"),
    ),
    "remedy_normalisation": (
        _v("remedy_normalisation", "mean", "E(B^(k))", "<=", (lam * s)**(L - 1 - k) * S.E_BL1,
           (lam, s, L, k, S.E_BL1),
           "mean subtraction, |rho'| <= 1: B^(k) is centred and contracts by lambda s_(k+1)"),
        _v("remedy_normalisation", "pairnorm", "E(B^(k))", "<=", S.sigma_pn * lam * s_k1 * E_Bk1 / E_Hk,
           (S.sigma_pn, lam, s_k1, E_Bk1, E_Hk),
           "PairNorm, |rho'| <= 1: one step, amplified by sigma/E(H^(k)) (k <= L-2)"),
    ),
}


def _check_name(name):
    if name not in BOUNDS:
        raise ValueError(f"unknown claim {name!r}; known claims: {', '.join(BOUNDS)}")


def variants(name) -> tuple:
    """Names of the bound variants of claim ``name`` (the first is the default)."""
    _check_name(name)
    return tuple(v.name for v in BOUNDS[name])


def bound_variant(name, variant=None) -> BoundVariant:
    """Return the :class:`BoundVariant` ``variant`` of claim ``name`` (default: first)."""
    _check_name(name)
    table = BOUNDS[name]
    if variant is None:
        return table[0]
    for v in table:
        if v.name == variant:
            return v
    raise ValueError(f"claim {name!r} has no bound variant {variant!r}; "
                     f"its variants: {', '.join(x.name for x in table)}")


def bound_function(name, variant=None) -> BoundFunction:
    """Lambdify a claim's bound for numeric callers.

    Parameters
    ----------
    name : str
        Claim name (see :func:`backsmooth.symbolic.claims`).
    variant : str, optional
        Variant name (see :func:`variants`); default: the claim's first variant.

    Returns
    -------
    BoundFunction
        ``(function, arguments, variant)``; ``function`` takes the arguments (Python
        names, e.g. ``lam`` for lambda) positionally or by keyword and broadcasts over
        numpy arrays.  ``variant.argument_meanings`` documents each argument.

    Examples
    --------
    >>> f, args = bound_function("proposition2", "gnn_B")[:2]
    >>> args
    ('lam', 'L', 'w')
    >>> float(f(0.5, 2, -4.0))
    0.5
    """
    v = bound_variant(name, variant)
    plain = [sp.Symbol(S.python_name(x)) for x in v.symbols]
    expr = v.expr.xreplace(dict(zip(v.symbols, plain)))
    fn = sp.lambdify(plain, expr, modules="numpy")
    return BoundFunction(fn, v.arguments, v)
