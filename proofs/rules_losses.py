"""Rules about the loss: Frobenius inner products, convexity of the per-node losses, the best constant
predictor and the Lipschitz constant of softmax.

Each rule is registered in :data:`backsmooth.proofs.rules.RULES`.  ``Loss(H)`` is the mean of
per-node losses ``l(H_i, Y_i)`` (MSE or cross-entropy), ``Inner(A, B) = <A, B>_F = tr(A^T B)``.

- ``inner product identity``: ``<A, B>_F = c <A', B'>_F`` when ``A^T B = c A'^T B'`` for every size;
- ``Cauchy-Schwarz (Frobenius)``: ``<A, B>_F <= ||A||_F ||B||_F``;
- ``convexity (tangent plane)``: ``Loss(H) >= Loss(1 c^T) + <1 a^T - Y, H - 1 c^T>_F / n`` for
  per-node losses convex in ``h`` with gradient ``a(h) - Y_i`` at ``c`` (MSE: ``a = c``; CE:
  ``a = softmax(c)``), written as ``-Loss(H) <= -(...)``;
- ``best constant (L_const)``: ``L_const = inf_c Loss(1 c^T) <= Loss(1 c^T)``, written ``-Loss(1 c^T) <= -L_const``;
- ``softmax 1/2-Lipschitz (rows)``: ``||softmax(H) - 1 softmax(c)^T||_F <= (1/2) ||H - 1 c^T||_F``.

Examples
--------
>>> from backsmooth.proofs import algebra as al
>>> from backsmooth.proofs.rules import RULES
>>> A, B = al.matrix("A"), al.matrix("B")
>>> RULES["Cauchy-Schwarz (Frobenius)"](Inner(A, B)).bound
Fro(A)*Fro(B)
"""

from __future__ import annotations

import sympy as sp

from .norms import Fro
from .rule_base import Licence, _need, rule

__all__ = ["Inner", "LossOf", "L_const", "CONVEX_LOSS", "L_CONST", "POPOVICIU", "inner_identity",
           "inner_cauchy_schwarz", "convexity", "best_constant", "softmax_lipschitz"]

#: the hypothesis that makes the per-node losses convex with gradient a(h) - y
CONVEX_LOSS = "Loss MSE or mean CE, pi_c > 0"
#: the fact L_const = inf_c Loss(1 c^T) (Definition 1)
L_CONST = "definition1"
#: the proved range inequality (max v - min v)^2 <= 2 ||v||^2 the softmax rule rests on
POPOVICIU = "Popoviciu step"
L_const = sp.Symbol("L_const", real=True)


class Inner(sp.Function):
    """``<A, B>_F = tr(A^T B)`` (a real number)."""

    nargs = 2
    is_real = True
    is_commutative = True

    def _latex(self, printer):
        return r"\langle {}, {}\rangle_F".format(printer._print(self.args[0]), printer._print(self.args[1]))


class LossOf(sp.Function):
    """``Loss(H) = (1/n) sum_i l(H_i, Y_i)`` at the output ``H``."""

    nargs = 1
    is_real = True
    is_commutative = True

    def _latex(self, printer):
        return r"\mathcal{{L}}({})".format(printer._print(self.args[0]))


@rule("inner product identity")
def inner_identity(term, to=None, coeff=1, rewrites=(), **_):
    """``<A, B>_F = coeff <A', B'>_F`` when ``A^T B = coeff A'^T B'`` for every size (algebra, (A1))."""
    from .algebra import A1_RULES, equal, transpose

    _need(isinstance(term, Inner) and to is not None and len(to) == 2, "inner product identity: <A, B> and <A', B'>")
    A, B = term.args
    ok, used = equal(transpose(A) * B, coeff * transpose(to[0]) * to[1], tuple(A1_RULES) + tuple(rewrites))
    _need(ok, f"inner product identity: {A}^T {B} is not {coeff} {to[0]}^T {to[1]}")
    return Licence(coeff * Inner(*to), "==", tuple(sorted({r.hypothesis for r in used if r.hypothesis})))


@rule("Cauchy-Schwarz (Frobenius)")
def inner_cauchy_schwarz(term, **_):
    """``<A, B>_F <= ||A||_F ||B||_F``."""
    _need(isinstance(term, Inner), "Cauchy-Schwarz (Frobenius): only <A, B>_F")
    return Licence(Fro(term.args[0]) * Fro(term.args[1]))


@rule("convexity (tangent plane)")
def convexity(term, c=None, a=None, Y=None, **_):
    """``-Loss(H) <= -Loss(1 c^T) - <1 a^T - Y, H - 1 c^T>_F / n`` (per-node losses convex, gradient ``a - Y_i`` at ``c``).

    Needs :data:`CONVEX_LOSS`: MSE ``l = ||h - y||^2/2`` (Hessian ``I``) and cross-entropy
    ``l = logsumexp(h) - <h, y>`` (Hessian ``diag(p) - p p^T``, a covariance matrix) are convex;
    the tangent inequality at ``c``, summed over the nodes and divided by ``n``, is the bound.
    """
    from .algebra import ONE, n, transpose

    _need(c is not None and a is not None and Y is not None, "convexity: give c, a(c) and Y")
    _need(isinstance(-term, LossOf), "convexity: only -Loss(H)")
    H = (-term).args[0]
    one_c = ONE * transpose(c)
    return Licence(-LossOf(one_c) - Inner(ONE * transpose(a) - Y, H - one_c) / n, "<=", (CONVEX_LOSS,))


@rule("best constant (L_const)")
def best_constant(term, **_):
    """``-Loss(1 c^T) <= -L_const``: ``L_const`` is the infimum of the loss over constant predictors."""
    from .algebra import ONE

    _need(isinstance(-term, LossOf), "best constant: only -Loss(1 c^T)")
    X = sp.expand((-term).args[0])
    _need(not X.is_Add, "best constant: the predictor is not 1 c^T")
    nc = X.args_cnc()[1] if X.is_Mul else [X]
    _need(len(nc) >= 2 and nc[0] == ONE, "best constant: the predictor is not 1 c^T")
    return Licence(-L_const, "<=", (L_CONST,))


@rule("softmax 1/2-Lipschitz (rows)")
def softmax_lipschitz(term, **_):
    """``||softmax(H) - 1 softmax(c)^T||_F <= (1/2) ||H - 1 c^T||_F`` (row-wise softmax).

    The Jacobian ``diag(p) - p p^T`` is symmetric positive semi-definite with ``v^T J v = Var_p(v) <=
    (max v - min v)^2 / 4`` (Popoviciu: every ``|v_i - (max + min)/2| <= (max - min)/2``) ``<= ||v||^2 / 2``
    (:data:`POPOVICIU`), so ``||J||_2 <= 1/2``; the mean value theorem on each row, then sum the squares.
    """
    from .algebra import ONE, matrix

    _need(type(term) is Fro, "softmax Lipschitz: only ||softmax(H) - 1 softmax(c)^T||_F")
    parts = sp.Add.make_args(sp.expand(term.args[0]))
    _need(len(parts) == 2, "softmax Lipschitz: only ||softmax(H) - 1 softmax(c)^T||_F")
    pos = [p for p in parts if getattr(p, "name", "").startswith("softmax(")]
    neg = [p for p in parts if p not in pos]
    _need(len(pos) == 1 and len(neg) == 1, "softmax Lipschitz: only ||softmax(H) - 1 softmax(c)^T||_F")
    cf, nc = neg[0].args_cnc()
    qT = nc[1].name if len(nc) == 2 and nc[0] == ONE else ""
    _need(cf == [-1] and qT.startswith("softmax(") and qT.endswith(")^T"),
          "softmax Lipschitz: the second term is not -1 softmax(c)^T")
    H, c = matrix(pos[0].name[8:-1]), matrix(qT[8:-3])
    return Licence(Fro(H - ONE * matrix(c.name + "^T")) / 2, "<=", (POPOVICIU,))
