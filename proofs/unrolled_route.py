"""The unrolled route of the local certificate (extension), for every ``n``, width and depth ``L``.

What :func:`backsmooth.numeric.local_certificate.local_backward_bounds` computes with
``spread_max``: from ``e_L = E(B^(L))`` and ``d_L = 0`` downwards, for ``k = L-1, ..., 0``,

- ``g_k = ||W^(k+1) v_(k+1)|| + s_(k+1) d_(k+1)``;
- one-step values ``e1_k = lambda s_(k+1) ell_k e_(k+1) + E(rho'(H^(k))) g_k`` and
  ``d1_k = s_(k+1) [ell_k d_(k+1) + lambda E(rho'(H^(k))) e_(k+1)]``;
- unrolled values ``eu_k = lambda^(L-k) ||M_(k,L)||_2 e_L + sum_{j=k}^{L-1} lambda^(j-k) ||M_(k,j)||_2
  (E(rho'(H^(j))) g_j + omega_j lambda s_(j+1) e_(j+1))`` and
  ``du_k = sum_{j=k}^{L-1} ||M_(k,j)||_2 lambda s_(j+1) E(rho'(H^(j))) e_(j+1)``;
- ``e_k = min(e1_k, eu_k)``, ``d_k = min(d1_k, du_k)``,

with ``M_(k,j) = A_(j-1) ... A_k`` (``M_(k,k) = I``), ``A_i = W^(i+1)T diag(dbar^(i))`` and
``omega_j = ||Pi rho'(H^(j))||_max``.  Proved here:

1. :func:`unrolled_identity_check`: ``Pi B^(k) = P^(L-k) Pi B^(L) M_(k,L) + sum_{j=k}^{L-1} P^(j-k) eta_j
   M_(k,j)`` and ``bbar^(k) - v_k = sum_{j=k}^{L-1} M_(k,j)^T rbar_j``, by induction on ``L - k``, base and
   step each an identity chain (:class:`~backsmooth.proofs.finite_sums.WordChain`);
2. :func:`unrolled_route_check`: ``E(B^(k)) <= e_k`` and ``||bbar^(k) - v_k|| <= d_k`` with the values above,
   by (strong) induction on ``L - k``: the one-step values are cited from the one-step route, the
   unrolled ones are rule chains (triangle inequality over the finite sum, ``||P^m Pi||_2 <= lambda^m``,
   sub-multiplicativity with the exact ``||M_(k,j)||_2``, the bound on ``eta_j``), then the minimum.

Letters indexed by a symbolic layer are non-commuting functions: ``B(i)`` is ``B^(i)``, ``A(i)`` is ``A_i``,
``eta(i)``, ``M(k, j)``, ``M^T(k, j)`` (declared the transpose of ``M``), ``delta(i) = bbar^(i) - v_i``,
``rbar(i)``, ``W(i) = W^(i)``, ``bbar(i)``, ``v(i)``, ``rho'(H)(i) = rho'(H^(i))``.  The steps proved at a
generic layer ``k`` (linearised step, mean path, eta bound, local backward recursion) are applied at layer
``j`` by the naming convention of every induction of the engine (the letters of layer ``k`` stand for any
layer).

Examples
--------
>>> unrolled_identity_check()(None).passed
True
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import finite_sums as fs
from . import rules as ru
from .certificate_chains import L, dv as d, e, g, k

__all__ = ["unrolled_identity_check", "unrolled_route_check", "pi_b_unrolled", "delta_unrolled",
           "e_unrolled", "d_unrolled", "e_one_step", "d_one_step", "DEFINITIONS"]

j = sp.Symbol("j", integer=True)
u = sp.Symbol("u", integer=True, nonnegative=True)
#: the range of the inductive step, k < L, as L = k + 1 + u with u >= 0
STEP_RANGE = {L: k + 1 + u}


def _layer(name):
    return sp.Function(name, commutative=False)


B, A, AT, eta, M, MT = (_layer(x) for x in ("B", "A", "A^T", "eta", "M", "M^T"))
delta, rbar, W, bbar, v, RH1 = (_layer(x) for x in ("delta", "rbar", "W", "bbar", "v", "rho'(H)"))
fs.TRANSPOSE_OF[MT] = M
fs.WEIGHT_LETTERS.add(W)
P, PI = al.matrix("P"), ru.PI
sf = sp.Function("s", positive=True)
ell = sp.Function("ell", nonnegative=True)


def _same(a, b):
    return sp.simplify(a - b) == 0


def _identity_index(word):
    for i, x in enumerate(word):
        if isinstance(x, sp.Function) and x.func in (M, MT) and _same(x.args[0], x.args[1]):
            return word[:i] + word[i + 1:]
    return None


def _m_step(word):
    for i in range(len(word) - 1):
        a, b = word[i], word[i + 1]
        if (isinstance(a, sp.Function) and a.func == M and isinstance(b, sp.Function) and b.func == A
                and _same(a.args[0], b.args[0] + 1)):
            return word[:i] + (M(b.args[0], a.args[1]),) + word[i + 2:]
        if (isinstance(a, sp.Function) and a.func == AT and isinstance(b, sp.Function) and b.func == MT
                and _same(b.args[0], a.args[0] + 1)):
            return word[:i] + (MT(a.args[0], b.args[1]),) + word[i + 2:]
    return None


#: the definitions of the products: M_(k,k) = M^T_(k,k) = I, M_(k+1,j) A_k = M_(k,j), A_k^T M^T_(k+1,j) = M^T_(k,j)
DEFINITIONS = (fs.PatternRule("M_(k,k) = I (empty product)", _identity_index),
               fs.PatternRule("M_(k,j) = M_(k+1,j) A_k, M_(k,j)^T = A_k^T M_(k+1,j)^T (definition)", _m_step))


def pi_b_unrolled(kk):
    """``P^(L-k) Pi B^(L) M_(k,L) + sum_{j=k}^{L-1} P^(j-k) eta_j M_(k,j)``."""
    return fs.power(L - kk) * PI * B(L) * M(kk, L) + fs.FiniteSum(fs.power(j - kk) * eta(j) * M(kk, j), j, kk, L - 1)


def delta_unrolled(kk):
    """``sum_{j=k}^{L-1} M_(k,j)^T rbar_j``."""
    return fs.FiniteSum(MT(kk, j) * rbar(j), j, kk, L - 1)


def _identity_base():
    pib = fs.WordChain(PI * B(L) - pi_b_unrolled(L), [("empty sum", {})], 0, DEFINITIONS,
                       "k = L: P^0 = I, M_(L,L) = I, the sum is empty")
    dev = fs.WordChain(delta(L) - delta_unrolled(L), [
        ("cite", {"fact": "mean path", "old": delta(L), "new": 0}), ("empty sum", {})], 0, DEFINITIONS,
        "k = L: delta_L = bbar^(L) - v_L = 0 (v_L = bbar^(L)), the sum is empty")
    return ru.AllOf(pib, dev)


def _identity_step():
    pib = fs.WordChain(PI * B(k), [
        ("cite", {"fact": "linearised step", "old": PI * B(k), "new": P * PI * B(k + 1) * A(k) + eta(k)}),
        ("cite", {"fact": "induction hypothesis", "old": PI * B(k + 1), "new": pi_b_unrolled(k + 1)}),
        ("distribute", {}),
        ("first term", {"sum": fs.FiniteSum(fs.power(j - k) * eta(j) * M(k, j), j, k, L - 1),
                        "cond": STEP_RANGE, "join": True})],
        pi_b_unrolled(k), DEFINITIONS, "k < L; P P^(j-k-1) = P^(j-k), M_(k+1,j) A_k = M_(k,j)")
    dev = fs.WordChain(delta(k), [
        ("cite", {"fact": "mean path", "old": delta(k), "new": rbar(k) + AT(k) * delta(k + 1)}),
        ("cite", {"fact": "induction hypothesis", "old": delta(k + 1), "new": delta_unrolled(k + 1)}),
        ("distribute", {}),
        ("first term", {"sum": delta_unrolled(k), "cond": STEP_RANGE, "join": True})],
        delta_unrolled(k), DEFINITIONS, "k < L; A_k^T M_(k+1,j)^T = M_(k,j)^T")
    return ru.AllOf(pib, dev)


def unrolled_identity_check():
    """Both unrolled identities for every ``k <= L``, by induction on ``L - k`` (evidence all_sizes_identity)."""
    return ru.ByInduction("L - k", _identity_base(), _identity_step(),
                          "the statement at k + 1 is the induction hypothesis (index shift k -> k + 1)")


# ------------------------------------------------------------------ the bounds
def _eta_term(jj):
    return sf(jj + 1) * e(jj + 1) * ru.lam * ru.Max(PI * RH1(jj))


def e_unrolled(kk):
    """``eu_k``, the unrolled value of ``e_k`` (what the numeric certificate computes)."""
    return (ru.lam**(L - kk) * ru.Spec(M(kk, L)) * e(L)
            + sp.Sum(ru.lam**(j - kk) * ru.Spec(M(kk, j)) * (ru.E(RH1(j)) * g(j) + _eta_term(j)), (j, kk, L - 1)))


def d_unrolled(kk):
    """``du_k``, the unrolled value of ``d_k``."""
    return sp.Sum(ru.Spec(M(kk, j)) * ru.lam * sf(j + 1) * ru.E(RH1(j)) * e(j + 1), (j, kk, L - 1))


def e_one_step(kk):
    """``e1_k = lambda s_(k+1) ell_k e_(k+1) + E(rho'(H^(k))) g_k``."""
    return ru.lam * sf(kk + 1) * ell(kk) * e(kk + 1) + ru.E(RH1(kk)) * g(kk)


def d_one_step(kk):
    """``d1_k = s_(k+1) (ell_k d_(k+1) + lambda E(rho'(H^(k))) e_(k+1))``."""
    return sf(kk + 1) * (ell(kk) * d(kk + 1) + ru.lam * ru.E(RH1(kk)) * e(kk + 1))


#: 1^T eta_j = 0 (eta_j = Pi eta_j, proved with the linearised step)
_ETA_CENTRED = al.Rewrite("1^T eta_j = 0 (eta_j = Pi eta_j)", (al.ONE_T, eta(j)), (), 0, "linearised step")


def _g_links(jj):
    """``||W^(j+1) bbar^(j+1)|| <= ||W^(j+1) v_(j+1)|| + s_(j+1) d_(j+1) = g_j``."""
    Wb, Wv, Wd = W(jj + 1) * bbar(jj + 1), W(jj + 1) * v(jj + 1), W(jj + 1) * delta(jj + 1)
    return [ru.cite("mean path", ru.Fro(Wb), ru.Fro(Wv + Wd), equal=True),
            ("triangle", ru.Fro(Wv + Wd), {}),
            ("submultiplicative", ru.Fro(Wd), {"split": 1, "pair": "2,F"}),
            ("weight norm (layer index)", ru.Spec(W(jj + 1)), {"s": sf}),
            ru.cite("induction hypothesis", ru.Fro(delta(jj + 1)), d(jj + 1))]


def _e_sum_links():
    term = fs.power(j - k) * eta(j) * M(k, j)
    large = ru.lam**(j - k) * sp.sqrt(al.n) * (ru.E(RH1(j)) * g(j) + _eta_term(j)) * ru.Spec(M(k, j))
    inner = [
        ("identity", ru.Fro(term), {"to": fs.power(j - k) * PI * eta(j) * M(k, j), "rewrites": (_ETA_CENTRED,)}),
        ("submultiplicative", ru.Fro(fs.power(j - k) * PI * eta(j) * M(k, j)), {"split": 2, "pair": "2,F"}),
        ru.cite("lemma2", ru.Spec(fs.power(j - k) * PI), ru.lam**(j - k)),
        ("submultiplicative", ru.Fro(eta(j) * M(k, j)), {"split": 1, "pair": "F,2"}),
        ru.cite("eta bound", ru.Fro(eta(j)), sp.sqrt(al.n) * (ru.E(RH1(j)) * ru.Fro(W(j + 1) * bbar(j + 1))
                                                              + ru.Max(PI * RH1(j)) * ru.lam * sf(j + 1)
                                                              * ru.E(B(j + 1)))),
    ] + _g_links(j) + [
        ru.cite("induction hypothesis", ru.E(B(j + 1)), e(j + 1)),
        ("rewrite", None, {"to": large, "defs": {g(j): ru.Fro(W(j + 1) * v(j + 1)) + sf(j + 1) * d(j + 1)},
                           "name": "g_j = ||W^(j+1) v_(j+1)|| + s_(j+1) d_(j+1)"})]
    first = fs.power(L - k) * PI * B(L) * M(k, L)
    rest = fs.FiniteSum(term, j, k, L - 1)
    return [
        ("E definition", ru.E(B(k)), {}),
        ru.cite("unrolled identity", ru.Fro(PI * B(k)), ru.Fro(first + rest), equal=True),
        ("triangle", ru.Fro(first + rest), {"grouped": True}),
        ("identity", ru.Fro(first), {"to": fs.power(L - k) * PI * PI * B(L) * M(k, L)}),
        ("submultiplicative", ru.Fro(fs.power(L - k) * PI * PI * B(L) * M(k, L)), {"split": 2, "pair": "2,F"}),
        ru.cite("lemma2", ru.Spec(fs.power(L - k) * PI), ru.lam**(L - k)),
        ("submultiplicative", ru.Fro(PI * B(L) * M(k, L)), {"split": 2, "pair": "F,2"}),
        ("E definition", ru.Fro(PI * B(L)), {}),
        ru.cite("induction hypothesis", ru.E(B(L)), e(L)),
        ("triangle (finite sum)", ru.Fro(rest), {"cond": STEP_RANGE}),
        ("termwise finite sum", sp.Sum(ru.Fro(term), (j, k, L - 1)),
         {"small": ru.Fro(term), "large": large, "links": inner, "cond": STEP_RANGE}),
        ("linearity of sums", sp.Sum(large, (j, k, L - 1)), {})]


def _d_sum_links():
    term = MT(k, j) * rbar(j)
    large = ru.Spec(M(k, j)) * ru.lam * sf(j + 1) * ru.E(RH1(j)) * e(j + 1)
    inner = [("submultiplicative", ru.Fro(term), {"split": 1, "pair": "2,F"}),
             ("transpose (indexed)", ru.Spec(MT(k, j)), {}),
             ru.cite("local_backward_recursion", ru.Fro(rbar(j)), ru.lam * sf(j + 1) * ru.E(RH1(j)) * ru.E(B(j + 1))),
             ru.cite("induction hypothesis", ru.E(B(j + 1)), e(j + 1))]
    return [ru.cite("unrolled identity", ru.Fro(delta(k)), ru.Fro(delta_unrolled(k)), equal=True),
            ("triangle (finite sum)", ru.Fro(delta_unrolled(k)), {"cond": STEP_RANGE}),
            ("termwise finite sum", sp.Sum(ru.Fro(term), (j, k, L - 1)),
             {"small": ru.Fro(term), "large": large, "links": inner, "cond": STEP_RANGE})]


def e_unrolled_chain():
    """``E(B^(k)) <= eu_k`` given valid bounds at every layer above ``k`` (a rule chain)."""
    return ru.RuleChain(ru.E(B(k)), _e_sum_links(), e_unrolled(k), "k < L")


def d_unrolled_chain():
    """``||bbar^(k) - v_k|| <= du_k`` given valid bounds at every layer above ``k`` (a rule chain)."""
    return ru.RuleChain(ru.Fro(delta(k)), _d_sum_links(), d_unrolled(k), "k < L")


def _route_base():
    zero = al.Rewrite("delta_L = bbar^(L) - v_L = 0 (v_L = bbar^(L))", (delta(L),), (), 0, "mean path")
    energy = ru.RuleChain(ru.E(B(L)), [("rewrite", None, {"to": e(L), "defs": {e(L): ru.E(B(L))},
                                                          "name": "e_L = E(B^(L))"})], e(L))
    dev = ru.RuleChain(ru.Fro(delta(L)), [("identity", ru.Fro(delta(L)), {"to": 0, "rewrites": (zero,)}),
                                          ("rewrite", None, {"to": d(L), "defs": {d(L): 0}, "name": "d_L = 0"})],
                       d(L))
    return ru.AllOf(energy, dev)


def _smaller_of_two(lhs, one_step, sum_links, unrolled, bound, name):
    """``lhs <= bound = min(one_step, unrolled)``: the one-step value (cited, induction hypothesis
    at the layers above) and the unrolled chain ``sum_links``, joined by the minimum rule."""
    return ru.RuleChain(lhs, [
        ("minimum of two bounds", lhs, {
            "first": ([ru.cite("one-step bounds", lhs, one_step, needs=("induction hypothesis",))], one_step),
            "second": (sum_links, unrolled)}),
        ("rewrite", None, {"to": bound, "defs": {bound: sp.Min(one_step, unrolled)}, "name": name})], bound)


def _route_step():
    energy = _smaller_of_two(ru.E(B(k)), e_one_step(k), _e_sum_links(), e_unrolled(k), e(k),
                             "e_k = min(one-step value, unrolled value)")
    dev = _smaller_of_two(ru.Fro(delta(k)), d_one_step(k), _d_sum_links(), d_unrolled(k), d(k),
                          "d_k = min(one-step value, unrolled value)")
    return ru.AllOf(energy, dev)


def unrolled_route_check():
    """``E(B^(k)) <= e_k``, ``||bbar^(k) - v_k|| <= d_k`` with e_k, d_k the minima, for every k (rules)."""
    return ru.ByInduction("L - k", _route_base(), _route_step(),
                          "strong induction: the hypothesis is the bound at every layer j + 1 > k (j = k..L-1)")
