"""Groups of proofs for worker processes (backsmooth.proofs.groups)."""

import doctest

import pytest

from backsmooth.proofs import groups as pg

GRAPH = {"a": (), "b": ("a",), "c": ("a",), "d": (), "e": ("b", "c")}
COSTS = {"a": 3.0, "b": 1.0, "c": 1.0, "d": 4.0, "e": 2.0}


def test_closure_follows_citations_transitively():
    assert pg.closure(["e"], GRAPH) == {"a", "b", "c", "e"}
    assert pg.closure(["d"], GRAPH) == {"d"}


def test_group_cost_counts_each_verified_claim_once():
    # e verifies b, c and a (once, although b and c both cite it)
    assert pg.group_cost(["e"], COSTS, GRAPH) == 3.0 + 1.0 + 1.0 + 2.0
    assert pg.group_cost(["e", "b", "a"], COSTS, GRAPH) == 7.0
    assert pg.group_cost(["x"], COSTS, GRAPH) == 1.0  # unknown claim: 1.0


def test_groups_partition_the_claims_in_dependency_order():
    for n in (1, 2, 3, 7):
        groups = pg.proof_groups(n, COSTS, GRAPH)
        flat = [c for g in groups for c in g]
        assert sorted(flat) == sorted(GRAPH) and len(flat) == len(GRAPH)
        assert all(g for g in groups) and len(groups) <= n
        for g in groups:
            assert list(g) == sorted(g, key=list(GRAPH).index)
    assert pg.proof_groups(1, COSTS, GRAPH) == (tuple(GRAPH),)


def test_two_groups_balance_with_repeated_citations_counted():
    groups = pg.proof_groups(2, COSTS, GRAPH)
    # e's closure (7) against d (4): the best split keeps e with its citations
    assert sorted(groups, key=len) == [("d",), ("a", "b", "c", "e")]
    costs = [pg.group_cost(g, COSTS, GRAPH) for g in groups]
    assert max(costs) == 7.0


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_bad_group_count_is_refused(bad):
    with pytest.raises(ValueError, match="n_groups"):
        pg.proof_groups(bad, COSTS, GRAPH)


def test_registry_groups_cover_every_proof_once():
    from backsmooth.proofs import proofs

    groups = pg.proof_groups(2)
    flat = [c for g in groups for c in g]
    assert sorted(flat) == sorted(proofs())
    # two groups cost less than one when verified side by side (the largest group)
    one = pg.group_cost(proofs())
    assert max(pg.group_cost(g) for g in groups) < one


def test_module_examples():
    assert doctest.testmod(pg).failed == 0
