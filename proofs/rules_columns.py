"""Rules on column sums, Hadamard products with a constant-row factor, and sums over layers.

Each rule is registered in :data:`backsmooth.proofs.rules.RULES` and checks its pattern and
side conditions before it licenses a bound (see :mod:`backsmooth.proofs.rules`).

- ``hadamard split``: ``A o B = A o B1 + A o B2`` when ``B = B1 + B2`` for every size (algebra);
- ``hadamard (constant rows)``: ``||(A o 1 g^T)^T 1|| = ||diag(g) A^T 1|| <= ||g||_inf ||A^T 1||``;
- ``Cauchy-Schwarz (column inner products)``: ``||(A o B)^T 1|| <= ||A||_F ||B||_F``;
- ``second-order Taylor (A2c)``: ``||R^T 1|| <= (c_2/2) ||Pi H||_F^2`` for ``R = rho'(H) - 1 rho'(hbar)^T``;
- ``ones vector``: ``||1||_F = sqrt(n)``;
- ``termwise sum (decided)``: ``sum_j f(a_j) <= sum_j f(b_j)`` when sympy decides ``a_j <= b_j``
  over the summation range and ``f`` is non-decreasing.

Examples
--------
>>> from backsmooth.proofs import algebra as al
>>> from backsmooth.proofs.rules import RULES, Fro
>>> RULES["ones vector"](Fro(al.ONE)).bound
sqrt(n)
"""

from __future__ import annotations

import sympy as sp

from ._common import A2C
from .norms import PI, Fro, Had, Inf
from .rule_base import Licence, _monotone, _need, _word, rule
from backsmooth.symbolic.symbols import c_2  # the paper's symbols: one home

__all__ = ["c_2", "hadamard_of_column_sum", "hadamard_split", "hadamard_constant_rows",
           "column_inner_products", "taylor_column_sums", "triangle_split_off", "ones_vector", "termwise_sum_decided"]

#: the Lipschitz constant of rho'' (A2c)


def hadamard_of_column_sum(term):
    """``(A, B)`` when ``term`` is ``||(A o B)^T 1||_F``, else ``None``."""
    from .algebra import ONE, OPAQUE_TRANSPOSES

    if type(term) is not Fro:
        return None
    c, w = _word(term.args[0])
    if c != 1 or len(w) != 2 or w[1] != ONE:
        return None
    had = OPAQUE_TRANSPOSES.get(w[0])
    return tuple(had.args) if isinstance(had, Had) else None


@rule("hadamard split")
def hadamard_split(term, parts=None, **_):
    """``||(A o B)^T 1|| = ||(A o B1)^T 1 + (A o B2)^T 1||`` when ``B = B1 + B2`` for every size."""
    from .algebra import A1_RULES, ONE, equal, transpose

    ab = hadamard_of_column_sum(term)
    _need(ab is not None, "hadamard split: only ||(A o B)^T 1||")
    _need(parts is not None and len(parts) == 2, "hadamard split: give B = B1 + B2")
    A, B = ab
    ok, used = equal(B, parts[0] + parts[1], tuple(A1_RULES))
    _need(ok, f"hadamard split: {B} is not {parts[0]} + {parts[1]}")
    return Licence(Fro(transpose(Had(A, parts[0])) * ONE + transpose(Had(A, parts[1])) * ONE), "==",
                   tuple(sorted({r.hypothesis for r in used if r.hypothesis})))


@rule("hadamard (constant rows)")
def hadamard_constant_rows(term, g=None, **_):
    """``||(A o 1 g^T)^T 1||_2 <= ||g||_inf ||A^T 1||_2``: column j of ``A o 1 g^T`` is ``g_j A_:j``."""
    from .algebra import ONE, equal, transpose

    ab = hadamard_of_column_sum(term)
    _need(ab is not None and g is not None, "hadamard (constant rows): only ||(A o 1 g^T)^T 1|| with its g")
    A, B = ab
    _need(equal(B, ONE * transpose(g), ())[0], f"hadamard (constant rows): {B} is not 1 g^T")
    return Licence(Inf(g) * Fro(transpose(A) * ONE))


@rule("Cauchy-Schwarz (column inner products)")
def column_inner_products(term, **_):
    """``||(A o B)^T 1||_2 <= ||A||_F ||B||_F``: entry j is ``<A_:j, B_:j>``, Cauchy-Schwarz per column."""
    ab = hadamard_of_column_sum(term)
    _need(ab is not None, "Cauchy-Schwarz (column inner products): only ||(A o B)^T 1||")
    return Licence(Fro(ab[0]) * Fro(ab[1]))


@rule("second-order Taylor (A2c)")
def taylor_column_sums(term, H=None, **_):
    """``||R^T 1||_2 <= (c_2/2) ||Pi H||_F^2`` for ``R = rho'(H) - 1 rho'(hbar)^T`` (A2c).

    Column j: ``R_ij = rho''(hbar_j)(Pi H)_ij + eps_ij`` with ``|eps_ij| <= (c_2/2)(Pi H)_ij^2``
    (Taylor, rho'' c_2-Lipschitz) and ``sum_i (Pi H)_ij = 0``, so ``|sum_i R_ij| <= (c_2/2)
    ||(Pi H)_:j||^2``; and ``||v||_2 <= ||v||_1``.
    """
    from .algebra import ONE

    _need(type(term) is Fro and H is not None, "second-order Taylor: only ||R_k^T 1|| with its H")
    c, w = _word(term.args[0])
    name = getattr(w[0], "name", "") if w else ""
    _need(c == 1 and len(w) == 2 and w[1] == ONE and name.startswith("R_") and name.endswith("^T"),
          "second-order Taylor: only ||R_k^T 1|| (column sums of R_k = rho'(H) - 1 rho'(hbar)^T)")
    return Licence(c_2 / 2 * Fro(PI * H)**2, "<=", (A2C,))


@rule("triangle (split off)")
def triangle_split_off(term, b=None, **_):
    """``||a|| <= ||a - b|| + ||b||`` for a given ``b`` (triangle inequality)."""
    from .norms import E, _Norm

    _need(isinstance(term, _Norm) and not isinstance(term, E) and b is not None,
          "triangle (split off): a norm and the b split off")
    return Licence(type(term)(term.args[0] - b) + type(term)(b))


@rule("ones vector")
def ones_vector(term, **_):
    """``||1||_F = ||1^T||_F = sqrt(n)`` (``1^T 1 = n``)."""
    from .algebra import ONE, ONE_T, n

    _need(type(term) is Fro and term.args[0] in (ONE, ONE_T), "ones vector: only ||1||_F")
    return Licence(sp.sqrt(n), "==")


@rule("termwise sum (decided)")
def termwise_sum_decided(term, small=None, large=None, rep=None, needs=(), **_):
    """``sum_{j=a}^{b} f(x_j) <= sum_{j=a}^{b} f(y_j)`` where sympy decides ``x_j <= y_j`` for ``j >= a``.

    The summation index is written ``j = a + t`` with ``t >= 0`` an integer, and ``rep`` encodes
    hypotheses on the parameters (e.g. ``lambda = 1/(1+v)``), named in ``needs``; ``f`` must be
    non-decreasing in ``x_j``.
    """
    from .checks import _decided_nonnegative
    from .rule_base import _decide_le

    _need(isinstance(term, sp.Sum) and len(term.limits) == 1 and small is not None and large is not None,
          "termwise sum (decided): a single sum and the entries compared")
    j, a, _b = term.limits[0]
    _need(term.function.has(small), f"termwise sum (decided): {small} is not in the summand")
    _need(_monotone(term.function, small), "termwise sum (decided): the summand is not non-decreasing")
    t = sp.Dummy("t", integer=True, nonnegative=True)
    sub = dict(rep or {})
    x, y = (sp.sympify(e).subs(j, a + t).subs(sub) for e in (small, large))
    # both positive: compare logarithms first (cheap for powers), else the general decision
    cheap = x.is_positive and y.is_positive and _decided_nonnegative(
        sp.expand_log(sp.log(y) - sp.log(x), force=True))
    _need(cheap or _decide_le(x, y), f"termwise sum (decided): sympy cannot decide {small} <= {large} for {j} >= {a}")
    return Licence(term.xreplace({small: large}), "<=", tuple(needs))

