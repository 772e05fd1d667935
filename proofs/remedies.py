"""Proofs of the remedy claims [extension]: residual and initial residual.

(Normalisation: :mod:`backsmooth.proofs.remedies_normalisation`.)

Every step is proof for every ``n``, width and depth:

- the backward recursions are vector-Jacobian products derived by sympy's matrix calculus on
  ``MatrixSymbol``s of symbolic size ``n x d`` and compared with their stated form by the
  non-commuting algebra (:func:`~backsmooth.proofs.rules_remedies.matrix_calculus_identity`);
  PairNorm's Jacobian by the directional derivative in trace scalars
  (:func:`~backsmooth.proofs.rules_remedies.trace_identity`);
- the energy inequalities are rule chains (:mod:`backsmooth.proofs.rules` and
  :mod:`backsmooth.proofs.rules_remedies`): ``||P Pi||_2 <= lambda`` (A1), sub-multiplicativity,
  the reverse triangle inequality of the seminorm ``E``, Hadamard and ``|rho'| <= 1`` (A2),
  the projection onto ``c``'s orthogonal complement, ``s_i <= s`` (A3), ``||M^(k)||_2 <= m_M``;
- the depth is unrolled by induction on ``L - 1 - k`` (base case and step each a rule chain).

The seeded float instances of the first version of these proofs stay as additional evidence.

Examples
--------
>>> from backsmooth.proofs.framework import verify
>>> r = verify(remedy_residual_proof(), context={"lemma2": None})
>>> r.passed, r.weakest
(True, 'rule')
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from . import rules_remedies as rr
from ._common import A1, A2, A3, LINEAR, SETTING, registry_identity
from ._remedy_instances import (_E, _instances, _ir_centred, _ir_mean, _norm2,  # noqa: F401
                                _res_lemma2, _res_step, _res_unrolled)
from .checks import on_instances, scalar_identity, scalar_inequality
from .framework import Proof, Step
from backsmooth.symbolic.symbols import L, k, r_skip as r, m_ir as m_M  # the paper's symbols: one home
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["remedy_residual_proof", "remedy_initial_residual_proof", "unroll_upper"]

lam, s = ru.lam, ru.s
RESIDUAL = "residual layer X^(k+1) = r X^(k) + rho(P X^(k) W^(k)), 1 <= k <= L-1"
INITIAL = "initial-residual layer H^(k) = ((1-a) P X^(k) + a X^(1)) M^(k), 1 <= k <= L-1"
A_RANGE = "0 <= a <= 1 (mixing weight)"
NORMALISED = "normalised layer X^(k+1) = rho(N(P X^(k) W^(k))), N = Pi or PairNorm"
SIDE = "lambda s <= r"
S_K = "s_k, Q_k, S_k, Lam_k"

a, b = sy.a_ir, sp.Symbol("b", real=True)  # a: the initial-residual weight
s_k = sp.Symbol("s_k", positive=True)
_v, _w, _t = (sp.Symbol(x, nonnegative=True) for x in ("v", "w", "t"))
#: per-layer energies E(B^(j)) and norms of mean rows, as functions of the layer index
e_B, e_mean = sp.Function("E_B", nonnegative=True), sp.Function("bbar", nonnegative=True)

# letters (non-commuting symbols of any size)
P, PT, PI = al.matrix("P"), al.matrix("P^T"), ru.PI
B0, Bk, B1 = al.matrix("B^(k-1)"), al.matrix("B^(k)"), al.matrix("B^(k+1)")
WkT, W1T = al.transpose(al.matrix("W^(k)")), al.transpose(al.matrix("W^(k+1)"))


def _msym(name, rows="n", cols="d"):
    n_, d_ = sp.symbols("n d", integer=True, positive=True)
    return sp.MatrixSymbol(name, {"n": n_, "d": d_}[rows], {"n": n_, "d": d_}[cols])


def unroll_upper(fact, rate_k, rate, uniform=(), rep=None, rep_needs=(), e=e_B):
    """``e(k) <= rate^(L-1-k) e(L-1)`` for every ``k <= L-1``, by induction on ``L - 1 - k``.

    The step cites the one-layer bound ``fact``: ``e(k-1) <= rate_k e(k)``; ``uniform`` are
    links turning ``rate_k`` into ``rate`` (e.g. ``s_k <= s``, A3).
    """
    up, y = sp.Function("up", nonnegative=True), sp.Dummy("c")
    defs = {up(j): y**(L - 1 - j) * e(L - 1) for j in (L - 1, k, k - 1)}
    name = f"up(j) = c^(L-1-j) E(L-1), c = {rate}"
    base = ru.RuleChain(e(L - 1), [("rewrite", None, {"to": up(L - 1), "defs": defs, "name": name})], up(L - 1))
    step = ru.RuleChain(e(k - 1), [ru.cite(fact, e(k - 1), rate_k * e(k)),
                                   ru.cite("induction hypothesis", e(k), up(k))] + list(uniform)
                        + [("rewrite", None, {"to": y * up(k), "defs": {y: rate}, "name": f"c = {rate}"}),
                           ("rewrite", None, {"to": up(k - 1), "defs": defs, "name": name})],
                        up(k - 1), rep=rep, rep_needs=rep_needs)
    return ru.ByInduction("L - 1 - k", base, step)


def _registry(name, *pairs):
    return scalar_identity(lambda: [registry_identity(name, variant, chained)() for variant, chained in pairs])


# -- residual ------------------------------------------------------------------------------------
_C = PT * Bk * WkT  # the propagated part P^T B^(k) W^(k)T


def residual_recursion_check():
    """``d/dX Tr(B^T (r X + P X W)) = r B + P^T B W^T`` at symbolic ``n x d``."""
    X, Pm, W, B = _msym("X^(k)"), _msym("P", "n", "n"), _msym("W^(k)", "d", "d"), _msym("B^(k)")
    return rr.matrix_calculus_identity(lambda: (sp.Trace(B.T * (r * X + Pm * X * W)).diff(X), r * Bk + _C),
                                       detail="B^(k) = dLoss/dX^(k+1) (rho = id)")


def propagated_chain():
    """``E(P^T B^(k) W^(k)T) <= lambda s_k E(B^(k))`` by rules."""
    return ru.RuleChain(ru.E(_C), [
        ("E definition", ru.E(_C), {}),
        ("identity", ru.Fro(PI * _C), {"to": P * PI * PI * Bk * WkT}),
        ("submultiplicative", ru.Fro(P * PI * PI * Bk * WkT), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(P * PI), {}),
        ("submultiplicative", ru.Fro(PI * Bk * WkT), {"split": 2, "pair": "F,2"}),
        ("weight norm", ru.Spec(WkT), {"k": "k"}),
        ("E definition", ru.Fro(PI * Bk), {})], lam * s_k * ru.E(Bk))


def residual_layer_checks():
    """``r E(B^(k)) - lambda s_k E(B^(k)) <= E(B^(k-1)) <= (r + lambda s_k) E(B^(k))`` by rules."""
    Y = r * Bk + _C
    lower = ru.RuleChain(r * ru.E(Bk) - lam * s_k * ru.E(Bk), [
        ("seminorm reverse triangle", r * ru.E(Bk), {"to": Y}),
        ru.cite("contraction of the propagated part", ru.E(_C), lam * s_k * ru.E(Bk)),
        ru.cite("residual recursion", ru.E(Y), ru.E(B0), equal=True)], ru.E(B0), "lower: reverse triangle")
    upper = ru.RuleChain(ru.E(B0), [
        ru.cite("residual recursion", ru.E(B0), ru.E(Y), equal=True),
        ("E definition", ru.E(Y), {}),
        ("triangle", ru.Fro(PI * Y), {}),
        ("homogeneity", ru.Fro(r * PI * Bk), {}),
        ("E definition", ru.Fro(PI * Bk), {}),
        ("E definition", ru.Fro(PI * _C), {}),
        ru.cite("contraction of the propagated part", ru.E(_C), lam * s_k * ru.E(Bk))],
        (r + lam * s_k) * ru.E(Bk), "upper: triangle")
    return ru.AllOf(lower, upper)


def residual_unroll_check():
    """Both unrolled bounds by induction on ``L - 1 - k``; the lower one needs ``lambda s <= r``."""
    x = r - lam * s
    lo, y = sp.Function("lo", nonnegative=True), sp.Dummy("c")
    defs = {lo(j): y**(L - 1 - j) * e_B(L - 1) for j in (L - 1, k, k - 1)}
    defs[x] = y  # the rate as one letter c
    name = "lo(j) = c^(L-1-j) E(L-1), c = r - lambda s"
    base = ru.RuleChain(lo(L - 1), [("rewrite", None, {"to": e_B(L - 1), "defs": defs, "name": name})], e_B(L - 1))
    step = ru.RuleChain(lo(k - 1), [
        ("rewrite", None, {"to": x * lo(k), "defs": defs, "name": name}),
        ru.cite("induction hypothesis", lo(k), e_B(k)),
        ru.cite("uniform rates", x, r - lam * s_k),
        ru.cite("one-layer bounds", (r - lam * s_k) * e_B(k), e_B(k - 1))],
        e_B(k - 1), rep={r: lam * s + _v}, rep_needs=(SIDE,))
    upper = unroll_upper("one-layer bounds", r + lam * s_k, r + lam * s,
                         uniform=[("uniform weights (A3)", s_k, {})])
    return ru.AllOf(ru.ByInduction("L - 1 - k", base, step), upper)


def remedy_residual_proof() -> Proof:
    """Residual GNN (linear rho): ``(r - lambda s)^(L-1-k) E(B^(L-1)) <= E(B^(k)) <= (r + lambda s)^(L-1-k) E(B^(L-1))``."""
    h = (A1, LINEAR, A3, SIDE, RESIDUAL) + SETTING
    steps = (
        Step("recursion", "dLoss/dX^(k) = r G^(k+1) + P^T B^(k) W^(k)T; with rho = id, "
             "B^(k-1) = r B^(k) + P^T B^(k) W^(k)T (1 <= k <= L-1)",
             uses=(RESIDUAL, LINEAR, "GNN recursion"), introduces=("residual recursion",),
             reason="sympy differentiates Tr(B^T (r X + P X W)) by a MatrixSymbol X of size n x d",
             check=residual_recursion_check()),
        Step("lemma2", "E(P^T B^(k) W^(k)T) <= lambda s_k E(B^(k))",
             uses=("lemma2", A1, S_K), introduces=("contraction of the propagated part",),
             reason="Pi P^T = P Pi Pi (A1), ||P Pi||_2 <= lambda, ||W^T||_2 = s_k (Lemma 2(b), (c))",
             check=propagated_chain(),
             also=(on_instances("<=", floats=_res_lemma2, detail="60 residual GNNs, a third with flat P"),)),
        Step("one layer", "(r - lambda s_k) E(B^(k)) <= E(B^(k-1)) <= (r + lambda s_k) E(B^(k))",
             uses=("residual recursion", "contraction of the propagated part", "E(X)"),
             introduces=("one-layer bounds",),
             reason="E is a seminorm: r E(B) <= E(r B + C) + E(C) and E(r B + C) <= r E(B) + E(C)",
             check=residual_layer_checks(),
             also=(on_instances("<=", floats=_res_step, detail="both sides, every hidden layer"),)),
        Step("uniform rate", "s_i <= s gives r - lambda s <= r - lambda s_i",
             uses=("one-layer bounds", A3), introduces=("uniform rates",),
             reason="re-parametrise s_i = s/(1 + t), t >= 0",
             check=scalar_inequality(lambda: (r - lam * s, r - lam * s_k, {s_k: s / (1 + _t)}),
                                     "s_k = s/(1 + t), t >= 0 (A3)")),
        Step("unroll", "with lambda s <= r every factor is >= 0: (r - lambda s)^(L-1-k) E(B^(L-1)) <= E(B^(k)) "
             "<= (r + lambda s)^(L-1-k) E(B^(L-1))",
             uses=("one-layer bounds", "uniform rates", SIDE, A3), introduces=("unrolled bounds",),
             reason="induction on L - 1 - k; multiplying by r - lambda s >= 0 keeps the lower bound",
             check=residual_unroll_check(),
             also=(on_instances("<=", floats=_res_unrolled, detail="every layer of 60 residual GNNs"),)),
        Step("registry", "the unrolled bounds are the registry's statement (lower and upper)",
             uses=("unrolled bounds",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=_registry("remedy_residual",
                             ("lower", lambda: (r - lam * s)**(L - 1 - k) * sy.E_BL1),
                             ("upper", lambda: (r + lam * s)**(L - 1 - k) * sy.E_BL1))),
    )
    return Proof("remedy_residual", h, steps, ("residual recursion", "unrolled bounds", "statement"),
                 notes=("For tanh the recursion gains rho'(H) o (...); no bound is claimed there: "
                        "the remedies figure measures it.",))


# -- initial residual ----------------------------------------------------------------------------
Mk, bb0, bbk = al.matrix("M^(k)"), al.matrix("bbar^(k-1)"), al.matrix("bbar^(k)")
MkT = al.transpose(Mk)
_MAIN = (1 - a) * PT * Bk * MkT
_ABS = ("scalar bound", sp.Abs(1 - a), {"to": 1 - a, "rep": {a: 1 - _w}, "needs": (A_RANGE,)})


def initial_residual_calculus(which):
    """The three VJPs of ``Tr(B^T ((1-a) P X + a A) M)``, ``M = (1-b) I + b W``, at symbolic size."""
    X, A, Pm = _msym("X^(k)"), _msym("X^(1)"), _msym("P", "n", "n")
    W, B = _msym("W^(k)", "d", "d"), _msym("B^(k)")
    Md = (1 - b) * sp.Identity(W.shape[0]) + b * W
    f = sp.Trace(B.T * (((1 - a) * Pm * X + a * A) * Md))
    pairs = {"main": lambda: (f.diff(X), (1 - a) * Pm.T * B * Md.T),
             "anchor": lambda: (f.diff(A), a * B * Md.T),
             "weights": lambda: (f.diff(W), b * ((1 - a) * Pm * X + a * A).T * B)}
    return rr.matrix_calculus_identity(pairs[which], detail="M^(k) = (1 - b) I + b W^(k), any n, d")


def ir_centred_chain():
    """``E(B^(k-1)) <= (1 - a) lambda m_M E(B^(k))`` by rules (0 <= a <= 1)."""
    return ru.RuleChain(ru.E(B0), [
        ru.cite("main-path recursion", ru.E(B0), ru.E(_MAIN), equal=True),
        ("E definition", ru.E(_MAIN), {}),
        ("homogeneity", ru.Fro(PI * _MAIN), {}), _ABS,
        ("identity", ru.Fro(PI * PT * Bk * MkT), {"to": P * PI * PI * Bk * MkT}),
        ("submultiplicative", ru.Fro(P * PI * PI * Bk * MkT), {"split": 2, "pair": "2,F"}),
        ("spectral gap (A1)", ru.Spec(P * PI), {}),
        ("submultiplicative", ru.Fro(PI * Bk * MkT), {"split": 2, "pair": "F,2"}),
        ("mixing norm (m_M)", ru.Spec(MkT), {}),
        ("E definition", ru.Fro(PI * Bk), {})], (1 - a) * lam * m_M * ru.E(Bk),
        rep={a: 1 - _w}, rep_needs=(A_RANGE,))


def ir_mean_chain():
    """``||bbar^(k-1)|| <= (1 - a) m_M ||bbar^(k)||`` by rules (0 <= a <= 1)."""
    return ru.RuleChain(ru.Fro(bb0), [
        ru.cite("mean recursion", ru.Fro(bb0), ru.Fro((1 - a) * Mk * bbk), equal=True),
        ("homogeneity", ru.Fro((1 - a) * Mk * bbk), {}), _ABS,
        ("submultiplicative", ru.Fro(Mk * bbk), {"split": 1, "pair": "2,F"}),
        ("mixing norm (m_M)", ru.Spec(Mk), {})], (1 - a) * m_M * ru.Fro(bbk),
        rep={a: 1 - _w}, rep_needs=(A_RANGE,))


def remedy_initial_residual_proof() -> Proof:
    """Initial residual (linear rho): the main path contracts by ``(1 - a) lambda m_M`` (centred), ``(1 - a) m_M`` (mean)."""
    h = (A1, LINEAR, INITIAL, A_RANGE, rr.MIXING) + SETTING
    rate_rep = dict(rep={a: 1 - _w}, rep_needs=(A_RANGE,))
    steps = (
        Step("main path", "dLoss/dX^(k) = (1 - a) P^T B^(k) M^(k)T, so B^(k-1) = (1 - a) P^T B^(k) M^(k)T (rho = id)",
             uses=(INITIAL, LINEAR, "GNN recursion"), introduces=("main-path recursion",),
             reason="sympy matrix derivative of Tr(B^T ((1-a) P X + a A) M) by X",
             check=initial_residual_calculus("main")),
        Step("anchor path", "dLoss/dX^(1) collects a B^(k) M^(k)T from every layer k",
             uses=(INITIAL,), introduces=("anchor path",),
             reason="sympy matrix derivative by A = X^(1)", check=initial_residual_calculus("anchor")),
        Step("weights", "dLoss/dW^(k) = b F^(k)T B^(k), F^(k) = (1 - a) P X^(k) + a X^(1)",
             uses=(INITIAL,), introduces=("weight gradient",),
             reason="sympy matrix derivative by W", check=initial_residual_calculus("weights")),
        Step("mean", "bbar^(k-1) = (1 - a) M^(k) bbar^(k)",
             uses=("main-path recursion", A1), introduces=("mean recursion",),
             reason="bbar = B^T 1/n and 1^T P^T = 1^T (A1: P^T = P, P 1 = 1)",
             check=al.all_sizes_identity(lambda: (al.mean(_MAIN), (1 - a) * Mk * al.mean(Bk)),
                                         detail="any n, widths")),
        Step("centred one layer", "E(B^(k-1)) <= (1 - a) lambda m_M E(B^(k)), 2 <= k <= L-1",
             uses=("main-path recursion", "lemma2", A1, A_RANGE, rr.MIXING, "E(X)"),
             introduces=("centred one-layer bound",),
             reason="|1 - a| = 1 - a, Pi P^T = P Pi Pi, ||P Pi||_2 <= lambda, ||M^T||_2 <= m_M",
             check=ir_centred_chain()),
        Step("centred bound", "E(B^(k)) <= ((1 - a) lambda m_M)^(L-1-k) E(B^(L-1)), 1 <= k <= L-1",
             uses=("centred one-layer bound", A_RANGE), introduces=("centred bound",),
             reason="induction on L - 1 - k (B^(0) is excluded: layer 0 also receives the anchor path)",
             check=unroll_upper("centred one-layer bound", (1 - a) * lam * m_M, (1 - a) * lam * m_M, **rate_rep),
             also=(on_instances("<=", floats=_ir_centred,
                                detail="120 initial-residual and GCNII GNNs, a third with flat P"),)),
        Step("mean one layer", "||bbar^(k-1)|| <= (1 - a) m_M ||bbar^(k)||",
             uses=("mean recursion", A_RANGE, rr.MIXING), introduces=("mean one-layer bound",),
             reason="|1 - a| = 1 - a, ||M bbar|| <= ||M||_2 ||bbar||", check=ir_mean_chain()),
        Step("mean bound", "||bbar^(k)|| <= ((1 - a) m_M)^(L-1-k) ||bbar^(L-1)||, 1 <= k <= L-1",
             uses=("mean one-layer bound", A_RANGE), introduces=("mean bound",),
             reason="induction on L - 1 - k",
             check=unroll_upper("mean one-layer bound", (1 - a) * m_M, (1 - a) * m_M, e=e_mean, **rate_rep),
             also=(on_instances("<=", floats=_ir_mean, detail="the same networks"),)),
        Step("registry", "the centred and mean bounds are the registry's statement",
             uses=("centred bound", "mean bound"), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=_registry("remedy_initial_residual",
                             ("centred", lambda: ((1 - a) * lam * m_M)**(L - 1 - k) * sy.E_BL1),
                             ("mean", lambda: ((1 - a) * m_M)**(L - 1 - k) * sy.bbar_L1))),
    )
    return Proof("remedy_initial_residual", h, steps,
                 ("centred bound", "mean bound", "anchor path", "statement"),
                 notes=("What follows: unlike the vanilla GNN, even the MEAN of the backward signal decays "
                        "along the main path (by (1 - a) m_M per layer), so the deep layers' gradients vanish "
                        "faster; the gradient reaches W^(0) through the anchor path instead (one hop from "
                        "every layer). Training can still escape: the model acts like a shallow network "
                        "with an a-weighted skip to X^(1). Not a bound: measured in the remedies figure.",
                        "The hypothesis 0 <= a <= 1 is stated explicitly: the bounds use |1 - a| = 1 - a."))
