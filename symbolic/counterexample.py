"""Proposition 2: MLPs are not GNNs, exact counter-examples (``docs/theory.md``).

Setting: n = 2, ``X^(0) = I_2``, widths 2, output width 1, ``Y = (1, -1)^T``, MSE
``(1/(2n))||H - Y||^2`` (L_const = 1/2, ybar = 0).

* Construction A (``rho(0) = 0``, ``rho'(0) = 1``: id, tanh, softsign):
  ``W^(0) = [[a, 0], [a, 0]]``, ``W^(k) = diag(a_k, 1)``, ``W^(L) = (0, w)^T``.
* Construction B (ReLU or id): ``W^(0) = 11^T``, ``W^(k) = I``, ``W^(L) = (w, -w)^T``.

For the MLP (P = I): loss = 1/2, ``bbar^(L) = 0``, ``grad_k = 0`` for k >= 1 (so the output
layer is trained and is a global minimiser of the last-layer problem), but
``||grad_0||_F = |w|/sqrt 2`` (A) or ``|w|`` (B).  For the GNN with
``P_p = [[1-p, p], [p, 1-p]]`` (lambda = |1 - 2p|) the same holds with the factor
``lambda^(L+1)``.  Gradients are obtained by differentiating the loss of the forward
definition (symbolic ``w`` and ``p``; the other weights exact rationals).

Examples
--------
>>> r = counterexample("B", L=1, rho="id", P="mlp")
>>> r["loss"], r["bbar_L"]
(1/2, 0)
"""

from __future__ import annotations

import functools

import sympy as sp

from .gnn import SymbolicGNN, forward, mean_row, mse_loss
from .steps import identity_step
from .symbols import p, w

__all__ = ["construction", "counterexample", "derive_proposition2", "notes_two_sample_example", "w_sym", "p_sym"]

w_sym = w  # the construction's weight (backsmooth.symbolic.symbols)
p_sym = p  # the off-diagonal entry of P_p
_t = sp.Symbol("t", real=True)
_ACT = {
    "id": sp.Lambda(_t, _t),
    "tanh": sp.Lambda(_t, sp.tanh(_t)),
    "softsign": sp.Lambda(_t, _t / (1 + sp.Abs(_t))),
    "relu": sp.Lambda(_t, sp.Max(_t, 0)),
}


def construction(kind, L, w=w_sym, a=sp.Rational(3, 2), a_k=None) -> list:
    """Weights ``W^(0), ..., W^(L)`` of Proposition 2's construction ``"A"`` or ``"B"``.

    The one home of the counter-example (the check evaluates it in floats).  Construction A
    (``rho(0) = 0``, ``rho'(0) = 1``): ``W^(0) = [[a, 0], [a, 0]]``, ``W^(k) = diag(a_k, 1)``,
    ``W^(L) = (0, w)^T``; construction B (ReLU or id): ``W^(0) = 1 1^T``, ``W^(k) = I``,
    ``W^(L) = (w, -w)^T``.

    Parameters
    ----------
    kind : {"A", "B"}
    L : int
        Depth (``L >= 1``).
    w, a : sympy.Expr or float
        Output weight and first-layer weight (``a`` is used by construction A only).
    a_k : sequence of length ``L - 1``, optional
        Hidden weights of construction A (default ``(k + 1)/2``, ``k = 1..L-1``).

    Examples
    --------
    >>> [W.shape for W in construction("B", 2)]
    [(2, 2), (2, 2), (2, 1)]
    """
    if kind == "A":
        a_k = [sp.Rational(k + 1, 2) for k in range(1, L)] if a_k is None else list(a_k)
        if len(a_k) != L - 1:
            raise ValueError(f"construction A of depth {L} needs {L - 1} hidden weights a_k, "
                             f"got {len(a_k)}")
        Ws = [sp.ImmutableMatrix([[a, 0], [a, 0]])]
        Ws += [sp.ImmutableMatrix(sp.diag(ak, 1)) for ak in a_k]
        Ws.append(sp.ImmutableMatrix([[0], [w]]))
    elif kind == "B":
        Ws = [sp.ImmutableMatrix(sp.ones(2, 2))] + [sp.ImmutableMatrix(sp.eye(2))] * (L - 1)
        Ws.append(sp.ImmutableMatrix([[w], [-w]]))
    else:
        raise ValueError(f"construction must be 'A' or 'B', got {kind!r}")
    return Ws


def _weights(kind, L):
    return construction(kind, L)


def counterexample(construction, L, rho="id", P="mlp"):
    """Exact loss, mean output error and layer gradients of a Proposition 2 network.

    Parameters
    ----------
    construction : {"A", "B"}
    L : int
        Depth (weights W^(0..L)), L >= 1.
    rho : {"id", "tanh", "softsign", "relu"}
    P : {"mlp", "gnn"}
        ``"mlp"``: P = I; ``"gnn"``: ``P_p`` with symbolic p.

    Returns
    -------
    dict
        ``loss``, ``bbar_L`` (scalar), ``grads`` (list of exact matrices), ``lam2``
        (``lambda^2`` as an expression: 1 or ``(1-2p)^2``), ``output`` (H^(L)).
    """
    if L < 1:
        raise ValueError("L must be >= 1")
    if rho not in _ACT:
        raise ValueError(f"rho must be one of {sorted(_ACT)}, got {rho!r}")
    r = _counterexample(construction, L, rho, P)
    return {**r, "grads": list(r["grads"])}


@functools.lru_cache(maxsize=None)
def _counterexample(construction, L, rho, P):
    # exact, a pure function of its arguments (immutable sympy results): computed once per
    # process for each network (Proposition 2's derivation uses construction B, ReLU, GNN twice)
    Pm = sp.eye(2) if P == "mlp" else sp.ImmutableMatrix([[1 - p_sym, p_sym], [p_sym, 1 - p_sym]])
    values = _weights(construction, L)
    syms = [sp.ImmutableMatrix(*Wv.shape, lambda a, b, k=k: sp.Symbol(f"W{k}_{a}{b}", real=True))
            for k, Wv in enumerate(values)]
    Y = sp.ImmutableMatrix([[1], [-1]])
    net = SymbolicGNN(sp.ImmutableMatrix(Pm), sp.ImmutableMatrix(sp.eye(2)), tuple(syms), Y)
    _, _, H = forward(net, _ACT[rho])
    loss = mse_loss(H[-1], Y)
    sub = {s_: v_ for S_, V_ in zip(syms, values) for s_, v_ in zip(S_, V_)}
    grads = [_layer_gradient(loss, syms, values, k) for k in range(len(syms))]
    out = H[-1].subs(sub)
    BL = (out - Y) / 2
    return {"loss": sp.simplify(loss.subs(sub)), "bbar_L": sp.simplify(mean_row(BL)[0]),
            "grads": grads, "lam2": sp.Integer(1) if P == "mlp" else (1 - 2 * p_sym)**2,
            "output": out}


def _layer_gradient(loss, syms, values, k):
    """The exact gradient of ``loss`` in the weights ``syms[k]`` of layer ``k`` at ``values``.

    The other layers' weights are put at their values first (``xreplace``: the values are
    closed expressions in ``w``, ``p``), then the loss is differentiated in layer ``k``'s
    symbols and those are put at their values: the same partial derivatives as
    differentiating in every symbol and substituting all values afterwards, on a smaller
    expression (``factor(expand(.))`` then gives structurally the same gradients: compared
    for both constructions, every activation, the MLP and the GNN and L = 1..3; ~40% less
    time than the all-symbols route kept in the test that compares them).
    """
    others = {s_: v_ for j, (S_, V_) in enumerate(zip(syms, values)) if j != k
              for s_, v_ in zip(S_, V_)}
    own = dict(zip(syms[k], values[k]))
    layer_loss = loss.xreplace(others)
    S_ = syms[k]
    return sp.ImmutableMatrix(*S_.shape, lambda a, b: sp.factor(sp.expand(
        sp.diff(layer_loss, S_[a, b]).xreplace(own))))


def notes_two_sample_example():
    """The two-sample MLP example of our first reading of the paper.

    Loss (1/2)||H - y||^2, grad_1 = 0, ||grad_0|| = |w|, mean error -1/2.
    """
    W0 = sp.ImmutableMatrix(2, 2, lambda a, b: sp.Symbol(f"u{a}{b}", real=True))
    W1 = sp.ImmutableMatrix(2, 1, lambda a, b: sp.Symbol(f"v{a}{b}", real=True))
    y = sp.ImmutableMatrix([[w_sym], [1]])
    H = sp.eye(2) * W0 * W1
    loss = sum(e**2 for e in (H - y)) / 2
    sub = {W0[0, 0]: 1, W0[0, 1]: 0, W0[1, 0]: 0, W0[1, 1]: 0, W1[0]: w_sym, W1[1]: 0}
    g0 = sp.ImmutableMatrix(2, 2, lambda a, b: sp.diff(loss, W0[a, b]).subs(sub))
    g1 = sp.ImmutableMatrix(2, 1, lambda a, b: sp.diff(loss, W1[a, b]).subs(sub))
    return {"loss": loss.subs(sub), "grads": [g0, g1], "mean_error": mean_row(H.subs(sub) - y)[0]}


def derive_proposition2(depths=(1, 2)):
    """Exact checks of constructions A and B for the MLP and the GNN."""
    steps = []
    cases = [("A", "id"), ("A", "tanh"), ("B", "relu"), ("B", "id")]
    for L in depths:
        for cons, rho in cases:
            if rho in ("tanh", "id") and L > depths[0]:
                continue  # deeper nets: one activation per construction keeps the suite fast
            for P in ("mlp", "gnn"):
                r = counterexample(cons, L, rho, P)
                tag = f"{'MLP (P = I)' if P == 'mlp' else 'GNN (P_p)'}, construction {cons}, rho = {rho}, L = {L}"
                size = f"n = 2, L = {L}"  # the construction's explicit matrices at one depth
                steps.append(identity_step(f"{tag}: loss = L_const = 1/2", r["loss"], sp.Rational(1, 2),
                                           size=size))
                steps.append(identity_step(f"{tag}: mean output error bbar^(L) = 0", r["bbar_L"], 0,
                                           size=size))
                for k in range(1, L + 1):
                    steps.append(identity_step(f"{tag}: grad_{k} = 0", r["grads"][k],
                                               sp.zeros(*r["grads"][k].shape), size=size))
                factor = sp.Rational(1, 2) if cons == "A" else 1
                steps.append(identity_step(
                    f"{tag}: ||grad_0||_F^2 = lambda^(2(L+1)) w^2 {'/ 2' if cons == 'A' else ''}",
                    sum(e**2 for e in r["grads"][0]), r["lam2"]**(L + 1) * w_sym**2 * factor,
                    size=size))
    for L in depths:  # a fully rational instance: w = 10, p = 1/5 (lambda = 3/5)
        r = counterexample("B", L, "relu", "gnn")
        g = r["grads"][0].subs({w_sym: 10, p_sym: sp.Rational(1, 5)})
        steps.append(identity_step(f"GNN, construction B, ReLU, L = {L}, w = 10, p = 1/5: "
                                   f"||grad_0||_F^2 = (3/5)^{2 * (L + 1)} * 100 (Rational arithmetic)",
                                   sum(e**2 for e in g), sp.Rational(3, 5)**(2 * (L + 1)) * 100,
                                   size=f"n = 2, L = {L}"))
    ex = notes_two_sample_example()
    steps.append(identity_step("2-sample MLP (our first reading): grad_1 = 0", ex["grads"][1], sp.zeros(2, 1)))
    steps.append(identity_step("2-sample MLP (our first reading): ||grad_0||^2 = w^2",
                               sum(e**2 for e in ex["grads"][0]), w_sym**2, size="2 samples"))
    steps.append(identity_step("2-sample MLP (our first reading): mean output error = -1/2 (not 0: it does not "
                               "isolate the GNN mechanism)", ex["mean_error"], sp.Rational(-1, 2)))
    return tuple(steps)
