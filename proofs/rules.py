"""Inequalities licensed by named rules whose side conditions the engine checks.

A *rule chain* starts from an expression in norms of matrix expressions (non-commuting
symbols of :mod:`backsmooth.proofs.algebra`) and scalar parameters, and applies named rules
(:data:`RULES`) one at a time to a sub-term.  Each rule is a small function: it checks that
the term has its pattern and its side conditions (which norm pair, which hypothesis), and
returns the bound it licenses, so the chain cannot claim a bound no rule gives.  An
inequality rule applied inside a larger expression needs that expression to be
non-decreasing in the term: the rule ``monotone`` (derivative non-negative, decided by sympy,
all norms and parameters non-negative) is checked every time.  Hypotheses a rule needs must
be cited by the step; a cited fact (:func:`cite`) must be named in the step's ``uses``.
The chain must end exactly at the stated bound (scalar identity), or reach it by a scalar
inequality decided by sympy.  Evidence kind ``rule``.

Examples
--------
>>> from backsmooth.proofs.algebra import matrix
>>> X, W = matrix("X"), matrix("W^(k)")
>>> chain = RuleChain(Fro(PI * X * W), [("submultiplicative", Fro(PI * X * W), {"split": 2, "pair": "F,2"}),
...                                     ("weight norm", Spec(W), {"k": "k"})],
...                   target=Fro(PI * X) * sp.Symbol("s_k", positive=True))
>>> chain().passed
True
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._common import A1, A1P, A2, A2A, A2B, A3
from .algebra import A1_RULES, equal, matrix, n, transpose
from .checks import _decided_nonnegative, is_zero
from .framework import Evidence

__all__ = ["Fro", "Spec", "Row", "Max", "Inf", "E", "Had", "PI", "lam", "s", "c_rho", "RuleError",
           "RULES", "rule", "RuleChain", "ByInduction", "AllOf", "cite", "MONOTONE"]

SETTING_S = "s_k, Q_k, S_k, Lam_k"
lam = sp.Symbol("lambda", positive=True)
s = sp.Symbol("s", positive=True)
c_rho = sp.Symbol("c_rho", nonnegative=True)
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


class RuleError(ValueError):
    """A rule applied to a term without its pattern or without its side conditions."""


@dataclass(frozen=True)
class Licence:
    """What a rule licenses: ``term <relation> bound``, needing these hypotheses."""

    bound: object
    relation: str = "<="
    needs: tuple = ()


RULES: dict = {}


def rule(name):
    """Register a rule function ``f(term, **params) -> Licence`` under ``name``."""
    def deco(fn):
        RULES[name] = fn
        fn.rule_name = name
        return fn
    return deco


def _word(M):
    c, nc = sp.sympify(M).args_cnc()
    out = []
    for f in nc:
        if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
            out.extend([f.base] * int(f.exp))
        else:
            out.append(f)
    return sp.Mul(*c), out


def _need(cond, msg):
    if not cond:
        raise RuleError(msg)


@rule("triangle")
def triangle(term, grouped=False, **_):
    """``||A + B|| <= ||A|| + ||B||`` for every norm (``grouped``: the summands as written, not expanded)."""
    _need(isinstance(term, _Norm) and not isinstance(term, E), "triangle: not a norm")
    parts = sp.Add.make_args(term.args[0] if grouped else sp.expand(term.args[0]))
    _need(len(parts) > 1, "triangle: the argument is not a sum")
    return Licence(sp.Add(*[type(term)(p) for p in parts]))


@rule("homogeneity")
def homogeneity(term, **_):
    """``||c A|| = |c| ||A||`` for a scalar ``c``."""
    _need(isinstance(term, _Norm), "homogeneity: not a norm")
    c, w = _word(term.args[0])
    _need(c != 1 and w, "homogeneity: no scalar factor")
    return Licence(sp.Abs(c) * type(term)(sp.Mul(*w)), "==")


#: allowed (norm of the product, pair) -> norms of the two factors
SUBMULT = {(Fro, "2,F"): (Spec, Fro), (Fro, "F,2"): (Fro, Spec), (Spec, "2,2"): (Spec, Spec),
           (Row, "inf,row"): (Inf, Row), (Row, "row,2"): (Row, Spec), (Inf, "inf,inf"): (Inf, Inf)}


@rule("submultiplicative")
def submultiplicative(term, split=1, pair="2,F", **_):
    """``||AB|| <= ||A||_a ||B||_b`` for the pairs of :data:`SUBMULT` (``split`` letters in ``A``)."""
    _need((type(term), pair) in SUBMULT,
          f"submultiplicative: no rule ||AB||_{type(term).__name__} <= ||A|| ||B|| for the pair {pair}")
    c, w = _word(term.args[0])
    _need(c == 1, "submultiplicative: take the scalar out first (homogeneity)")
    _need(0 < split < len(w), f"submultiplicative: cannot split a product of {len(w)} factors at {split}")
    na, nb = SUBMULT[(type(term), pair)]
    return Licence(na(sp.Mul(*w[:split])) * nb(sp.Mul(*w[split:])))


@rule("transpose")
def transpose_rule(term, **_):
    """``||A^T||_F = ||A||_F``, ``||A^T||_2 = ||A||_2``."""
    _need(type(term) in (Fro, Spec), "transpose: only the Frobenius and spectral norms")
    return Licence(type(term)(transpose(term.args[0])), "==")


@rule("identity")
def identity(term, to=None, rewrites=(), **_):
    """``||M|| = ||M'||`` when ``M = M'`` for every size (:mod:`algebra`, (A1) and ``rewrites``)."""
    _need(isinstance(term, _Norm) and not isinstance(term, E), "identity: not a norm")
    ok, used = equal(term.args[0], to, tuple(A1_RULES) + tuple(rewrites))
    _need(ok, f"identity: {term.args[0]} and {to} differ")
    return Licence(type(term)(to), "==", tuple(sorted({r.hypothesis for r in used if r.hypothesis})))


@rule("norm comparison")
def comparison(term, **_):
    """``||A||_2 <= ||A||_F``, ``||A||_max <= ||A||_row <= ||A||_F``."""
    up = {Spec: Fro, Max: Row, Row: Fro}
    _need(type(term) in up, "norm comparison: no larger norm known")
    return Licence(up[type(term)](term.args[0]))


@rule("Cauchy-Schwarz (column sums)")
def column_sums(term, **_):
    """``||A^T 1|| <= sqrt(n) ||A||_F`` (Cauchy-Schwarz on each column of ``A``; ``A^T`` may be a sum)."""
    from .algebra import ONE, OPAQUE_TRANSPOSES

    _need(type(term) is Fro, "Cauchy-Schwarz: only ||A^T 1||")
    parts = []
    for t in sp.Add.make_args(sp.expand(term.args[0])):
        c, w = _word(t)
        _need(len(w) >= 2 and w[-1] == ONE, "Cauchy-Schwarz: only ||A^T 1||")
        parts.append((c, w[:-1]))
    _need(len(parts) > 1 or parts[0][0] == 1, "Cauchy-Schwarz: take the scalar out first (homogeneity)")
    if len(parts) == 1 and len(parts[0][1]) == 1 and parts[0][1][0] in OPAQUE_TRANSPOSES:
        return Licence(sp.sqrt(n) * Fro(OPAQUE_TRANSPOSES[parts[0][1][0]]))
    return Licence(sp.sqrt(n) * Fro(transpose(sp.Add(*[c * sp.Mul(*w) for c, w in parts]))))


@rule("hadamard")
def hadamard(term, **_):
    """``||A o B||_F <= ||A||_F ||B||_max`` and ``||A o B||_row <= ||A||_max ||B||_row``."""
    _need(type(term) in (Fro, Row) and isinstance(term.args[0], Had), "hadamard: not a norm of A o B")
    A, B = term.args[0].args
    return Licence(Fro(A) * Max(B) if type(term) is Fro else Max(A) * Row(B))


@rule("spectral gap (A1)")
def spectral_gap(term, **_):
    """``||P Pi||_2 = ||Pi P||_2 <= lambda`` (hypothesis (A1))."""
    P = matrix("P")
    _need(type(term) is Spec and term.args[0] in (P * PI, PI * P), "spectral gap: only ||P Pi||_2")
    return Licence(lam, "<=", (A1,))


@rule("contraction")
def contraction(term, **_):
    """``||P||_2 <= 1`` (A1), ``||Pi||_2, ||I||_2 <= 1`` (projection), ``||P||_inf <= 1`` (A1, A1+)."""
    P = matrix("P")
    if type(term) is Spec and term.args[0] in (PI, matrix("I")):
        return Licence(sp.Integer(1))
    if type(term) is Spec and term.args[0] == P:
        return Licence(sp.Integer(1), "<=", (A1,))
    _need(type(term) is Inf and term.args[0] == P, "contraction: only ||P||_2, ||Pi||_2, ||P||_inf")
    return Licence(sp.Integer(1), "<=", (A1, A1P))


@rule("|rho'| <= 1 (A2)")
def rho_prime_bounded(term, **_):
    """``||D||_2 <= 1`` for ``D = diag(rho'(hbar))``, ``||rho'(H)||_max <= 1`` (A2: 1-Lipschitz)."""
    _need(type(term) in (Spec, Max) and getattr(term.args[0], "name", "").startswith("D_"),
          "|rho'| <= 1: only for a matrix D_... of derivatives of rho")
    return Licence(sp.Integer(1), "<=", (A2,))


@rule("Lipschitz rho' (A2b)")
def rho_prime_lipschitz(term, H=None, **_):
    """``||R||_F <= c_rho ||Pi H||_F`` for ``R = rho'(H) - 1 rho'(hbar)^T`` (A2b)."""
    _need(type(term) is Fro and getattr(term.args[0], "name", "").startswith("R_") and H is not None,
          "Lipschitz rho': only ||R_k||_F with its H")
    return Licence(c_rho * Fro(PI * H), "<=", (A2B,))


@rule("E definition")
def e_definition(term, **_):
    """``||Pi X||_F = sqrt(n) E(X)`` and ``E(X) = ||Pi X||_F / sqrt(n)`` (definition of E)."""
    if type(term) is E:
        return Licence(Fro(PI * term.args[0]) / sp.sqrt(n), "==")
    _need(type(term) is Fro, "E definition: only ||Pi X||_F")
    c, w = _word(term.args[0])
    _need(c == 1 and len(w) >= 2 and w[0] == PI and PI not in w[1:],
          "E definition: only ||Pi X||_F")
    return Licence(sp.sqrt(n) * E(sp.Mul(*w[1:])), "==")


@rule("weight norm")
def weight_norm(term, k="k", **_):
    """``||W^(k)||_2 = s_k`` (definition of s_k; the transpose too)."""
    names = (f"W^({k})", f"W^({k})^T")
    _need(type(term) is Spec and getattr(term.args[0], "name", "") in names,
          f"weight norm: only ||W^({k})||_2")
    return Licence(sp.Symbol(f"s_{k}", positive=True), "==", (SETTING_S,))


@rule("uniform weights (A3)")
def uniform_weights(term, **_):
    """``s_k <= s`` (A3)."""
    _need(isinstance(term, sp.Symbol) and term.name.startswith("s_"), "uniform weights: only s_k")
    return Licence(s, "<=", (A3,))


@rule("rank one")
def rank_one(term, u=None, v=None, **_):
    """``c ||u|| ||v|| = ||c u v^T||_F`` for column vectors ``u``, ``v`` (words ending in ``1``) and ``c >= 0``."""
    from .algebra import ONE

    _need(u is not None and v is not None, "rank one: give the vectors u and v")
    for x in (u, v):
        _, w = _word(x)
        _need(w and w[-1] == ONE, f"rank one: {x} is not a column vector (X^T 1 / n)")
    c = sp.simplify(term / (Fro(u) * Fro(v)))
    _need(not c.has(_Norm) and c.is_nonnegative is True, "rank one: the term is not c ||u|| ||v||, c >= 0")
    return Licence(Fro(c * u * transpose(v)), "==")


@rule("|rho(x)| <= |x| (A2, A2a)")
def rho_entrywise(term, **_):
    """``||rho(X)||_F <= ||X||_F`` and ``||rho(X)||_row <= ||X||_row`` (1-Lipschitz, rho(0) = 0)."""
    name = getattr(term.args[0], "name", "") if isinstance(term, _Norm) else ""
    _need(type(term) in (Fro, Row) and name.startswith("rho(") and name.endswith(")"),
          "|rho(x)| <= |x|: only ||rho(X)||_F, ||rho(X)||_row")
    return Licence(type(term)(matrix(name[4:-1])), "<=", (A2, A2A))


def cite(name, lhs, rhs, needs=(), equal=False):
    """A link applying the fact ``lhs <= rhs`` (``lhs = rhs`` if ``equal``) established elsewhere.

    The fact is cited as ``name`` (an earlier step's label or introduced name, or a claim);
    ``needs`` are further hypotheses its use here relies on.
    """
    return ("cite", lhs, {"fact": name, "rhs": rhs, "needs": tuple(needs), "equal": equal})


@rule("cite")
def cited(term, fact=None, rhs=None, needs=(), equal=False, **_):
    """Apply an (in)equality established by an earlier step or a cited claim (``fact``)."""
    _need(fact is not None and rhs is not None, "cite: name the fact and its bound")
    return Licence(rhs, "==" if equal else "<=", (fact,) + tuple(needs))


@rule("termwise sum")
def termwise_sum(term, small=None, large=None, premise=None, **_):
    """``sum f(a_ij) <= sum f(b_ij)`` when ``a_ij <= b_ij`` (``premise``) and f is non-decreasing."""
    _need(isinstance(term, sp.Sum) and small is not None and large is not None and premise,
          "termwise sum: a sum, the entries compared and the premise")
    summand = term.function
    _need(summand.has(small), f"termwise sum: {small} is not in the summand")
    _need(_monotone(summand, small), "termwise sum: the summand is not non-decreasing in the entry")
    return Licence(term.xreplace({small: large}), "<=", (premise,))


def _decide_le(a, b, rep=None) -> bool:
    """sympy decides ``a <= b`` (after ``rep``), directly or, both sides positive, on logarithms."""
    a, b = sp.sympify(a).subs(rep or {}), sp.sympify(b).subs(rep or {})
    if _decided_nonnegative(b - a):
        return True
    for x, y in ((a, b), (sp.factor(sp.simplify(a)), sp.factor(sp.simplify(b)))):
        if x.is_positive and y.is_positive:
            if _decided_nonnegative(sp.expand_log(sp.log(y) - sp.log(x), force=True)):
                return True
            ratio = sp.powsimp(sp.simplify(y / x), force=True)
            if _decided_nonnegative(sp.expand_log(sp.log(ratio), force=True)):
                return True
        elif x.is_nonnegative and y.is_nonnegative:
            # b = r a with a >= 0: b >= a where r >= 1 (and both are >= 0 where a = 0)
            ratio = sp.powsimp(sp.simplify(y / x), force=True)
            if _decided_nonnegative(ratio - 1) or (ratio.is_positive and _decided_nonnegative(
                    sp.expand_log(sp.log(ratio), force=True))):
                return True
    return False


def _monotone(expr, term, rep=None):
    # derivative >= 0 for positive values of the term and of every norm; the expressions are
    # continuous, so the monotonicity extends to the boundary (zero norms)
    tau = sp.Dummy("tau", positive=True)
    e = expr.xreplace({term: tau}).subs(rep or {})
    atoms = {a: sp.Dummy(positive=True) for a in e.atoms(_Norm)}
    e = e.xreplace(atoms)
    return _decided_nonnegative(sp.diff(e, tau))


class RuleChain:
    """A step check: ``start <= target`` by a chain of rule applications.

    Parameters
    ----------
    start : sympy expression
    links : list of ``(rule name, term, params)``
        Apply rule ``rule name`` to the sub-term ``term`` of the current expression.
        ``("scalar", None, {"to": expr, "rep": {...}})`` replaces the whole expression by a
        larger one, decided by sympy (rule ``scalar inequality (sympy)``).
    target : sympy expression
        The stated bound; the chain must end exactly there.
    detail : str
    rep : dict, optional
        A re-parametrisation encoding hypotheses (``{lam: 1/(1+v)}``) used by the
        monotonicity checks; ``rep_needs`` names those hypotheses (the step must cite them).
    """

    wants_step = True

    def __init__(self, start, links, target, detail: str = "", rep=None, rep_needs=()):
        self.start, self.links, self.target, self.detail = start, list(links), target, detail
        #: hypotheses encoded as a re-parametrisation for the monotonicity checks, and their names
        self.rep, self.rep_needs = dict(rep or {}), tuple(rep_needs)
        self.rules = tuple(dict.fromkeys({"scalar": "scalar inequality (sympy)",
                                          "scalar bound": "scalar inequality (sympy)",
                                          "rewrite": "definitions (sums, products)"}.get(lk[0], lk[0])
                                         for lk in self.links))

    def needs(self):
        """Hypotheses and facts the rules of the chain need (empty when the chain breaks)."""
        try:
            return self._run()[1]
        except RuleError:
            return ()

    def _run(self):
        expr, needs, used = sp.sympify(self.start), [], []
        for i, (name, term, params) in enumerate(self.links):
            if name == "rewrite":
                from sympy.simplify.simplify import product_simplify, sum_simplify

                new = sp.sympify(params["to"])
                peeled = new
                if "peel" in params:  # sum_{j=a}^{b} f(j) = f(a) + sum_{j=a+1}^{b} f(j), for a <= b
                    a0 = params["peel"]
                    peeled = new.replace(
                        lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.limits[0][1] == a0,
                        lambda e: e.function.subs(e.limits[0][0], a0)
                        + sp.Sum(e.function, (e.limits[0][0], a0 + 1, e.limits[0][2])))
                diff = (expr - peeled).xreplace(params.get("defs", {}))
                if not is_zero(sum_simplify(product_simplify(sp.expand(diff)))):
                    raise RuleError(f"link {i}: {expr} = {new} does not follow from "
                                    f"{params.get('name', 'the definitions')}")
                expr = new
                used.append("definition: " + params.get("name", "sums and products"))
                continue
            if name == "scalar bound":  # a sub-term bounded by a larger one, decided by sympy
                new = sp.sympify(params["to"])
                rep = params.get("rep", {})
                if not expr.has(term):
                    raise RuleError(f"link {i} (scalar bound): {term} does not occur in {expr}")
                if not _decide_le(term, new, rep):
                    raise RuleError(f"link {i}: sympy cannot decide {term} <= {new}")
                if not _monotone(expr, term, self.rep):
                    raise RuleError(f"link {i} (scalar bound): {expr} is not non-decreasing in {term}")
                expr = expr.xreplace({term: new})
                used.extend(u for u in ("scalar inequality (sympy)", MONOTONE) if u not in used)
                needs.extend(h for h in params.get("needs", ()) if h not in needs)
                continue
            if name == "scalar":
                new = sp.sympify(params["to"])
                rep = params.get("rep", {})
                if not _decide_le(expr, new, rep):
                    raise RuleError(f"link {i}: sympy cannot decide {expr} <= {new}")
                expr = new
                used.append("scalar inequality (sympy)")
                continue
            if name not in RULES:
                raise RuleError(f"link {i}: no rule named {name!r}")
            if term is None:
                term = expr  # the rule applies to the whole expression
            if not expr.has(term):
                raise RuleError(f"link {i} ({name}): {term} does not occur in {expr}")
            lic = RULES[name](term, **params)
            if lic.relation == "<=":
                if not _monotone(expr, term, self.rep):
                    raise RuleError(f"link {i} ({name}): {expr} is not non-decreasing in {term}")
                if MONOTONE not in used and expr != term:
                    used.append(MONOTONE)
            expr = expr.xreplace({term: lic.bound})
            needs.extend(h for h in lic.needs if h not in needs)
            used.append(name)
        if not is_zero(sp.simplify(expr - self.target)):
            raise RuleError(f"the chain ends at {expr}, not at the stated bound {self.target}")
        needs.extend(h for h in self.rep_needs if h not in needs)
        return expr, tuple(needs), tuple(dict.fromkeys(used))

    def __call__(self, step=None) -> Evidence:
        try:
            _, needs, used = self._run()
        except RuleError as exc:
            return Evidence("rule", False, f"rule chain refused: {exc}", rules=self.rules)
        cited = set(getattr(step, "uses", ()) or ()) if step is not None else None
        missing = [h for h in needs if cited is not None and h not in cited]
        if missing:
            return Evidence("rule", False, "side conditions not cited by the step: " + "; ".join(missing),
                            rules=used)
        msg = f"{len(self.links)} rule applications, side conditions checked ({', '.join(needs) or 'none'})"
        return Evidence("rule", True, msg + (f"; {self.detail}" if self.detail else ""), rules=used)


class _WithFacts:
    def __init__(self, step, facts):
        self.uses = tuple(getattr(step, "uses", ()) or ()) + tuple(facts)
        self.label = getattr(step, "label", "")


class ByInduction:
    """A step check: a statement for every value of ``variable`` from a base case and a step.

    ``base`` and ``step`` are checks (rule chains, identities); the inductive step may cite
    the fact ``"induction hypothesis"``.  The evidence is the weaker of the two kinds.
    """

    wants_step = True

    def __init__(self, variable, base, step, detail=""):
        self.variable, self.base, self.step, self.detail = variable, base, step, detail
        self.rules = ("induction on " + variable,) + tuple(getattr(base, "rules", ())) + \
            tuple(getattr(step, "rules", ()))

    def _call(self, check, st):
        return check(st) if getattr(check, "wants_step", False) else check()

    def __call__(self, st=None) -> Evidence:
        from .framework import weakest_kind

        eb = self._call(self.base, st)
        es = self._call(self.step, _WithFacts(st, ("induction hypothesis",)) if st is not None else None)
        kind = weakest_kind((eb.kind, es.kind))
        msg = (f"induction on {self.variable}: base {'proved' if eb.passed else 'FAILED'} ({eb.detail}); "
               f"step {'proved' if es.passed else 'FAILED'} ({es.detail})")
        rules = tuple(dict.fromkeys(("induction on " + self.variable,) + eb.rules + es.rules))
        return Evidence(kind, eb.passed and es.passed, msg + (f"; {self.detail}" if self.detail else ""),
                        size=eb.size or es.size, rules=rules)


class AllOf:
    """A step check made of several checks (parts of one step); its kind is the weakest."""

    wants_step = True

    def __init__(self, *checks):
        self.checks = checks
        self.rules = tuple(dict.fromkeys(r for c in checks for r in getattr(c, "rules", ())))

    def __call__(self, st=None) -> Evidence:
        from .framework import weakest_kind

        evs = [c(st) if getattr(c, "wants_step", False) else c() for c in self.checks]
        bad = [i for i, e in enumerate(evs) if not e.passed]
        msg = f"{len(evs)} parts" + (f", parts {bad} FAILED: " + "; ".join(evs[i].detail for i in bad)
                                      if bad else ", each proved")
        return Evidence(weakest_kind(e.kind for e in evs), not bad, msg,
                        size="; ".join(e.size for e in evs if e.size),
                        rules=tuple(dict.fromkeys(r for e in evs for r in e.rules)))


# further rules register themselves in RULES on import
from . import rules_columns as _rules_columns  # noqa: E402,F401
from . import rules_losses as _rules_losses  # noqa: E402,F401
