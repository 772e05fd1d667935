"""Random and named graphs, sampled straight into sparse adjacency matrices.

Every sampler takes ``seed`` (a :class:`numpy.random.Generator`, an int or None; same seed,
same graph) and returns a frozen :class:`GraphSample` (adjacency :math:`A` as a
:class:`scipy.sparse.csr_array`, natural labels if any, parameters) or, for the Contextual SBM,
a frozen :class:`CSBMSample` that adds the node features. A networkx graph is built only on
request (``sample.to_networkx()``): large graphs never go through networkx.

**Sparse sampling.** For a block pair :math:`(a, b)` with :math:`N_{ab}` node pairs and edge
probability :math:`p_{ab}`, the number of edges is drawn as :math:`m \\sim
\\mathrm{Binomial}(N_{ab}, p_{ab})` and then :math:`m` distinct pairs uniformly: endpoints are
drawn independently and uniformly, self-pairs and repeats are rejected and redrawn (which is
exactly sequential sampling without replacement). Conditionally on :math:`m` the edge set is
uniform, so each pair is an edge independently with probability :math:`p_{ab}`: the model is
exact, in :math:`O(n + m)` time and memory.

**Contextual SBM** (Deshpande et al. 2018; the project's convention, docs/experiment-settings.md):
average degree :math:`c`, graph signal :math:`\\lambda_G`, feature signal :math:`\\mu`,
:math:`p` features; two balanced classes :math:`y_i = \\pm 1`,

.. math::

    p_{in} = \\frac{c + \\lambda_G \\sqrt{c}}{n}, \\qquad
    p_{out} = \\frac{c - \\lambda_G \\sqrt{c}}{n}, \\qquad
    X_i = y_i m + Z_i, \\quad Z_i \\sim \\mathcal N(0, I_p), \\quad \\|m\\| = \\mu,

with :math:`m` a uniformly random direction scaled to norm :math:`\\mu`; labels are 0/1
(label :math:`(y_i + 1)/2`); optionally only the largest connected component is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._validation import as_rng
from .graphs import adjacency_matrix, connected_components

__all__ = [
    "GraphSample",
    "CSBMSample",
    "erdos_renyi",
    "stochastic_block_model",
    "contextual_sbm",
    "random_regular",
    "real_graph",
    "REAL_GRAPHS",
]

#: names accepted by :func:`real_graph`
REAL_GRAPHS = ("karate", "les_miserables", "florentine", "davis")


@dataclass(frozen=True, eq=False)
class GraphSample:
    """A graph with its natural labels.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array, shape (n, n)
        Symmetric adjacency :math:`A`, no self-loops.
    labels : numpy.ndarray of int, shape (n,), or None
        Natural node labels (block, club, bipartite side), 0-based.
    name : str
        Model or graph name.
    params : dict
        The parameters used (JSON-serialisable).
    nodes : tuple or None
        Original node names (row ``i`` of ``adjacency`` is ``nodes[i]``), for named graphs.
    """

    adjacency: sp.csr_array
    labels: np.ndarray | None = None
    name: str = ""
    params: dict = field(default_factory=dict)
    nodes: tuple | None = None

    @property
    def n(self) -> int:
        """Number of nodes."""
        return self.adjacency.shape[0]

    def to_networkx(self):
        """Return the graph as a :class:`networkx.Graph` (nodes 0..n-1, attribute ``label``)."""
        import networkx as nx

        G = nx.from_scipy_sparse_array(self.adjacency)
        if self.labels is not None:
            nx.set_node_attributes(G, dict(enumerate(self.labels.tolist())), "label")
        return G


@dataclass(frozen=True, eq=False)
class CSBMSample:
    """A Contextual SBM sample (module docstring): graph, features and labels.

    Attributes
    ----------
    adjacency : scipy.sparse.csr_array, shape (n, n)
        :math:`A` (restricted to the largest component if requested).
    features : numpy.ndarray, shape (n, p)
        :math:`X_i = y_i m + Z_i`.
    labels : numpy.ndarray of int, shape (n,)
        0/1 class, :math:`y_i = 2\\,\\mathrm{label}_i - 1`.
    mean : numpy.ndarray, shape (p,)
        The class mean :math:`m`, :math:`\\|m\\| = \\mu`.
    nodes : numpy.ndarray of int
        Indices of the kept nodes in the full sample of ``params["n"]`` nodes.
    params : dict
        n, avg_degree, graph_signal, feature_signal, num_features, p_in, p_out,
        largest_component.
    """

    adjacency: sp.csr_array
    features: np.ndarray
    labels: np.ndarray
    mean: np.ndarray
    nodes: np.ndarray
    params: dict = field(default_factory=dict)
    name: str = "csbm"

    @property
    def n(self) -> int:
        """Number of nodes kept."""
        return self.adjacency.shape[0]

    @property
    def graph(self):
        """The graph as a :class:`networkx.Graph` (built on each access; small n only)."""
        return GraphSample(self.adjacency, self.labels).to_networkx()

    to_networkx = GraphSample.to_networkx


def _check_probability(name, p):
    if not (np.isfinite(p) and 0.0 <= p <= 1.0):
        raise ValueError(f"{name} must be a probability in [0, 1], got {p}")


def _check_count(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _distinct_pairs(rng, m, left, right, same):
    """``m`` distinct unordered pairs {i, j}, i in ``left``, j in ``right`` (i != j), uniform."""
    if m == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    n_total = int(max(left.max(), right.max())) + 1
    keys = np.empty(0, np.int64)
    while keys.size < m:
        batch = int(1.1 * (m - keys.size)) + 16
        i = left[rng.integers(0, left.size, batch)]
        j = right[rng.integers(0, right.size, batch)]
        if same:
            i, j = np.minimum(i, j), np.maximum(i, j)
            ok = i != j
            i, j = i[ok], j[ok]
        new = i * n_total + j
        # keep first occurrences in draw order (sequential sampling without replacement)
        _, first = np.unique(new, return_index=True)
        new = new[np.sort(first)]
        new = new[~np.isin(new, keys)]
        keys = np.concatenate([keys, new[: m - keys.size]])
    return keys // n_total, keys % n_total


def _block_graph(rng, blocks, probs, n):
    rows, cols = [], []
    for a in range(len(blocks)):
        for b in range(a, len(blocks)):
            p = probs[a][b]
            if a == b:
                pairs = blocks[a].size * (blocks[a].size - 1) // 2
            else:
                pairs = blocks[a].size * blocks[b].size
            if pairs == 0 or p == 0:
                continue
            m = int(rng.binomial(pairs, p))
            i, j = _distinct_pairs(rng, m, blocks[a], blocks[b], a == b)
            rows.append(i)
            cols.append(j)
    i = np.concatenate(rows) if rows else np.empty(0, np.int64)
    j = np.concatenate(cols) if cols else np.empty(0, np.int64)
    A = sp.csr_array((np.ones(2 * i.size), (np.concatenate([i, j]), np.concatenate([j, i]))),
                     shape=(n, n))
    A.sort_indices()
    return A


def erdos_renyi(n, p=None, *, avg_degree=None, seed=None) -> GraphSample:
    """Sample the Erdos-Renyi graph :math:`G(n, p)`: each pair an edge with probability p.

    Parameters
    ----------
    n : int
        Number of nodes.
    p : float, optional
        Edge probability; or give ``avg_degree`` :math:`c` and :math:`p = c / (n - 1)`.
    seed : numpy.random.Generator, int or None

    Examples
    --------
    >>> g = erdos_renyi(1000, avg_degree=10, seed=0)
    >>> g.n, bool(abs(g.adjacency.nnz / g.n - 10) < 1)
    (1000, True)
    """
    n = _check_count("n", n, 1)
    if (p is None) == (avg_degree is None):
        raise ValueError("give exactly one of p (edge probability) or avg_degree")
    if p is None:
        p = float(avg_degree) / max(n - 1, 1)
    _check_probability("p", p)
    A = _block_graph(as_rng(seed), [np.arange(n)], [[p]], n)
    return GraphSample(A, None, "erdos_renyi", {"n": n, "p": float(p)})


def stochastic_block_model(sizes, p_matrix, *, seed=None) -> GraphSample:
    """Sample an SBM: nodes in blocks of ``sizes``; i, j joined with probability p[a_i, a_j].

    Parameters
    ----------
    sizes : sequence of int
        Block sizes; block ``a`` holds the nodes ``sum(sizes[:a]) .. sum(sizes[:a+1]) - 1``.
    p_matrix : array_like, shape (K, K)
        Symmetric matrix of edge probabilities.
    seed : numpy.random.Generator, int or None

    Returns
    -------
    GraphSample
        ``labels`` is each node's block.

    Examples
    --------
    >>> g = stochastic_block_model([3, 3], [[1, 0], [0, 1]], seed=0)
    >>> g.adjacency.nnz, g.labels.tolist()
    (12, [0, 0, 0, 1, 1, 1])
    """
    sizes = [_check_count("sizes[i]", s) for s in sizes]
    probs = np.asarray(p_matrix, dtype=np.float64)
    if probs.shape != (len(sizes), len(sizes)):
        raise ValueError(f"p_matrix must have shape ({len(sizes)}, {len(sizes)}) to match sizes, "
                         f"got {probs.shape}")
    if not np.allclose(probs, probs.T, rtol=0, atol=0):
        raise ValueError("p_matrix must be symmetric (undirected graph); use (p + p.T) / 2")
    for value in probs.ravel():
        _check_probability("every entry of p_matrix", value)
    labels = np.repeat(np.arange(len(sizes)), sizes)
    blocks = [np.flatnonzero(labels == a) for a in range(len(sizes))]
    A = _block_graph(as_rng(seed), blocks, probs, labels.size)
    return GraphSample(A, labels, "stochastic_block_model",
                       {"sizes": sizes, "p_matrix": probs.tolist()})


def contextual_sbm(n, *, avg_degree=10.0, graph_signal=2.0, feature_signal=1.0,
                   num_features=16, seed=None, largest_component=True) -> CSBMSample:
    """Sample the Contextual SBM of the project's convention (module docstring).

    Parameters
    ----------
    n : int
        Number of nodes before keeping the largest component (classes of n//2 and n - n//2).
    avg_degree : float
        :math:`c`.
    graph_signal : float
        :math:`\\lambda_G` with :math:`0 \\le \\lambda_G \\le \\sqrt c` (so p_out >= 0).
    feature_signal : float
        :math:`\\mu = \\|m\\| \\ge 0`.
    num_features : int
        :math:`p`.
    seed : numpy.random.Generator, int or None
    largest_component : bool
        Keep only the largest connected component.

    Examples
    --------
    >>> s = contextual_sbm(1000, avg_degree=50, graph_signal=2, seed=0)
    >>> s.features.shape, round(float(np.linalg.norm(s.mean)), 12)
    ((1000, 16), 1.0)
    """
    n = _check_count("n", n, 2)
    num_features = _check_count("num_features", num_features, 1)
    c, lg, mu = float(avg_degree), float(graph_signal), float(feature_signal)
    if not c > 0 or not np.isfinite(c):
        raise ValueError(f"avg_degree must be positive, got {avg_degree}")
    if not (0 <= lg <= np.sqrt(c)):
        raise ValueError(f"graph_signal must lie in [0, sqrt(avg_degree)] = [0, {np.sqrt(c):.4g}] "
                         f"so that p_out >= 0, got {graph_signal}")
    if not (mu >= 0 and np.isfinite(mu)):
        raise ValueError(f"feature_signal must be a finite number >= 0, got {feature_signal}")
    p_in, p_out = (c + lg * np.sqrt(c)) / n, (c - lg * np.sqrt(c)) / n
    if p_in > 1:
        raise ValueError(f"p_in = (c + lg sqrt(c))/n = {p_in:.4g} > 1; increase n or lower c")
    rng = as_rng(seed)
    labels = rng.permutation(np.repeat([0, 1], [n // 2, n - n // 2]))
    blocks = [np.flatnonzero(labels == 0), np.flatnonzero(labels == 1)]
    A = _block_graph(rng, blocks, [[p_in, p_out], [p_out, p_in]], n)
    direction = rng.standard_normal(num_features)
    mean = mu * direction / np.linalg.norm(direction)
    y = 2.0 * labels - 1.0
    X = y[:, None] * mean[None, :] + rng.standard_normal((n, num_features))
    nodes = np.arange(n)
    if largest_component:
        _, comp = connected_components(A)
        nodes = np.flatnonzero(comp == np.argmax(np.bincount(comp)))
        A = sp.csr_array(A[nodes][:, nodes])
        X, labels = X[nodes], labels[nodes]
    params = {"n": n, "avg_degree": c, "graph_signal": lg, "feature_signal": mu,
              "num_features": num_features, "p_in": float(p_in), "p_out": float(p_out),
              "largest_component": bool(largest_component)}
    return CSBMSample(A, X, labels.astype(np.int64), mean, nodes, params)


def random_regular(n, degree, *, seed=None) -> GraphSample:
    """Sample a uniform-ish random ``degree``-regular graph (networkx's pairing algorithm).

    Examples
    --------
    >>> g = random_regular(10, 3, seed=0)
    >>> sorted(set(g.adjacency.sum(axis=1).tolist()))
    [3.0]
    """
    import networkx as nx

    n, degree = _check_count("n", n, 1), _check_count("degree", degree)
    if degree >= n or (n * degree) % 2:
        raise ValueError(f"a {degree}-regular graph on {n} nodes needs degree < n and n * degree "
                         "even; change n or degree")
    nx_seed = int(as_rng(seed).integers(2**32))
    G = nx.random_regular_graph(degree, n, seed=nx_seed)
    A = adjacency_matrix(G, weight=None) if n else sp.csr_array((0, 0))
    return GraphSample(A, None, "random_regular", {"n": n, "degree": degree})


def real_graph(name) -> GraphSample:
    """Return a small real graph shipped by networkx, unweighted, with its natural labels.

    ``"karate"`` (Zachary's karate club; label 0 = 'Mr. Hi', 1 = 'Officer', from the
    ``club`` attribute), ``"les_miserables"`` (no labels), ``"florentine"`` (Florentine
    families; no labels), ``"davis"`` (Davis southern women, bipartite; label = bipartite side,
    0 = women, 1 = events).

    Examples
    --------
    >>> g = real_graph("karate")
    >>> g.n, int(g.adjacency.nnz // 2), int(g.labels.sum())
    (34, 78, 17)
    """
    import networkx as nx

    key = str(name).lower().replace("-", "_")
    builders = {
        "karate": nx.karate_club_graph,
        "les_miserables": nx.les_miserables_graph,
        "florentine": nx.florentine_families_graph,
        "davis": nx.davis_southern_women_graph,
    }
    if key not in builders:
        raise ValueError(f"unknown real graph {name!r}; known: {', '.join(REAL_GRAPHS)}")
    G = builders[key]()
    nodes = tuple(G.nodes)
    labels = None
    if key == "karate":
        labels = np.array([0 if G.nodes[v]["club"] == "Mr. Hi" else 1 for v in nodes])
    elif key == "davis":
        labels = np.array([int(G.nodes[v]["bipartite"]) for v in nodes])
    A = adjacency_matrix(G, weight=None)
    return GraphSample(A, labels, key, {"name": key, "weighted": False}, nodes)
