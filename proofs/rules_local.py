"""Rules for the extension proofs (local constants, ReLU margin, tanh saturation).

Each rule is a small function registered in :data:`backsmooth.proofs.rules.RULES` (through
:func:`backsmooth.proofs.rules.rule`): it checks its pattern and side conditions and returns
the bound it licenses, so :class:`~backsmooth.proofs.rules.RuleChain` can use it like the
core rules.  Entries of matrices are ``sympy.IndexedBase`` entries ``H[i, j]`` (row ``i``,
column ``j``); the activation and its derivatives are the functions :data:`RHO`,
:data:`RHO1`, :data:`RHO2` (``rho``, ``rho'``, ``rho''``), applied entrywise.

Rules (the hypotheses they need in brackets):

- ``mean value theorem (segment)``: ``|f(x) - f(y)| = |f'(xi)| |x - y|`` for ``f = rho``
  [:data:`C1`] or ``f = rho'`` [:data:`C2`], ``x, y`` two entries of the *same column*
  (``xi`` a point between them);
- ``segment maximum``: ``|g(z)| <= ell_kj`` (``g = rho'``) or ``<= c_kj`` (``g = rho''``) for
  ``z`` an entry of column ``j`` or a point between two of them [:data:`LOCAL_DEFS`: the
  segment ``[min_i H_ij, max_i H_ij]`` is an interval containing every entry of column j];
- ``maximum over columns``: ``ell_kj <= ell_k``, ``c_kj <= c_k`` [:data:`LOCAL_DEFS`];
- ``pairwise form (Lemma 1)``: ``||Pi M_:j||^2 = (1/(2n)) sum_{i,l} |M_ij - M_lj|^2``, both
  directions [``lemma1``];
- ``E by columns``: ``E(M) = (sum_j ||Pi M_:j||^2 / n)^(1/2)`` (definitions of E and ||.||_F);
- ``Frobenius by entries``: ``||M||_F = (sum_ij |M_ij|^2)^(1/2)`` (definition);
- ``linearity of sums``: ``sum_i c f(i) = c sum_i f(i)``;
- ``termwise sum (rule premise)``: ``sum f(a) <= sum f(b)`` for ``f`` non-decreasing, where
  ``a <= b`` is itself proved by an inner rule chain (its side conditions are the rule's);
- ``hadamard commutative``: ``A o B = B o A``;
- ``diagonal norm``: ``||diag(v)||_2 <= ||v||`` (``||diag(v)||_2 = max_i |v_i|``);
- ``diagonal of column means``: ``||diag(M^T 1/n)||_2 <= ||M||_max``;
- ``Cauchy-Schwarz (Hadamard mean)``: ``||(A o B)^T 1|| <= ||A||_F ||B||_F``;
- ``margin lemma``: ``|1[a>0] - 1[b>0]| <= |a - b| / |b|`` [``margin lemma``, the step that
  proves it by :func:`sign_cases`, and the fact that gives ``b != 0``].

:func:`sign_cases` is a step check for a scalar inequality in real variables: it splits each
variable by sign (positive, zero, negative, or positive/negative for a non-zero one) into
fresh positive symbols, so the cases cover every real value by construction, and sympy must
decide every case (evidence ``rule``).

Examples
--------
>>> from backsmooth.proofs import rules as ru
>>> H, i, l, j = entries("H^(k)", real=True), *IDX
>>> chain = ru.RuleChain(sp.Abs(RHO(H[i, j]) - RHO(H[l, j])),
...                      [("mean value theorem (segment)", None, {}),
...                       ("segment maximum", sp.Abs(RHO1(between(H[i, j], H[l, j]))), {})],
...                      ell(j) * sp.Abs(H[i, j] - H[l, j]))
>>> chain._run()[1] == (C1, LOCAL_DEFS)
True
"""

from __future__ import annotations


import sympy as sp

from . import rules as ru
from .rule_base import _need
from .algebra import ONE, OPAQUE_TRANSPOSES, Rewrite, matrix, n
from .rules_signs import CASE_RULE, factored_inequality, margin, sign_cases  # noqa: F401  (re-exported)
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["C1", "C2", "LOCAL_DEFS", "RHO", "RHO1", "RHO2", "IDX", "d", "ell", "c_loc", "ell_k", "c_k",
           "ell_w", "kappa", "cn2", "entries", "between", "indicator", "diag", "DIAG_RULES",
           "sign_cases", "CASE_RULE", "factored_inequality"]

C1 = "rho in C^1 (mean value theorem on each column segment)"
C2 = ("rho' locally Lipschitz: the mean value theorem for rho' on each column segment with "
      "c_kj = max |rho''| there (rho in C^2, as tanh and arctan)")
LOCAL_DEFS = ("local constants: ell_kj = max |rho'|, c_kj = max |rho''| on column j's segment "
              "[min_i H_ij, max_i H_ij]; ell_k, c_k their maxima over j; ell^w_k the column-energy "
              "weighted slope")

RHO, RHO1, RHO2 = sp.Function("rho"), sp.Function("rho'"), sp.Function("rho''")
_DERIV = {RHO: RHO1, RHO1: RHO2}
_NEEDS_MVT = {RHO: C1, RHO1: C2}
#: row indices i, l and column index j
IDX = sp.symbols("i l j", integer=True, positive=True)
#: the width of a layer, symbolic
d = sp.Symbol("d", integer=True, positive=True)
ell = sp.Function("ell", nonnegative=True)     # ell_kj
c_loc = sp.Function("c", nonnegative=True)     # c_kj
ell_k, c_k = sp.symbols("ell_k c_k", nonnegative=True)
ell_w = sp.Symbol("ell^w_k", nonnegative=True)
kappa = sy.kappa_k
_SLOPE = {RHO1: ell, RHO2: c_loc}
_MAXIMUM = {ell: ell_k, c_loc: c_k}
between = sp.Function("xi")                    # a point between two reals (mean value theorem)


class cn2(sp.Function):
    """``||Pi M_:j||^2``: the squared centred norm of column ``j`` of ``M``."""

    nargs = 2
    is_real = True
    is_nonnegative = True
    is_commutative = True

    def _latex(self, printer):
        return r"\|\Pi {}_{{:{}}}\|^2".format(printer._print(self.args[0]), printer._print(self.args[1]))


def entries(name: str, real: bool = False):
    """The entries ``M[i, j]`` of the matrix named ``name`` (generic; ``real=True`` where a sign is taken)."""
    return sp.IndexedBase(name, real=True) if real else sp.IndexedBase(name)


def indicator(x):
    """``1[x > 0]`` (ReLU's derivative)."""
    return sp.Piecewise((1, x > 0), (0, True))


#: diagonal-matrix letters -> the vector on their diagonal
DIAGS: dict = {}


def diag(vector, name: str):
    """The letter ``diag(name)`` standing for the diagonal matrix of ``vector`` (registered)."""
    letter = matrix(f"diag({name})")
    DIAGS[letter] = vector
    return letter


def _diag_rules():
    return tuple(Rewrite(f"{L}^T = {L} (diagonal)", (matrix(f"{L.name}^T"),), (L,)) for L in DIAGS)


def DIAG_RULES():
    """Rewrite rules ``diag(v)^T = diag(v)`` (definition) for the registered diagonal letters."""
    return _diag_rules()


def _column_entry(z):
    """``(base, column)`` of an entry ``M[i, j]``, or ``None``."""
    if isinstance(z, sp.Indexed) and len(z.indices) == 2:
        return z.base, z.indices[1]
    return None


def _point_column(z):
    """``(base, column)`` for an entry or a point between two entries of one column, else ``None``."""
    if isinstance(z, sp.Indexed):
        return _column_entry(z)
    if getattr(z, "func", None) == between and len(z.args) == 2:
        a, b = (_column_entry(x) for x in z.args)
        if a is not None and a == b:
            return a
    return None


@ru.rule("mean value theorem (segment)")
def mean_value(term, **_):
    """``|f(x) - f(y)| = |f'(xi)| |x - y|``, ``x, y`` entries of one column, ``xi`` between them."""
    _need(isinstance(term, sp.Abs), "mean value theorem: not |f(x) - f(y)|")
    parts = sp.Add.make_args(term.args[0])
    _need(len(parts) == 2, "mean value theorem: not |f(x) - f(y)|")
    pos = [p for p in parts if not p.could_extract_minus_sign()]
    neg = [-p for p in parts if p.could_extract_minus_sign()]
    _need(len(pos) == 1 and len(neg) == 1, "mean value theorem: not |f(x) - f(y)|")
    fx, fy = pos[0], neg[0]
    _need(fx.func in _DERIV and fy.func == fx.func, "mean value theorem: f must be rho or rho' at both points")
    x, y = fx.args[0], fy.args[0]
    cx, cy = _column_entry(x), _column_entry(y)
    _need(cx is not None and cx == cy,
          "mean value theorem: the two points must be entries of the same column (one segment)")
    return ru.Licence(sp.Abs(_DERIV[fx.func](between(x, y))) * sp.Abs(x - y), "==", (_NEEDS_MVT[fx.func],))


@ru.rule("segment maximum")
def segment_maximum(term, **_):
    """``|rho'(z)| <= ell_kj``, ``|rho''(z)| <= c_kj`` for ``z`` in column ``j``'s segment."""
    _need(isinstance(term, sp.Abs) and getattr(term.args[0], "func", None) in _SLOPE,
          "segment maximum: only |rho'(z)| or |rho''(z)|")
    g = term.args[0]
    col = _point_column(g.args[0])
    _need(col is not None, "segment maximum: the point is not in one column's segment")
    return ru.Licence(_SLOPE[g.func](col[1]), "<=", (LOCAL_DEFS,))


@ru.rule("maximum over columns")
def column_maximum(term, **_):
    """``ell_kj <= ell_k`` and ``c_kj <= c_k``."""
    _need(getattr(term, "func", None) in _MAXIMUM, "maximum over columns: only ell_kj or c_kj")
    return ru.Licence(_MAXIMUM[term.func], "<=", (LOCAL_DEFS,))


def _entry(M, i, j):
    """Entry ``(i, j)`` of a matrix letter: ``X[i, j]``, ``rho(X)[i, j] = rho(X[i, j])`` etc."""
    name = M.name
    for f in (RHO2, RHO1, RHO):
        pre = f"{f.__name__}("
        if name.startswith(pre) and name.endswith(")"):
            return f(entries(name[len(pre):-1], real=True)[i, j])
    return entries(name, real=True)[i, j]


def _pairwise_sum(M, j):
    i, l, _ = IDX
    return sp.Sum(sp.Abs(_entry(M, i, j) - _entry(M, l, j))**2, (i, 1, n), (l, 1, n))


@ru.rule("pairwise form (Lemma 1)")
def pairwise(term, M=None, **_):
    """``||Pi M_:j||^2 = (1/(2n)) sum_{i,l} |M_ij - M_lj|^2`` (Lemma 1 for one column), either way."""
    if isinstance(term, cn2):
        M, j = term.args
        return ru.Licence(_pairwise_sum(M, j) / (2 * n), "==", ("lemma1",))
    _need(isinstance(term, sp.Sum) and M is not None, "pairwise form: ||Pi M_:j||^2, or the sum with M given")
    j = IDX[2]
    want = _pairwise_sum(M, j)
    _need(term.limits == want.limits and sp.simplify(term.function - want.function) == 0,
          f"pairwise form: {term} is not the pairwise sum of column j of {M}")
    return ru.Licence(2 * n * cn2(M, j), "==", ("lemma1",))


@ru.rule("E by columns")
def e_by_columns(term, M=None, **_):
    """``E(M) = (sum_j ||Pi M_:j||^2 / n)^(1/2)`` (definitions of E and the Frobenius norm), either way."""
    j = IDX[2]
    if type(term) is not ru.E:
        _need(M is not None and isinstance(M, sp.Symbol), "E by columns: E(M), or the root with the letter M given")
        total = sp.Sum(cn2(M, j), (j, 1, d))
        if sp.simplify(term - sp.sqrt(total)) == 0:
            return ru.Licence(sp.sqrt(n) * ru.E(M), "==")
        _need(sp.simplify(term - sp.sqrt(total / n)) == 0, f"E by columns: {term} is not E({M}) by columns")
        return ru.Licence(ru.E(M), "==")
    _need(isinstance(term.args[0], sp.Symbol), "E by columns: only E(M) of a letter")
    return ru.Licence(sp.sqrt(sp.Sum(cn2(term.args[0], j), (j, 1, d)) / n), "==")


@ru.rule("Frobenius by entries")
def fro_entries(term, M=None, **_):
    """``||M||_F = (sum_ij |M_ij|^2)^(1/2)`` for a letter or ``Pi`` times a letter (entries ``Pi M``), either way."""
    if type(term) is not ru.Fro:
        _need(M is not None, "Frobenius by entries: ||M||_F, or the root of the sum with M given")
        want = fro_entries(ru.Fro(M)).bound
        _need(sp.simplify(term - want) == 0, f"Frobenius by entries: {term} is not ||{M}||_F by entries")
        return ru.Licence(ru.Fro(M), "==")
    c, w = ru._word(term.args[0])
    _need(c == 1 and len(w) in (1, 2) and (len(w) == 1 or w[0] == ru.PI) and isinstance(w[-1], sp.Symbol)
          and w[-1] != ru.PI, "Frobenius by entries: only ||M||_F or ||Pi M||_F of a letter")
    name = w[-1].name if len(w) == 1 else f"Pi {w[-1].name}"
    i, _, j = IDX
    return ru.Licence(sp.sqrt(sp.Sum(sp.Abs(entries(name)[i, j])**2, (i, 1, n), (j, 1, d))), "==")


@ru.rule("termwise sum (rule premise)")
def termwise_by_rule(term, small=None, large=None, links=(), **_):
    """``sum f(a) <= sum f(b)`` for ``f`` non-decreasing, with ``a <= b`` proved by the chain ``links``."""
    _need(isinstance(term, sp.Sum) and small is not None and large is not None and links,
          "termwise sum: a sum, the terms compared and the chain that compares them")
    _need(term.function.has(small), f"termwise sum: {small} is not in the summand")
    _need(sp.sympify(small).is_extended_nonnegative is True, f"termwise sum: {small} is not known to be >= 0 "
          "(the monotonicity check is on non-negative values)")
    _need(ru._monotone(term.function, small), "termwise sum: the summand is not non-decreasing in the term")
    _, needs, _ = ru.RuleChain(small, links, large)._run()  # raises RuleError when the premise fails
    return ru.Licence(term.xreplace({small: large}), "<=", tuple(needs))


@ru.rule("linearity of sums")
def sum_linearity(term, **_):
    """``sum_i c f(i) = c sum_i f(i)`` for ``c`` free of the summation indices."""
    _need(isinstance(term, sp.Sum), "linearity of sums: not a sum")
    c, f = term.function.as_independent(*term.variables, as_Add=False)
    _need(c != 1, "linearity of sums: no constant factor")
    return ru.Licence(c * sp.Sum(f, *term.limits), "==")


@ru.rule("hadamard commutative")
def hadamard_commutes(term, **_):
    """``A o B = B o A``."""
    _need(isinstance(term, ru.Had), "hadamard commutative: not A o B")
    return ru.Licence(ru.Had(term.args[1], term.args[0]), "==")


@ru.rule("diagonal norm")
def diagonal_norm(term, **_):
    """``||diag(v)||_2 = max_i |v_i| <= ||v||``."""
    _need(type(term) is ru.Spec and term.args[0] in DIAGS, "diagonal norm: only ||diag(v)||_2")
    return ru.Licence(ru.Fro(DIAGS[term.args[0]]))


@ru.rule("diagonal of column means")
def diagonal_of_means(term, **_):
    """``||diag(mbar)||_2 = max_j |mean_i M_ij| <= ||M||_max`` for ``mbar = M^T 1 / n``."""
    _need(type(term) is ru.Spec and term.args[0] in DIAGS, "diagonal of column means: only ||diag(mbar)||_2")
    c, w = ru._word(DIAGS[term.args[0]])
    _need(c == 1 / n and len(w) == 2 and w[1] == ONE, "diagonal of column means: the diagonal is not M^T 1 / n")
    from .algebra import transpose

    return ru.Licence(ru.Max(transpose(w[0])))


@ru.rule("Cauchy-Schwarz (Hadamard mean)")
def hadamard_mean(term, **_):
    """``||(A o B)^T 1|| <= ||A||_F ||B||_F``: ``|sum_i A_ij B_ij| <= ||A_:j|| ||B_:j||``, then sum over j."""
    _need(type(term) is ru.Fro, "Cauchy-Schwarz (Hadamard mean): only ||(A o B)^T 1||")
    c, w = ru._word(term.args[0])
    _need(c == 1 and len(w) == 2 and w[1] == ONE and isinstance(OPAQUE_TRANSPOSES.get(w[0]), ru.Had),
          "Cauchy-Schwarz (Hadamard mean): only ||(A o B)^T 1||")
    A, B = OPAQUE_TRANSPOSES[w[0]].args
    return ru.Licence(ru.Fro(A) * ru.Fro(B))
