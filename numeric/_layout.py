"""Where the propagation operator's data lives: compact CSR, row blocks, node order (private).

Helpers of :class:`~backsmooth.numeric._sparse.PropagationOperator`:

* :func:`compact_csr`: CSR with sorted int32 indices when they fit (half the index traffic);
* :func:`row_blocks`: the rows cut into chunks of a *fixed grid* (``0, c, 2c, ...``) grouped
  into blocks of about equal non-zeros.  Because the chunk grid does not depend on the number
  of blocks, per-chunk partial results (e.g. the terms of ``X^T C``, summed in chunk order)
  are the same whatever the thread count or block count the engine chose;
* :func:`locality_order`: a node order keeping neighbours close (reverse Cuthill-McKee) and
  :func:`mean_neighbour_distance`, how far apart neighbours are stored.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> P = compact_csr(sp.random_array((10, 10), density=0.5, random_state=0))
>>> blocks = row_blocks(P, parts=2, chunk_rows=4)
>>> [[(a, b) for a, b, *_ in chunks] for chunks in blocks]
[[(0, 4)], [(4, 8), (8, 10)]]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["compact_csr", "locality_order", "mean_neighbour_distance", "row_blocks"]


def locality_order(P, *, symmetric: bool = False) -> np.ndarray:
    """A node order keeping each row's neighbours close: reverse Cuthill-McKee of ``P``'s pattern.

    Returns ``order`` with ``P[order][:, order]`` of small bandwidth (neighbours of a node get
    nearby numbers); ``symmetric=False`` orders the pattern of ``P + P^T``.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> path = sp.csr_array(sp.diags_array([1.0, 1.0], offsets=[-1, 1], shape=(5, 5)))
    >>> shuffled = [3, 0, 4, 1, 2]
    >>> order = locality_order(path[shuffled][:, shuffled], symmetric=True)
    >>> [shuffled[i] for i in order] in ([0, 1, 2, 3, 4], [4, 3, 2, 1, 0])
    True
    """
    from scipy.sparse.csgraph import reverse_cuthill_mckee

    pattern = sp.csr_matrix(P)  # csgraph wants the matrix interface
    return np.asarray(reverse_cuthill_mckee(pattern, symmetric_mode=bool(symmetric)), dtype=np.intp)


def mean_neighbour_distance(P: sp.csr_array) -> float:
    """Mean ``|i - j|`` over the non-zeros ``P_ij`` (how far apart neighbours are stored)."""
    if P.nnz == 0:
        return 0.0
    rows = np.repeat(np.arange(P.shape[0]), np.diff(P.indptr))
    return float(np.abs(rows - P.indices).mean())


def row_blocks(P: sp.csr_array, parts: int, chunk_rows: int) -> list:
    """Split CSR ``P`` into at most ``parts`` row blocks of about equal non-zeros, each a list
    of chunks ``(a, b, indptr, indices, data)`` (views of ``P``) on the grid of ``chunk_rows``."""
    n = P.shape[0]
    starts = np.arange(0, n, chunk_rows)
    if starts.size == 0:
        return []
    ends = np.minimum(starts + chunk_rows, n)
    # chunk j goes to block floor(parts * (non-zeros before its middle) / nnz)
    middle = (P.indptr[starts] + P.indptr[ends]) / 2.0
    owner = np.minimum((parts * middle / max(P.nnz, 1)).astype(int), parts - 1)
    blocks = []
    for part in np.unique(owner):
        chunks = []
        for a, b in zip(starts[owner == part], ends[owner == part]):
            a, b = int(a), int(b)
            s, e = P.indptr[a], P.indptr[b]
            chunks.append((a, b, P.indptr[a:b + 1] - s, P.indices[s:e], P.data[s:e]))
        blocks.append(chunks)
    return blocks


def compact_csr(P) -> sp.csr_array:
    """CSR array with sorted int32 indices when they fit (half the index traffic of int64)."""
    P = sp.csr_array(P)
    if P.nnz < 2**31 - 1 and max(P.shape) < 2**31 - 1 and P.indices.dtype != np.int32:
        P = sp.csr_array((P.data, P.indices.astype(np.int32), P.indptr.astype(np.int32)),
                         shape=P.shape)
    if not P.has_sorted_indices:
        P = P.copy()
        P.sort_indices()
    return P
