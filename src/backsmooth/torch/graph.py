"""The propagation matrix ``P`` a user's model actually applies, rebuilt from its graph.

A PyTorch Geometric ``GCNConv`` (``normalize=True``) does not propagate with the paper's
stochastic ``P``: it calls :func:`torch_geometric.nn.conv.gcn_norm`, which adds the missing
self-loops (weight 1, or 2 with ``improved=True``) and returns, per edge ``j -> i``, the weight
``w_ij / sqrt(d_i d_j)`` with ``d`` the weighted degrees of ``A + I``.  Node ``i`` receives
``sum_j P_ij x_j``, so

.. math::

    P = \\tilde D^{-1/2} (A + I) \\tilde D^{-1/2}, \\qquad P\\, \\tilde D^{1/2} 1 = \\tilde D^{1/2} 1 ,

symmetric but not stochastic: its oversmoothed limit is ``span(D~^(1/2) 1)``, which is the
reference vector the measures use (the generalised measure of
:mod:`backsmooth.numeric.measures`).  :func:`gcn_propagation` calls PyG's own ``gcn_norm``
and assembles the sparse matrix, so ``P`` is the one the layers use, to the bit.

:func:`reference_vector` picks the invariant vector of any ``P``: None (the constants) for a
row-stochastic ``P``; ``D~^(1/2) 1`` for a GCN normalisation; otherwise the top eigenvector
(:func:`backsmooth.numeric.top_eigenvector`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch

from backsmooth.numeric import top_eigenvector
from backsmooth.numeric.propagation import _as_csr, _is_stochastic, _tolerance

__all__ = ["gcn_propagation", "edge_index_adjacency", "reference_vector", "as_propagation"]


def _edge_index(edge_index) -> torch.Tensor:
    if isinstance(edge_index, np.ndarray):
        edge_index = torch.from_numpy(edge_index)
    if not isinstance(edge_index, torch.Tensor):
        raise TypeError(f"edge_index must be a torch.Tensor (2, m) of node ids, got {type(edge_index).__name__} "
                        "(a torch_sparse SparseTensor cannot be read: pass a plain edge_index)")
    if edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError(f"edge_index must have shape (2, m), got {tuple(edge_index.shape)}")
    if edge_index.dtype not in (torch.int64, torch.int32):
        raise TypeError(f"edge_index must hold integer node ids, got {edge_index.dtype}")
    return edge_index.detach().cpu().long()


def _num_nodes(ei: torch.Tensor, num_nodes) -> int:
    observed = int(ei.max()) + 1 if ei.numel() else 0
    if num_nodes is None:
        return observed
    if observed > int(num_nodes):
        raise ValueError(f"edge_index holds node id {observed - 1} but num_nodes = {num_nodes}")
    return int(num_nodes)


def _to_csr(ei, w, n, flow) -> sp.csr_array:
    src, dst = (ei[0], ei[1]) if flow == "source_to_target" else (ei[1], ei[0])
    # node dst receives w * x_src: P[dst, src] = w (duplicates are summed, as PyG's scatter-add)
    P = sp.coo_array((w.numpy().astype(np.float64), (dst.numpy(), src.numpy())), shape=(n, n))
    return sp.csr_array(P)


def gcn_propagation(edge_index, num_nodes=None, edge_weight=None, *, improved=False,
                    add_self_loops=True, flow="source_to_target"):
    """Return ``(P, reference)``: the matrix PyG's ``GCNConv`` applies and its invariant vector.

    Parameters
    ----------
    edge_index : torch.Tensor, shape (2, m)
        Row 0 sources ``j``, row 1 targets ``i`` (PyG's ``flow="source_to_target"``).
    num_nodes : int, optional
        ``n`` (default: largest id + 1).
    edge_weight : torch.Tensor, shape (m,), optional
        Edge weights ``w_ij`` (default 1).
    improved, add_self_loops, flow
        As the ``GCNConv`` was built.

    Returns
    -------
    P : scipy.sparse.csr_array, (n, n), float64
    reference : ndarray, (n,)
        ``D~^(1/2) 1`` when ``P D~^(1/2) 1 = D~^(1/2) 1`` holds to round-off (undirected graph),
        else the top eigenvector of ``P``.

    Examples
    --------
    >>> import numpy as np
    >>> P, u = gcn_propagation(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))   # path 0-1-2
    >>> np.round(P.toarray(), 4)
    array([[0.5   , 0.4082, 0.    ],
           [0.4082, 0.3333, 0.4082],
           [0.    , 0.4082, 0.5   ]])
    >>> bool(np.allclose(P @ u, u)), np.round(u ** 2, 12).tolist()   # u = sqrt(degrees of A + I)
    (True, [2.0, 3.0, 2.0])
    """
    from torch_geometric.nn.conv.gcn_conv import gcn_norm

    ei = _edge_index(edge_index)
    n = _num_nodes(ei, num_nodes)
    w = None if edge_weight is None else torch.as_tensor(edge_weight).detach().cpu().to(torch.float64)
    if w is not None and w.shape != (ei.shape[1],):
        raise ValueError(f"edge_weight must have one entry per edge ({ei.shape[1]}), got {tuple(w.shape)}")
    ei_hat, w_hat = gcn_norm(ei, w, n, improved, add_self_loops, flow, dtype=torch.float64)
    P = _to_csr(ei_hat, w_hat, n, flow)
    # the degrees gcn_norm divided by: those of A + I (with its fill value), summed at the targets
    fill = 2.0 if improved else 1.0
    A = _to_csr(ei, torch.ones(ei.shape[1], dtype=torch.float64) if w is None else w, n, flow)
    if add_self_loops:
        diag = A.diagonal()
        A = A + sp.diags_array(np.where(diag == 0, fill, 0.0))
    u = np.sqrt(np.asarray(A.sum(axis=1)).ravel())
    if not (np.all(np.isfinite(u)) and np.linalg.norm(P @ u - u) <= 1e-10 * max(np.linalg.norm(u), 1.0)):
        u = reference_vector(P)
        u = np.ones(n) if u is None else u
    return _as_csr(P), u


def edge_index_adjacency(edge_index, num_nodes=None, edge_weight=None, *, flow="source_to_target"):
    """``P`` of a ``GCNConv(normalize=False)``: the (weighted) adjacency as given, no loops added."""
    ei = _edge_index(edge_index)
    n = _num_nodes(ei, num_nodes)
    w = torch.ones(ei.shape[1], dtype=torch.float64) if edge_weight is None else \
        torch.as_tensor(edge_weight).detach().cpu().to(torch.float64)
    return _as_csr(_to_csr(ei, w, n, flow))


def reference_vector(P):
    """The invariant vector of the measures: None (constants) for row-stochastic ``P``, else the top eigenvector.

    Examples
    --------
    >>> reference_vector(np.full((3, 3), 1 / 3)) is None
    True
    """
    P = _as_csr(P)
    if _is_stochastic(P, _tolerance(P)):
        return None
    return top_eigenvector(P)[1]


def as_propagation(P):
    """Validate a user-given ``P`` (scipy sparse, ndarray or torch tensor, dense or sparse) as CSR."""
    if isinstance(P, torch.Tensor):
        P = P.detach().cpu().to(torch.float64)
        if P.layout != torch.strided:  # sparse: never densify (n = 1e4 would take 800 MB)
            C = P.to_sparse_coo().coalesce()
            i = C.indices().numpy()
            P = sp.coo_array((C.values().numpy(), (i[0], i[1])), shape=tuple(C.shape))
        else:
            P = P.numpy()
    return _as_csr(P, name="propagation")
