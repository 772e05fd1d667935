"""Sums of symbolic length (proofs/finite_sums.py) and the certificate's unrolled route
(proofs/unrolled_route.py): each rule licenses its pattern and refuses a bad application, the
proved e_k, d_k are what the numeric certificate computes, and altered chains are rejected."""

import numpy as np
import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from backsmooth.numeric.local_certificate import local_backward_bounds
from backsmooth.proofs import finite_sums as fs
from backsmooth.proofs import rules as ru
from backsmooth.proofs import unrolled_route as ur
from backsmooth.proofs.mutants import _check_mutants

j, a, b = sp.symbols("j a b", integer=True)
f = sp.Function("f", commutative=False)
X, Y = sp.Symbol("X", commutative=False), sp.Symbol("Y", commutative=False)
k, L, u = ur.k, ur.L, ur.u
USES = ("linearised step", "mean path", "lemma2", "eta bound", "one-step bounds", "local_backward_recursion",
        "unrolled identity", "s_k, Q_k, S_k, Lam_k", "induction hypothesis")


class _Step:
    def __init__(self, uses=USES):
        self.uses = uses


def _refused(chain, step=None):
    ev = chain(step if step is not None else _Step())
    return not ev.passed


# ------------------------------------------------------------------ identity links
def test_distribute_licenses_and_refuses_an_index_outside():
    s = fs.FiniteSum(f(j), j, a, b)
    assert fs.WordChain(X * s * Y, [("distribute", {})], fs.FiniteSum(X * f(j) * Y, j, a, b))().passed
    Xj = sp.Function("X", commutative=False)(j)   # depends on the summation index: not a constant factor
    assert _refused(fs.WordChain(Xj * s, [("distribute", {})], fs.FiniteSum(Xj * f(j), j, a, b)))
    # without the link the two sides are different letters
    assert _refused(fs.WordChain(X * s, [], fs.FiniteSum(X * f(j), j, a, b)))


def test_first_term_needs_the_range():
    s = fs.FiniteSum(f(j), j, k, L - 1)
    split = f(k) + fs.FiniteSum(f(j), j, k + 1, L - 1)
    ok = fs.WordChain(s, [("first term", {"sum": s, "cond": {L: k + 1 + u}})], split)
    assert ok().passed
    # k <= L - 1 is not known without the range of the inductive step (k = L: the sum is empty)
    assert _refused(fs.WordChain(s, [("first term", {"sum": s})], split))
    assert _refused(fs.WordChain(s, [("first term", {"sum": s, "cond": {L: k + u}})], split))
    # joining back
    back = fs.WordChain(split, [("first term", {"sum": s, "cond": {L: k + 1 + u}, "join": True})], s)
    assert back().passed
    # a wrong first term is not joined away
    assert _refused(fs.WordChain(f(k + 1) + fs.FiniteSum(f(j), j, k + 1, L - 1),
                                 [("first term", {"sum": s, "cond": {L: k + 1 + u}, "join": True})], s))


def test_empty_sum_only_when_empty():
    assert fs.WordChain(fs.FiniteSum(f(j), j, L, L - 1), [("empty sum", {})], 0)().passed
    assert _refused(fs.WordChain(fs.FiniteSum(f(j), j, L - 1, L - 1), [("empty sum", {})], 0))


def test_power_rules():
    P = sp.Symbol("P", commutative=False)
    m = sp.Symbol("m", integer=True)
    assert fs.WordChain(P * fs.power(m) * X, [], fs.power(m + 1) * X)().passed
    assert fs.WordChain(fs.power(0) * X, [], X)().passed
    assert _refused(fs.WordChain(P * fs.power(m) * X, [], fs.power(m + 2) * X))
    assert _refused(fs.WordChain(X * P * fs.power(m), [], fs.power(m + 1) * X))   # P does not commute with X


def test_cite_needs_the_fact_and_the_word():
    chain = fs.WordChain(X * Y, [("cite", {"fact": "h", "old": Y, "new": X})], X * X)
    assert chain(_Step(("h",))).passed
    assert not chain(_Step(())).passed
    assert _refused(fs.WordChain(X * X, [("cite", {"fact": "h", "old": Y, "new": X})], X * X), _Step(("h",)))


def test_unrolled_identity_is_an_all_sizes_identity():
    ev = ur.unrolled_identity_check()(_Step())
    assert ev.passed and ev.kind == "all_sizes_identity", ev.detail


@pytest.mark.parametrize("wrong", ["power", "product", "range"])
def test_a_wrong_unrolled_identity_is_refused(wrong):
    target = {
        "power": fs.power(L - k + 1) * ur.PI * ur.B(L) * ur.M(k, L)
        + fs.FiniteSum(fs.power(j - k) * ur.eta(j) * ur.M(k, j), j, k, L - 1),
        "product": fs.power(L - k) * ur.PI * ur.B(L) * ur.M(k + 1, L)
        + fs.FiniteSum(fs.power(j - k) * ur.eta(j) * ur.M(k, j), j, k, L - 1),
        "range": fs.power(L - k) * ur.PI * ur.B(L) * ur.M(k, L)
        + fs.FiniteSum(fs.power(j - k) * ur.eta(j) * ur.M(k, j), j, k + 1, L - 1),
    }[wrong]
    step = ur._identity_step().checks[0]
    assert _refused(fs.WordChain(step.start, step.links, target, step.defs))


# ------------------------------------------------------------------ norm rules
def test_triangle_over_a_finite_sum():
    S = fs.FiniteSum(f(j), j, k, L - 1)
    lic = ru.RULES["triangle (finite sum)"](ru.Fro(S), cond={L: k + u})
    assert lic.bound == sp.Sum(ru.Fro(f(j)), (j, k, L - 1))
    with pytest.raises(ru.RuleError):   # k <= L not known: the sympy sum could be reversed (negative)
        ru.RULES["triangle (finite sum)"](ru.Fro(S))
    with pytest.raises(ru.RuleError):
        ru.RULES["triangle (finite sum)"](ru.Fro(X))


def test_triangle_over_a_finite_sum_on_numbers():
    rng = np.random.default_rng(0)
    for _ in range(200):
        mats = rng.standard_normal((rng.integers(1, 6), 3, 4))
        assert np.linalg.norm(mats.sum(0)) <= sum(np.linalg.norm(m) for m in mats) * (1 + 1e-12)


def test_termwise_finite_sum_needs_its_premise_and_range():
    x = sp.Function("x", nonnegative=True)
    c = sp.Symbol("c", positive=True)
    total = sp.Sum(ru.Fro(f(j)), (j, k, L - 1))
    good = [ru.cite("h", ru.Fro(f(j)), c * x(j))]
    lic = ru.RULES["termwise finite sum"](total, small=ru.Fro(f(j)), large=c * x(j), links=good, cond={L: k + u})
    assert lic.bound == sp.Sum(c * x(j), (j, k, L - 1)) and lic.needs == ("h",)
    with pytest.raises(ru.RuleError):   # range not known
        ru.RULES["termwise finite sum"](total, small=ru.Fro(f(j)), large=c * x(j), links=good)
    with pytest.raises(ru.RuleError):   # the premise does not reach the stated term
        ru.RULES["termwise finite sum"](total, small=ru.Fro(f(j)), large=c * x(j) / 2, links=good, cond={L: k + u})


def test_minimum_of_two_bounds():
    x = ru.Fro(X)
    p, q = sp.symbols("p q", positive=True)
    lic = ru.RULES["minimum of two bounds"](x, first=([ru.cite("h1", x, p)], p), second=([ru.cite("h2", x, q)], q))
    assert lic.bound == sp.Min(p, q) and set(lic.needs) == {"h1", "h2"}
    with pytest.raises(ru.RuleError):   # the second chain does not end at its bound
        ru.RULES["minimum of two bounds"](x, first=([ru.cite("h1", x, p)], p), second=([ru.cite("h2", x, q)], q / 2))


def test_transpose_and_weight_rules_refuse_other_letters():
    assert ru.RULES["transpose (indexed)"](ru.Spec(ur.MT(k, j))).bound == ru.Spec(ur.M(k, j))
    with pytest.raises(ru.RuleError):
        ru.RULES["transpose (indexed)"](ru.Spec(ur.M(k, j)))   # M is not declared a transpose
    assert ru.RULES["weight norm (layer index)"](ru.Spec(ur.W(j + 1)), s=ur.sf).bound == ur.sf(j + 1)
    with pytest.raises(ru.RuleError):
        ru.RULES["weight norm (layer index)"](ru.Spec(ur.B(j)), s=ur.sf)


# ------------------------------------------------------------------ the route
def test_unrolled_route_is_a_rule_proof():
    # (its facts are each removed by the mutation report of local_certificate, tests/test_proofs_extension_local.py)
    ev = ur.unrolled_route_check()(_Step())
    assert ev.passed and ev.kind == "rule", ev.detail


def test_mutants_of_the_unrolled_chains_are_rejected():
    # every mutant of the deviation chain; of the energy chain those that do not end in a false
    # comparison of two sums (each of those costs a 6 s simplify: the explicit wrong power below
    # stands for them)
    d_muts = _check_mutants(ur.d_unrolled_chain())
    e_muts = [(d, m) for d, m in _check_mutants(ur.e_unrolled_chain())
              if d.startswith(("direction", "side condition"))]
    assert len(d_muts) >= 4 and len(e_muts) >= 3
    assert not [d for d, m in d_muts + e_muts if m(_Step()).passed]
    assert ur.d_unrolled_chain()(_Step()).passed


def test_unrolled_value_with_a_wrong_power_is_refused():
    c = ur.e_unrolled_chain()
    wrong = c.target.xreplace({ur.ru.lam**(L - k): ur.ru.lam**(L - k + 1)})
    assert wrong != c.target
    assert not ru.RuleChain(c.start, c.links, wrong)(_Step()).passed


def _proved_values(W, lam, ell, E_D, dbar, bbar_L, e_B, omega):
    """e_k, d_k from the proof's own expressions (e_one_step, e_unrolled, ...), evaluated on numbers."""
    Lnum = len(W) - 1
    s = [np.linalg.norm(w, 2) for w in W]
    A = [W[i + 1].T * dbar[i][None, :] for i in range(Lnum)]

    def Mnorm(kk, jj):
        T = np.eye(A[kk].shape[1])
        for i in range(kk, jj):
            T = A[i] @ T
        return np.linalg.norm(T, 2)

    e, d, g = {Lnum: e_B}, {Lnum: 0.0}, {}
    v = np.asarray(bbar_L, dtype=float)
    for kk in range(Lnum - 1, -1, -1):
        g[kk] = np.linalg.norm(W[kk + 1] @ v) + s[kk + 1] * d[kk + 1]
        rep = {ur.L: Lnum, ur.k: kk}
        vals = {}
        for expr in (ur.e_one_step(kk), ur.e_unrolled(kk), ur.d_one_step(kk), ur.d_unrolled(kk)):
            ex = expr.subs(rep).doit()
            table = {}
            for atom in ex.atoms(ru.Spec):
                mk = atom.args[0]
                table[atom] = Mnorm(int(mk.args[0]), int(mk.args[1]))
            for atom in ex.atoms(ru.E):
                table[atom] = E_D[int(atom.args[0].args[0])]
            for atom in ex.atoms(ru.Max):
                table[atom] = omega[int(atom.args[0].args[1].args[0])]
            known = {"e": e, "d": d, "g": g, "s": s, "ell": ell}
            for atom in ex.atoms(AppliedUndef):
                if atom.is_commutative:
                    table[atom] = known[atom.func.__name__][int(atom.args[0])]
            vals[expr] = float(ex.xreplace(table).subs(ur.ru.lam, lam))
        e1, eu, d1, du = vals.values()
        e[kk], d[kk] = min(e1, eu), min(d1, du)
        v = dbar[kk] * (W[kk + 1] @ v)
    return np.array([e[i] for i in range(Lnum + 1)]), np.array([d[i] for i in range(Lnum + 1)])


def test_proved_values_are_what_the_numeric_certificate_computes():
    rng = np.random.default_rng(3)
    for Lnum in (1, 2, 4):
        widths = rng.integers(1, 4, Lnum + 2)
        W = [rng.standard_normal((widths[i], widths[i + 1])) for i in range(Lnum + 1)]
        dbar = [rng.uniform(0.1, 1, widths[i + 1]) for i in range(Lnum)]
        ell = rng.uniform(0.5, 1, Lnum)
        E_D, omega = rng.uniform(0, 0.3, Lnum), rng.uniform(0, 0.5, Lnum)
        bbar_L = rng.standard_normal(widths[-1])
        lam, e_B = 0.7, 0.9
        num = local_backward_bounds(W, lam, ell, E_D, dbar, bbar_L, e_B, spread_max=omega)
        e_p, d_p = _proved_values(W, lam, ell, E_D, dbar, bbar_L, e_B, omega)
        np.testing.assert_allclose(num["e"], e_p, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(num["deviation"], d_p, rtol=1e-12, atol=1e-14)
