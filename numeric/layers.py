"""Layers of a deep GNN: one step ``X^(k) -> X^(k+1)`` and its vector-Jacobian product.

:class:`GraphConvolution` is the paper's layer ``X^(k+1) = rho(P X^(k) W^(k))`` (with an
optional skip connection ``+ residual X^(k)``, an extension).  A layer takes part in a
network through two pairs of methods:

* ``forward(P, X, W) -> (F, H, X_next)`` and ``backward(P, F, H, W, G) -> (B, dW, dX)``:
  the plain step and its vector-Jacobian product (``G = dLoss/dX_next``,
  ``B = dLoss/dH``).  This pair is all a new layer type (normalisation, initial
  connections, ...) needs: the engine adapts it by keeping ``F`` and ``H``.
* ``forward_lean`` / ``backward_lean``: the same mathematics on the fast path of
  :mod:`~backsmooth.numeric._engine` (one ``n x d`` array kept per layer, products fused into
  row chunks and column panels of :class:`~backsmooth.numeric._sparse.PropagationOperator`).

Examples
--------
>>> import numpy as np
>>> from backsmooth.numeric.activations import activation
>>> layer = GraphConvolution(activation("tanh"))
>>> P = np.full((2, 2), 0.5)
>>> F, H, X_next = layer.forward(P, np.array([[1.0], [3.0]]), np.array([[1.0]]))
>>> F.ravel().tolist(), bool(np.allclose(X_next, np.tanh(2.0)))
([2.0, 2.0], True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _buffers, _engine, _sparse
from ._sparse import propagate, propagate_transpose
from .activations import Activation, derivative_from_output_into
from .activations import _tanh_derivative_from_output_into as _tanh_into

__all__ = ["GraphConvolution"]


def _unary_ufunc(function):
    """``function`` if it is a one-in one-out numpy ufunc (``np.tanh``), which can then write
    into its input (``f(x, out=x)``: the same values, no temporary); None otherwise."""
    if isinstance(function, np.ufunc) and function.nin == 1 and function.nout == 1:
        return function
    return None


@dataclass(frozen=True)
class GraphConvolution:
    """One layer ``X -> rho(P X W) + residual * X``.

    ``residual = 0`` is the paper's vanilla layer.  ``forward`` returns ``(F, H, X_next)``;
    ``backward`` maps ``G = dLoss/dX_next`` to ``(B, dLoss/dW, dLoss/dX)`` with
    ``B = rho'(H) * G`` (the paper's backward signal of this layer).
    """

    activation: Activation
    residual: float = 0.0

    def forward(self, P, X, W):
        F = propagate(P, X)
        H = F @ W
        X_next = self.activation.function(H)
        if self.residual:
            if X.shape != X_next.shape:
                raise ValueError(
                    f"a residual layer needs equal input and output widths, got {X.shape[1]} -> {W.shape[1]}"
                )
            X_next = X_next + self.residual * X
        return F, H, X_next

    def pre_activation(self, P, X, W):
        """``H = P X W``, as :meth:`forward` computes it (the same products), without ``rho``."""
        return propagate(P, X) @ W

    def backward(self, P, F, H, W, G, *, symmetric=False):
        B = G if self.activation.is_linear else self.activation.derivative(H) * G
        grad_W = F.T @ B
        grad_X = propagate_transpose(P, B @ W.T, symmetric=symmetric)
        if self.residual:
            grad_X = grad_X + self.residual * G
        return B, grad_W, grad_X

    # -- the memory-lean pair used by the engine (same maths, fewer stored arrays) ----------
    @property
    def lean_saves(self) -> bool:
        """Whether :meth:`forward_lean` must keep ``rho'(H)`` (it cannot be read off ``X_next``)."""
        rho = self.activation
        return not rho.is_linear and (bool(self.residual) or rho.derivative_from_output is None)

    def forward_lean(self, op, X, W, ws):
        """Return ``(X_next, saved)``: ``saved = rho'(H)`` if :attr:`lean_saves`, else None.

        ``H = P X W`` is formed as ``P (X W)`` when ``W`` does not widen the signal and as
        ``(P X) W`` otherwise (the propagation runs on the narrower block); the activation
        is applied to each chunk of rows as soon as the propagation has finished it.
        """
        n, (d_in, d_out) = X.shape[0], W.shape
        if self.residual and d_in != d_out:
            raise ValueError(
                f"a residual layer needs equal input and output widths, got {d_in} -> {d_out}"
            )
        rho, r = self.activation, self.residual
        H = _buffers.empty((n, d_out), X.dtype)
        saved = _buffers.empty((n, d_out), X.dtype) if self.lean_saves else None
        narrow_first = d_out <= d_in
        if narrow_first:  # X W goes straight into the operator's column panels (no copy)
            panels = op.column_panels(d_out, X.dtype)
            Yp = [_engine.scratch(ws, f"XW{j}", (n, c1 - c0), X.dtype)
                  for j, (c0, c1) in enumerate(panels)]
        else:
            Y = _engine.scratch(ws, "F", (n, d_in), X.dtype)

        linear = rho.is_linear
        in_place = None if linear else _unary_ufunc(rho.function)

        def finish(a, b):  # rows a:b of P (X W) or P X are final: complete H, then X_next, in place
            Hc = H[a:b]
            if not narrow_first:
                np.matmul(Y[a:b], W, out=Hc)
            if saved is not None:
                saved[a:b] = rho.derivative(Hc)
            if in_place:  # a ufunc (np.tanh): the same values, written where they belong
                in_place(Hc, out=Hc)
            elif not linear:
                H[a:b] = rho.function(Hc)
            if r:
                Hc += r * X[a:b]

        whole = op.whole_product(False, n, d_out if narrow_first else d_in, X.dtype)
        if whole is not None:  # one chunk, one panel (small graphs): apply's own calls, inline
            if narrow_first:
                np.matmul(X, W, out=Yp[0])
                whole(Yp[0], H)
            else:
                whole(np.ascontiguousarray(X), Y)
            finish(0, n)
            return H, saved
        if narrow_first:
            def product(a, b):
                if len(Yp) == 1:
                    np.matmul(X[a:b], W, out=Yp[0][a:b])
                    return
                # the full-width product of the chunk, then its panels: the same rounding
                # whatever panel width the operator chose (BLAS rounds by shape)
                XW = X[a:b] @ W
                for Yj, (c0, c1) in zip(Yp, panels):
                    Yj[a:b] = XW[:, c0:c1]

            op.map_rows(product, n, d_out)
            op.apply(Yp, out=H, epilogue=finish)
        else:
            op.apply(X, out=Y, epilogue=finish)
        return H, saved

    def backward_lean(self, op, X, X_next, saved, W, G, ws, need_input_gradient=True):
        """Return ``(B, dLoss/dW, dLoss/dX)`` from ``G = dLoss/dX_next`` with one ``C = P^T B``.

        ``B = rho'(H) * G``, then, chunk by chunk as ``C = P^T B`` is produced,
        ``dLoss/dW = sum_chunks X^T C`` and ``dLoss/dX = C W^T (+ residual G)``.  When the
        input is much narrower than the output, ``F = P X`` and ``P^T (B W^T)`` are cheaper
        and are used instead.  ``need_input_gradient=False`` skips ``dLoss/dX``.  ``B`` and
        ``dLoss/dX`` are written into scratch buffers of ``ws``: they are valid until the next
        call with ``ws`` (the engine copies the ``B`` it keeps).
        """
        rho, r, n, (d_in, d_out) = self.activation, self.residual, G.shape[0], W.shape
        B = _engine.scratch(ws, "B", G.shape, G.dtype)
        narrow_input = need_input_gradient and 2 * d_in < d_out
        panels = [] if narrow_input else op.column_panels(d_out, G.dtype)
        # for P^T B in column panels, B is also written into them while in cache
        Bp = [_engine.scratch(ws, f"B{j}", (n, c1 - c0), G.dtype)
              for j, (c0, c1) in enumerate(panels)] if len(panels) > 1 else []

        into = derivative_from_output_into(rho)

        def signal(a, b):
            if rho.is_linear:
                B[a:b] = G[a:b]
            elif saved is not None:
                np.multiply(saved[a:b], G[a:b], out=B[a:b])
            elif into is _tanh_into and _sparse.tanh_signal(X_next[a:b], G[a:b], B[a:b]):
                pass  # tanh: (1 - X_next^2) * G in one pass, the same roundings
            elif into is not None:  # tanh: 1 - X_next^2 written into B (the same values)
                Bc = into(X_next[a:b], B[a:b])
                Bc *= G[a:b]
            else:
                B[a:b] = rho.derivative_from_output(X_next[a:b])
                B[a:b] *= G[a:b]
            for Bj, (c0, c1) in zip(Bp, panels):
                Bj[a:b] = B[a:b, c0:c1]

        whole = None if narrow_input else op.whole_product(True, n, d_out, G.dtype)
        if whole is not None:  # one chunk, one panel (small graphs): map_rows's only call
            signal(0, n)
        else:
            op.map_rows(signal, n, d_out)
        grad_X = None
        if need_input_gradient:  # a scratch buffer (the engine uses it at once), never G's own
            grad_X = _engine.scratch(ws, "dX", (n, d_in), G.dtype)
            if np.shares_memory(grad_X, G):
                grad_X = _engine.scratch(ws, "dX'", (n, d_in), G.dtype)
        partial = {}  # chunk start -> its term of dLoss/dW (summed in a fixed order)
        if narrow_input:
            F = _engine.scratch(ws, "F", (n, d_in), X.dtype)
            op.apply(X, out=F, epilogue=lambda a, b: partial.__setitem__(a, F[a:b].T @ B[a:b]))
            T = _engine.scratch(ws, "BW", (n, d_in), G.dtype)
            op.map_rows(lambda a, b: np.matmul(B[a:b], W.T, out=T[a:b]), n, d_in)
            op.apply_transpose(T, out=grad_X)
            if r:
                grad_X += r * G
        else:
            C = _engine.scratch(ws, "C", (n, d_out), G.dtype)

            def finish(a, b):  # rows a:b of C = P^T B are final
                partial[a] = X[a:b].T @ C[a:b]
                if grad_X is not None:
                    np.matmul(C[a:b], W.T, out=grad_X[a:b])
                    if r:
                        grad_X[a:b] += r * G[a:b]

            if whole is not None:  # apply_transpose's own calls, inline
                whole(B, C)
                finish(0, n)
            else:
                op.apply_transpose(Bp or B, out=C, epilogue=finish)
        grad_W = np.zeros(W.shape, G.dtype)
        for a in sorted(partial):
            grad_W += partial[a]
        return B, grad_W, grad_X
