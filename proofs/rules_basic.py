"""The basic rules of the engine: norms, sub-multiplicativity, the hypotheses (A1)-(A3), citations.

Each rule checks its pattern and side conditions and returns the bound it licenses
(:class:`backsmooth.proofs.rule_base.Licence`); it is registered in
:data:`backsmooth.proofs.rule_base.RULES` under its name.

Examples
--------
>>> from backsmooth.proofs.algebra import matrix
>>> from backsmooth.proofs.norms import Spec
>>> RULES["contraction"](Spec(matrix("Pi"))).bound
1
"""

from __future__ import annotations

import sympy as sp

from ._common import A1, A1P, A2, A2A, A2B, A3
from .algebra import A1_RULES, equal, matrix, n, transpose
from .norms import PI, SETTING_S, E, Fro, Had, Inf, Max, Row, Spec, _Norm, c_rho, lam, s
from .rule_base import RULES, Licence, _monotone, _need, _word, rule

__all__ = ["SUBMULT", "cite"]


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
