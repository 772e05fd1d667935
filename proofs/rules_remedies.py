"""Rules and identity checks for the remedy proofs [extension], at every size.

Three kinds of machinery, each small and tested (``tests/test_proofs_remedies_engine.py``):

- :func:`to_algebra` translates a sympy matrix expression of symbolic size (``MatrixSymbol``,
  ``Transpose``, ``Identity``, ``OneMatrix``; what sympy's matrix calculus returns for
  ``Tr(G^T f(X)).diff(X)``) into the non-commuting words of :mod:`backsmooth.proofs.algebra`,
  so :func:`matrix_calculus_identity` compares a vector-Jacobian product derived by sympy at
  symbolic ``n x d`` with its stated form by the algebra's normal form (evidence
  ``all_sizes_identity``; the hypotheses used as rewrites must be cited).
- :func:`inner` is the Frobenius inner product ``<X, Y> = Tr(X^T Y)`` of matrix expressions, in
  *trace scalars*: bilinear expansion into words, then each ``Tr(w)`` put in a canonical form
  by the cyclic and transpose invariance of the trace (after the definitions and rewrites).
  :func:`trace_identity` checks scalar identities between such expressions for symbolic ``n``
  and widths (evidence ``all_sizes_identity``), e.g. PairNorm's Jacobian by the directional
  derivative ``d/dt <G, N(H + t E)>`` at ``t = 0`` for every direction ``E``.
- rules registered in :data:`backsmooth.proofs.rules.RULES`:

  * ``seminorm reverse triangle``: ``c N(X) <= N(Y) + N(Y - c X)`` for a seminorm ``N``
    (``E`` or a norm) and a scalar ``c > 0`` (decided by sympy): ``c N(X) = N(c X)``, triangle;
  * ``projection onto c-perp (||c||_F = 1)``: ``||X - <X, c> c||_F <= ||X||_F`` for a unit
    ``c`` (``||X||^2 - <X, c>^2``); the coefficient must be exactly ``<X, c>``;
  * ``mixing norm (m_M)``: ``||M^(k)||_2 <= m_M`` (and of ``M^(k)T``), the definition of
    ``m_M = max_k ||M^(k)||_2`` for the initial-residual mixing matrices.

Examples
--------
>>> import sympy as sp
>>> n, d = sp.symbols("n d", integer=True, positive=True)
>>> X, B = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("B", n, d)
>>> P = sp.MatrixSymbol("P", n, n)
>>> grad = sp.Trace(B.T * P * X).diff(X)
>>> matrix_calculus_identity(lambda: (grad, P.T * B))().passed
True
>>> from backsmooth.proofs.algebra import matrix
>>> G, H = matrix("G"), matrix("H")
>>> inner(G, 2 * H) - 2 * inner(H, G)
0
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from .checks import is_zero, scalar_identity
from .rules import Licence, rule
from .rule_base import _need
from .rules_losses import Inner
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["to_algebra", "matrix_calculus_identity", "Inner", "inner", "trace_identity",
           "MIXING", "UNIT_C", "reverse_triangle", "projection_perp", "mixing_norm"]

#: the notation fact the mixing-norm rule needs
MIXING = "m_M = max_k ||M^(k)||_2"
#: the fact the projection rule needs (PairNorm's direction c = Pi H/||Pi H||_F)
UNIT_C = "||c||_F = 1"
CALCULUS = "sympy matrix calculus (symbolic n x d)"
TRACE = "trace: bilinear, cyclic, transpose-invariant"


# -- sympy matrix expressions of symbolic size -> words ------------------------------------------
def to_algebra(expr):
    """The non-commuting word form of a sympy matrix expression of symbolic size.

    ``MatrixSymbol("A", ...)`` becomes the letter ``A``, ``Transpose(A)`` the letter ``A^T``,
    ``Identity`` ``1``, ``OneMatrix(n, 1)`` the vector ``1`` (``OneMatrix(n, n) = 1 1^T``);
    scalars stay.  Anything else (a ``Trace``, a function of a matrix) is refused.
    """
    if not isinstance(expr, sp.MatrixExpr):
        if isinstance(expr, sp.Basic) and expr.has(sp.MatrixExpr):
            raise TypeError(f"cannot translate {expr!r}")
        return sp.sympify(expr)
    if isinstance(expr, sp.MatrixSymbol):
        return al.matrix(str(expr.name))
    if isinstance(expr, sp.Transpose):
        return al.transpose(to_algebra(expr.arg))
    if isinstance(expr, sp.MatMul):
        return sp.Mul(*[to_algebra(a) for a in expr.args])
    if isinstance(expr, sp.MatAdd):
        return sp.Add(*[to_algebra(a) for a in expr.args])
    if isinstance(expr, sp.MatPow) and expr.exp.is_Integer and expr.exp > 0:
        return to_algebra(expr.base) ** int(expr.exp)
    if isinstance(expr, sp.Identity):
        return sp.Integer(1)
    if isinstance(expr, sp.ZeroMatrix):
        return sp.Integer(0)
    if isinstance(expr, sp.OneMatrix):
        rows, cols = expr.shape
        if cols == 1:
            return al.ONE
        if rows == 1:
            return al.ONE_T
        return al.ONE * al.ONE_T
    raise TypeError(f"cannot translate the matrix expression {expr!r}")


def matrix_calculus_identity(build, rules=al.A1_RULES, detail: str = ""):
    """A step check: sympy's matrix derivative equals its stated form, for every size.

    ``build()`` returns ``(derivative, stated)`` or a list of pairs: sympy matrix expressions
    of symbolic size (``Trace(...).diff(X)``) or word expressions.  Both sides are translated
    by :func:`to_algebra` and compared by :func:`backsmooth.proofs.algebra.all_sizes_identity`
    (evidence ``all_sizes_identity``; mutants shift the translated right-hand side).
    """
    def translated():
        pairs = build()
        if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], tuple):
            pairs = [pairs]
        return [(to_algebra(lhs), to_algebra(rhs)) for lhs, rhs in pairs]

    return al.all_sizes_identity(translated, rules, detail, extra_rules=(CALCULUS,))


# -- Frobenius inner products in trace scalars: ``Inner`` (one home: rules_losses) ---------------------


def _rewritten(word, rules):
    """``(coefficient, word)`` of one word after the algebra's rewrites (coefficient 0: the word vanishes)."""
    nf = al.normal_form(sp.Mul(*word), rules)
    if not nf:
        return sp.Integer(0), ()
    (w, c), = nf.items()
    return c, w


def _tr_letter(x):
    return al.transpose(x)  # a letter's transpose is a letter (P^T, 1^T; Pi^T = Pi by definition)


def _cyclic_canonical(word, rules):
    """``(coefficient, key)`` of ``Tr(word)``: rewrites on every rotation, then the least form."""
    coeff = sp.Integer(1)
    changed = True
    while changed:
        changed = False
        for i in range(len(word)):
            rot = word[i:] + word[:i]
            c, w = _rewritten(rot, rules)
            if c == 0:
                return sp.Integer(0), None
            if w != rot or c != 1:
                coeff, word, changed = coeff * c, w, True
                break
    if not word:
        raise ValueError("the trace of an identity of unknown size")
    forms = []
    for w in (word, tuple(_tr_letter(x) for x in reversed(word))):
        forms.extend(w[i:] + w[:i] for i in range(len(w)))
    return coeff, min(forms, key=lambda w: tuple(str(x) for x in w))


def _trace_symbol(key):
    return sp.Symbol("tr(" + " ".join(str(x) for x in key) + ")", real=True)


def inner(X, Y, rules=()):
    """``<X, Y> = Tr(X^T Y)`` for matrix expressions, as a sum of canonical trace scalars.

    Bilinear in ``X`` and ``Y`` (commutative coefficients come out), ``Tr(w) = Tr(rotation of
    w) = Tr(w^T)``; the definitions (``Pi = I - J``, ``1^T 1 = n``) and ``rules`` (rewrites that
    are hypotheses or cited facts) are applied to every rotation.  Holds for every ``n`` and width.
    """
    rules = tuple(al.DEFINITIONS) + tuple(rules)
    nx = al.normal_form(X, rules)
    ny = al.normal_form(Y, rules)
    total = sp.Integer(0)
    for wx, cx in nx.items():
        wt = tuple(_tr_letter(x) for x in reversed(wx))
        for wy, cy in ny.items():
            c, key = _cyclic_canonical(wt + wy, rules)
            if key is not None:
                total += cx * cy * c * _trace_symbol(key)
    return sp.expand(total)


def trace_identity(build, detail: str = ""):
    """A step check: scalar identities in trace scalars (:func:`inner`) for every size.

    ``build()`` returns ``(lhs, rhs)`` or a list of pairs of scalars built with :func:`inner`
    and scalar calculus; evidence ``all_sizes_identity`` (rule names: trace algebra).
    """
    check = scalar_identity(build, detail)

    def traced():
        ev = check()
        return type(ev)(ev.kind, ev.passed, ev.detail + "; traces of words of every size", rules=(TRACE,))

    traced.form, traced.build = "identity", build
    traced.remake = lambda new_build: trace_identity(new_build, detail)
    traced.rules = (TRACE,)
    return traced


# -- rules -----------------------------------------------------------------------------------------
#: the seminorms of :mod:`backsmooth.proofs.rules`
NORMS = (ru.E, ru.Fro, ru.Spec, ru.Row, ru.Max, ru.Inf)


def _positive(c) -> bool:
    """``c > 0`` from sympy's assumptions alone (a hypothesis cannot slip in unnamed)."""
    c = sp.sympify(c)
    return c.is_positive is True or sp.simplify(c).is_positive is True


@rule("seminorm reverse triangle")
def reverse_triangle(term, to=None, **_):
    """``c N(X) <= N(Y) + N(Y - c X)`` for a seminorm ``N`` and a scalar ``c > 0``.

    ``term`` is ``c N(X)`` (``c = 1`` allowed), ``to`` is ``Y``.  Proof: ``c N(X) = N(c X)``
    (homogeneity, ``c > 0``) ``<= N(Y) + N(c X - Y)`` (triangle) and ``N(-Z) = N(Z)``.
    """
    _need(to is not None, "seminorm reverse triangle: give Y (to=...)")
    norms = [f for f in sp.Mul.make_args(term) if isinstance(f, NORMS)]
    _need(len(norms) == 1,
          "seminorm reverse triangle: the term is not c N(X)")
    N = norms[0]
    c = sp.simplify(term / N)
    _need(not c.has(*NORMS) and c.is_commutative and _positive(c),
          f"seminorm reverse triangle: the factor {c} is not shown positive")
    rest = sp.expand(sp.sympify(to) - c * N.args[0])
    _need(rest != 0, "seminorm reverse triangle: Y equals c X (nothing to bound)")
    return Licence(type(N)(sp.sympify(to)) + type(N)(rest))


@rule("projection onto c-perp (||c||_F = 1)")
def projection_perp(term, c=None, **_):
    """``||X - <X, c> c||_F <= ||X||_F`` for a unit ``c`` (``||X||^2 - <X, c>^2 <= ||X||^2``)."""
    _need(type(term) is ru.Fro and c is not None, "projection onto c-perp: only ||X - <X, c> c||_F, give c")
    parts = sp.Add.make_args(sp.expand(term.args[0]))
    withc = [p for p in parts if p.has(Inner)]
    _need(len(withc) == 1, "projection onto c-perp: exactly one term <X, c> c")
    X = sp.Add(*[p for p in parts if not p.has(Inner)])
    cpart, ncpart = withc[0].args_cnc()
    _need(ncpart == [c], "projection onto c-perp: the term is not a multiple of c")
    coeff = sp.Mul(*cpart)
    _need(is_zero(coeff + Inner(X, c)) or sp.expand(coeff + Inner(X, c)) == 0,
          f"projection onto c-perp: the coefficient {coeff} is not -<X, c> for X = {X}")
    return Licence(ru.Fro(X), "<=", (UNIT_C,))


@rule("mixing norm (m_M)")
def mixing_norm(term, **_):
    """``||M^(k)||_2 <= m_M`` and ``||M^(k)T||_2 <= m_M`` (definition of ``m_M`` as the maximum)."""
    name = getattr(term.args[0], "name", "") if isinstance(term, NORMS) else ""
    _need(type(term) is ru.Spec and name.startswith("M^(") and name.count("^") <= 2,
             "mixing norm: only ||M^(k)||_2 of an initial-residual mixing matrix")
    return Licence(sy.m_ir, "<=", (MIXING,))
