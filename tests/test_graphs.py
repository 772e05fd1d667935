"""Tests of backsmooth.numeric.graphs: adjacency conversion, edge lists, components."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backsmooth.numeric.graphs import (
    adjacency_matrix,
    bipartite_sides,
    connected_components,
    is_bipartite,
    is_connected,
    read_edge_list,
)

TRIANGLE = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)


class TestAdjacencyMatrix:
    def test_weighted_networkx_graph(self):
        G = nx.Graph()
        G.add_edge("a", "b", weight=2.5)
        G.add_edge("b", "c", weight=1.0)
        A = adjacency_matrix(G)
        assert isinstance(A, sp.csr_array) and A.dtype == np.float64
        np.testing.assert_array_equal(A.toarray(), [[0, 2.5, 0], [2.5, 0, 1], [0, 1, 0]])
        np.testing.assert_array_equal(adjacency_matrix(G, weight=None).data, np.ones(4))

    @pytest.mark.parametrize("fmt", [sp.coo_array, sp.csc_array, sp.lil_array, sp.csr_matrix,
                                     np.asarray])
    def test_every_matrix_format_gives_the_same_csr(self, fmt):
        A = adjacency_matrix(fmt(TRIANGLE))
        assert isinstance(A, sp.csr_array)
        np.testing.assert_array_equal(A.toarray(), TRIANGLE)

    def test_edge_index_both_orientations(self):
        ei = np.array([[0, 1, 1, 2], [1, 0, 2, 1]])
        np.testing.assert_array_equal(adjacency_matrix(ei).toarray(),
                                      nx.to_numpy_array(nx.path_graph(3)))

    def test_edge_index_num_nodes_adds_isolated_nodes_and_coalesces(self):
        ei = np.array([[0, 1, 0, 1, 0, 1], [1, 0, 1, 0, 1, 0]])
        A = adjacency_matrix(ei, num_nodes=4)
        assert A.shape == (4, 4) and A.nnz == 2 and A[0, 1] == 1.0
        W = adjacency_matrix(ei[:, :2], num_nodes=2, edge_weight=[0.5, 0.5])
        assert W[0, 1] == 0.5

    def test_self_loops_are_kept(self):
        A = adjacency_matrix(np.array([[1.0, 1.0], [1.0, 0.0]]))
        assert A[0, 0] == 1.0

    @pytest.mark.parametrize("bad, match", [
        (np.ones((2, 3)), "square"),
        (np.array([[0, -1.0], [-1.0, 0]]), "negative"),
        (np.array([[0, np.nan], [np.nan, 0]]), "NaN"),
        (np.array([[0, np.inf], [np.inf, 0]]), "NaN or infinite"),
        (np.array([[0, 1.0], [0, 0]]), r"not symmetric.*\(A \+ A\.T\) / 2"),
        (nx.DiGraph([(0, 1)]), "to_undirected"),
        (np.array([[0, 1], [1, 0]]), "form='adjacency' or form='edge_index'"),
        (np.array([[0, -1, 2], [1, 0, 0]]), "negative node id"),
        (np.array([[0, 1, 0], [1, 0, 0], [0, 1, 0]]), r"shape \(2, m\)"),
    ])
    def test_bad_input_raises_a_clear_error(self, bad, match):
        form = "edge_index" if isinstance(bad, np.ndarray) and bad.shape == (3, 3) else "auto"
        with pytest.raises(ValueError, match=match):
            adjacency_matrix(bad, form=form)

    def test_edge_index_out_of_range_and_dtype(self):
        with pytest.raises(ValueError, match="num_nodes >= 6"):
            adjacency_matrix(np.array([[0, 5, 1], [5, 0, 0]]), num_nodes=3)
        with pytest.raises(TypeError, match="integer node ids"):
            adjacency_matrix(np.array([[0.0, 1.0], [1.0, 0.0]]), form="edge_index")
        with pytest.raises(ValueError, match="directed graph"):
            adjacency_matrix(nx.DiGraph([(0, 1)]))
        with pytest.raises(ValueError, match=r"list both \(u, v\) and \(v, u\)"):
            adjacency_matrix(np.array([[0, 1, 2], [1, 2, 0]]))

    def test_non_graph_object_is_a_type_error(self):
        with pytest.raises(TypeError, match="networkx graph"):
            adjacency_matrix("karate")


class TestReadEdgeList:
    def test_whitespace_comma_comments_weights(self, tmp_path):
        path = tmp_path / "g.txt"
        path.write_text("# a triangle\n1 2\n2,3, 2.5  # weighted\n\n3\t1\n2 1\n")
        A, nodes = read_edge_list(path, return_nodes=True)
        assert nodes == [1, 2, 3]
        np.testing.assert_array_equal(A.toarray(), [[0, 1, 1], [1, 0, 2.5], [1, 2.5, 0]])

    def test_string_labels_keep_first_appearance_order(self, tmp_path):
        path = tmp_path / "g.csv"
        path.write_text("b,a\na,c\n")
        A, nodes = read_edge_list(path, return_nodes=True)
        assert nodes == ["b", "a", "c"] and A[0, 1] == 1 and A[1, 2] == 1

    @pytest.mark.parametrize("text, match", [
        ("0 1\n0 1 2 3\n", "line 2: expected 'u v' or 'u v w'"),
        ("0 1\n\n1 2 heavy\n", "line 3: the weight 'heavy' is not a number"),
        ("0 1 -1\n", "line 1: the weight must be a finite positive"),
        ("0 1 nan\n", "line 1: the weight must be a finite positive"),
        ("0 1 2\n1 0 3\n", "line 2: edge 1 0 listed again"),
        ("# nothing\n", "no edges"),
        ("7\n", "line 1"),
    ])
    def test_malformed_file_names_the_line(self, tmp_path, text, match):
        path = tmp_path / "bad.txt"
        path.write_text(text)
        with pytest.raises(ValueError, match=match):
            read_edge_list(path)

    def test_missing_file(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            read_edge_list(tmp_path / "absent.txt")


class TestConnectivity:
    def test_two_components(self):
        A = adjacency_matrix(nx.disjoint_union(nx.cycle_graph(3), nx.path_graph(2)))
        k, labels = connected_components(A)
        assert k == 2 and labels.tolist() == [0, 0, 0, 1, 1]
        assert not is_connected(A)

    def test_cycle_is_connected(self):
        assert is_connected(adjacency_matrix(nx.cycle_graph(7)))

    @settings(max_examples=30)
    @given(st.integers(1, 12), st.floats(0.0, 1.0), st.integers(0, 2**16))
    def test_matches_networkx(self, n, p, seed):
        G = nx.gnp_random_graph(n, p, seed=seed)
        A = adjacency_matrix(G)
        assert connected_components(A)[0] == nx.number_connected_components(G)
        assert is_connected(A) == nx.is_connected(G)


class TestIsBipartite:
    def test_even_cycle(self):
        assert is_bipartite(adjacency_matrix(nx.cycle_graph(8)))

    def test_odd_cycle(self):
        assert not is_bipartite(adjacency_matrix(nx.cycle_graph(7)))

    def test_self_loop_breaks_bipartiteness(self):
        G = nx.path_graph(3)
        G.add_edge(1, 1)
        assert not is_bipartite(adjacency_matrix(G))

    def test_tree_with_isolated_node(self):
        G = nx.balanced_tree(2, 3)
        G.add_node(100)
        assert is_bipartite(adjacency_matrix(G))

    @settings(max_examples=40)
    @given(st.integers(1, 12), st.floats(0.0, 0.6), st.integers(0, 2**16))
    def test_matches_networkx_and_sides_are_a_two_colouring(self, n, p, seed):
        G = nx.gnp_random_graph(n, p, seed=seed)
        A = adjacency_matrix(G)
        sides = bipartite_sides(A)
        assert (sides is not None) == nx.is_bipartite(G)
        if sides is not None:
            C = A.tocoo()
            assert np.all(sides[C.row] != sides[C.col])


class TestSamplerInput:
    def test_graph_sample_is_read_through_its_adjacency(self):
        from backsmooth.numeric import contextual_sbm, propagation_matrix

        sample = contextual_sbm(60, avg_degree=8, seed=0)
        P1 = propagation_matrix(sample)
        P2 = propagation_matrix(sample.adjacency)
        assert abs(P1 - P2).max() == 0
