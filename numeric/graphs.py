"""Graphs as symmetric sparse adjacency matrices.

A graph on ``n`` nodes is stored as its weighted adjacency matrix
:math:`A \\in \\mathbb{R}^{n \\times n}`, a :class:`scipy.sparse.csr_array` of ``float64`` with

.. math::

    A = A^T, \\qquad A_{ij} \\ge 0, \\qquad A_{ij} \\text{ finite},

where :math:`A_{ij} > 0` is the weight of the undirected edge :math:`\\{i, j\\}` and a nonzero
diagonal entry is a self-loop.  The degree is :math:`d_i = \\sum_j A_{ij}`.

:func:`adjacency_matrix` converts what a user has (a networkx graph, a scipy sparse or dense
numpy adjacency, a PyTorch Geometric ``edge_index``) into this form and refuses, with a message
saying how to fix it, anything that is not an undirected non-negative finite graph.
:func:`read_edge_list` reads a ``u v [w]`` text file (the only I/O of :mod:`backsmooth.numeric`).
:func:`connected_components`, :func:`is_connected` and :func:`is_bipartite` use
:mod:`scipy.sparse.csgraph` and never build a dense matrix.
"""

from __future__ import annotations

import os
import re

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph

from ._validation import check_finite

__all__ = [
    "adjacency_matrix",
    "read_edge_list",
    "connected_components",
    "is_connected",
    "is_bipartite",
    "bipartite_sides",
]

_FORMS = ("auto", "adjacency", "edge_index")


def _symmetry_tolerance(A) -> float:
    """Tolerance of ``A == A.T``: 1e-10 times the largest absolute entry (float64 round-off)."""
    return 1e-10 * (float(np.max(np.abs(A.data))) if A.nnz else 0.0)


def _check_adjacency(A: sp.csr_array, name: str) -> sp.csr_array:
    if A.shape[0] != A.shape[1]:
        raise ValueError(
            f"{name} must be a square (n x n) adjacency matrix, got shape {A.shape}; "
            "for an edge list of shape (2, m) pass form='edge_index'"
        )
    check_finite(name, A)
    if A.nnz and A.data.min() < 0:
        raise ValueError(
            f"{name} has {int(np.sum(A.data < 0))} negative edge weight(s) "
            f"(min {A.data.min():.3g}); "
            "an adjacency matrix must be non-negative -- use absolute values or drop those edges"
        )
    A.eliminate_zeros()
    asym = abs(A - A.T)
    if asym.nnz and asym.max() > _symmetry_tolerance(A):
        count = int(np.sum(asym.data > _symmetry_tolerance(A)) // 2 or 1)
        raise ValueError(
            f"{name} is not symmetric ({count} pair(s) with A[i, j] != A[j, i], max difference "
            f"{asym.max():.3g}): backsmooth needs an undirected graph; symmetrise it with "
            "(A + A.T) / 2 (or A.maximum(A.T)), or pass an undirected graph (G.to_undirected(); "
            "an edge_index must list both (u, v) and (v, u))"
        )
    A.sort_indices()
    return A


def _from_edge_index(edge_index, num_nodes, edge_weight, name) -> sp.csr_array:
    ei = np.asarray(edge_index)
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(
            f"{name} as an edge_index must have shape (2, m) (row 0 sources, row 1 targets), "
            f"got shape {ei.shape}; transpose an (m, 2) edge list with edge_index.T"
        )
    if ei.dtype.kind not in "iu":
        raise TypeError(
            f"{name} as an edge_index must hold integer node ids, got dtype {ei.dtype}; "
            "convert with edge_index.astype(numpy.int64)"
        )
    ei = ei.astype(np.int64, copy=False)
    m = ei.shape[1]
    observed = int(ei.max()) + 1 if m else 0
    if num_nodes is None:
        num_nodes = observed
    if m and ei.min() < 0:
        raise ValueError(f"{name} holds negative node id {int(ei.min())}; node ids are 0..n-1")
    if observed > num_nodes:
        raise ValueError(
            f"{name} holds node id {observed - 1} but num_nodes={num_nodes}; node ids must lie in "
            f"0..num_nodes-1 -- pass num_nodes >= {observed} or relabel the nodes"
        )
    if edge_weight is None:
        w = np.ones(m)
    else:
        w = np.asarray(edge_weight, dtype=np.float64).ravel()
        if w.shape != (m,):
            raise ValueError(
                f"edge_weight must have one weight per edge ({m}), got shape {w.shape}")
    A = sp.coo_array((w, (ei[0], ei[1])), shape=(num_nodes, num_nodes))
    # repeated (u, v) columns are coalesced as PyTorch Geometric's coalesce does: one edge,
    # weight 1 without edge_weight, the summed weights with it
    A = sp.csr_array(A)
    if edge_weight is None:
        A.data[:] = 1.0
    return A


def adjacency_matrix(graph, *, num_nodes=None, edge_weight=None, weight="weight", form="auto",
                     name="graph") -> sp.csr_array:
    """Return the symmetric weighted adjacency matrix :math:`A` of ``graph`` as CSR.

    Parameters
    ----------
    graph : networkx.Graph, scipy sparse array/matrix, numpy.ndarray, edge_index, or sample
        The graph (a ``GraphSample``/``CSBMSample`` of :mod:`.samplers` gives its adjacency). A dense or sparse square matrix is read as :math:`A` itself. An integer
        array of shape ``(2, m)`` is read as a PyTorch Geometric ``edge_index`` (one column
        per directed pair; an undirected graph lists both ``(u, v)`` and ``(v, u)``; repeated
        pairs are coalesced, summing their ``edge_weight``). A torch tensor is converted
        with ``.detach().cpu().numpy()``.
    num_nodes : int, optional
        Number of nodes :math:`n` for an ``edge_index`` (default: largest id + 1).
    edge_weight : array of shape (m,), optional
        Weights of the ``edge_index`` columns (default 1).
    weight : str or None
        Edge attribute holding the weight in a networkx graph; None for unweighted.
    form : {"auto", "adjacency", "edge_index"}
        How to read an array. "auto" reads an integer ``(2, m)`` array with ``m != 2`` as an
        edge_index and refuses the ambiguous integer ``(2, 2)`` array.
    name : str
        Name of the argument in error messages.

    Returns
    -------
    A : scipy.sparse.csr_array, shape (n, n), float64
        Symmetric, non-negative, finite, sorted indices, no explicit zeros. Self-loops are kept.

    Raises
    ------
    ValueError
        Non-square matrix, negative or non-finite weights, non-symmetric adjacency or a
        directed networkx graph, malformed ``edge_index`` or node ids out of range.

    Examples
    --------
    >>> import numpy as np

    The path 0 - 1 - 2 as a PyTorch Geometric ``edge_index`` (both orientations listed):

    >>> A = adjacency_matrix(np.array([[0, 1, 1, 2], [1, 0, 2, 1]]))
    >>> A.toarray()
    array([[0., 1., 0.],
           [1., 0., 1.],
           [0., 1., 0.]])
    """
    if form not in _FORMS:
        raise ValueError(f"form must be one of {_FORMS}, got {form!r}")
    if hasattr(graph, "detach") and hasattr(graph, "cpu"):  # a torch tensor
        graph = graph.detach().cpu().numpy()
    if hasattr(graph, "adjacency") and sp.issparse(getattr(graph, "adjacency")):
        graph = graph.adjacency  # a GraphSample / CSBMSample from backsmooth.numeric.samplers
    if hasattr(graph, "adj") and hasattr(graph, "nodes") and hasattr(graph, "is_directed"):
        import networkx as nx

        if graph.is_directed():
            raise ValueError(
                f"{name} is a directed networkx graph; backsmooth needs an undirected graph: "
                "pass G.to_undirected() (or symmetrise its adjacency with (A + A.T) / 2)"
            )
        A = nx.to_scipy_sparse_array(graph, weight=weight, dtype=np.float64, format="csr")
        return _check_adjacency(sp.csr_array(A), name)
    if sp.issparse(graph):
        if form == "edge_index":
            raise TypeError(f"{name}: an edge_index must be a dense integer array, not sparse")
        return _check_adjacency(sp.csr_array(graph, dtype=np.float64), name)
    try:
        array = np.asarray(graph)
    except Exception as exc:  # pragma: no cover - exotic objects
        raise TypeError(f"{name} must be a graph or array, got {type(graph).__name__}") from exc
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be a networkx graph, a scipy sparse or numpy adjacency matrix, or an "
            f"integer edge_index of shape (2, m); got {type(graph).__name__} "
            f"(dtype {array.dtype})"
        )
    looks_like_edges = array.ndim == 2 and array.shape[0] == 2 and array.dtype.kind in "iu"
    if form == "auto" and looks_like_edges and array.shape[1] == 2 and num_nodes is None:
        raise ValueError(
            f"{name} is an integer array of shape (2, 2): it could be a 2-node adjacency matrix "
            "or an edge_index with 2 edges; say which with form='adjacency' or form='edge_index'"
        )
    if form == "edge_index" or (form == "auto" and (looks_like_edges or num_nodes is not None)):
        return _check_adjacency(_from_edge_index(array, num_nodes, edge_weight, name), name)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a 2-d adjacency matrix, got shape {array.shape}")
    return _check_adjacency(sp.csr_array(array.astype(np.float64)), name)


_SPLIT = re.compile(r"[\s,]+")


def read_edge_list(path, *, return_nodes=False):
    """Read an undirected edge list file ``u v [w]`` into a symmetric adjacency matrix.

    One edge per line, fields separated by whitespace and/or commas; ``#`` starts a comment;
    blank lines are skipped. ``w`` (default 1) must be a finite positive number. Node labels
    are arbitrary tokens; if all are integers they are sorted numerically, otherwise kept in
    order of first appearance, and relabelled ``0..n-1``. An edge listed twice (in either
    orientation) must carry the same weight each time.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    return_nodes : bool
        Also return the list of original node labels (row ``i`` of :math:`A` is ``nodes[i]``).

    Returns
    -------
    A : scipy.sparse.csr_array
        The adjacency matrix; with ``return_nodes``, the tuple ``(A, nodes)``.

    Raises
    ------
    ValueError
        A malformed line (the message gives the line number and the expected format).
    FileNotFoundError
        No such file.
    """
    path = os.fspath(path)
    edges: dict[tuple[str, str], float] = {}
    order: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for lineno, raw in enumerate(handle, start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            fields = [f for f in _SPLIT.split(line) if f]
            if len(fields) not in (2, 3):
                raise ValueError(
                    f"{path}, line {lineno}: expected 'u v' or 'u v w' (whitespace or comma "
                    f"separated), got {len(fields)} field(s): {raw.strip()!r}"
                )
            u, v = fields[0], fields[1]
            w = 1.0
            if len(fields) == 3:
                try:
                    w = float(fields[2])
                except ValueError:
                    raise ValueError(
                        f"{path}, line {lineno}: the weight {fields[2]!r} is not a number"
                    ) from None
                if not np.isfinite(w) or w <= 0:
                    raise ValueError(
                        f"{path}, line {lineno}: the weight must be a finite positive number, "
                        f"got {fields[2]!r}; omit the line for no edge"
                    )
            key = (v, u) if (v, u) in edges else (u, v)
            if key in edges and edges[key] != w:
                raise ValueError(
                    f"{path}, line {lineno}: edge {u} {v} listed again with weight {w} "
                    f"(earlier {edges[key]}); give each undirected edge one weight"
                )
            edges[key] = w
            order.setdefault(u, len(order))
            order.setdefault(v, len(order))
    if not edges:
        raise ValueError(f"{path}: no edges found (expected lines 'u v [w]')")
    labels = list(order)
    integer_ids = all(re.fullmatch(r"[+-]?\d+", s) for s in labels)
    if integer_ids:
        labels.sort(key=int)
    index = {label: i for i, label in enumerate(labels)}
    rows = np.fromiter((index[u] for u, _ in edges), dtype=np.int64, count=len(edges))
    cols = np.fromiter((index[v] for _, v in edges), dtype=np.int64, count=len(edges))
    w = np.fromiter(edges.values(), dtype=np.float64, count=len(edges))
    off = rows != cols
    n = len(labels)
    A = sp.csr_array(
        (np.concatenate([w, w[off]]), (np.concatenate([rows, cols[off]]),
                                       np.concatenate([cols, rows[off]]))),
        shape=(n, n),
    )
    A = _check_adjacency(A, path)
    if return_nodes:
        return A, [int(s) for s in labels] if integer_ids else labels
    return A


def _support(A) -> sp.csr_array:
    """The undirected support graph of a square sparse matrix (pattern of A + A^T)."""
    A = sp.csr_array(A)
    pattern = sp.csr_array((np.ones(A.nnz), A.indices, A.indptr), shape=A.shape)
    return pattern + pattern.T


def connected_components(A):
    """Return ``(k, labels)``: the number of connected components and each node's component.

    Components of the undirected support graph of ``A`` (an edge wherever ``A_ij != 0`` or
    ``A_ji != 0``).

    Examples
    --------
    >>> import networkx as nx
    >>> k, labels = connected_components(adjacency_matrix(nx.disjoint_union(
    ...     nx.path_graph(2), nx.path_graph(3))))
    >>> k, labels.tolist()
    (2, [0, 0, 1, 1, 1])
    """
    k, labels = csgraph.connected_components(_support(A), directed=False)
    return int(k), labels


def is_connected(A) -> bool:
    """Whether the support graph of ``A`` is connected (a graph with no node is not).

    Examples
    --------
    >>> import networkx as nx
    >>> is_connected(adjacency_matrix(nx.cycle_graph(5)))
    True
    """
    n = sp.csr_array(A).shape[0]
    return n > 0 and connected_components(A)[0] == 1


def bipartite_sides(A):
    """Return a 0/1 side per node if the support graph of ``A`` is bipartite, else None.

    Uses the bipartite double cover: node ``(i, s)`` joined to ``(j, 1 - s)`` for every edge
    ``{i, j}`` (a self-loop joins ``(i, 0)`` and ``(i, 1)``). A component of the graph is
    bipartite exactly when it lifts to two components of the cover, so the test is a single
    :func:`scipy.sparse.csgraph.connected_components` call. Isolated nodes go to side 0.
    """
    S = _support(A)
    n = S.shape[0]
    k, comp = csgraph.connected_components(S, directed=False)
    cover = sp.block_array([[None, S], [S, None]], format="csr")
    k2, comp2 = csgraph.connected_components(cover, directed=False)
    if k2 != 2 * k:
        return None
    # in each component, nodes lifted to the same cover component as the component's first
    # node's (i, 0) copy form side 0
    first = np.full(k, -1)
    first[comp[::-1]] = np.arange(n)[::-1]
    reference = comp2[first[comp]]
    return (comp2[:n] != reference).astype(np.int64)


def is_bipartite(A) -> bool:
    """Whether the support graph of ``A`` is bipartite (no odd cycle, no self-loop).

    Examples
    --------
    >>> import networkx as nx
    >>> [is_bipartite(adjacency_matrix(nx.cycle_graph(n))) for n in (6, 5)]
    [True, False]
    """
    return bipartite_sides(A) is not None
