"""The checks' sampler draws a sampled ``csbm`` graph again when its largest component is one node.

Found by the unseeded property run of ``tests/test_checks_properties.py`` (session 9): the
instance below drew ``csbm:n=8,c=1.6291,...`` with no edge, and the check raised
``ValueError("... has 1 node(s) ...")`` from settings a user may pass.  A graph the user names
explicitly is still refused with that error.
"""

import pytest

from backsmooth.checks import check

SETTINGS = dict(graph=["regular", "csbm"], n=(2, 9), depth=(1, 1), width=(1, 1),
                scale="boundary", activation=["relu"], loss=["mse"], seed=230, start=8, trials=1)


def test_a_sampled_csbm_without_edges_is_drawn_again():
    r = check("theorem2_relu", **SETTINGS)
    assert r.summary["checks"] > 0
    graphs = {row["graph"] for row in r.records}
    assert len(graphs) == 1 and next(iter(graphs)).startswith("csbm:n=8,")


def test_the_redraw_is_reproducible():
    a = check("theorem2_relu", **SETTINGS).records
    b = check("theorem2_relu", **SETTINGS).records
    assert [(r["graph"], r["measured"]) for r in a] == [(r["graph"], r["measured"]) for r in b]


def test_a_named_graph_with_one_node_is_still_refused():
    with pytest.raises(ValueError, match="has 1 node"):
        check("theorem2_relu", graph="csbm:n=8,c=1.6291,lg=1.2372,mu=1.0,p=4", n=(8, 8),
              depth=(1, 1), width=(1, 1), activation=["relu"], loss=["mse"], seed=230, start=8,
              trials=1)
