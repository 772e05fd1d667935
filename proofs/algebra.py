"""Matrix identities for every size: non-commuting symbols, with the hypotheses as rewrite rules.

A matrix expression is a sympy expression in non-commutative symbols (:func:`matrix`) with
commutative coefficients in symbolic ``n`` (the number of nodes) and other parameters.  Its
normal form (:func:`normal_form`) expands it into a sum of words and rewrites every word with
rules that each either hold by definition or *are* a hypothesis (:class:`Rewrite`):

- ``1^T 1 = n`` (definition of the all-ones vector ``1 in R^n``);
- ``J = 1 1^T / n`` and ``Pi = I - J`` (definitions, substituted first; ``Pi^T = Pi``);
- ``P 1 = 1``, ``1^T P = 1^T`` and ``P^T = P`` (hypothesis (A1)).

Two expressions with the same normal form are equal for every ``n`` and every width, since no
rule depends on a size: evidence ``all_sizes_identity``.  Each rule used is named in the
evidence, and a rule that is a hypothesis must be cited in the step's ``uses``.  Induction on a
symbolic depth (:func:`induction`) proves the base case and the step, each as such identities,
the step with the induction hypothesis as one more rewrite rule.

Examples
--------
>>> X, B, P = matrix("X"), matrix("B"), matrix("P")
>>> lhs = transpose(X) * P * B
>>> rhs = n * mean(X) * transpose(mean(B)) + transpose(Pi() * X) * P * (Pi() * B)
>>> equal(lhs, rhs, A1_RULES)[0]
True
>>> equal(lhs, rhs, ())[0]   # without (A1) it does not follow
False
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._common import A1 as _A1
from .framework import Evidence
from backsmooth.symbolic.symbols import n  # the number of nodes, symbolic (the paper's symbols: one home)

__all__ = ["n", "ONE", "ONE_T", "matrix", "transpose", "J", "Pi", "mean", "Rewrite", "A1_RULES",
           "DEFINITIONS", "normal_form", "equal", "all_sizes_identity", "induction", "a_i", "a_j",
           "power_sum", "double_sum", "double_sum_identity", "split_word"]

#: the all-ones column vector 1 in R^n and its transpose
ONE = sp.Symbol("1", commutative=False)
ONE_T = sp.Symbol("1^T", commutative=False)
_SYMMETRIC_BY_DEFINITION = {"Pi": "Pi", "J": "J"}
_PI, _J = sp.Symbol("Pi", commutative=False), sp.Symbol("J", commutative=False)


def matrix(name: str):
    """A matrix (or vector) of any size, as a non-commutative symbol."""
    if not isinstance(name, str) or not name:
        raise ValueError("a matrix needs a non-empty name")
    return sp.Symbol(name, commutative=False)


def _tr_symbol(sym):
    name = sym.name
    if name in _SYMMETRIC_BY_DEFINITION:
        return sym
    if name == "1":
        return ONE_T
    if name == "1^T":
        return ONE
    return matrix(name[:-2]) if name.endswith("^T") else matrix(name + "^T")


#: letters standing for the transpose of an opaque matrix expression -> that expression
OPAQUE_TRANSPOSES: dict = {}


def transpose(expr):
    """``expr^T``: reverse every word and transpose each letter (``P^T`` stays a letter).

    Symmetry of ``P`` is a hypothesis, so ``P^T`` is rewritten to ``P`` only by the rule
    of :data:`A1_RULES`.
    """
    expr = sp.expand(sp.sympify(expr))
    out = 0
    for term in sp.Add.make_args(expr):
        c, nc = term.args_cnc()
        word = []
        for f in nc:
            if isinstance(f, sp.Pow) and f.base.is_Symbol:
                word.append(sp.Pow(_tr_symbol(f.base), f.exp))
            elif f.is_Symbol:
                word.append(_tr_symbol(f))
            elif isinstance(f, sp.Function) and not f.is_commutative:
                letter = matrix(f"({f})^T")  # an opaque matrix (e.g. a Hadamard product)
                OPAQUE_TRANSPOSES[letter] = f
                word.append(letter)
            else:
                raise TypeError(f"cannot transpose {f!r}")
        out += sp.Mul(*c) * sp.Mul(*reversed(word))
    return out


def J():
    """``J = 1 1^T / n`` (the mean operator)."""
    return ONE * ONE_T / n


def Pi():
    """``Pi = I - J`` (the centring projection)."""
    return 1 - J()


def mean(X):
    """The mean row of ``X`` as a column vector, ``xbar = X^T 1 / n``."""
    return transpose(X) * ONE / n


@dataclass(frozen=True)
class Rewrite:
    """A rewrite rule ``lhs -> coeff * rhs`` on words, with the hypothesis it needs (if any)."""

    name: str
    lhs: tuple
    rhs: tuple
    coeff: object = 1
    hypothesis: str | None = None


_P, _PT = matrix("P"), matrix("P^T")
#: 1^T 1 = n, by definition
DEFINITIONS = (Rewrite("1^T 1 = n", (ONE_T, ONE), (), n),)
#: the rewrite rules of hypothesis (A1)
A1_RULES = (Rewrite("P^T = P (A1)", (_PT,), (_P,), 1, _A1),
            Rewrite("P 1 = 1 (A1)", (_P, ONE), (ONE,), 1, _A1),
            Rewrite("1^T P = 1^T (A1)", (ONE_T, _P), (ONE_T,), 1, _A1))


def _word(nc):
    out = []
    for f in nc:
        if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
            out.extend([f.base] * int(f.exp))
        else:
            out.append(f)
    return tuple(out)


def split_word(M):
    """``(coefficient, [letters])`` of one product of matrices, positive powers written out.

    >>> X = matrix("X")
    >>> split_word(3 * X**2)
    (3, [X, X])
    """
    c, nc = sp.sympify(M).args_cnc()
    return sp.Mul(*c), list(_word(nc))


def _rewrite(word, rules, used):
    coeff = sp.Integer(1)
    changed = True
    while changed:
        changed = False
        for r in rules:
            m = len(r.lhs)
            for i in range(len(word) - m + 1):
                if word[i:i + m] == r.lhs:
                    word = word[:i] + tuple(r.rhs) + word[i + m:]
                    coeff = coeff * r.coeff
                    used.add(r)
                    changed = True
                    break
            if changed:
                break
    return coeff, word


def normal_form(expr, rules=(), used=None) -> dict:
    """``{word: coefficient}`` of ``expr`` after definitions and the rewrite ``rules``."""
    used = set() if used is None else used
    rules = tuple(DEFINITIONS) + tuple(rules)
    expr = sp.sympify(expr).xreplace({_PI: Pi(), _J: J()})
    expr = sp.expand(expr)
    out: dict = {}
    for term in sp.Add.make_args(expr):
        c, nc = term.args_cnc()
        coeff, word = _rewrite(_word(nc), rules, used)
        out[word] = out.get(word, 0) + sp.Mul(*c) * coeff
    return {w: c for w, c in ((w, sp.simplify(c)) for w, c in out.items()) if c != 0}


def equal(lhs, rhs, rules=()):
    """``(bool, used rules)``: whether ``lhs`` and ``rhs`` have the same normal form."""
    used: set = set()
    d = normal_form(sp.expand(lhs - rhs), rules, used)
    return not d, used


def _missing(used, step):
    cited = set(getattr(step, "uses", ()) or ())
    return sorted({r.hypothesis for r in used if r.hypothesis and r.hypothesis not in cited})


def all_sizes_identity(build, rules=A1_RULES, detail: str = "", extra_rules=()):
    """A step check: every ``(lhs, rhs)`` of ``build()`` is equal for every size.

    Parameters
    ----------
    build : callable
        Returns one pair of matrix expressions or a list of pairs.
    rules : tuple of Rewrite
        The hypotheses available as rewrite rules (default: those of (A1)).  Each rule used
        that is a hypothesis must be cited by the step (``uses``), or the check fails.
    detail : str
        What the symbols stand for.
    extra_rules : tuple of str
        Names of further rules the identity relies on (shown with the evidence).
    """

    def check(step=None) -> Evidence:
        pairs = build()
        if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], tuple):
            pairs = [pairs]
        bad, used = [], set()
        for i, (lhs, rhs) in enumerate(pairs):
            ok, u = equal(lhs, rhs, rules)
            used |= u
            if not ok:
                bad.append(i)
        missing = _missing(used, step)
        names = tuple(sorted(r.name for r in used)) + tuple(extra_rules)
        if bad:
            msg = f"identities {bad} of {len(pairs)} do NOT reduce to the same normal form"
        elif missing:
            msg = f"uses hypotheses the step does not cite: {'; '.join(missing)}"
        else:
            msg = (f"{len(pairs)} identit{'y' if len(pairs) == 1 else 'ies'} of matrices of every size "
                   f"(non-commuting symbols, symbolic n)")
        return Evidence("all_sizes_identity", not bad and not missing,
                        msg + (f"; {detail}" if detail else ""), rules=names)

    def needs():
        used: set = set()
        pairs = build()
        if isinstance(pairs, tuple) and len(pairs) == 2 and not isinstance(pairs[0], tuple):
            pairs = [pairs]
        for lhs, rhs in pairs:
            used |= equal(lhs, rhs, rules)[1]
        return tuple(sorted({r.hypothesis for r in used if r.hypothesis}))

    check.wants_step = True
    check.rules = tuple(r.name for r in rules) + tuple(extra_rules)
    check.form, check.build, check.needs = "matrix identity", build, needs
    check.remake = lambda new_build: all_sizes_identity(new_build, rules, detail, extra_rules)
    return check


def induction(variable: str, base, step, hypothesis: Rewrite | None = None, rules=A1_RULES,
              detail: str = ""):
    """A step check: a statement for every value of ``variable``, by induction.

    ``base()`` and ``step()`` each return a pair or a list of pairs of matrix (or scalar)
    expressions; both must be identities for every size.  In the inductive step the
    induction hypothesis is one more rewrite rule (``hypothesis``), e.g. ``1^T P^r -> 1^T``.
    """
    ind_rules = tuple(rules) + ((hypothesis,) if hypothesis else ())
    b = all_sizes_identity(base, rules, "base case")
    s = all_sizes_identity(step, ind_rules, "inductive step")

    def check(st=None) -> Evidence:
        eb, es = b(st), s(st)
        ok = eb.passed and es.passed
        names = tuple(dict.fromkeys(("induction on " + variable,) + eb.rules + es.rules))
        msg = (f"induction on {variable}: base case {'proved' if eb.passed else 'FAILED'} ({eb.detail}); "
               f"inductive step {'proved' if es.passed else 'FAILED'} ({es.detail})")
        return Evidence("all_sizes_identity", ok, msg + (f"; {detail}" if detail else ""), rules=names)

    check.wants_step = True
    check.rules = ("induction on " + variable,) + b.rules
    check.form, check.parts = "induction", (b, s)
    check.needs = lambda: tuple(dict.fromkeys(b.needs() + s.needs()))
    check.remake_parts = lambda base2, step2: induction(variable, base2.build, step2.build, hypothesis, rules,
                                                        detail)
    return check


#: entries a_i, a_j of one column at two rows, and the power sums S_p = sum_i a_i^p
a_i, a_j = sp.symbols("a_i a_j", real=True)


def power_sum(p):
    """``S_p = sum_{i=1}^n a_i^p`` (``S_0 = n``)."""
    return n if p == 0 else sp.Symbol(f"S_{p}", real=True)


def double_sum(expr):
    """``sum_{i,j=1}^n expr(a_i, a_j)`` for a polynomial, in power sums (any n).

    Each monomial ``c a_i^p a_j^q`` sums to ``c S_p S_q`` (``sum_ij f(i) g(j) = (sum f)(sum g)``).
    """
    poly = sp.Poly(sp.expand(expr), a_i, a_j)
    return sp.Add(*[c * power_sum(p) * power_sum(q) for (p, q), c in poly.terms()])


def double_sum_identity(build, detail=""):
    """A step check: ``sum_ij lhs(a_i, a_j) = rhs(S_1, S_2, n)`` for every n (evidence all_sizes_identity)."""
    from .checks import is_zero

    def check() -> Evidence:
        pairs = build()
        if isinstance(pairs, tuple):
            pairs = [pairs]
        bad = [i for i, (lhs, rhs) in enumerate(pairs) if not is_zero(double_sum(lhs) - rhs)]
        msg = (f"{len(pairs)} double sums over i, j = 1..n, n symbolic" if not bad else
               f"double sums {bad} of {len(pairs)} differ")
        return Evidence("all_sizes_identity", not bad, msg + (f"; {detail}" if detail else ""),
                        rules=("double sum factorisation",))

    check.rules = ("double sum factorisation",)
    check.form, check.build = "double sum", build
    check.remake = lambda new_build: double_sum_identity(new_build, detail)
    return check
