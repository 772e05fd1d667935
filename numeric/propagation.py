"""Propagation matrices P of a graph and the contraction factor lambda of ass:P.

With :math:`A` the adjacency matrix of an undirected graph **without self-loops** (a self-loop
of the input graph is dropped: every kind below adds its own self-weight, the
``+ I`` of GCN or the diagonal that fills a row to 1, and keeping input loops would count them
twice), :math:`d_i = \\sum_j A_{ij}` its (weighted) degrees and :math:`d_{max} = \\max_i d_i`:

* ``metropolis``: :math:`P_{ij} = A_{ij} / (1 + \\max(d_i, d_j))` for :math:`i \\ne j` and
  :math:`P_{ii} = 1 - \\sum_{j \\ne i} P_{ij} > 0`; symmetric and doubly stochastic, positive
  diagonal, so it satisfies ass:P on every connected graph, bipartite ones included;
* ``lazy``: :math:`P = I - (D - A)/(d_{max} + 1)`; symmetric, doubly stochastic, positive
  diagonal (the default of the project's experiments);
* ``gcn``: :math:`P = \\tilde D^{-1/2} (A + I) \\tilde D^{-1/2}` with
  :math:`\\tilde D = D + I` the degrees of :math:`A + I`; symmetric but not stochastic
  (its top eigenvector is :math:`\\tilde D^{1/2} 1`, eigenvalue 1);
* ``random_walk``: :math:`P = \\tilde D^{-1} (A + I)`; row-stochastic, not symmetric;
* ``user``: the matrix passed as ``graph`` is P itself (validated: square, finite); or pass a
  callable ``kind(A) -> P``.

**Contraction factor** (the paper's :math:`\\lambda` of ass:P). For symmetric :math:`P` with
top eigenpair :math:`(\\mu_1, u)` (largest algebraic eigenvalue; the Perron vector for
:math:`P \\ge 0`),

.. math::

    \\lambda(P) = \\max_{v \\perp u,\\ \\|v\\| = 1} |v^T P v|
               = \\max_{i \\ge 2} |\\mu_i|,

the largest absolute eigenvalue once one copy of :math:`\\mu_1` is removed. For a symmetric
row-stochastic :math:`P` we always take :math:`u = 1/\\sqrt n` (the paper's convention), so
:math:`\\lambda` is the norm of :math:`P` on :math:`1^\\perp`. For the GCN normalisation
:math:`u = \\tilde D^{1/2} 1 / \\|\\tilde D^{1/2} 1\\|`.

For a **non-symmetric** :math:`P` we return the second-largest eigenvalue modulus (all
eigenvalues except one copy of the one of largest real part). For the random walk
:math:`\\tilde D^{-1}(A+I) = \\tilde D^{-1/2} S \\tilde D^{1/2}` with :math:`S` the GCN matrix,
so both have the same eigenvalues and the same :math:`\\lambda`; but
:math:`\\|P v\\| \\le \\lambda \\|v\\|` fails in the Euclidean norm, so ass:P does not hold and
the paper's bounds do not apply (the assumption report says so).

A disconnected graph gives :math:`\\lambda = 1` (for a stochastic :math:`P \\ge 0` this is
returned exactly, without an eigensolver); a bipartite graph with zero diagonal gives the
eigenvalue :math:`-\\mu_1`, hence :math:`\\lambda = \\mu_1`.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ._validation import as_square_operator
from .graphs import adjacency_matrix, bipartite_sides, connected_components

__all__ = [
    "PROPAGATION_KINDS",
    "propagation_matrix",
    "contraction_factor",
    "top_eigenvector",
]

#: the known values of ``kind`` in :func:`propagation_matrix`
PROPAGATION_KINDS = ("metropolis", "lazy", "gcn", "random_walk", "user")

#: above this many nodes, eigenvalues are computed with ARPACK instead of a dense solver
DENSE_LIMIT = 2000


def _as_csr(P, name="P") -> sp.csr_array:
    P = as_square_operator(name, P)
    P = sp.csr_array(P, dtype=np.float64)
    P.eliminate_zeros()
    P.sort_indices()
    return P


def _without_self_loops(A: sp.csr_array) -> sp.csr_array:
    A = sp.csr_array(A - sp.diags_array(A.diagonal()))
    A.eliminate_zeros()
    return A


def propagation_matrix(graph, kind="lazy", **graph_options) -> sp.csr_array:
    """Return the propagation matrix :math:`P` of ``graph`` of the given ``kind``.

    Parameters
    ----------
    graph : graph-like
        Anything :func:`~backsmooth.numeric.graphs.adjacency_matrix` accepts (networkx graph,
        sparse/dense adjacency :math:`A`, ``edge_index``); with ``kind="user"``, the matrix
        :math:`P` itself. Self-loops of the input graph are dropped (see the module notes).
    kind : {"lazy", "metropolis", "gcn", "random_walk", "user"} or callable
        The normalisation (definitions in the module docstring). A callable receives the
        loop-free adjacency :math:`A` and returns :math:`P`.
    **graph_options
        Passed to :func:`~backsmooth.numeric.graphs.adjacency_matrix` (``num_nodes``,
        ``edge_weight``, ``weight``, ``form``).

    Returns
    -------
    P : scipy.sparse.csr_array, shape (n, n), float64

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> P = propagation_matrix(nx.path_graph(3), kind="metropolis")
    >>> np.round(P.toarray(), 3)
    array([[0.667, 0.333, 0.   ],
           [0.333, 0.333, 0.333],
           [0.   , 0.333, 0.667]])
    >>> np.allclose(P.sum(axis=1), 1) and np.allclose(P.toarray(), P.toarray().T)
    True
    """
    if callable(kind):
        A = _without_self_loops(adjacency_matrix(graph, **graph_options))
        return _as_csr(kind(A), name=f"the matrix returned by kind={kind!r}")
    if not isinstance(kind, str) or kind.lower() not in PROPAGATION_KINDS:
        raise ValueError(
            f"unknown propagation kind {kind!r}; known kinds: {', '.join(PROPAGATION_KINDS)} "
            "(or a callable A -> P)"
        )
    kind = kind.lower()
    if kind == "user":
        return _as_csr(graph, name="the user-supplied P")
    A = _without_self_loops(adjacency_matrix(graph, **graph_options))
    n = A.shape[0]
    d = np.asarray(A.sum(axis=1)).ravel()
    if kind == "metropolis":
        C = A.tocoo()
        scale = 1.0 / (1.0 + np.maximum(d[C.row], d[C.col]))
        off = sp.csr_array((C.data * scale, (C.row, C.col)), shape=(n, n))
        P = off + sp.diags_array(1.0 - np.asarray(off.sum(axis=1)).ravel())
    elif kind == "lazy":
        c = 1.0 / ((d.max() if n else 0.0) + 1.0)
        P = c * A + sp.diags_array(1.0 - c * d)
    else:
        M = A + sp.eye_array(n)
        dt = d + 1.0
        if kind == "gcn":
            s = sp.diags_array(1.0 / np.sqrt(dt))
            P = s @ M @ s
        else:
            P = sp.diags_array(1.0 / dt) @ M
    return _as_csr(P)


def _tolerance(P: sp.csr_array) -> float:
    """1e-10 * ||P||_inf: round-off of a row sum / eigenvalue of P is ~ nnz_row * eps * ||P||."""
    if P.nnz == 0:
        return 0.0
    return 1e-10 * float(np.max(abs(P).sum(axis=1)))


def _is_symmetric(P, tol) -> bool:
    diff = abs(P - P.T)
    return diff.nnz == 0 or float(diff.max()) <= tol


def _is_stochastic(P, tol) -> bool:
    return bool(np.all(np.abs(np.asarray(P.sum(axis=1)).ravel() - 1.0) <= tol))


def _use_dense(n, method) -> bool:
    if method not in ("auto", "dense", "sparse"):
        raise ValueError(f"method must be 'auto', 'dense' or 'sparse', got {method!r}")
    return method == "dense" or (method == "auto" and n <= DENSE_LIMIT) or n < 4


def _spectrum(P: sp.csr_array, method: str):
    """Return ``(mu_1, u, lambda)`` for a validated CSR ``P`` (see the module docstring)."""
    n = P.shape[0]
    _use_dense(n, method)  # validates method
    tol = _tolerance(P)
    if n == 0:
        raise ValueError("P has no rows; a propagation matrix needs at least one node")
    symmetric = _is_symmetric(P, tol)
    stochastic = _is_stochastic(P, tol)
    if n == 1:
        return float(P[0, 0]), np.ones(1), 0.0
    if symmetric and stochastic:
        u = np.full(n, 1.0 / np.sqrt(n))
        if P.nnz and P.data.min() >= 0:
            if connected_components(P)[0] > 1:
                return 1.0, u, 1.0
            if bipartite_sides(P) is not None:  # spectrum symmetric about 0: -1 is an eigenvalue
                return 1.0, u, 1.0
        if _use_dense(n, method):
            J = np.full((n, n), 1.0 / n)
            lam = float(np.max(np.abs(np.linalg.eigvalsh(P.toarray() - J))))
        else:
            op = spla.LinearOperator(
                (n, n), matvec=lambda v: P @ v - u * (u @ v), dtype=np.float64)
            lam = _largest_modulus(op, n)
        return 1.0, u, min(lam, 1.0) if abs(lam - 1.0) <= tol else lam
    if symmetric:
        if _use_dense(n, method):
            w, V = np.linalg.eigh(P.toarray())
            mu1, u = float(w[-1]), V[:, -1]
            lam = float(max(abs(w[0]), abs(w[-2])))
        else:
            v0 = np.random.default_rng(0).standard_normal(n)
            w, V = spla.eigsh(P, k=1, which="LA", v0=v0)
            mu1, u = float(w[0]), V[:, 0]
            op = spla.LinearOperator(
                (n, n), matvec=lambda v: P @ v - mu1 * u * (u @ v), dtype=np.float64)
            lam = _largest_modulus(op, n)
        return mu1, u * (1.0 if u.sum() >= 0 else -1.0), lam
    # non-symmetric: second-largest eigenvalue modulus
    if _use_dense(n, method):
        w, V = np.linalg.eig(P.toarray())
    else:
        v0 = np.random.default_rng(0).standard_normal(n)
        w, V = spla.eigs(P, k=min(6, n - 2), which="LM", v0=v0)
    top = int(np.argmax(w.real))
    rest = np.delete(w, top)
    u = np.real(V[:, top])
    u = u / np.linalg.norm(u)
    return float(w[top].real), u * (1.0 if u.sum() >= 0 else -1.0), float(np.max(np.abs(rest)))


def _largest_modulus(op, n) -> float:
    # a fixed starting vector keeps the result deterministic
    v0 = np.random.default_rng(0).standard_normal(n)
    try:
        # k = 1 with a wide Krylov space and a residual tolerance of 1e-10 (the
        # report's tolerance) is the fastest ARPACK setting we measured on sparse random
        # graphs, whose spectra cluster just below lambda (n = 1e5, c = 10: ~45 s)
        w = spla.eigsh(op, k=1, which="LM", ncv=min(n - 1, 64), maxiter=100 * n, v0=v0,
                       tol=1e-10, return_eigenvectors=False)
    except spla.ArpackError as exc:
        # ARPACK stops with "starting vector is zero" when op v0 = 0, i.e. the deflated
        # operator vanishes (P = J: complete graph) and lambda = 0
        image = op.matvec(v0)
        if np.linalg.norm(image) <= 1e-12 * np.linalg.norm(v0):
            return 0.0
        if not isinstance(exc, spla.ArpackNoConvergence):
            raise
        raise ValueError(
            "ARPACK did not converge computing lambda; retry with method='dense' "
            f"(n = {n}) or check that P is well scaled"
        ) from exc
    return float(np.max(np.abs(w)))


def contraction_factor(P, *, method="auto") -> float:
    """Return the contraction factor :math:`\\lambda` of ``P`` (the paper's ass:P constant).

    :math:`\\lambda` is the largest absolute eigenvalue of :math:`P` on the orthogonal
    complement of its top eigenvector (module docstring: definition, the random-walk case,
    disconnected and bipartite graphs).

    Parameters
    ----------
    P : array_like or scipy sparse, shape (n, n)
        The propagation matrix :math:`P`.
    method : {"auto", "dense", "sparse"}
        "dense": :func:`numpy.linalg.eigvalsh` (or ``eig``); "sparse": ARPACK
        (:func:`scipy.sparse.linalg.eigsh` on :math:`P - \\mu_1 u u^T`); "auto": dense for
        :math:`n \\le 2000`.

    Returns
    -------
    lam : float

    Examples
    --------
    The lazy walk on the cycle :math:`C_6`: eigenvalues :math:`1/3 + (2/3)\\cos(2\\pi j/6)`,
    so :math:`\\lambda = |1/3 + (2/3)\\cos(\\pi/3)| = 2/3`.

    >>> import networkx as nx
    >>> round(contraction_factor(propagation_matrix(nx.cycle_graph(6), "lazy")), 12)
    0.666666666667
    """
    return _spectrum(_as_csr(P), method)[2]


def top_eigenvector(P, *, method="auto"):
    """Return ``(mu_1, u)``: the top eigenvalue of ``P`` and its unit eigenvector.

    Top means the largest algebraic eigenvalue (real part for non-symmetric ``P``), i.e. the
    Perron root for :math:`P \\ge 0`. For a symmetric stochastic ``P``, ``(1, 1/sqrt(n))``;
    for the GCN normalisation, ``(1, D~^{1/2} 1 / ||D~^{1/2} 1||)``. The sign is chosen so
    that ``u.sum() >= 0``.

    Examples
    --------
    >>> import networkx as nx, numpy as np
    >>> G = nx.star_graph(3)
    >>> mu, u = top_eigenvector(propagation_matrix(G, "gcn"))
    >>> d = np.array([4.0, 2, 2, 2])
    >>> round(mu, 12), bool(np.allclose(u, np.sqrt(d) / np.linalg.norm(np.sqrt(d))))
    (1.0, True)
    """
    mu1, u, _ = _spectrum(_as_csr(P), method)
    return mu1, u
