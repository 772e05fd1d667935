"""Proof of Proposition 2 (MLPs are not GNNs: exact counter-examples), ``docs/theory.md``.

n = 2, ``X^(0) = I_2``, ``Y = (1, -1)^T``, MSE.  Construction A: ``W^(0) = [[a,0],[a,0]]``,
``W^(k) = diag(a_k, 1)``, ``W^(L) = (0, w)^T`` with a generic rho, ``rho(0) = 0``, ``rho'(0) = 1``.
With ``P_p`` (lambda = |1 - 2p|): Loss = 1/2 = L_const, ``bbar^(L) = 0``, ``grad_k = 0`` for
``k >= 1`` and ``||grad_0||_F = lambda^(L+1) |w| / sqrt 2``; the MLP is ``p = 0`` (``P = I``).
Every depth: the forward pass and the backward signals are proved by induction (base case and a
step with a symbolic exponent), with generic rho, symbolic a, a_k, w, p; the matrices are the
construction's own (n = 2), so the identities hold for the whole statement.
"""

from __future__ import annotations

import sympy as sp

from ._common import P_p, p_, registry_identity
from .checks import construction_identity, scalar_identity, symbolic_identity
from .framework import Proof, Step
from backsmooth.symbolic import symbols as sy  # the paper's symbols: one home

__all__ = ["proposition2_proof", "construction_A"]

_w, _a = sp.symbols("w a", real=True)
_rho = sp.Function("rho")
_v = sp.Matrix([1, -1])
_Y = sp.Matrix([1, -1])


def construction_A(L, P=None):
    """Exact forward/backward of construction A: ``(loss, Bs, grads, H_out)`` with generic rho."""
    P = sp.Matrix(P_p) if P is None else P
    ak = sp.symbols(f"a1:{L}", real=True) if L > 1 else ()
    Ws = [sp.Matrix([[_a, 0], [_a, 0]])] + [sp.diag(x, 1) for x in ak] + [sp.Matrix([0, _w])]
    rho0 = {_rho(0): 0}
    X = sp.eye(2)
    Fs, Hs = [], []
    for k, W in enumerate(Ws):
        F = P * X
        H = (F * W).applyfunc(sp.expand)
        Fs.append(F)
        Hs.append(H)
        if k < L:
            X = H.applyfunc(lambda h: _rho(h).subs(rho0) if h == 0 else _rho(h))
    B = (Hs[-1] - _Y) / 2
    Bs = [None] * (L + 1)
    Bs[L] = B
    drho = sp.Function("rho_prime")  # generic rho', with rho'(0) = 1 imposed below
    for k in range(L - 1, -1, -1):
        G = P.T * Bs[k + 1] * Ws[k + 1].T
        D = Hs[k].applyfunc(lambda h: 1 if h == 0 else drho(h))  # rho'(0) = 1
        Bs[k] = sp.matrix_multiply_elementwise(D, G)
    grads = [Fs[k].T * Bs[k] for k in range(L + 1)]
    loss = sum(e**2 for e in (Hs[-1] - _Y)) / 4
    return loss, Bs, grads, Hs[-1]


def _exact_values(L, sign=1):
    def build():
        loss, Bs, grads, Hout = construction_A(L)
        lam = 1 - 2 * p_
        pairs = [(Hout, sp.zeros(2, 1)), (loss, sp.Rational(1, 2)), (sum(Bs[L]) / 2, 0)]
        pairs += [(grads[k], sp.zeros(*grads[k].shape)) for k in range(1, L + 1)]
        g0 = sp.Matrix([[0, -_w / 2 * lam**(L + 1)], [0, sign * _w / 2 * lam**(L + 1)]])
        pairs.append((grads[0], g0))
        return pairs
    return build


def _induction():
    # B^(k+1) = [0, -(w/2) q^m v]  ->  B^(k) = rho'(0)-masked P B^(k+1) diag(a_k, 1) = [0, -(w/2) q^(m+1) v]
    q = 1 - 2 * p_
    ak = sp.Symbol("a_k", real=True)
    B1 = sp.Matrix([[0, -_w / 2 * q**sy.m], [0, _w / 2 * q**sy.m]])
    Bk = sp.Matrix(P_p) * B1 * sp.diag(ak, 1).T
    return Bk, sp.Matrix([[0, -_w / 2 * q**(sy.m + 1)], [0, _w / 2 * q**(sy.m + 1)]])


def _norm_grad0():
    L = sy.L
    lam = sy.lam  # lambda = |1 - 2p|
    q = sp.Symbol("q", real=True)
    g0 = sp.Matrix([[0, -_w / 2 * q**(L + 1)], [0, _w / 2 * q**(L + 1)]])
    nrm2 = sum(e**2 for e in g0)
    return nrm2.subs(q**(2 * L + 2), lam**(2 * L + 2)).subs(q**(2 * (L + 1)), lam**(2 * (L + 1))), \
        (lam**(L + 1) * _w)**2 / 2


def _optimal_output():
    c = sp.Symbol("c", real=True)
    loss = ((c - 1)**2 + (c + 1)**2) / 4
    return [(sp.diff(loss, c).subs(c, 0), 0), (loss - loss.subs(c, 0), c**2 / 2)]


_q = 1 - 2 * p_
_x, _ak, _h = sp.symbols("x a_k h", real=True)
_mm = sp.Symbol("m", integer=True, positive=True)
_rp = sp.Symbol("rho'(h)", real=True)  # rho' on the first (constant) column: any value


def _forward_all():
    # base: H^(0) = P W^(0) = 1 (a, 0); step: X^(k) = 1 (x, 0) -> H^(k) = 1 (x a_k, 0), so
    # X^(k+1) = rho(H^(k)) = 1 (rho(x a_k), rho(0)) = 1 (rho(x a_k), 0); output H^(L) = P X^(L) W^(L) = 0
    P = sp.Matrix(P_p)
    X = sp.Matrix([[_x, 0], [_x, 0]])
    H0, Hk = P * sp.eye(2) * sp.Matrix([[_a, 0], [_a, 0]]), P * X * sp.diag(_ak, 1)

    def act(H):  # X' = rho(H) entrywise, rho(0) = 0
        return H.applyfunc(lambda e: 0 if e == 0 else _rho(e))
    return [(H0, sp.Matrix([[_a, 0], [_a, 0]])),
            (act(H0), sp.Matrix([[_rho(_a), 0], [_rho(_a), 0]])),           # base: X^(1) = 1 (x_1, 0)
            (Hk, sp.Matrix([[_x * _ak, 0], [_x * _ak, 0]])),
            (act(Hk), sp.Matrix([[_rho(_x * _ak), 0], [_rho(_x * _ak), 0]])),  # step: X^(k+1) = 1 (x_(k+1), 0)
            (P * X * sp.Matrix([0, _w]), sp.zeros(2, 1))]


def _loss_all():
    H = sp.zeros(2, 1)
    B = (H - _Y) / 2
    return [(sum(e**2 for e in (H - _Y)) / 4, sp.Rational(1, 2)), (sum(B) / 2, 0)]


def _backward_all(sign=1):
    def build():
        # base (k = L-1): mask o (P B^(L) W^(L)T), B^(L) = -Y/2; step: B^(k+1) = [0, -(w/2) q^m v] ->
        # B^(k) = rho'(H^(k)) o (P B^(k+1) W^(k+1)T), rho'(H^(k)) = [[rho'(h), 1], [rho'(h), 1]] (rho'(0) = 1)
        P = sp.Matrix(P_p)
        mask = sp.Matrix([[_rp, 1], [_rp, 1]])
        BL = -_Y / 2
        base = sp.matrix_multiply_elementwise(mask, P * BL * sp.Matrix([[0, _w]]))
        B1 = sp.Matrix([[0, -_w / 2 * _q**_mm], [0, _w / 2 * _q**_mm]])
        Bk = sp.matrix_multiply_elementwise(mask, P * B1 * sp.diag(_ak, 1).T)
        return [(base, sp.Matrix([[0, -_w / 2 * _q], [0, _w / 2 * _q]])),
                (Bk, sp.Matrix([[0, -_w / 2 * _q**(_mm + 1)], [0, sign * _w / 2 * _q**(_mm + 1)]]))]
    return build


def _gradients_all():
    # grad_k = F^(k)T B^(k) with F^(k) = P X^(k) = 1 (x, 0) (k >= 1), B^(k) = [0, -(w/2) q^m v]; grad_0 = P^T B^(0)
    P = sp.Matrix(P_p)
    F = P * sp.Matrix([[_x, 0], [_x, 0]])
    Bm = sp.Matrix([[0, -_w / 2 * _q**_mm], [0, _w / 2 * _q**_mm]])
    BLm = -_Y / 2
    return [(F.T * Bm, sp.zeros(2, 2)), (F.T * BLm, sp.zeros(2, 1)),
            ((P * sp.eye(2)).T * Bm, sp.Matrix([[0, -_w / 2 * _q**(_mm + 1)], [0, _w / 2 * _q**(_mm + 1)]]))]


def proposition2_proof() -> Proof:
    """Proposition 2 (MLP counter-example with mu = 0; GNN rate lambda^(L+1))."""
    h = ("n = 2, X^(0) = I, Y = (1,-1)^T, MSE", "rho(0) = 0, rho'(0) = 1", "P_p symmetric stochastic 2 x 2",
         "GNN recursion", "norms")
    steps = (
        Step("forward", "X^(k) = 1 (x_k, 0) for every k >= 1 and H^(L) = 0, for every depth L",
             uses=("n = 2, X^(0) = I, Y = (1,-1)^T, MSE", "rho(0) = 0, rho'(0) = 1", "P_p symmetric stochastic 2 x 2",
                   "GNN recursion"),
             introduces=("forward",),
             reason="induction on k: P 1 = 1 keeps constant rows; rho(0) = 0 keeps the zero column; W^(L) = (0, w)^T",
             check=construction_identity(_forward_all, "base H^(0), inductive step with symbolic x_k, a_k, output"),
             also=(symbolic_identity(lambda: _exact_values(1)() + _exact_values(2)() + _exact_values(3)(),
                                     "L = 1, 2, 3: generic rho, symbolic a, a_1, a_2, w, p"),)),
        Step("loss", "Loss = 1/2 = L_const and bbar^(L) = 0",
             uses=("forward", "n = 2, X^(0) = I, Y = (1,-1)^T, MSE"), introduces=("exact small depths",),
             reason="H^(L) = 0, B^(L) = (H^(L) - Y)/2 = -Y/2 has mean 0",
             check=construction_identity(_loss_all, "n = 2 outputs")),
        Step("induction", "every depth: B^(k) = [0, -(w/2)(1-2p)^(L-k) v] (base k = L-1, step with symbolic exponent)",
             uses=("forward", "rho(0) = 0, rho'(0) = 1", "P_p symmetric stochastic 2 x 2"), introduces=("all depths",),
             reason="P v = (1-2p) v; diag(a_k, 1) keeps the second column; rho' = 1 on the zero column",
             check=construction_identity(_backward_all(), "base m = 1 and step m -> m + 1, symbolic m = L - k, p, a_k, w, rho'(h)")),
        Step("gradients", "grad_k = 0 for k >= 1 and grad_0 = [0, -(w/2)(1-2p)^(L+1) v], every depth",
             uses=("forward", "all depths", "GNN recursion"), introduces=("gradients",),
             reason="F^(k) = 1 (x_k, 0)^T and 1^T v = 0; grad_0 = P^T B^(0)",
             check=construction_identity(_gradients_all, "symbolic m, p, x, w")),
        Step("norm", "||grad_0||_F = lambda^(L+1) |w| / sqrt 2, lambda = |1 - 2p|; MLP (p = 0): |w|/sqrt 2",
             uses=("gradients", "norms"), introduces=("gradient norm",),
             reason="grad_0 = P B^(0)",
             check=construction_identity(_norm_grad0, "symbolic L, w, lambda (squared norms)")),
        Step("optimal output", "W^(L) is a global minimiser of the last-layer problem: the output is a constant c "
             "for every W^(L), and (1/4)((c-1)^2 + (c+1)^2) is minimal at c = 0",
             uses=("forward",), introduces=("trained output",),
             reason="constant rows of X^(L)",
             check=scalar_identity(_optimal_output, "symbolic c")),
        Step("registry", "the GNN value matches the registry's gnn_A statement",
             uses=("gradient norm",), introduces=("statement",), reason="identity with backsmooth.symbolic",
             check=scalar_identity(registry_identity(
                 "proposition2", "gnn_A",
                 lambda: sy.lam**(sy.L + 1) * sp.Abs(sy.w) / sp.sqrt(2)))),
    )
    return Proof("proposition2", h, steps, ("exact small depths", "all depths", "gradient norm", "trained output",
                                            "statement"),
                 notes=("Our statement strengthens the reconstruction's 2-sample example (mean error -1/2) to mu = 0, "
                        "loss = L_const, any depth; construction B (ReLU) is not machine-checked here.",))
