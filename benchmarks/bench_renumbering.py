"""Does renumbering the nodes pay?  Forward + backward with and without, side by side.

One command (from the repository root)::

    python benchmarks/bench_renumbering.py            # writes benchmarks/RENUMBERING.md

The numeric core renumbers the nodes of a large sparse ``P`` (reverse Cuthill-McKee) only
when the new order at least halves the mean index distance between neighbours
(:class:`backsmooth.numeric._sparse.PropagationOperator`).  This benchmark checks that rule
where it matters: for each graph it times one forward + backward (tanh, width 32, every
``B^(k)`` kept) of the same network with the order forced off and forced on, alternately
in one process, and reports the median times, their ratio, the mean neighbour distance
before and after, and what the default chose.  Graphs: a 2-D grid read in its natural
order and in a shuffled one (geometry: an order helps when the given one is scrambled),
and the CSBM graph of ``bench_forward_backward.py`` (an expander: no order helps).
"""

from __future__ import annotations

import argparse
import os
import sys

import networkx as nx
import numpy as np
import scipy.sparse as sp

from _timing import interleaved_medians
from backsmooth.numeric import _sparse, gnn, gradients, initial_weights
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import contextual_sbm

HERE = os.path.dirname(os.path.abspath(__file__))


def graphs(side: int, seed: int):
    """``(name, P)`` pairs: natural grid, shuffled grid, CSBM with as many nodes."""
    grid = nx.to_scipy_sparse_array(nx.grid_2d_graph(side, side), format="csr")
    shuffle = np.random.default_rng(seed).permutation(grid.shape[0])
    csbm = contextual_sbm(side * side, avg_degree=10.0, graph_signal=1.0, feature_signal=1.0,
                          num_features=16, seed=seed)
    return [
        (f"grid {side}x{side}, natural order", propagation_matrix(grid, "lazy")),
        (f"grid {side}x{side}, shuffled", propagation_matrix(sp.csr_array(grid[shuffle][:, shuffle]), "lazy")),
        (f"CSBM n={side * side}, degree 10", propagation_matrix(csbm.adjacency, "lazy")),
    ]


def measure(name, P, depth, repeats, seed):
    n = P.shape[0]
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 16))
    y = rng.integers(0, 2, n)
    W = initial_weights([16] + [32] * depth + [2], "orthogonal", seed=seed)
    nets = {}
    for label, reorder in (("off", False), ("on", True), ("default", None)):
        net = gnn(P, depth, "tanh")
        # the network caches its operator (functools.cached_property): set it with the order wanted
        net.__dict__["operator"] = _sparse.PropagationOperator(net.P, symmetric=net.symmetric,
                                                               reorder=reorder)
        nets[label] = net
    calls = {label: (lambda net=nets[label]: gradients(net, X, W, loss="cross_entropy", targets=y))
             for label in ("off", "on")}
    interleaved_medians(calls, 1)  # warm-up
    medians = interleaved_medians(calls, repeats)
    order = nets["on"].operator.order
    csr = sp.csr_array(P)
    off, on = medians["off"], medians["on"]
    return {"graph": name, "n": n, "off": off, "on": on, "speed-up": off / on,
            "distance before": _sparse._mean_neighbour_distance(csr),
            "distance after": _sparse._mean_neighbour_distance(csr[order][:, order]),
            "default": "renumbers" if nets["default"].operator.order is not None else "keeps the order"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", type=int, default=320, help="grid side (n = side^2, default 320)")
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "RENUMBERING.md"))
    args = parser.parse_args(argv)
    rows = []
    for name, P in graphs(args.side, args.seed):
        rows.append(measure(name, P, args.depth, args.repeats, args.seed))
        r = rows[-1]
        print(f"{name}: off {r['off']:.3f}s on {r['on']:.3f}s speed-up {r['speed-up']:.2f} "
              f"distance {r['distance before']:.0f} -> {r['distance after']:.0f}; default {r['default']}",
              flush=True)
    lines = [
        "# Node renumbering: forward + backward with and without",
        "",
        f"Written by `python benchmarks/bench_renumbering.py` (tanh GNN, depth {args.depth}, width 32, "
        f"float64, every B^(k) kept, lazy-walk P; median of {args.repeats} alternating repeats in one "
        "process). Distance: mean |i - j| over the non-zeros of P. The default renumbers when the "
        "distance at least halves.",
        "",
        "| graph | n | order off (s) | order on (s) | speed-up | distance before | distance after | default |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [f"| {r['graph']} | {r['n']} | {r['off']:.3f} | {r['on']:.3f} | {r['speed-up']:.2f} | "
              f"{r['distance before']:.0f} | {r['distance after']:.0f} | {r['default']} |" for r in rows]
    text = "\n".join(lines) + "\n"
    with open(args.out, "w") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
