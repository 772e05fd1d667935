"""Forward and backward passes of deep GNNs and MLPs.

The paper's vanilla GNN of depth ``L`` (layers ``k = 0, ..., L``):

.. math::

    F^{(k)} = P X^{(k)}, \\quad H^{(k)} = F^{(k)} W^{(k)}, \\quad
    X^{(k+1)} = \\rho(H^{(k)}) \\ (k < L), \\qquad \\text{output } H^{(L)} = P X^{(L)} W^{(L)}.

where:

- ``P`` (n x n) is the propagation matrix (``None`` for an MLP, i.e. ``P = I``);
- ``X^(0)`` (n x d_0) the input features, ``W^(k)`` (d_k x d_{k+1}) the weights;
- ``rho`` an elementwise activation; the output layer has none.

Backpropagation sends the *backward signals* ``B^(k) = dLoss/dH^(k)`` from the output to
the input by the recursion (paper, section 4)

.. math::

    B^{(L)} = \\partial \\mathrm{Loss} / \\partial H^{(L)}, \\qquad
    B^{(k)} = \\rho'(H^{(k)}) \\odot \\left(P^T B^{(k+1)} W^{(k+1)T}\\right),

and the weight gradients are ``dLoss/dW^(k) = F^(k)T B^(k)``.

Open to variants: a network is a tuple of :class:`GraphConvolution` layers, each of which
knows its own forward step and its vector-Jacobian product; the backward loop is written
once for all of them.  ``residual`` adds a skip connection ``X^(k+1) = rho(H^(k)) +
residual X^(k)`` (an extension, not in the paper); more layer types only need a
``forward``/``backward`` pair with the same signature.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from backsmooth.numeric import _engine
from backsmooth.numeric._sparse import PropagationOperator, propagate, propagate_transpose
from backsmooth.numeric._validation import as_float_matrix, as_square_operator, check_finite
from backsmooth.numeric.activations import Activation, activation as _activation
from backsmooth.numeric.losses import loss_function
from backsmooth.numeric.measures import pairwise_difference_norm

__all__ = [
    "GraphConvolution",
    "Network",
    "ForwardPass",
    "Gradients",
    "gnn",
    "mlp",
    "forward",
    "backward",
    "gradients",
]


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
        H = np.empty((n, d_out), X.dtype)
        saved = np.empty_like(H) if self.lean_saves else None
        narrow_first = d_out <= d_in
        if narrow_first:  # X W goes straight into the operator's column panels (no copy)
            panels = op.column_panels(d_out, X.dtype)
            Yp = [_engine.scratch(ws, f"XW{j}", (n, c1 - c0), X.dtype)
                  for j, (c0, c1) in enumerate(panels)]
        else:
            Y = _engine.scratch(ws, "F", (n, d_in), X.dtype)

        def finish(a, b):  # rows a:b of P (X W) or P X are final: complete H, then X_next, in place
            if not narrow_first:
                np.matmul(Y[a:b], W, out=H[a:b])
            if saved is not None:
                saved[a:b] = rho.derivative(H[a:b])
            if not rho.is_linear:
                H[a:b] = rho.function(H[a:b])
            if r:
                H[a:b] += r * X[a:b]

        if narrow_first:
            def product(a, b):
                for Yj, (c0, c1) in zip(Yp, panels):
                    np.matmul(X[a:b], W[:, c0:c1], out=Yj[a:b])

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

        def signal(a, b):
            if rho.is_linear:
                B[a:b] = G[a:b]
            elif saved is not None:
                np.multiply(saved[a:b], G[a:b], out=B[a:b])
            else:
                B[a:b] = rho.derivative_from_output(X_next[a:b])
                B[a:b] *= G[a:b]
            for Bj, (c0, c1) in zip(Bp, panels):
                Bj[a:b] = B[a:b, c0:c1]

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

            op.apply_transpose(Bp or B, out=C, epilogue=finish)
        grad_W = np.zeros(W.shape, G.dtype)
        for a in sorted(partial):
            grad_W += partial[a]
        return B, grad_W, grad_X


@dataclass(frozen=True)
class Network:
    """A stack of layers sharing one propagation matrix ``P`` (None: an MLP).

    ``layers[k]`` maps ``X^(k)`` to ``X^(k+1)``; the last layer's output is ``H^(L)``
    (it uses the identity activation).
    """

    P: object
    layers: tuple
    symmetric: bool = False

    @property
    def depth(self) -> int:
        """``L``: the number of hidden layers (there are ``L + 1`` weight matrices)."""
        return len(self.layers) - 1

    @cached_property
    def operator(self) -> PropagationOperator:
        """``P`` prepared for the fast threaded products (built once per network)."""
        return PropagationOperator(self.P, symmetric=self.symmetric)


def _prepare_P(P, dtype):
    P = as_square_operator("P", P, dtype=dtype)
    if P is None:
        return None, True
    if sp.issparse(P) and not P.has_canonical_format:
        # scipy canonicalises in place (e.g. inside .max()), and a dtype-converted csr_array
        # shares its index arrays with the caller's matrix: work on a private sorted copy so
        # the caller's P is never reordered under its own data.
        P = P.copy()
        P.sum_duplicates()
    if sp.issparse(P):
        diff = abs(P - P.T)
        scale = max(abs(P).max(), 1.0)
        symmetric = diff.nnz == 0 or diff.max() <= 1e-12 * scale
    else:
        symmetric = bool(np.allclose(P, P.T, rtol=0, atol=1e-12 * max(np.abs(P).max(), 1.0)))
    return P, symmetric


def gnn(P, depth: int, activation="tanh", *, residual: float = 0.0, dtype=np.float64) -> Network:
    """Return the vanilla GNN of depth ``L = depth`` on ``P`` (``L + 1`` layers).

    Examples
    --------
    >>> import numpy as np
    >>> net = gnn(np.full((3, 3), 1 / 3), depth=2)
    >>> net.depth, net.layers[-1].activation.name
    (2, 'identity')
    """
    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth L must be a non-negative integer, got {depth}")
    P, symmetric = _prepare_P(P, dtype)
    rho = _activation(activation)
    hidden = tuple(GraphConvolution(rho, residual) for _ in range(int(depth)))
    return Network(P, hidden + (GraphConvolution(_activation("identity")),), symmetric)


def mlp(depth: int, activation="tanh", **kwargs) -> Network:
    """Return the MLP of depth ``L``: the same network with ``P = I``."""
    return gnn(None, depth, activation, **kwargs)


@dataclass(frozen=True)
class ForwardPass:
    """Every intermediate signal of a forward pass.

    Attributes
    ----------
    X : sequence of ndarray
        ``X^(0), ..., X^(L)`` (``L + 1`` arrays).
    F : sequence of ndarray
        ``F^(k) = P X^(k)``, ``k = 0..L``.
    H : sequence of ndarray
        ``H^(k) = F^(k) W^(k)``, ``k = 0..L``; ``H[-1]`` is the output ``H^(L)``.

    Notes
    -----
    :func:`forward` stores only what the backward pass needs (every ``X^(k)``, or every
    ``s``-th with checkpointing) and the output; the other items of ``X``, ``F`` and ``H`` are
    recomputed on each access, so keep a reference if you use one repeatedly.
    """

    X: object
    F: object
    H: object
    _state: object = field(default=None, repr=False, compare=False)

    @property
    def output(self) -> np.ndarray:
        """The network output ``H^(L)``."""
        return self.H[-1]

    @classmethod
    def _from_state(cls, net: Network, state) -> "ForwardPass":
        L1 = len(net.layers)

        def plain(k):  # F^(k), H^(k) by the layer's own plain forward step
            return net.layers[k].forward(net.P, state.signal(k), state.weights[k])

        X = _engine.LazySignals(L1, state.signal)
        F = _engine.LazySignals(L1, lambda k: plain(k)[0])
        H = _engine.LazySignals(L1, lambda k: state.output if k == L1 - 1 else plain(k)[1])
        return cls(X=X, F=F, H=H, _state=state)


@dataclass(frozen=True)
class Gradients:
    """Loss, backward signals and weight gradients of one forward/backward pass.

    Attributes
    ----------
    loss : float
    B : list of ndarray or None
        Backward signals ``B^(k) = dLoss/dH^(k)``, ``k = 0..L`` (``B[-1]`` = output error);
        None when computed with ``keep_signals=False``.
    weight_gradients : list of ndarray
        ``dLoss/dW^(k) = F^(k)T B^(k)``.
    forward : ForwardPass
    signal_norms : ndarray or None
        With ``keep_signals=False``: ``E(B^(k))`` (root convention of
        :func:`~backsmooth.numeric.measures.pairwise_difference_norm`), ``k = 0..L``.
    """

    loss: float
    B: list | None
    weight_gradients: list
    forward: ForwardPass = field(repr=False)
    signal_norms: np.ndarray | None = None

    @property
    def gradient_norms(self) -> np.ndarray:
        """Frobenius norms ``||dLoss/dW^(k)||_F``, ``k = 0..L``."""
        return np.array([np.linalg.norm(g) for g in self.weight_gradients])


def _as_network(P, weights, activation, dtype, residual=0.0) -> Network:
    if isinstance(P, Network):
        return P
    return gnn(P, len(weights) - 1, activation, residual=residual, dtype=dtype)


def _check_weights(weights, d0, dtype):
    if isinstance(weights, np.ndarray) and weights.ndim == 2:
        weights = [weights]
    weights = [as_float_matrix(f"weights[{k}]", W, dtype=dtype) for k, W in enumerate(weights)]
    if not weights:
        raise ValueError("weights must hold at least one matrix (the output layer W^(L))")
    width = d0
    for k, W in enumerate(weights):
        if W.shape[0] != width:
            raise ValueError(
                f"weights do not chain: W^({k}) has {W.shape[0]} rows but its input has width {width} "
                f"(W^(k) must have shape (d_k, d_(k+1)))"
            )
        width = W.shape[1]
    return weights


def forward(P, X, weights, activation="tanh", *, residual: float = 0.0, dtype=None,
            checkpoint=False) -> ForwardPass:
    """Run the forward pass ``X^(k+1) = rho(P X^(k) W^(k))`` and keep every signal.

    Parameters
    ----------
    P : scipy.sparse array, ndarray, None or Network
        Propagation matrix ``P`` (n x n); None gives an MLP (``P = I``).  A :class:`Network`
        fixes the layers (then ``activation`` and ``residual`` are ignored).
    X : array_like, shape (n, d_0)
        Input features ``X^(0)``.
    weights : sequence of ndarray
        ``W^(0), ..., W^(L)``, ``W^(k)`` of shape ``(d_k, d_{k+1})``.
    activation : str or Activation
        ``rho`` of the hidden layers.
    dtype : numpy dtype, optional
        float64 or float32; default: the dtype of a given :class:`Network`, else float64.
    checkpoint : bool or int
        Memory-lean mode: keep only ``X^(k)`` for ``k`` a multiple of ``s`` (``True``:
        ``s = ceil(sqrt(L + 1))``; an int: that ``s``); the backward pass recomputes the
        others segment by segment (about one extra forward pass of time).

    Examples
    --------
    >>> import numpy as np
    >>> P = np.full((4, 4), 0.25)          # complete averaging: lambda = 0
    >>> X = np.arange(8.0).reshape(4, 2)
    >>> out = forward(P, X, [np.eye(2), np.eye(2)], "identity")
    >>> bool(np.allclose(out.X[1], X.mean(axis=0)))  # one step makes every row equal
    True
    """
    if dtype is None:  # a Network's own precision, float64 otherwise
        dtype = P.P.dtype if isinstance(P, Network) and P.P is not None else np.float64
    net = _as_network(P, weights, activation, dtype, residual)
    X0 = as_float_matrix("X", X, dtype=dtype)
    n = X0.shape[0]
    if net.P is not None and net.P.shape[0] != n:
        raise ValueError(f"P is {net.P.shape[0]} x {net.P.shape[1]} but X has {n} rows: they must match")
    weights = _check_weights(weights, X0.shape[1], dtype)
    if len(weights) != len(net.layers):
        raise ValueError(f"the network has {len(net.layers)} layers but {len(weights)} weight matrices were given")
    interval = _engine.checkpoint_interval(checkpoint, len(net.layers))
    state = _engine.lean_forward(net.layers, net.operator, np.ascontiguousarray(X0), weights,
                                 interval=interval, symmetric=net.symmetric)
    return ForwardPass._from_state(net, state)


def _plain_backward(net, fwd, weights, G):
    """The recursion of the module docstring on a ForwardPass holding F and H lists."""
    L = len(net.layers) - 1
    Bs, grads = [None] * (L + 1), [None] * (L + 1)
    for k in range(L, -1, -1):
        Bs[k], grads[k], G = net.layers[k].backward(net.P, fwd.F[k], fwd.H[k], weights[k], G,
                                                    symmetric=net.symmetric)
    return Bs, grads


def backward(P, fwd: ForwardPass, weights, *, loss="mse", targets=None, mask=None,
             activation="tanh", residual: float = 0.0, output_error=None,
             keep_signals: bool = True) -> Gradients:
    """Backpropagate: every ``B^(k) = dLoss/dH^(k)`` and ``dLoss/dW^(k) = F^(k)T B^(k)``.

    Parameters
    ----------
    P, weights, activation, residual
        As given to :func:`forward` (a ForwardPass made by :func:`forward` carries its own
        network; ``P`` then only matters for a hand-built ForwardPass).
    fwd : ForwardPass
        The result of :func:`forward`.
    loss : {"mse", "cross_entropy"} or Loss
    targets : array_like
        Regression targets ``Y`` (n x d_out) or integer class labels (n,).
    mask : array_like of bool or int, optional
        Training nodes (default: all).
    output_error : ndarray, optional
        Use this ``B^(L)`` instead of the loss's (then ``loss`` is reported as NaN).
    keep_signals : bool
        False: do not keep the ``B^(k)`` (saves one ``n x d`` array per layer); their
        energies ``E(B^(k))`` are recorded in ``Gradients.signal_norms`` instead.
    """
    H_out = fwd.output
    dtype = H_out.dtype
    state = fwd._state
    net = None if state is not None else _as_network(P, weights, activation, dtype, residual)
    weights = _check_weights(weights, fwd.X[0].shape[1], dtype)
    if output_error is None:
        if targets is None:
            raise ValueError("backward needs targets (regression values or class labels) or an output_error")
        value, G = loss_function(loss).value_and_output_error(H_out, targets, mask)
    else:
        G = as_float_matrix("output_error", output_error, dtype=dtype)
        if G.shape != H_out.shape:
            raise ValueError(f"output_error must have the output's shape {H_out.shape}, got {G.shape}")
        value = float("nan")
    norms = None
    if state is None:
        Bs, grads = _plain_backward(net, fwd, weights, G)
        if not keep_signals:
            norms, Bs = np.array([pairwise_difference_norm(B) for B in Bs]), None
    else:
        if len(weights) != len(state.layers):
            raise ValueError(f"the network has {len(state.layers)} layers but {len(weights)} "
                             "weight matrices were given")
        norms = None if keep_signals else np.full(len(weights), np.nan)

        def record(k, B):
            norms[k] = pairwise_difference_norm(B)

        Bs, grads = _engine.lean_backward(state, np.ascontiguousarray(G), weights=weights,
                                          keep_signals=keep_signals,
                                          on_signal=None if keep_signals else record)
    return Gradients(loss=value, B=Bs, weight_gradients=grads, forward=fwd, signal_norms=norms)


def gradients(P, X, weights, *, activation="tanh", loss="mse", targets=None, mask=None,
              residual: float = 0.0, dtype=None, checkpoint=False,
              keep_signals: bool = True) -> Gradients:
    """Forward then backward in one call: loss, every ``B^(k)`` and every weight gradient.

    ``checkpoint`` is passed to :func:`forward` and ``keep_signals`` to :func:`backward`.

    Examples
    --------
    >>> import numpy as np
    >>> P = np.array([[0.5, 0.5], [0.5, 0.5]])
    >>> g = gradients(P, np.eye(2), [np.eye(2), np.ones((2, 1))], activation="identity",
    ...               targets=np.array([[1.0], [-1.0]]))
    >>> g.forward.output.ravel().tolist()      # P averages: both outputs equal 1
    [1.0, 1.0]
    >>> g.loss                                 # ((1 - 1)^2 + (1 + 1)^2) / (2 n), n = 2
    1.0
    >>> g.B[-1].ravel().tolist()               # B^(L) = (H^(L) - Y) / n
    [0.0, 1.0]
    """
    fwd = forward(P, X, weights, activation, residual=residual, dtype=dtype, checkpoint=checkpoint)
    if targets is not None and np.asarray(targets).dtype.kind == "f":
        check_finite("targets", np.asarray(targets))
    return backward(P, fwd, weights, loss=loss, targets=targets, mask=mask,
                    activation=activation, residual=residual, keep_signals=keep_signals)
