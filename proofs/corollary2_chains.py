"""Corollary 2 by rule chains: the loss lower bound, the CE mean error and the constructed stationary points.

(a) ``L_const - Loss(H) <= E(Y) E(H)``: convexity of the per-node losses at the mean row
``c = H^T 1 / n`` (tangent plane), ``Loss(1 c^T) >= L_const``, ``<1 a^T - Y, Pi H>_F = -<Pi Y, Pi H>_F``
(``1^T Pi = 0``), Cauchy-Schwarz.  (b) For mean cross-entropy with mean output ``c*``
(``softmax(c*) = pi``): ``mu = ||(softmax(H) - 1 softmax(c*)^T)^T 1|| / n^2 <= E(H)/(2n)``.  For MSE with
mean output ``c* = ybar``: ``mu = 0``, and Theorem 3 (a) at ``mu = 0``.

Examples
--------
>>> lower_bound_chain()(type("S", (), {"uses": ("Loss MSE or mean CE, pi_c > 0", "definition1")})()).passed
True
"""

from __future__ import annotations

import sympy as sp

from . import algebra as al
from . import rules as ru
from .rules_losses import CONVEX_LOSS, L_const, Inner, LossOf
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["lower_bound_chain", "ce_mean_error_chain", "mse_mean_zero_chain", "stationary_chain", "MEAN_OUTPUT"]

#: the construction's fact: the mean output row is c* (Corollary 2 (b), step "mean output")
MEAN_OUTPUT = "mean output"
n = al.n
mu = sy.mu
_H, _Y = al.matrix("H"), al.matrix("Y")
_BB = al.matrix("bbar^(L)")
_CS = al.matrix("c*")


def lower_bound_chain():
    """(a) ``L_const - Loss(H) <= E(Y) E(H)`` for MSE and mean CE (every theta)."""
    H, Y, Pi = _H, _Y, ru.PI
    c, a = al.mean(H), al.matrix("a(c)")
    one_c = al.ONE * al.transpose(c)
    lin = Inner(al.ONE * al.transpose(a) - Y, H - one_c)
    return ru.RuleChain(L_const - LossOf(H), [
        ("convexity (tangent plane)", -LossOf(H), {"c": c, "a": a, "Y": Y}),
        ("best constant (L_const)", -LossOf(one_c), {}),
        ("inner product identity", lin, {"to": (Pi * Y, Pi * H), "coeff": -1}),
        ("Cauchy-Schwarz (Frobenius)", Inner(Pi * Y, Pi * H), {}),
        ("E definition", ru.Fro(Pi * Y), {}),
        ("E definition", ru.Fro(Pi * H), {})], ru.E(Y) * ru.E(H),
        "c = hbar (the mean row of H), a(c) = c (MSE) or softmax(c) (CE); sum_i (Pi H)_i = 0")


def _mean_output_rule(Hm):
    return al.Rewrite("c* = H^T 1 / n (mean output)", (al.transpose(_CS),), (al.ONE_T, Hm), 1 / n, MEAN_OUTPUT)


def ce_mean_error_chain():
    """(b) CE: ``mu = ||bbar^(L)|| <= E(H^(L)) / (2n)`` at the constructed points."""
    H, Y, Pi = _H, _Y, ru.PI
    S, sc, pi = al.matrix("softmax(H)"), al.matrix("softmax(c*)"), al.matrix("pi")
    grad_mean = al.transpose(S - Y) * al.ONE / n**2
    V = S - al.ONE * al.transpose(sc)
    rw = (al.Rewrite("Y^T 1 = n pi (class frequencies)", (al.transpose(Y), al.ONE), (pi,), n),
          al.Rewrite("pi = softmax(c*) (L_const CE)", (pi,), (sc,), 1, "definition1"))
    return ru.RuleChain(mu, [
        ("rewrite", None, {"to": ru.Fro(_BB), "defs": {mu: ru.Fro(_BB)}, "name": "mu = ||bbar^(L)||"}),
        ("rewrite", None, {"to": ru.Fro(grad_mean), "defs": {_BB: grad_mean},
                           "name": "mean CE: B^(L) = (softmax(H) - Y)/n, bbar^(L) = B^(L)T 1 / n"}),
        ("identity", ru.Fro(grad_mean), {"to": al.transpose(V) * al.ONE / n**2, "rewrites": rw}),
        ("homogeneity", ru.Fro(al.transpose(V) * al.ONE / n**2), {}),
        ("Cauchy-Schwarz (column sums)", ru.Fro(al.transpose(V) * al.ONE), {}),
        ("softmax 1/2-Lipschitz (rows)", ru.Fro(V), {}),
        ("identity", ru.Fro(H - al.ONE * al.transpose(_CS)), {"to": Pi * H, "rewrites": (_mean_output_rule(H),)}),
        ("E definition", ru.Fro(Pi * H), {})], ru.E(H) / (2 * n), "H = H^(L); c* the mean output row")


def mse_mean_zero_chain():
    """(b) MSE: ``mu = ||bbar^(L)|| = ||(H - Y)^T 1|| / n^2 = ||c* - ybar|| / n = 0``."""
    H, Y = _H, _Y
    ybar = al.matrix("ybar")
    grad_mean = al.transpose(H - Y) * al.ONE / n**2
    rw = (al.Rewrite("H^T 1 = n c* (mean output)", (al.transpose(H), al.ONE), (_CS,), n, MEAN_OUTPUT),
          al.Rewrite("Y^T 1 = n ybar", (al.transpose(Y), al.ONE), (ybar,), n),
          al.Rewrite("c* = ybar (MSE best constant, L_const MSE)", (_CS,), (ybar,), 1, "definition1"))
    return ru.RuleChain(mu, [
        ("rewrite", None, {"to": ru.Fro(_BB), "defs": {mu: ru.Fro(_BB)}, "name": "mu = ||bbar^(L)||"}),
        ("rewrite", None, {"to": ru.Fro(grad_mean), "defs": {_BB: grad_mean},
                           "name": "MSE: B^(L) = (H - Y)/n, bbar^(L) = B^(L)T 1 / n"}),
        ("identity", ru.Fro(grad_mean), {"to": sp.Integer(0), "rewrites": rw})], sp.Integer(0))


def stationary_chain():
    """(b) MSE: ``||grad_k||_F <= min(T1_k, T2_k)`` at ``mu = 0`` (Theorem 3 (a))."""
    G = sp.Symbol("||grad_k||_F", nonnegative=True)
    T1, T2 = (sp.Function(x, positive=True) for x in ("T1_k", "T2_k"))
    return ru.RuleChain(G, [
        ru.cite("theorem3", G, sp.Min(T1(mu), T2(mu))),
        ru.cite("mu = 0", mu, sp.Integer(0), equal=True)], sp.Min(T1(0), T2(0)),
        "T1_k, T2_k of Theorem 3 (a) as functions of mu")
