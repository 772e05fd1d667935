"""Step checks of the local stationarity certificate (extension): the mean path, the one-step
route by induction from ``k = L`` and the certificate from Lemma 3.

Letters (non-commuting symbols of :mod:`backsmooth.proofs.algebra`): ``v_k`` the linearised mean
path (``v_k = diag(dbar^(k)) W^(k+1) v_(k+1)``, ``v_L = bbar^(L)``), ``delta_k = bbar^(k) - v_k``
its deviation and ``rbar_k = bbar^(k) - dbar o gbar`` the mean remainder of the local backward
step; ``e(k)``, ``d(k)``, ``g(k)`` the bounds of :func:`backsmooth.numeric.local_certificate.local_backward_bounds`.
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import local_chains as lc
from . import rules as ru
from . import rules_local as rl
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["mean_path_check", "one_step_route_check", "chained_chain", "certificate_chain",
           "linearised_step_check", "eta_chain"]

CLAIM = "local_backward_recursion"
bb, bb1 = al.mean(lc._Bk), al.mean(lc._B1)
v, v1 = al.matrix("v_k"), al.matrix("v_(k+1)")
delta, delta1 = al.matrix("delta_k"), al.matrix("delta_(k+1)")
rbar = al.matrix("rbar_k")
k, L = sy.k, sy.L
e, dv, g = (sp.Function(x, nonnegative=True) for x in ("e", "d", "g"))
m = sp.Function("m", nonnegative=True)
#: diag(gbar) dbar = diag(dbar) gbar (the entrywise product of two vectors commutes), as a rewrite of words
_SWAP = al.Rewrite("diag(gbar) dbar = diag(dbar) gbar (entrywise product commutes)",
                   (lc.Dg,) + tuple(ru._word(lc.dbar * al.n)[1]),
                   (lc.Dd,) + tuple(ru._word(lc.gbar * al.n)[1]))


def _path_pairs():
    path = lc.Dd * lc._W1 * v1
    return [(bb - path, (bb - lc.Dg * lc.dbar) + lc.Dd * lc._W1 * (bb1 - v1)),
            (lc._W1 * bb1, lc._W1 * v1 + lc._W1 * (bb1 - v1)),
            (bb, path + (bb - path))]


def mean_path_check():
    """``bbar^(k) - v_k = rbar_k + diag(dbar) W^(k+1) delta_(k+1)`` and two splittings, every size."""
    from .theorem2 import hadamard_index_check

    return ru.AllOf(lc.local_index_check, hadamard_index_check,
                    al.all_sizes_identity(_path_pairs, rules=al.A1_RULES + rl.DIAG_RULES() + (_SWAP,),
                                          detail="v_k = diag(dbar) W^(k+1) v_(k+1); any n and widths"))


def _deviation_step():
    s1 = lc.s_k1
    return ru.RuleChain(ru.Fro(delta), [
        ru.cite("mean path", ru.Fro(delta), ru.Fro(rbar + lc.Dd * lc._W1 * delta1), equal=True),
        ("triangle", ru.Fro(rbar + lc.Dd * lc._W1 * delta1), {}),
        ru.cite(CLAIM, ru.Fro(rbar), ru.lam * s1 * ru.E(lc.RHO1_H) * ru.E(lc._B1)),
        ("submultiplicative", ru.Fro(lc.Dd * lc._W1 * delta1), {"split": 1, "pair": "2,F"}),
        ("diagonal of column means", ru.Spec(lc.Dd), {}),
        ru.cite(CLAIM, ru.Max(lc.RHO1_H), rl.ell_k),
        ("submultiplicative", ru.Fro(lc._W1 * delta1), {"split": 1, "pair": "2,F"}),
        ("weight norm", ru.Spec(lc._W1), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Fro(delta1), dv(k + 1)),
        ru.cite("induction hypothesis", ru.E(lc._B1), e(k + 1)),
        ("rewrite", None, {"to": dv(k), "defs": {dv(k): s1 * (rl.ell_k * dv(k + 1)
                                                                + ru.lam * ru.E(lc.RHO1_H) * e(k + 1))},
                           "name": "d_k = s_(k+1) (ell_k d_(k+1) + lambda E(rho'(H^(k))) e_(k+1))"})],
        dv(k))


def _energy_step():
    s1 = lc.s_k1
    W1b = lc._W1 * al.mean(lc._B1)
    return ru.RuleChain(ru.E(lc._Bk), [
        ru.cite(CLAIM, ru.E(lc._Bk), ru.lam * s1 * rl.ell_k * ru.E(lc._B1) + ru.E(lc.RHO1_H) * ru.Fro(W1b)),
        ru.cite("mean path", ru.Fro(W1b), ru.Fro(lc._W1 * v1 + lc._W1 * delta1), equal=True),
        ("triangle", ru.Fro(lc._W1 * v1 + lc._W1 * delta1), {}),
        ("submultiplicative", ru.Fro(lc._W1 * delta1), {"split": 1, "pair": "2,F"}),
        ("weight norm", ru.Spec(lc._W1), {"k": "k+1"}),
        ru.cite("induction hypothesis", ru.Fro(delta1), dv(k + 1)),
        ru.cite("induction hypothesis", ru.E(lc._B1), e(k + 1)),
        ("rewrite", None, {"to": e(k), "defs": {e(k): ru.lam * s1 * rl.ell_k * e(k + 1)
                                                + ru.E(lc.RHO1_H) * (ru.Fro(lc._W1 * v1) + s1 * dv(k + 1))},
                           "name": "e_k = lambda s_(k+1) ell_k e_(k+1) + E(rho'(H^(k))) g_k, "
                                   "g_k = ||W^(k+1) v_(k+1)|| + s_(k+1) d_(k+1)"})],
        e(k))


def _base():
    """``k = L``: ``||bbar^(L) - v_L|| = ||0|| = 0 = d_L`` (``v_L = bbar^(L)``) and ``E(B^(L)) = e_L``."""
    bL, vL, BL = al.matrix("bbar^(L)"), al.matrix("v_L"), al.matrix("B^(L)")
    dev = ru.RuleChain(ru.Fro(bL - vL), [
        ("identity", ru.Fro(bL - vL), {"to": 0 * bL, "rewrites": (al.Rewrite("v_L = bbar^(L)", (vL,), (bL,)),)}),
        ("rewrite", None, {"to": dv(L), "defs": {dv(L): 0, ru.Fro(0): 0}, "name": "||0|| = 0 = d_L"})], dv(L))
    energy = ru.RuleChain(ru.E(BL), [("rewrite", None, {"to": e(L), "defs": {e(L): ru.E(BL)},
                                                        "name": "e_L = E(B^(L))"})], e(L))
    return ru.AllOf(dev, energy)


def one_step_route_check():
    """Induction on ``L - k``: ``||bbar^(k) - v_k|| <= d_k`` and ``E(B^(k)) <= e_k`` (one-step values)."""
    return ru.ByInduction("L - k", _base(), ru.AllOf(_deviation_step(), _energy_step()),
                          "the one-step values from any valid bounds at layer k + 1 bound layer k")


def chained_chain(dev=None):
    """``||bbar^(k)|| <= ||v_k|| + d_k = m_k`` (``dev``: the letter of ``delta_k``, default ``delta_k``)."""
    dev = delta if dev is None else dev
    return ru.RuleChain(ru.Fro(bb), [
        ru.cite("mean path", ru.Fro(bb), ru.Fro(v + dev), equal=True),
        ("triangle", ru.Fro(v + dev), {}),
        ru.cite("deviation and energy bounds", ru.Fro(dev), dv(k)),
        ("rewrite", None, {"to": m(k), "defs": {m(k): ru.Fro(v) + dv(k)}, "name": "m_k = ||v_k|| + d_k"})], m(k))


def certificate_chain(Bk=None):
    """``||grad_k||_F <= n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k`` from Lemma 3 (``Bk``: the letter of B^(k))."""
    grad, xb = al.matrix("grad_k"), al.mean(lc.Xk)
    Bk = lc._Bk if Bk is None else Bk
    return ru.RuleChain(ru.Fro(grad), [
        ru.cite("lemma3", ru.Fro(grad), al.n * ru.Fro(xb) * ru.Fro(bb) + ru.lam * al.n * ru.E(lc.Xk) * ru.E(Bk)),
        ru.cite("m_k, e_k", ru.Fro(bb), m(k)),
        ru.cite("m_k, e_k", ru.E(Bk), e(k))],
        al.n * ru.Fro(xb) * m(k) + ru.lam * al.n * ru.E(lc.Xk) * e(k))


# ------------------------------------------------------------------ the linearised step of the unrolled route
A_k = lc._W1T * lc.Dd                                   # A_k = W^(k+1)T diag(dbar^(k))
eta = lc.PiD * lc.Dg + ru.PI * ru.Had(lc.PiD, lc.PiG)   # eta_k


def linearised_step_check():
    """``Pi B^(k) = P (Pi B^(k+1)) A_k + eta_k`` and ``1^T eta_k = 0`` for every size (from the split's last identity)."""
    from .theorem2 import hadamard_index_check

    return ru.AllOf(lc.local_index_check, hadamard_index_check,
                    al.all_sizes_identity(lambda: [(ru.PI * lc.B_split2, lc._P * ru.PI * lc._B1 * A_k + eta),
                                                   (al.ONE_T * eta, 0)],
                                          rules=al.A1_RULES + rl.DIAG_RULES(),
                                          detail="A_k = W^(k+1)T diag(dbar), any n and widths; 1^T eta_k = 0"))


def eta_chain():
    """``||eta_k||_F / sqrt(n) <= E(rho'(H^(k))) ||W^(k+1) bbar^(k+1)|| + omega_k lambda s_(k+1) E(B^(k+1))``."""
    HG = ru.Had(lc.PiD, lc.PiG)
    return ru.RuleChain(ru.Fro(eta) / sp.sqrt(al.n), [
        ("triangle", ru.Fro(eta), {}),
        ("submultiplicative", ru.Fro(lc.PiD * lc.Dg), {"split": 2, "pair": "F,2"}),
        ("diagonal norm", ru.Spec(lc.Dg), {}),
        ("identity", ru.Fro(lc.gbar), {"to": lc._W1 * al.mean(lc._B1)}),
        ("E definition", ru.Fro(lc.PiD), {}),
        ("submultiplicative", ru.Fro(ru.PI * HG), {"split": 1, "pair": "2,F"}),
        ("contraction", ru.Spec(ru.PI), {}),
        ("hadamard commutative", HG, {}),
        ("hadamard", ru.Fro(ru.Had(lc.PiG, lc.PiD)), {})] + lc._fluct_links(1),
        ru.E(lc.RHO1_H) * ru.Fro(lc._W1 * al.mean(lc._B1)) + ru.Max(lc.PiD) * ru.lam * lc.s_k1 * ru.E(lc._B1),
        "omega_k = ||Pi rho'(H^(k))||_max = max_ij |rho'(H_ij) - dbar_j|")
