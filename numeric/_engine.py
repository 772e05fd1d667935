"""The memory-lean forward/backward engine behind :mod:`backsmooth.numeric.model` (private).

What backpropagation through ``X^(k+1) = rho(P X^(k) W^(k))`` really needs
-------------------------------------------------------------------------
With ``C^(k) = P^T B^(k)`` the two backward products of a layer share one propagation:

.. math::

    \\frac{\\partial \\mathrm{Loss}}{\\partial W^{(k)}} = F^{(k)T} B^{(k)}
        = X^{(k)T} P^T B^{(k)} = X^{(k)T} C^{(k)}, \\qquad
    \\frac{\\partial \\mathrm{Loss}}{\\partial X^{(k)}} = P^T B^{(k)} W^{(k)T} = C^{(k)} W^{(k)T},

and ``B^(k-1) = rho'(H^(k-1)) * dLoss/dX^(k)``.  So the backward pass needs ``X^(k)`` but
neither ``F^(k)`` nor ``H^(k)``; for activations whose derivative is a function of their
output (tanh: ``rho' = 1 - X^2``; ReLU: ``1[X > 0]``) it does not even need ``H^(k-1)``.
The engine therefore stores one ``n x d`` array per layer (the floor), and with
checkpointing only every ``s``-th ``X^(k)``: a segment of ``s`` layers is recomputed from its
checkpoint just before its backward step (about ``sqrt(L)`` arrays live, one extra forward).

A layer takes part through two methods, ``forward_lean(op, X, W, ws) -> (X_next, saved)``
and ``backward_lean(op, X, X_next, saved, W, G, ws, need_input_gradient) -> (B, dW, dX)``
(:class:`~backsmooth.numeric.layers.GraphConvolution` has them).  Any other layer with only the
plain ``forward``/``backward`` pair still works: :class:`_PlainLayer` adapts it by saving
``(F, H)``.  ``op`` is a :class:`~backsmooth.numeric._sparse.PropagationOperator` and ``ws`` a
dict of scratch buffers reused across layers.

Node order: when the operator renumbers the nodes for locality, everything inside the engine
(stored ``X^(k)``, the ``B^(k)`` during the backward pass, what layers see) is in the
operator's internal order.  :func:`lean_forward` permutes ``X^(0)`` once, :func:`lean_backward`
permutes the output error once, and what leaves the engine is in the caller's order again:
:attr:`ForwardState.output`, :meth:`ForwardState.signal` and the kept ``B^(k)``.  The weight
gradients sum over nodes, so they need no permutation.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import _buffers, _tuning

__all__ = ["ForwardState", "checkpoint_interval", "lean_forward", "lean_backward", "LazySignals"]


def checkpoint_interval(checkpoint, num_layers: int) -> int:
    """Return ``s``: keep ``X^(k)`` for ``k % s == 0`` (``s = 1``: keep every layer).

    ``checkpoint`` is False/None (keep all), True (``s = ceil(sqrt(L + 1))``) or an int ``s``.
    """
    if checkpoint is None or checkpoint is False:
        return 1
    if checkpoint is True:
        return max(1, math.ceil(math.sqrt(num_layers)))
    if isinstance(checkpoint, (int, np.integer)) and checkpoint >= 1:
        return int(checkpoint)
    raise ValueError(
        f"checkpoint must be False, True or a positive integer segment length, got {checkpoint!r}"
    )


def scratch(ws: dict, name: str, shape, dtype) -> np.ndarray:
    """A reusable buffer ``ws[name]`` of the given shape and dtype."""
    key = (name, tuple(shape), np.dtype(dtype))
    buf = ws.get(key)
    if buf is None:  # scratch panels are what the sparse products read at scattered rows
        buf = ws[key] = _buffers.empty(shape, dtype, random_access=True)
    return buf


def _pages(op, X, weights):
    """The engine's page policy (:class:`_tuning.output_pages`) for its ``n x d`` outputs."""
    width = max([np.shape(w)[-1] for w in weights] + [X.shape[-1]])
    return _tuning.output_pages(X.shape[0] * width * X.itemsize, active=op.sparse)


class _PlainLayer:
    """Adapter giving a layer with only ``forward``/``backward`` the lean interface."""

    def __init__(self, layer, symmetric):
        self.layer, self.symmetric = layer, symmetric

    def forward_lean(self, op, X, W, ws):
        F, H, X_next = self.layer.forward(op.internal_matrix, X, W)
        return X_next, (F, H)

    def backward_lean(self, op, X, X_next, saved, W, G, ws, need_input_gradient=True):
        F, H = saved
        return self.layer.backward(op.internal_matrix, F, H, W, G, symmetric=self.symmetric)


def _lean(layer, symmetric):
    return layer if hasattr(layer, "backward_lean") else _PlainLayer(layer, symmetric)


@dataclass(eq=False)
class ForwardState:
    """What the lean forward pass keeps: checkpoints ``X^(k)``, per-layer ``saved``, output
    (all in the operator's internal node order)."""

    layers: tuple
    op: object
    weights: list
    stored: list  # X^(k) or None (dropped, recomputable), k = 0..L+1 (X^(L+1) = output H^(L))
    saved: list  # per-layer extra (None when dropped or not needed)
    interval: int
    symmetric: bool

    _output: object = None  # the output in the caller's order, made on first use
    # a backward pass recomputes and drops segments of ``stored``/``saved``: one at a time
    lock: object = field(default_factory=threading.RLock, repr=False)

    @property
    def output(self):
        """The network output ``H^(L)`` in the caller's node order."""
        if self._output is None:
            self._output = self.op.to_external(self.stored[-1])
        return self._output

    def signal(self, k: int) -> np.ndarray:
        """``X^(k)`` in the caller's node order (recomputed when dropped; not cached)."""
        return self.op.to_external(self.input_of(k))

    def run(self, k_from: int, k_to: int):
        """Recompute layers ``k_from..k_to-1`` from the stored ``X^(k_from)``, keeping their
        outputs and saved parts (the last layer's only if it saves something)."""
        ws: dict = {}
        for k in range(k_from, k_to):
            layer = _lean(self.layers[k], self.symmetric)
            if k == k_to - 1 and self.stored[k + 1] is not None and not getattr(layer, "lean_saves", True):
                break
            X_next, saved = layer.forward_lean(self.op, self.stored[k], self.weights[k], ws)
            if self.stored[k + 1] is None:
                self.stored[k + 1] = X_next
            self.saved[k] = saved

    def input_of(self, k: int) -> np.ndarray:
        """``X^(k)`` in the internal order, recomputed from the nearest checkpoint below when
        dropped (not cached)."""
        with self.lock:
            if self.stored[k] is not None:
                return self.stored[k]
            c = k - k % self.interval
            X, ws = self.stored[c], {}
            with self.op.blas_limits():
                for j in range(c, k):
                    layer = _lean(self.layers[j], self.symmetric)
                    X, _ = layer.forward_lean(self.op, X, self.weights[j], ws)
            return X


def lean_forward(layers, op, X0, weights, *, interval: int = 1, symmetric: bool = False) -> ForwardState:
    """Forward pass keeping ``X^(k)`` for ``k % interval == 0`` (every layer when 1).

    ``X0`` is in the caller's node order (it is permuted once into the operator's order).
    """
    L1 = len(layers)
    state = ForwardState(tuple(layers), op, list(weights), [None] * (L1 + 1), [None] * L1,
                         int(interval), bool(symmetric))
    with op.blas_limits(), _pages(op, X0, weights):
        X, ws = op.to_internal(X0), {}
        state.stored[0] = X
        for k in range(L1):
            X, saved = _lean(layers[k], symmetric).forward_lean(op, X, weights[k], ws)
            if interval == 1 or k == L1 - 1 or (k + 1) % interval == 0:
                state.stored[k + 1] = X
            if interval == 1:
                state.saved[k] = saved
    return state


def lean_backward(state: ForwardState, G: np.ndarray, *, weights=None, keep_signals: bool = True,
                  on_signal=None):
    """Backward pass from ``G = B^(L)`` (output error): ``(B list or None, weight gradients)``.

    ``weights`` (default: those of the forward pass) are used for the backward products and
    any recomputation.  Backward passes on one state run one at a time (they recompute and
    release its segments), so threads may share a forward pass.

    ``G`` and the returned ``B^(k)`` are in the caller's node order.  Segments
    ``[c, c + s)`` are processed from the last to the first; a dropped segment is recomputed
    from its checkpoint ``X^(c)`` and released after its backward step.  ``on_signal(k, B)``
    is called with every ``B^(k)`` (e.g. to record its energy), in the operator's internal
    node order: use it for order-free quantities such as norms and energies.
    """
    L1 = len(state.layers)
    Bs = [None] * L1 if keep_signals else None
    grads = [None] * L1
    ws: dict = {}
    with state.lock, state.op.blas_limits(), _pages(state.op, G, state.weights if weights is None else weights):
        if weights is not None:
            state.weights = list(weights)
        G = state.op.to_internal(G)
        for c in reversed(range(0, L1, state.interval)):
            G = _backward_segment(state, c, min(c + state.interval, L1), G, Bs, grads, ws, on_signal)
    return Bs, grads


def _backward_segment(state, c, end, G, Bs, grads, ws, on_signal):
    """Backward through layers ``end-1, ..., c``; returns ``dLoss/dX^(c)`` (None for c = 0)."""
    recomputed = state.interval > 1
    if recomputed:
        state.run(c, end)
    for k in range(end - 1, c - 1, -1):
        layer = _lean(state.layers[k], state.symmetric)
        B, grads[k], G = layer.backward_lean(state.op, state.stored[k], state.stored[k + 1],
                                             state.saved[k], state.weights[k], G, ws,
                                             need_input_gradient=k > 0)
        if on_signal is not None:
            on_signal(k, B)
        if Bs is not None:  # B may be the layer's scratch buffer: keep a copy
            Bs[k] = state.op.to_external(B, copy=True)
    if recomputed:  # release the segment: keep only its checkpoint X^(c)
        for k in range(c, end):
            state.saved[k] = None
            if k > c:
                state.stored[k] = None
    return G


class LazySignals(Sequence):
    """A read-only list whose items are computed on access (and not cached)."""

    def __init__(self, length: int, item):
        self._length, self._item = int(length), item

    def __len__(self):
        return self._length

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._item(k) for k in range(*index.indices(self._length))]
        k = int(index)
        if k < 0:
            k += self._length
        if not 0 <= k < self._length:
            raise IndexError(f"layer index {index} out of range for {self._length} layers")
        return self._item(k)

    def __repr__(self):
        return f"LazySignals(<{self._length} arrays computed on access>)"
