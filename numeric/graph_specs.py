"""Graphs named by a short text spec, as a user types them on the command line.

A spec is ``NAME`` or ``NAME:ARGS``, or the path of an edge-list file:

* ``karate``, ``les_miserables``, ``florentine``, ``davis``: the real graphs of
  :func:`~backsmooth.numeric.samplers.real_graph`;
* ``er[:n=1000,c=10]``: Erdos-Renyi with average degree ``c`` (or ``p=``);
* ``sbm[:n=1000,c=10,lg=2]``: two balanced blocks, the CSBM graph of
  :func:`~backsmooth.numeric.samplers.contextual_sbm` (no features);
* ``csbm[:n=1000,c=50,lg=2,mu=1,p=16]``: the Contextual SBM (defaults of
  docs/experiment-settings.md), largest component kept;
* ``regular[:n=1000,d=10]``: random regular graph;
* ``cycle:8``, ``path:5``, ``complete:5``, ``star:5``: the deterministic graphs of networkx
  (``star:k`` has k + 1 nodes);
* ``barbell:8``: two cliques of ``max(2, N // 2)`` nodes joined by one edge (lambda close
  to 1);
* a file path: :func:`~backsmooth.numeric.graphs.read_edge_list`.
"""

from __future__ import annotations

import os

from .graphs import adjacency_matrix, read_edge_list
from .samplers import (
    REAL_GRAPHS,
    GraphSample,
    contextual_sbm,
    erdos_renyi,
    random_regular,
    real_graph,
)

__all__ = ["graph_by_name", "GRAPH_SPECS"]

_DEFAULTS = {
    "er": {"n": 1000, "c": 10.0},
    "sbm": {"n": 1000, "c": 10.0, "lg": 2.0},
    "csbm": {"n": 1000, "c": 50.0, "lg": 2.0, "mu": 1.0, "p": 16},
    "regular": {"n": 1000, "d": 10},
}
_DETERMINISTIC = ("cycle", "path", "complete", "star", "barbell")

#: the spec names understood by :func:`graph_by_name` (besides file paths)
GRAPH_SPECS = REAL_GRAPHS + tuple(_DEFAULTS) + _DETERMINISTIC


def _parse_options(name, text):
    options = dict(_DEFAULTS[name])
    if not text:
        return options
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in options:
            raise ValueError(
                f"graph spec {name}:{text}: expected comma-separated key=value with keys "
                f"{', '.join(options)}, got {item!r}")
        try:
            number = float(value)
        except ValueError:
            raise ValueError(f"graph spec {name}:{text}: {key}={value!r} is not a number") from None
        if isinstance(options[key], int):
            if number != int(number):
                raise ValueError(f"graph spec {name}:{text}: {key} must be an integer")
            number = int(number)
        options[key] = number
    return options


def graph_by_name(spec, seed=None):
    """Return the graph named by ``spec`` as a GraphSample (or CSBMSample for ``csbm``).

    Parameters
    ----------
    spec : str
        A spec of the module docstring's table, or an edge-list file path.
    seed : numpy.random.Generator, int or None
        Seed of the random models (ignored by deterministic graphs and files).

    Examples
    --------
    >>> g = graph_by_name("cycle:8")
    >>> g.n, int(g.adjacency.nnz)
    (8, 16)
    >>> graph_by_name("er:n=200,c=5", seed=1).n
    200
    """
    import networkx as nx

    spec = str(spec).strip()
    name, _, args = spec.partition(":")
    key = name.lower().replace("-", "_")
    if key in ("lesmis", "les_mis"):
        key = "les_miserables"
    if key in REAL_GRAPHS and not args:
        return real_graph(key)
    if key in _DETERMINISTIC:
        try:
            k = int(args)
        except ValueError:
            raise ValueError(f"graph spec {spec!r}: expected {key}:N with an integer N, "
                             f"e.g. {key}:8") from None
        if k < 1:
            raise ValueError(f"graph spec {spec!r}: N must be >= 1")
        if key == "barbell":
            G = nx.barbell_graph(max(2, k // 2), 0)
        else:
            G = getattr(nx, f"{key}_graph")(k)
        return GraphSample(adjacency_matrix(G, weight=None), None, key, {"n": k})
    if key in _DEFAULTS:
        o = _parse_options(key, args)
        n = int(o["n"])
        if key == "er":
            return erdos_renyi(n, avg_degree=o["c"], seed=seed)
        if key == "regular":
            return random_regular(n, int(o["d"]), seed=seed)
        if key == "sbm":
            s = contextual_sbm(n, avg_degree=o["c"], graph_signal=o["lg"], num_features=1,
                               seed=seed, largest_component=False)
            return GraphSample(s.adjacency, s.labels, "sbm", s.params)
        return contextual_sbm(n, avg_degree=o["c"], graph_signal=o["lg"],
                              feature_signal=o["mu"], num_features=int(o["p"]), seed=seed)
    if os.path.exists(spec):
        A, nodes = read_edge_list(spec, return_nodes=True)
        return GraphSample(A, None, os.path.basename(spec), {"path": spec}, tuple(nodes))
    raise ValueError(
        f"unknown graph {spec!r}: not a file and not one of {', '.join(GRAPH_SPECS)} "
        "(e.g. karate, er:n=1000,c=10, cycle:8, or the path of a 'u v [w]' edge-list file)")
