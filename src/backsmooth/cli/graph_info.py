"""``backsmooth graph-info GRAPH``: the assumption report and lambda of a graph's P.

GRAPH is a built-in or sampled graph spec (``karate``, ``er:n=1000,c=10``, ``csbm``,
``cycle:8``, ... see :mod:`backsmooth.numeric.graph_specs`) or an edge-list file path.
"""

from __future__ import annotations

import json

__all__ = ["register", "run"]

KINDS = ("lazy", "metropolis", "gcn", "random_walk")


def register(subparsers) -> None:
    """Add the ``graph-info`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "graph-info",
        help="assumption report (ass:P) and lambda of a graph's propagation matrix",
        description=(
            "Build the propagation matrix P of GRAPH and report which parts of the paper's "
            "assumption ass:P [paper] hold: symmetric, P1 = 1, lambda < 1; and ass:P+ (P >= 0, "
            "the paper's \"stochastic\") [reconstruction]. GRAPH: karate, les_miserables, "
            "florentine, davis, er[:n=..,c=..], "
            "sbm[:n=..,c=..,lg=..], csbm[:n=..,c=..,lg=..,mu=..,p=..], regular[:n=..,d=..], "
            "cycle:N, path:N, complete:N, star:N, or the path of a 'u v [w]' edge-list file."
        ),
    )
    parser.add_argument("graph", metavar="GRAPH", help="graph spec or edge-list file path")
    parser.add_argument("--kind", choices=KINDS, default="lazy",
                        help="propagation matrix (default: lazy, I - (D - A)/(d_max + 1))")
    parser.add_argument("--seed", type=int, default=0, help="seed of random graphs (default 0)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Print the report of ``args.graph`` with ``args.kind``; return the exit code 0."""
    from backsmooth.numeric.assumptions import assumption_report
    from backsmooth.numeric.graph_specs import graph_by_name
    from backsmooth.numeric.propagation import propagation_matrix

    sample = graph_by_name(args.graph, seed=args.seed)
    P = propagation_matrix(sample.adjacency, kind=args.kind)
    report = assumption_report(P)
    edges = int((sample.adjacency.nnz + sample.adjacency.diagonal().astype(bool).sum()) // 2)
    header = {
        "graph": args.graph,
        "kind": args.kind,
        "seed": args.seed,
        "nodes": int(sample.n),
        "edges": edges,
        "has_labels": sample.labels is not None,
    }
    if args.json:
        print(json.dumps({**header, "report": report.to_dict()}, indent=2))
        return 0
    random = sample.name in ("erdos_renyi", "random_regular", "sbm", "csbm")
    print(f"graph {args.graph}: {header['nodes']} nodes, {edges} edges"
          + (f" (seed {args.seed})" if random else ""))
    print(f"P = {args.kind} propagation matrix; lambda = {report.lambda_:.12g}")
    print(
        "ass:P [paper]: P symmetric, P1 = 1, lambda < 1; "
        "ass:P+ [reconstruction]: also P >= 0 (the paper's \"stochastic\")"
    )
    print(report)
    return 0
