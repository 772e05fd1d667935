"""Step checks of the local-constant proofs (extension): rule chains and scalar facts.

Used by :mod:`backsmooth.proofs.local_certificate`.  The rules are the core ones
(:mod:`backsmooth.proofs.rules`) and those of :mod:`backsmooth.proofs.rules_local`.

Scalar facts about ``tanh`` hold for every real argument: ``tanh' = 4/(e^x + e^-x)^2`` is an
identity after rewriting in exponentials, and the inequalities are decided by sympy after the
substitution ``a = log(1 + p)`` (``p >= 0`` covers every ``a >= 0``) or ``a = log y`` (``y > 0``
covers every real ``a``), a bijection, so nothing is evaluated at points.
"""

from __future__ import annotations

import sympy as sp

from . import rules as ru
from . import rules_local as rl
from .checks import scalar_identity, scalar_inequality

__all__ = ["tanh_even_identity", "tanh_decreasing", "sech_exponential", "threshold_chain"]

_x = sp.Symbol("x", real=True)
_a, _t = sp.symbols("a t", nonnegative=True)
_p, _q = sp.symbols("p q", nonnegative=True)
_y = sp.Symbol("y", positive=True)
#: the saturation depth a >= 0 of the statement
a = sp.Symbol("a", nonnegative=True)
s_k = sp.Symbol("s_k", positive=True)


def _sech2(u):
    return 4 / (sp.exp(u) + sp.exp(-u))**2


def tanh_even_identity():
    """``tanh'(x) = 4/(e^x + e^-x)^2 = sech(x)^2`` and ``tanh'(-x) = tanh'(x)`` for every real x."""
    d = sp.diff(sp.tanh(_x), _x)
    return scalar_identity(lambda: [(d.rewrite(sp.exp), _sech2(_x)),
                                    ((1 / sp.cosh(_x)**2).rewrite(sp.exp), _sech2(_x)),
                                    (d.subs(_x, -_x), d)],
                           "x real: tanh' = sech^2 = 4/(e^x + e^-x)^2, an even function")


def tanh_decreasing():
    """``sech(a + t)^2 <= sech(a)^2`` for every ``a, t >= 0`` (with evenness: decreasing in |x|)."""
    return scalar_inequality(lambda: (_sech2(_a + _t), _sech2(_a), {_a: sp.log(1 + _p), _t: sp.log(1 + _q)}),
                             "every a, t >= 0 (a = log(1 + p), t = log(1 + q), p, q >= 0)")


def sech_exponential():
    """``sech(a)^2 <= 4 exp(-2a)`` for every real ``a`` (``a = log y``, ``y > 0``)."""
    return scalar_inequality(lambda: (_sech2(_a), 4 * sp.exp(-2 * _a), {_a: sp.log(_y)}),
                             "every real a (a = log y, y > 0)")


def threshold_chain(condition):
    """``lambda s_k ell_k <= 1`` from ``ell_k <= sech(a)^2`` and ``cosh(a)^2 >= lambda s_k`` (``condition``)."""
    v = sp.Symbol("v", nonnegative=True)
    return ru.RuleChain(ru.lam * s_k * rl.ell_k, [
        ru.cite("sech bound", rl.ell_k, 1 / sp.cosh(a)**2),
        ("scalar", None, {"to": sp.Integer(1), "rep": {sp.cosh(a): sp.sqrt(ru.lam * s_k * (1 + v))}})],
        sp.Integer(1), "cosh(a)^2 = lambda s_k (1 + v), v >= 0, encodes the condition",
        rep_needs=(condition,))
