"""Matrix sums of symbolic length: identities by named rewriting, and the norm rules over them.

The unrolled backward recursion is a sum with a symbolic number of terms of non-commuting
words with symbolic matrix powers, ``sum_{j=k}^{L-1} P^(j-k) eta_j M_(k,j)``.  This module
gives the engine what it needs to prove such identities for every ``n``, width and depth:

- :class:`FiniteSum` ``(summand, j, lo, hi)``: ``sum_{j=lo}^{hi} summand`` as one
  non-commuting letter (opaque to the algebra of :mod:`backsmooth.proofs.algebra`);
- :func:`power` ``P^m`` for a symbolic exponent ``m`` (a letter, not a sympy power, so that
  sympy does not split ``P^(L-k)`` into ``P^L P^(-k)``);
- :class:`WordChain`: an identity ``start = target`` proved by named links, each licensed by
  one rule whose side condition is checked: ``cite`` (replace a sub-word by an established
  equal expression; the fact must be cited by the step), ``distribute`` (left and right
  multiplication distribute over a finite sum: ``X (sum_j f_j) Y = sum_j X f_j Y`` for ``X, Y``
  free of ``j``), ``first term`` (``sum_{j=a}^{b} f_j = f_a + sum_{j=a+1}^{b} f_j`` for
  ``a <= b``, decided by sympy under the stated range) and ``empty sum``
  (``sum_{j=a}^{a-1} f_j = 0``); the two sides are then compared after the definitions
  (:class:`PatternRule`: ``P P^m = P^(m+1)``, ``P^0 = I``, the definitions of the products
  ``M_(k,j)``), evidence ``all_sizes_identity``.

Rules for :class:`~backsmooth.proofs.chains.RuleChain` (registered in ``RULES``):

- ``triangle (finite sum)``: ``||sum_{j=a}^{b} f_j|| <= sum_{j=a}^{b} ||f_j||`` (range ``a <= b + 1``);
- ``termwise finite sum``: ``sum_j x_j <= sum_j y_j`` when ``x_j <= y_j`` is proved by an inner rule
  chain for a symbolic ``j`` in the range (range ``a <= b + 1``, so the sum is not reversed);
- ``minimum of two bounds``: ``x <= a`` and ``x <= b`` (two inner chains) give ``x <= min(a, b)``;
- ``transpose (indexed)``: ``||M^T_(k,j)||_2 = ||M_(k,j)||_2`` for a letter declared the transpose of another;
- ``weight norm (layer index)``: ``||W^(i)||_2 = s(i)`` for the weight letter of a symbolic layer ``i``.

Examples
--------
>>> j, a, b = sp.symbols("j a b", integer=True)
>>> f = sp.Function("f", commutative=False)
>>> X = sp.Symbol("X", commutative=False)
>>> chain = WordChain(X * FiniteSum(f(j), j, a, b), [("distribute", {})], FiniteSum(X * f(j), j, a, b))
>>> chain().passed
True
"""

from __future__ import annotations

import sympy as sp

from .checks import _decided_nonnegative
from .framework import Evidence
from .norms import Fro, Spec, _Norm
from .rule_base import Licence, RuleError, _monotone, _need, rule

__all__ = ["FiniteSum", "power", "PatternRule", "POWER_RULES", "WordChain", "terms", "canon",
           "TRANSPOSE_OF", "WEIGHT_LETTERS"]


class FiniteSum(sp.Function):
    """``sum_{j=lo}^{hi} summand`` of matrices (a non-commuting letter); args ``(summand, j, lo, hi)``."""

    nargs = 4
    is_commutative = False

    def _sympystr(self, printer):
        f, j, lo, hi = self.args
        return f"sum_({printer._print(j)}={printer._print(lo)})^({printer._print(hi)}) [{printer._print(f)}]"

    def _latex(self, printer):
        f, j, lo, hi = self.args
        return r"\sum_{{{}={}}}^{{{}}} {}".format(printer._print(j), printer._print(lo), printer._print(hi),
                                                 printer._print(f))


_P = sp.Symbol("P", commutative=False)
_PPOW = sp.Function("P^", commutative=False)


def power(m):
    """``P^m`` for a symbolic exponent ``m`` (a letter)."""
    return _PPOW(m)


def _is_power(x):
    return isinstance(x, sp.Function) and x.func == _PPOW


class PatternRule:
    """A rewrite of words by pattern: ``fn(word) -> new word or None`` (a definition or a power law)."""

    def __init__(self, name, fn, hypothesis=None):
        self.name, self.fn, self.hypothesis = name, fn, hypothesis

    def __repr__(self):
        return f"PatternRule({self.name!r})"


def _merge(word):
    for i in range(len(word) - 1):
        a, b = word[i], word[i + 1]
        if a == _P and _is_power(b):
            return word[:i] + (_PPOW(b.args[0] + 1),) + word[i + 2:]
        if _is_power(a) and b == _P:
            return word[:i] + (_PPOW(a.args[0] + 1),) + word[i + 2:]
    return None


def _unit(word):
    for i, x in enumerate(word):
        if _is_power(x) and sp.simplify(x.args[0]) == 0:
            return word[:i] + word[i + 1:]
    return None


#: ``P P^m = P^m P = P^(m+1)`` and ``P^0 = I`` (definition of the power)
POWER_RULES = (PatternRule("P P^m = P^m P = P^(m+1)", _merge), PatternRule("P^0 = I", _unit))


def terms(expr):
    """``[(coefficient, (letters...))]`` of an expanded matrix expression (zero terms dropped)."""
    from .algebra import split_word

    out = []
    for t in sp.Add.make_args(sp.expand(sp.sympify(expr))):
        if t == 0:
            continue
        c, w = split_word(t)
        out.append((c, tuple(w)))
    return out


def _build(tms):
    return sp.Add(*[c * sp.Mul(*w) for c, w in tms])


def _rewrite_word(word, rules, used):
    changed = True
    while changed:
        changed = False
        for r in rules:
            new = r.fn(word)
            if new is not None:
                word, changed = tuple(new), True
                used.add(r)
                break
    return word


def canon(expr, rules=(), used=None) -> dict:
    """``{word: coefficient}`` of ``expr``: expanded, summands of finite sums in canonical form,
    every word rewritten by ``rules`` (:class:`PatternRule`) and :data:`POWER_RULES`."""
    used = set() if used is None else used
    rules = tuple(rules) + POWER_RULES
    out: dict = {}
    for c, w in terms(expr):
        letters = []
        for x in w:
            if isinstance(x, FiniteSum):
                f, j, lo, hi = x.args
                inner = sorted(canon(f, rules, used).items(), key=lambda kv: sp.default_sort_key(kv[0]))
                x = FiniteSum(_build([(cf, wd) for wd, cf in inner]), j, lo, hi) if inner else sp.Integer(0)
            letters.append(x)
        if any(x == 0 for x in letters):
            continue
        word = _rewrite_word(tuple(letters), rules, used)
        out[word] = out.get(word, 0) + c
    return {w: c for w, c in ((w, sp.simplify(c)) for w, c in out.items()) if c != 0}


def _replace_subword(expr, old, new):
    """Replace every occurrence of the word ``old`` (top-level words) by the expression ``new``."""
    (c0, ow), = terms(old)
    _need(c0 == 1 and ow, f"cite: {old} is not a product of letters")
    m, out, found = len(ow), [], 0
    for c, w in terms(expr):
        i = 0
        pieces = []
        while i <= len(w) - m:
            if w[i:i + m] == ow:
                pieces.append((w[:i], w[i + m:]))
                break
            i += 1
        if pieces:
            pre, post = pieces[0]
            found += 1
            out.append(c * sp.Mul(*pre) * new * sp.Mul(*post))
        else:
            out.append(c * sp.Mul(*w))
    _need(found > 0, f"cite: the word {old} does not occur in {expr}")
    return sp.Add(*out)


def _distribute(expr):
    out, changed = [], 0
    for c, w in terms(expr):
        sums = [i for i, x in enumerate(w) if isinstance(x, FiniteSum)]
        if len(sums) != 1 or (len(w) == 1 and c == 1):
            out.append(c * sp.Mul(*w))
            continue
        i = sums[0]
        f, j, lo, hi = w[i].args
        outside = c * sp.Mul(*w[:i]) * sp.Mul(*w[i + 1:])
        _need(j not in outside.free_symbols,
              f"distribute: the factors {outside} outside the sum depend on its index {j}")
        out.append(FiniteSum(sp.expand(c * sp.Mul(*w[:i]) * f * sp.Mul(*w[i + 1:])), j, lo, hi))
        changed += 1
    _need(changed > 0, "distribute: no product with a finite sum")
    return sp.Add(*out)


def _range_ok(lo, hi, cond, slack=0):
    """``hi - lo + slack >= 0`` decided by sympy after the substitution ``cond`` (the stated range)."""
    gap = sp.simplify(sp.sympify(hi - lo + slack).subs(cond or {}))
    return _decided_nonnegative(gap)


def _first_term(expr, total, cond, join, defs=()):
    _need(isinstance(total, FiniteSum), "first term: give the sum sum_{j=a}^{b} f_j")
    f, j, lo, hi = total.args
    _need(_range_ok(lo, hi, cond), f"first term: {lo} <= {hi} is not decided under the range {cond}")
    rest = FiniteSum(f, j, lo + 1, hi)
    first = f.xreplace({j: lo})
    # the sum to join (or split) must occur, up to the definitions (canonical letters)
    letters = {x for w in canon(expr, defs) for x in w}
    want = rest if join else total
    _need(any(isinstance(x, FiniteSum) and not canon(x - want, defs) for x in letters),
          f"first term: {want} does not occur")
    if join:  # f_a + sum_{a+1}^b -> sum_a^b
        return expr + total - first - rest
    return expr - total + first + rest


def _empty(expr):
    rep = {}
    for _, w in terms(expr):
        for x in w:
            if isinstance(x, FiniteSum) and sp.simplify(x.args[3] - x.args[2] + 1) == 0:
                rep[x] = sp.Integer(0)
    _need(rep, "empty sum: no sum with hi = lo - 1")
    return expr.xreplace(rep)


class WordChain:
    """A step check: ``start = target`` for every size, by named links (see the module docstring).

    Parameters
    ----------
    start, target : matrix expressions (non-commuting letters, :class:`FiniteSum`, :func:`power`)
    links : list of ``(name, params)``
        ``("cite", {"fact", "old", "new"})``, ``("distribute", {})``,
        ``("first term", {"sum", "cond", "join"})``, ``("empty sum", {})``.
    rules : tuple of :class:`PatternRule`
        Definitions used in the final comparison (their ``hypothesis`` must be cited).
    """

    wants_step = True
    form = "matrix identity"

    def __init__(self, start, links, target, rules=(), detail=""):
        self.start, self.links, self.target = start, list(links), target
        self.defs, self.detail = tuple(rules), detail
        self.build = lambda: [(self.start, self.target)]
        self.names = tuple(dict.fromkeys(n for n, _ in self.links))
        #: names of the rules (for display), as for the other checks
        self.rules = self.names + tuple(r.name for r in self.defs + POWER_RULES)

    def remake(self, new_build):
        (s, t), = new_build()
        return WordChain(s, self.links, t, self.defs, self.detail)

    def _run(self):
        expr, needs = sp.sympify(self.start), []
        for i, (name, prm) in enumerate(self.links):
            try:
                if name == "cite":
                    expr = _replace_subword(expr, prm["old"], prm["new"])
                    needs.append(prm["fact"])
                elif name == "distribute":
                    expr = _distribute(expr)
                elif name == "first term":
                    expr = _first_term(expr, prm["sum"], prm.get("cond"), prm.get("join", False), self.defs)
                elif name == "empty sum":
                    expr = _empty(expr)
                else:
                    raise RuleError(f"no identity link named {name!r}")
            except RuleError as exc:
                raise RuleError(f"link {i} ({name}): {exc}") from None
        used: set = set()
        left = canon(expr - self.target, self.defs, used)
        if left:
            raise RuleError(f"the chain ends at {expr}, which differs from {self.target} by "
                            f"{_build([(c, w) for w, c in left.items()])}")
        needs.extend(r.hypothesis for r in used if r.hypothesis)
        return tuple(dict.fromkeys(needs)), tuple(sorted(r.name for r in used))

    def needs(self):
        try:
            return self._run()[0]
        except RuleError:
            return ()

    def __call__(self, step=None) -> Evidence:
        names = self.rules
        try:
            needs, used = self._run()
        except RuleError as exc:
            return Evidence("all_sizes_identity", False, f"identity chain refused: {exc}", rules=names)
        cited = set(getattr(step, "uses", ()) or ()) if step is not None else None
        missing = [h for h in needs if cited is not None and h not in cited]
        if missing:
            return Evidence("all_sizes_identity", False, "facts not cited by the step: " + "; ".join(missing),
                            rules=names)
        msg = (f"{len(self.links)} links, equal for every size and depth (non-commuting letters, "
               f"sums of symbolic length); facts cited: {', '.join(needs) or 'none'}")
        return Evidence("all_sizes_identity", True, msg + (f"; {self.detail}" if self.detail else ""),
                        rules=tuple(dict.fromkeys(self.names + used)))


# ------------------------------------------------------------------ norm rules over finite sums
@rule("triangle (finite sum)")
def triangle_finite_sum(term, cond=None, **_):
    """``||sum_{j=a}^{b} f_j|| <= sum_{j=a}^{b} ||f_j||`` for a range with ``a <= b + 1`` (under ``cond``)."""
    _need(isinstance(term, _Norm) and isinstance(term.args[0], FiniteSum),
          "triangle (finite sum): not the norm of a finite sum")
    f, j, lo, hi = term.args[0].args
    _need(_range_ok(lo, hi, cond, 1), f"triangle (finite sum): {lo} <= {hi} + 1 not decided under {cond}")
    return Licence(sp.Sum(type(term)(f), (j, lo, hi)))


@rule("termwise finite sum")
def termwise_finite_sum(term, small=None, large=None, links=(), cond=None, **_):
    """``sum_j x_j <= sum_j y_j`` when ``x_j <= y_j`` is proved by the rule chain ``links`` for symbolic ``j``."""
    from .chains import RuleChain

    _need(isinstance(term, sp.Sum) and len(term.limits) == 1 and small is not None and large is not None
          and links, "termwise finite sum: a sum over one index, the terms compared and the chain")
    j, lo, hi = term.limits[0]
    _need(_range_ok(lo, hi, cond, 1), f"termwise finite sum: {lo} <= {hi} + 1 not decided under {cond}")
    _need(term.function.has(small), f"termwise finite sum: {small} is not in the summand")
    _need(sp.sympify(small).is_extended_nonnegative is True, f"termwise finite sum: {small} not known >= 0")
    _need(_monotone(term.function, small), "termwise finite sum: the summand is not non-decreasing in the term")
    _, needs, _ = RuleChain(small, links, large)._run()
    return Licence(term.xreplace({small: large}), "<=", tuple(needs))


@rule("minimum of two bounds")
def minimum_of_bounds(term, first=None, second=None, **_):
    """``x <= a`` and ``x <= b`` (each an inner rule chain ``(links, bound)``) give ``x <= min(a, b)``."""
    from .chains import RuleChain

    _need(first is not None and second is not None, "minimum of two bounds: give two chains (links, bound)")
    needs = []
    for links, bound in (first, second):
        _, nd, _ = RuleChain(term, links, bound)._run()
        needs.extend(h for h in nd if h not in needs)
    return Licence(sp.Min(first[1], second[1]), "<=", tuple(needs))


#: letter function -> the letter function of its transpose (declared by the module that defines them)
TRANSPOSE_OF: dict = {}


@rule("transpose (indexed)")
def transpose_indexed(term, **_):
    """``||X_(a,b)||_2 = ||Y_(a,b)||_2`` and the same for ``||.||_F`` when ``X`` is declared ``Y^T``."""
    _need(type(term) in (Spec, Fro) and isinstance(term.args[0], sp.Function)
          and term.args[0].func in TRANSPOSE_OF, "transpose (indexed): not a norm of a declared transpose letter")
    x = term.args[0]
    return Licence(type(term)(TRANSPOSE_OF[x.func](*x.args)), "==")


#: weight letter functions W(i) = W^(i)
WEIGHT_LETTERS: set = set()


@rule("weight norm (layer index)")
def weight_norm_indexed(term, s=None, **_):
    """``||W^(i)||_2 = s(i)`` for the weight letter ``W(i)`` of a symbolic layer (definition of ``s_i``)."""
    from .norms import SETTING_S

    _need(type(term) is Spec and isinstance(term.args[0], sp.Function) and term.args[0].func in WEIGHT_LETTERS
          and s is not None, "weight norm (layer index): only ||W(i)||_2, with the function s")
    return Licence(s(*term.args[0].args), "==", (SETTING_S,))
