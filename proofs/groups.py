"""Split the proofs into groups that worker processes can verify side by side.

Verifying a proof verifies the claims it cites (their strength is part of its own), and the
results are kept per process.  So one process verifying every proof verifies each claim once,
while groups run in separate processes verify a claim cited by two groups twice.
:func:`proof_groups` balances the groups' cost with that repetition counted: a group costs the
sum of the own costs of every claim it verifies, its members and everything they cite.

The report can run each group as one task (see ``backsmooth.report``); every claim with a proof
is a member of exactly one group, so each proof's section is recorded once.

Examples
--------
>>> graph = {"a": (), "b": ("a",), "c": ("a",), "d": ()}
>>> costs = {"a": 1.0, "b": 4.0, "c": 4.0, "d": 2.0}
>>> proof_groups(2, costs=costs, graph=graph)
(('a', 'b', 'd'), ('c',))
>>> group_cost(("c", "d"), costs=costs, graph=graph)  # c's citation of a is verified again
7.0
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["OWN_COST", "citation_graph", "closure", "group_cost", "proof_groups"]

#: CPU seconds to verify each claim once the claims it cites are verified (cold process, one
#: `proof --all` in dependency order; measured at session 6 on a shared 2-core machine under
#: load).  The fallback when the caller has no measured costs; an unknown claim costs 1.0.
OWN_COST = {
    "lemma1": 0.40, "lemma2": 1.56, "lemma3": 0.90, "theorem1": 1.39, "lemma4": 0.07,
    "mean_propagation": 0.40, "corollary1": 2.52, "theorem2": 1.94, "proposition1": 0.77,
    "definition1": 0.29, "theorem3": 6.33, "corollary2": 0.86, "proposition2": 0.16,
    "theorem2_relu": 0.94, "local_smoothing": 1.25, "local_backward_recursion": 1.55,
    "local_certificate": 1.20, "saturation_threshold": 0.24, "remedy_residual": 0.73,
    "remedy_initial_residual": 0.77, "remedy_normalisation": 1.14,
}


def citation_graph() -> dict:
    """``{claim: claims its proof cites}`` for every claim with a proof, in dependency order."""
    from backsmooth.symbolic.chain import claim_dependencies

    from .registry import proof, proofs

    names = proofs()
    known = set(names)
    return {name: claim_dependencies(proof(name), known) for name in names}


def closure(names, graph: Mapping[str, tuple]) -> set:
    """The claims verified when verifying ``names``: themselves and all they cite, transitively."""
    out, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name not in out:
            out.add(name)
            todo.extend(graph.get(name, ()))
    return out


def group_cost(names, costs: Mapping[str, float] | None = None,
               graph: Mapping[str, tuple] | None = None) -> float:
    """CPU cost of verifying ``names`` in one fresh process (each cited claim counted once)."""
    graph = citation_graph() if graph is None else graph
    costs = OWN_COST if costs is None else costs
    return float(sum(costs.get(c, 1.0) for c in closure(names, graph)))


def proof_groups(n_groups: int = 2, costs: Mapping[str, float] | None = None,
                 graph: Mapping[str, tuple] | None = None) -> tuple:
    """Split the claims with a proof into at most ``n_groups`` groups of balanced cost.

    Parameters
    ----------
    n_groups : int
        Number of groups (worker processes), at least 1.
    costs : mapping of claim name to CPU seconds, optional
        Each claim's own cost, its cited claims already verified (default :data:`OWN_COST`;
        a claim missing from it costs 1.0).
    graph : mapping of claim name to cited claim names, optional
        Default :func:`citation_graph` (the proofs registry).

    Returns
    -------
    tuple of tuple of str
        Non-empty groups, each in the graph's (dependency) order; every claim of ``graph`` is in
        exactly one group.  Greedy: claims by decreasing cost of their closure, each to the
        group that leaves the largest group's cost smallest, then the sum over the groups
        (repeated verification of cited claims included).

    Raises
    ------
    ValueError
        If ``n_groups`` is not a positive integer.
    """
    if isinstance(n_groups, bool) or not isinstance(n_groups, int) or n_groups < 1:
        raise ValueError(f"n_groups must be a positive integer, got {n_groups!r}")
    graph = citation_graph() if graph is None else graph
    costs = OWN_COST if costs is None else costs
    order = list(graph)
    groups: list = [[] for _ in range(n_groups)]

    def total(names):
        return group_cost(names, costs, graph)

    current = [0.0] * n_groups
    for name in sorted(order, key=lambda c: (-total([c]), order.index(c))):
        def after(i):  # the groups' costs with name added to group i
            return [total(g + [name]) if j == i else current[j] for j, g in enumerate(groups)]
        best = min(range(n_groups), key=lambda i: (max(after(i)), sum(after(i)), i))
        current = after(best)
        groups[best].append(name)
    return tuple(tuple(sorted(g, key=order.index)) for g in groups if g)
