"""Symbols of the local-constant claims (extension): local slopes, spreads and recursion bounds.

Registered in :data:`backsmooth.symbolic.symbols.SYMBOL_MEANINGS` (and the LaTeX / text
spellings) on import, so bounds and checks name them like every other symbol.
"""

from __future__ import annotations

import sympy as sp

from . import symbols as _S

__all__ = ["ell_k", "ell_w", "c_k", "h_k", "E_Xk1", "gbar_norm", "xbar_k", "m_k", "e_k", "a_sat", "E_Dk", "rbar_k"]

ell_k = sp.Symbol("ell_k", nonnegative=True)
ell_w = sp.Symbol("ell_w_k", nonnegative=True)
c_k = sp.Symbol("c_k", nonnegative=True)
h_k = sp.Symbol("h_k", nonnegative=True)
E_Xk1 = sp.Symbol("E_Xk1", nonnegative=True)
gbar_norm = sp.Symbol("gbar_norm", nonnegative=True)
xbar_k = sp.Symbol("xbar_k", nonnegative=True)
m_k = sp.Symbol("m_k", nonnegative=True)
e_k = sp.Symbol("e_k", nonnegative=True)
# the tanh saturation depth a >= 0: the same letter and assumptions as the initial-residual weight
# (so the same sympy symbol, declared once); no claim uses both
a_sat = _S.a_ir
E_Dk = sp.Symbol("E_Dk", nonnegative=True)
rbar_k = sp.Symbol("rbar_k", nonnegative=True)

_S.SYMBOL_MEANINGS.update({
    "ell_k": "max_j max |rho'| over [min_i H^(k)_ij, max_i H^(k)_ij] (local slope of rho, layer k)",
    "ell_w_k": "(sum_j ell_kj^2 ||Pi H^(k)_:j||^2 / sum_j ||Pi H^(k)_:j||^2)^(1/2), column-weighted local slope",
    "c_k": "max_j max |rho''| over the column segments of H^(k) (local Lipschitz constant of rho')",
    "h_k": "max_ij |H^(k)_ij - hbar^(k)_j| (centred spread of the pre-activations)",
    "E_Xk1": "E(X^(k+1))",
    "gbar_norm": "||W^(k+1) bbar^(k+1)||_2 (mean row of G_k = P B^(k+1) W^(k+1)T)",
    "xbar_k": "||xbar^(k)||_2",
    "m_k": "a bound on ||bbar^(k)||_2 (local recursion)",
    "e_k": "a bound on E(B^(k)) (local recursion)",
    "a": "distance from 0 of every column segment of H^(k): |x| >= a on all of them",
    "E_Dk": "E(rho'(H^(k))) = ||Pi rho'(H^(k))||_F/sqrt(n) (<= c_k E(H^(k)))",
    "rbar_k": "||bbar^(k) - dbar^(k) o (W^(k+1) bbar^(k+1))||_2, dbar^(k) = column means of rho'(H^(k))",
})
_S.LATEX_NAMES.update({
    ell_k: r"\ell_k", ell_w: r"\ell^w_k", c_k: "c_k", h_k: "h_k", E_Xk1: r"\mathcal{E}(X^{(k+1)})",
    gbar_norm: r"\|W^{(k+1)}\bar{b}^{(k+1)}\|", xbar_k: r"\|\bar{x}^{(k)}\|", m_k: "m_k", e_k: "e_k",
    E_Dk: r"\mathcal{E}(\rho'(H^{(k)}))", rbar_k: r"\|\bar{r}_k\|",
})
_S.TEXT_NAMES.update({
    E_Dk: "E(rho'(H^(k)))", rbar_k: "||bbar^(k) - dbar^(k) o W^(k+1) bbar^(k+1)||",
    E_Xk1: "E(X^(k+1))", gbar_norm: "||W^(k+1) bbar^(k+1)||", xbar_k: "||xbar^(k)||", ell_w: "ell^w_k",
})
