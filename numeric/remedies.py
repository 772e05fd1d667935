"""Remedies against backward oversmoothing: layers with exact backward passes [extension].

Every layer here follows the plain layer protocol of :mod:`~backsmooth.numeric.layers`:
``forward(P, X, W) -> (F, H, X_next)`` and ``backward(P, F, H, W, G) -> (B, dW, dX)``, with
``G = dLoss/dX_next`` and ``B = dLoss/dH`` (the backward signal ``B^(k)`` of the layer).  The
engine adapts them (it keeps ``F`` and ``H``), so they run under :func:`~backsmooth.numeric.model.forward`,
:func:`~backsmooth.numeric.model.backward` and :func:`~backsmooth.numeric.training.train`
unchanged (Adam or GD, masks, float32/float64).

Layers and their backward passes (``Pi = I - 1 1^T / n`` centres the rows):

* residual ``X^(k+1) = r X^(k) + rho(P X^(k) W^(k))``: this is
  :class:`~backsmooth.numeric.layers.GraphConvolution` with ``residual = r``;
  ``dX^(k) = r G + P^T B W^T`` (:func:`residual_gnn` builds the network, skips on the
  hidden layers ``1..L-1``).
* initial residual (APPNP/GCNII) :class:`InitialResidualConvolution`:
  ``H^(k) = ((1 - a) P X^(k) + a X^(1)) M^(k)``, ``M^(k) = (1 - b) I + b W^(k)`` (GCNII's
  identity mapping; ``b = None`` means ``M = W``), ``X^(k+1) = rho(H^(k))``.  The anchor
  ``X^(1) = rho(P X^(0) W^(0))`` is the first hidden layer (so that widths agree); it travels
  with the signal as extra columns ``[X^(k) | X^(1)]``, so ``forward`` returns hidden signals of
  width ``2 d`` (the left half is ``X^(k)``).  Backward: ``B = rho'(H) o G_X``,
  ``dW = b F^T B``, ``dX^(k) = (1 - a) P^T B M^T``, ``dX^(1) += a B M^T``.
* normalisation :class:`NormalisedConvolution`: ``X^(k+1) = rho(N(H^(k)))``, ``H = P X W`` with
  ``N(H) = Pi H`` (mean subtraction) or ``N(H) = s sqrt(n) Pi H / ||Pi H||_F`` (PairNorm, "scale
  individually" off).  Backward, with ``Ghat = rho'(N(H)) o G``:
  mean: ``B = Pi Ghat``; PairNorm: ``B = (s sqrt(n) / ||Pi H||_F) (Pi Ghat - <Pi Ghat, c> c)``,
  ``c = Pi H / ||Pi H||_F``.
* DropEdge: :func:`drop_edges` keeps each undirected edge with probability ``1 - rate`` and
  re-normalises ``P``; :class:`DropEdgeSchedule` gives a fresh seeded graph per training step
  (pass ``network_schedule=`` to :func:`~backsmooth.numeric.training.train`).

Examples
--------
>>> import numpy as np
>>> from backsmooth.numeric.activations import activation
>>> layer = NormalisedConvolution(activation("identity"), "mean")
>>> F, H, Xn = layer.forward(np.eye(3), np.array([[1.0], [2.0], [6.0]]), np.array([[1.0]]))
>>> Xn.ravel().tolist()                     # the mean row 3 is subtracted
[-2.0, -1.0, 3.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._sparse import propagate, propagate_transpose
from .activations import Activation
from .activations import activation as _activation
from .layers import GraphConvolution

__all__ = [
    "InitialResidualConvolution",
    "AnchorConvolution",
    "AnchorReadout",
    "NormalisedConvolution",
    "NORMALISATIONS",
    "residual_gnn",
    "initial_residual_gnn",
    "normalised_gnn",
    "drop_edges",
    "DropEdgeSchedule",
]

NORMALISATIONS = ("mean", "pair")


def _rho_prime(rho: Activation, H, G):
    return G if rho.is_linear else rho.derivative(H) * G


@dataclass(frozen=True)
class AnchorConvolution:
    """First layer of an initial-residual network: ``Y = rho(P X^(0) W^(0))``, output ``[Y | Y]``.

    The right copy is the anchor ``X^(1)`` carried to every later layer.
    """

    activation: Activation

    def forward(self, P, X, W):
        F = propagate(P, X)
        H = F @ W
        Y = self.activation.function(H)
        return F, H, np.concatenate([Y, Y], axis=1)

    def backward(self, P, F, H, W, G, *, symmetric=False):
        d = W.shape[1]
        B = _rho_prime(self.activation, H, G[:, :d] + G[:, d:])
        return B, F.T @ B, propagate_transpose(P, B @ W.T, symmetric=symmetric)


@dataclass(frozen=True)
class InitialResidualConvolution:
    """``[X | A] -> [rho(((1 - a) P X + a A) M) | A]``, ``M = (1 - b) I + b W`` (``b=None``: ``M = W``).

    ``alpha`` is the initial-residual weight ``a`` in ``[0, 1]``, ``beta`` GCNII's identity-mapping
    weight ``b`` in ``(0, 1]``.  ``F`` returned by :meth:`forward` is ``(1 - a) P X + a A``.
    """

    activation: Activation
    alpha: float
    beta: float | None = None

    def __post_init__(self):
        if not 0.0 <= self.alpha <= 1.0:
            raise ValueError(f"alpha (the initial-residual weight a) must lie in [0, 1], got {self.alpha}")
        if self.beta is not None and not 0.0 < self.beta <= 1.0:
            raise ValueError(f"beta (GCNII's identity-mapping weight b) must lie in (0, 1], got {self.beta}")

    def _mixing(self, W):
        if self.beta is None:
            return W
        if W.shape[0] != W.shape[1]:
            raise ValueError(f"GCNII's identity mapping needs a square W, got shape {W.shape}")
        return (1.0 - self.beta) * np.eye(W.shape[0], dtype=W.dtype) + self.beta * W

    def forward(self, P, X, W):
        d = W.shape[0]
        if X.shape[1] != 2 * d:
            raise ValueError(f"an initial-residual layer takes [X | X^(1)] of width 2 x {d}, got {X.shape[1]} "
                             "(build the network with initial_residual_gnn)")
        Xk, A = X[:, :d], X[:, d:]
        a = X.dtype.type(self.alpha)
        F = (1 - a) * propagate(P, Xk) + a * A
        H = F @ self._mixing(W)
        return F, H, np.concatenate([self.activation.function(H), A], axis=1)

    def backward(self, P, F, H, W, G, *, symmetric=False):
        d_out = H.shape[1]
        B = _rho_prime(self.activation, H, G[:, :d_out])
        M = self._mixing(W)
        grad_M = F.T @ B
        grad_W = grad_M if self.beta is None else G.dtype.type(self.beta) * grad_M
        BM = B @ M.T
        a = G.dtype.type(self.alpha)
        grad_X = (1 - a) * propagate_transpose(P, BM, symmetric=symmetric)
        grad_A = a * BM + G[:, d_out:]
        return B, grad_W, np.concatenate([grad_X, grad_A], axis=1)


@dataclass(frozen=True)
class AnchorReadout:
    """Output layer of an initial-residual network: ``[X | A] -> P X W`` (the anchor is dropped)."""

    activation: Activation

    def forward(self, P, X, W):
        d = W.shape[0]
        F = propagate(P, X[:, :d])
        H = F @ W
        return F, H, self.activation.function(H)

    def backward(self, P, F, H, W, G, *, symmetric=False):
        B = _rho_prime(self.activation, H, G)
        grad_X = propagate_transpose(P, B @ W.T, symmetric=symmetric)
        return B, F.T @ B, np.concatenate([grad_X, np.zeros_like(grad_X)], axis=1)


@dataclass(frozen=True)
class NormalisedConvolution:
    """``X -> rho(N(P X W))`` with ``N`` mean subtraction (``"mean"``) or PairNorm (``"pair"``).

    PairNorm: ``N(H) = scale sqrt(n) Pi H / ||Pi H||_F`` (every row has mean squared norm
    ``scale^2``).  ``backward`` returns ``B = dLoss/dH`` through the normalisation's Jacobian.
    """

    activation: Activation
    norm: str = "pair"
    scale: float = 1.0

    def __post_init__(self):
        if self.norm not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {self.norm!r}; known: {', '.join(NORMALISATIONS)}")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"PairNorm's scale s must be positive and finite, got {self.scale}")

    def _centred(self, H):
        C = H - H.mean(axis=0, keepdims=True)
        if self.norm == "mean":
            return C, None
        norm = float(np.linalg.norm(C))
        if norm == 0.0:
            raise FloatingPointError("PairNorm is undefined on a signal whose rows are all equal (Pi H = 0)")
        return C, norm

    def normalise(self, H):
        """``N(H)``."""
        C, norm = self._centred(H)
        if norm is None:
            return C
        return C * H.dtype.type(self.scale * np.sqrt(H.shape[0]) / norm)

    def forward(self, P, X, W):
        F = propagate(P, X)
        H = F @ W
        return F, H, self.activation.function(self.normalise(H))

    def backward(self, P, F, H, W, G, *, symmetric=False):
        C, norm = self._centred(H)
        Ghat = G if self.activation.is_linear else self.activation.derivative(self.normalise(H)) * G
        B = Ghat - Ghat.mean(axis=0, keepdims=True)
        if norm is not None:
            c = C / norm
            B = (B - np.sum(B * c) * c) * H.dtype.type(self.scale * np.sqrt(H.shape[0]) / norm)
        return B, F.T @ B, propagate_transpose(P, B @ W.T, symmetric=symmetric)


def _prepared(P, dtype):
    from .model import _prepare_P

    return _prepare_P(P, dtype)


def residual_gnn(P, depth: int, activation="tanh", *, skip: float = 1.0, dtype=np.float64):
    """The residual GNN: ``X^(k+1) = skip X^(k) + rho(P X^(k) W^(k))`` for ``1 <= k <= L - 1``.

    Layer 0 is the plain ``rho(P X^(0) W^(0))`` (it changes the width ``d_0 -> d``) and layer
    ``L`` the linear output ``P X^(L) W^(L)``; hidden widths must be equal.

    Examples
    --------
    >>> import numpy as np
    >>> [layer.residual for layer in residual_gnn(np.eye(2), 3, skip=0.5).layers]
    [0.0, 0.5, 0.5, 0.0]
    """
    from .model import Network

    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth L must be a non-negative integer, got {depth}")
    if not np.isfinite(skip):
        raise ValueError(f"skip r must be finite, got {skip}")
    P, symmetric = _prepared(P, dtype)
    rho = _activation(activation)
    hidden = tuple(GraphConvolution(rho, float(skip) if k > 0 else 0.0) for k in range(int(depth)))
    return Network(P, hidden + (GraphConvolution(_activation("identity")),), symmetric)


def initial_residual_gnn(P, depth: int, activation="tanh", *, alpha: float = 0.1, beta: float | None = None,
                         dtype=np.float64):
    """Initial-residual (APPNP-style, GCNII with ``beta``) GNN of depth ``L >= 1``.

    Layer 0 makes the anchor ``X^(1)``; layers ``1..L-1`` are
    :class:`InitialResidualConvolution`; layer ``L`` is the linear readout ``P X^(L) W^(L)``.
    Hidden layers need equal widths (and square weights when ``beta`` is given).

    Examples
    --------
    >>> import numpy as np
    >>> net = initial_residual_gnn(np.eye(3), 3, alpha=0.2, beta=0.5)
    >>> [type(l).__name__ for l in net.layers]
    ['AnchorConvolution', 'InitialResidualConvolution', 'InitialResidualConvolution', 'AnchorReadout']
    """
    from .model import Network

    if int(depth) != depth or depth < 1:
        raise ValueError(f"an initial-residual network needs depth L >= 1, got {depth}")
    P, symmetric = _prepared(P, dtype)
    rho = _activation(activation)
    hidden = tuple(InitialResidualConvolution(rho, float(alpha), beta) for _ in range(int(depth) - 1))
    return Network(P, (AnchorConvolution(rho),) + hidden + (AnchorReadout(_activation("identity")),), symmetric)


def normalised_gnn(P, depth: int, activation="tanh", *, norm: str = "pair", scale: float = 1.0,
                   dtype=np.float64):
    """GNN whose hidden layers are ``rho(N(P X W))`` (PairNorm or mean subtraction); plain output layer.

    Examples
    --------
    >>> import numpy as np
    >>> normalised_gnn(np.eye(2), 2, norm="mean").layers[0].norm
    'mean'
    """
    from .model import Network

    if int(depth) != depth or depth < 0:
        raise ValueError(f"depth L must be a non-negative integer, got {depth}")
    P, symmetric = _prepared(P, dtype)
    rho = _activation(activation)
    hidden = tuple(NormalisedConvolution(rho, norm, float(scale)) for _ in range(int(depth)))
    return Network(P, hidden + (GraphConvolution(_activation("identity")),), symmetric)


def drop_edges(adjacency, rate: float, seed=None, *, kind: str = "lazy"):
    """Keep each undirected edge of ``A`` with probability ``1 - rate``; return the re-normalised ``P``.

    ``kind`` is the normalisation of :func:`~backsmooth.numeric.propagation.propagation_matrix`.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> A = nx.to_scipy_sparse_array(nx.complete_graph(6))
    >>> P = drop_edges(A, 0.5, seed=0)
    >>> bool(np.allclose(P.sum(axis=1), 1)) and P.nnz < 36
    True
    """
    import scipy.sparse as sp

    from ._validation import as_rng
    from .propagation import propagation_matrix

    if not 0.0 <= rate < 1.0:
        raise ValueError(f"DropEdge rate must lie in [0, 1), got {rate}")
    A = sp.csr_array(adjacency, dtype=np.float64)
    upper = sp.triu(A, k=1).tocoo()
    keep = as_rng(seed).random(upper.nnz) >= rate
    n = A.shape[0]
    kept = sp.coo_array((upper.data[keep], (upper.row[keep], upper.col[keep])), shape=(n, n))
    return propagation_matrix(sp.csr_array(kept + kept.T), kind=kind)


@dataclass(frozen=True)
class DropEdgeSchedule:
    """A fresh DropEdge graph per training step: ``network(t)`` uses ``drop_edges(A, rate, (seed, t))``.

    ``layers`` are the layers of the trained network (e.g. ``gnn(P, L).layers``); the full-graph
    network (for evaluation) is ``full_network()``.  The same ``(seed, t)`` gives the same graph.
    """

    adjacency: object
    layers: tuple
    rate: float = 0.5
    seed: int = 0
    kind: str = "lazy"

    def network(self, step: int):
        """The network with the DropEdge graph of training step ``step``."""
        from .model import Network

        P = drop_edges(self.adjacency, self.rate, np.random.default_rng([int(self.seed), int(step)]),
                       kind=self.kind)
        P, symmetric = _prepared(P, np.float64)
        return Network(P, tuple(self.layers), symmetric)

    __call__ = network

    def full_network(self):
        """The network on the full graph (no edge dropped)."""
        from .model import Network
        from .propagation import propagation_matrix

        P, symmetric = _prepared(propagation_matrix(self.adjacency, kind=self.kind), np.float64)
        return Network(P, tuple(self.layers), symmetric)
