"""The norms and products that rule chains reason about, and the symbols of the setting.

``Fro`` (Frobenius), ``Spec`` (spectral), ``Row`` (largest row norm), ``Max`` (largest entry),
``Inf`` (operator norm on l_inf), ``E`` (``E(X) = ||Pi X||_F / sqrt(n)``), as scalar sympy functions
of a matrix expression (non-commuting symbols of :mod:`backsmooth.proofs.algebra`), and ``Had``,
the entrywise product.  The norm of the zero matrix evaluates to 0.

Examples
--------
>>> from backsmooth.proofs.algebra import matrix
>>> Fro(matrix("X")).is_nonnegative, Fro(0)
(True, 0)
"""

from __future__ import annotations

import sympy as sp

from .algebra import matrix
from backsmooth.symbolic.symbols import lam, s, c_rho  # the paper's symbols: one home

__all__ = ["Fro", "Spec", "Row", "Max", "Inf", "E", "Had", "PI", "lam", "s", "c_rho", "SETTING_S", "MONOTONE"]

SETTING_S = "s_k, Q_k, S_k, Lam_k"
#: the centring projection as one letter (its definition is substituted by the algebra)
PI = matrix("Pi")
MONOTONE = "monotone (non-negative factors)"


class _Norm(sp.Function):
    nargs = 1
    is_real = True
    is_nonnegative = True
    is_commutative = True

    @classmethod
    def eval(cls, arg):
        if arg == 0:  # the norm of the zero matrix
            return sp.S.Zero


class Fro(_Norm):
    """``||A||_F``."""

    def _latex(self, printer):
        return r"\|{}\|_F".format(printer._print(self.args[0]))


class Spec(_Norm):
    """``||A||_2`` (spectral)."""

    def _latex(self, printer):
        return r"\|{}\|_2".format(printer._print(self.args[0]))


class Row(_Norm):
    """``||A||_row = max_i ||A_i||`` (largest row norm)."""

    def _latex(self, printer):
        return r"\|{}\|_{{\mathrm{{row}}}}".format(printer._print(self.args[0]))


class Max(_Norm):
    """``||A||_max = max_ij |A_ij|``."""

    def _latex(self, printer):
        return r"\|{}\|_{{\max}}".format(printer._print(self.args[0]))


class Inf(_Norm):
    """``||A||_inf = max_i sum_j |A_ij|`` (operator norm on l_inf)."""

    def _latex(self, printer):
        return r"\|{}\|_\infty".format(printer._print(self.args[0]))


class E(_Norm):
    """``E(X) = ||Pi X||_F / sqrt(n)``."""

    def _latex(self, printer):
        return r"E({})".format(printer._print(self.args[0]))


class Had(sp.Function):
    """The entrywise (Hadamard) product ``A o B``."""

    nargs = 2
    is_commutative = False

    def _latex(self, printer):
        return r"{} \odot {}".format(printer._print(self.args[0]), printer._print(self.args[1]))
