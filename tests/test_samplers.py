"""Tests of backsmooth.numeric.samplers and graph_specs: seeded, exact random graphs.

Statistical tests use a 5-sigma tolerance: an edge count of a block with N pairs and edge
probability p is Binomial(N, p), standard deviation sqrt(N p (1 - p)); a correct sampler
fails one such test with probability below 6e-7 (and the seeds are fixed).
"""

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric.graph_specs import GRAPH_SPECS, graph_by_name
from backsmooth.numeric.graphs import is_bipartite, is_connected
from backsmooth.numeric.samplers import (
    CSBMSample,
    GraphSample,
    contextual_sbm,
    erdos_renyi,
    random_regular,
    real_graph,
    stochastic_block_model,
)

SAMPLERS = {
    "erdos_renyi": lambda seed: erdos_renyi(300, avg_degree=6, seed=seed).adjacency,
    "sbm": lambda seed: stochastic_block_model([50, 70], [[0.1, 0.01], [0.01, 0.2]],
                                               seed=seed).adjacency,
    "csbm": lambda seed: contextual_sbm(400, avg_degree=10, seed=seed).features,
    "regular": lambda seed: random_regular(100, 4, seed=seed).adjacency,
}


def _same(a, b):
    if sp.issparse(a):
        return a.shape == b.shape and (a != b).nnz == 0
    return np.array_equal(a, b)


def _within_5_sigma(count, pairs, p):
    mean, sd = pairs * p, np.sqrt(pairs * p * (1 - p))
    return abs(count - mean) <= 5 * sd


class TestSeeding:
    @pytest.mark.parametrize("name", list(SAMPLERS))
    def test_same_seed_same_graph_different_seed_different_graph(self, name):
        sample = SAMPLERS[name]
        assert _same(sample(7), sample(7))
        assert _same(sample(7), sample(np.random.default_rng(7)))
        assert not _same(sample(7), sample(8))

    def test_bad_seed(self):
        with pytest.raises(TypeError, match="seed must be"):
            erdos_renyi(10, 0.5, seed="zero")


class TestErdosRenyi:
    def test_simple_undirected_graph(self):
        A = erdos_renyi(500, 0.05, seed=0).adjacency
        assert isinstance(A, sp.csr_array) and A.diagonal().sum() == 0
        assert (A != A.T).nnz == 0 and set(A.data) == {1.0}

    def test_edge_count_is_binomial(self):
        n, p = 3000, 0.004
        m = erdos_renyi(n, p, seed=1).adjacency.nnz // 2
        assert _within_5_sigma(m, n * (n - 1) / 2, p)

    @pytest.mark.parametrize("p", [0.3, 0.9])
    def test_every_pair_is_an_edge_with_probability_p(self, p):
        # exactness of the "draw endpoints, reject repeats" scheme, also when repeats are common
        n, trials = 5, 3000
        rng = np.random.default_rng(3)
        counts = np.zeros((n, n))
        for _ in range(trials):
            counts += erdos_renyi(n, p, seed=rng).adjacency.toarray()
        for i, j in itertools.combinations(range(n), 2):
            assert _within_5_sigma(counts[i, j], trials, p), (i, j, counts[i, j])

    def test_extremes(self):
        assert erdos_renyi(6, 0.0, seed=0).adjacency.nnz == 0
        assert erdos_renyi(6, 1.0, seed=0).adjacency.nnz == 30

    @pytest.mark.parametrize("kwargs, match", [
        ({"n": 10, "p": 1.5}, r"probability in \[0, 1\]"),
        ({"n": 10}, "exactly one of p"),
        ({"n": 0, "p": 0.1}, "n must be an integer >= 1"),
    ])
    def test_bad_input(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            erdos_renyi(**kwargs, seed=0)


class TestStochasticBlockModel:
    def test_disjoint_cliques(self):
        g = stochastic_block_model([3, 4], [[1, 0], [0, 1]], seed=0)
        expected = nx.to_numpy_array(nx.disjoint_union(nx.complete_graph(3),
                                                       nx.complete_graph(4)))
        np.testing.assert_array_equal(g.adjacency.toarray(), expected)
        assert g.labels.tolist() == [0, 0, 0, 1, 1, 1, 1]

    def test_complete_bipartite(self):
        g = stochastic_block_model([2, 3], [[0, 1], [1, 0]], seed=0)
        assert g.adjacency.nnz == 12 and is_bipartite(g.adjacency)

    @pytest.mark.parametrize("p, match", [
        ([[0.1, 0.2], [0.3, 0.1]], "symmetric"),
        ([[0.1]], r"shape \(2, 2\)"),
        ([[0.1, -0.2], [-0.2, 0.1]], "probability"),
    ])
    def test_bad_input(self, p, match):
        with pytest.raises(ValueError, match=match):
            stochastic_block_model([3, 3], p, seed=0)


class TestContextualSBM:
    def test_block_densities_match_p_in_and_p_out(self):
        n, c, lg = 4000, 20.0, 2.0
        s = contextual_sbm(n, avg_degree=c, graph_signal=lg, seed=5, largest_component=False)
        p_in, p_out = (c + lg * np.sqrt(c)) / n, (c - lg * np.sqrt(c)) / n
        assert s.params["p_in"] == pytest.approx(p_in) and s.params["p_out"] == pytest.approx(p_out)
        A, y = s.adjacency, s.labels
        assert np.bincount(y).tolist() == [n // 2, n // 2]
        C = sp.triu(A, k=1).tocoo()
        same = y[C.row] == y[C.col]
        half = n // 2
        assert _within_5_sigma(same.sum(), 2 * half * (half - 1) / 2, p_in)
        assert _within_5_sigma((~same).sum(), half * half, p_out)

    def test_features_are_class_mean_plus_standard_noise(self):
        n, mu, p = 4000, 1.5, 8
        s = contextual_sbm(n, avg_degree=10, feature_signal=mu, num_features=p, seed=2,
                           largest_component=False)
        assert np.linalg.norm(s.mean) == pytest.approx(mu, abs=1e-12)
        y = 2 * s.labels - 1
        noise = s.features - y[:, None] * s.mean
        # each noise coordinate mean ~ N(0, 1/n); variance estimate has sd sqrt(2/n)
        assert np.all(np.abs(noise.mean(axis=0)) <= 5 / np.sqrt(n))
        assert np.all(np.abs(noise.var(axis=0) - 1) <= 5 * np.sqrt(2 / n))

    def test_largest_component_is_kept(self):
        s = contextual_sbm(2000, avg_degree=2, graph_signal=0.5, seed=0)
        assert isinstance(s, CSBMSample) and s.n < 2000 and is_connected(s.adjacency)
        full = contextual_sbm(2000, avg_degree=2, graph_signal=0.5, seed=0,
                              largest_component=False)
        np.testing.assert_array_equal(s.labels, full.labels[s.nodes])
        np.testing.assert_array_equal(s.features, full.features[s.nodes])

    @pytest.mark.parametrize("kwargs, match", [
        ({"graph_signal": 5.0}, r"graph_signal must lie in \[0, sqrt\(avg_degree\)\]"),
        ({"avg_degree": -1.0}, "avg_degree must be positive"),
        ({"feature_signal": np.nan}, "feature_signal"),
        ({"num_features": 0}, "num_features"),
        ({"avg_degree": 90.0, "graph_signal": 9.0}, "p_in"),
    ])
    def test_bad_input(self, kwargs, match):
        with pytest.raises(ValueError, match=match):
            contextual_sbm(100, seed=0, **kwargs)


class TestRandomRegular:
    def test_every_degree_is_d(self):
        A = random_regular(50, 5, seed=0).adjacency
        np.testing.assert_array_equal(A.sum(axis=1), 5)

    def test_odd_total_degree(self):
        with pytest.raises(ValueError, match="n \\* degree\\s+even"):
            random_regular(7, 3, seed=0)


class TestRealGraph:
    @pytest.mark.parametrize("name, n, m", [
        ("karate", 34, 78), ("les_miserables", 77, 254), ("florentine", 15, 20),
        ("davis", 32, 89),
    ])
    def test_sizes(self, name, n, m):
        g = real_graph(name)
        assert g.n == n and g.adjacency.nnz == 2 * m and set(g.adjacency.data) == {1.0}

    def test_karate_labels_are_the_clubs(self):
        g = real_graph("karate")
        assert g.labels[0] == 0 and g.labels[33] == 1 and np.bincount(g.labels).tolist() == [
            17, 17]

    def test_davis_labels_are_the_bipartite_sides(self):
        g = real_graph("davis")
        C = g.adjacency.tocoo()
        assert np.all(g.labels[C.row] != g.labels[C.col])
        assert np.bincount(g.labels).tolist() == [18, 14]

    def test_unlabelled_graphs(self):
        assert real_graph("florentine").labels is None

    def test_unknown_name(self):
        with pytest.raises(ValueError, match="known: karate, les_miserables"):
            real_graph("cora")


class TestGraphByName:
    @pytest.mark.parametrize("spec, n", [
        ("karate", 34), ("lesmis", 77), ("cycle:8", 8), ("complete:5", 5), ("path:4", 4),
        ("star:3", 4), ("er:n=200,c=4", 200), ("sbm:n=300", 300), ("regular:n=40,d=3", 40),
    ])
    def test_specs(self, spec, n):
        g = graph_by_name(spec, seed=0)
        assert isinstance(g, GraphSample) and g.n == n

    def test_csbm_default_is_the_experiment_setting(self):
        s = graph_by_name("csbm", seed=0)
        assert isinstance(s, CSBMSample) and s.features.shape[1] == 16
        assert s.params["avg_degree"] == 50 and s.params["graph_signal"] == 2

    def test_edge_list_file(self, tmp_path):
        path = tmp_path / "tri.txt"
        path.write_text("a b\nb c\nc a\n")
        g = graph_by_name(str(path))
        assert g.n == 3 and g.nodes == ("a", "b", "c")

    @pytest.mark.parametrize("spec, match", [
        ("cora", "unknown graph 'cora'"),
        ("cycle:x", "expected cycle:N"),
        ("er:n=10,q=3", "keys n, c"),
        ("er:n=ten", "not a number"),
        ("regular:n=10.5", "must be an integer"),
    ])
    def test_bad_spec(self, spec, match):
        with pytest.raises(ValueError, match=match):
            graph_by_name(spec)

    def test_every_listed_spec_resolves(self):
        for name in GRAPH_SPECS:
            spec = f"{name}:5" if name in ("cycle", "path", "complete", "star", "barbell") else name
            graph_by_name(spec, seed=0)

    def test_barbell_two_cliques_and_a_bridge(self):
        g = graph_by_name("barbell:8")
        # two K4 (6 edges each) and one bridge: 13 edges, stored twice
        assert g.n == 8 and int(g.adjacency.nnz) == 2 * 13
