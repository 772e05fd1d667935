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

Open to variants: a network is a tuple of layers (:mod:`~backsmooth.numeric.layers`), each
of which knows its own forward step and its vector-Jacobian product; the backward loop is
written once for all of them (:mod:`~backsmooth.numeric._engine`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from . import _engine
from ._sparse import PropagationOperator
from ._validation import as_float_matrix, as_square_operator, check_finite
from .activations import activation as _activation
from .layers import GraphConvolution
from .losses import loss_function
from .measures import pairwise_difference_norm

__all__ = [
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

        def pre(k):  # H^(k) alone (no activation) when the layer can give it
            own = getattr(net.layers[k], "pre_activation", None)
            if own is None:
                return plain(k)[1]
            return own(net.P, state.signal(k), state.weights[k])

        X = _engine.LazySignals(L1, state.signal)
        F = _engine.LazySignals(L1, lambda k: plain(k)[0])
        H = _engine.LazySignals(L1, lambda k: state.output if k == L1 - 1 else pre(k))
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


def _check_rows(net, n):
    """``P`` (if any) must have as many rows as ``X`` has (``n``)."""
    if net.P is not None and net.P.shape[0] != n:
        raise ValueError(f"P is {net.P.shape[0]} x {net.P.shape[1]} but X has {n} rows: they must match")


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
    _check_rows(net, X0.shape[0])
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
