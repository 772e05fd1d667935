"""Tests of backsmooth.numeric.propagation: the matrices P and the contraction factor lambda.

Closed forms used below (derived by hand):
- cycle C_n: adjacency eigenvalues 2 cos(2 pi j / n). Every degree is 2, so metropolis
  (P_ij = 1/3 on edges) and lazy (d_max = 2) both give P = I - (2I - A)/3, eigenvalues
  1/3 + (2/3) cos(2 pi j / n), and lambda = max_{j != 0} |1/3 + (2/3) cos(2 pi j / n)|.
  gcn: (A + I)/3, the same matrix; random_walk: (A + I)/3 too.
- complete graph K_n: d = n - 1; metropolis gives P_ij = 1/n everywhere, lazy gives
  I - (nI - J)/n = 11^T/n, gcn and random_walk (A + I)/n = 11^T/n: all equal J = 11^T/n, whose
  only nonzero eigenvalue has eigenvector 1, so lambda = 0. The user walk D^-1 A =
  (11^T - I)/(n - 1) has eigenvalues 1 and -1/(n - 1): lambda = 1/(n - 1).
- even cycle, user walk D^-1 A = A/2: bipartite, eigenvalue 2cos(pi) / 2 = -1, lambda = 1.
"""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from backsmooth.numeric.propagation import (
    PROPAGATION_KINDS,
    contraction_factor,
    propagation_matrix,
    top_eigenvector,
)

KINDS = ("metropolis", "lazy", "gcn", "random_walk")


def _dense_reference(A, kind):
    """Independent dense implementation of each definition (A without self-loops)."""
    n = A.shape[0]
    d = A.sum(axis=1)
    if kind == "metropolis":
        P = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                if i != j and A[i, j]:
                    P[i, j] = A[i, j] / (1 + max(d[i], d[j]))
        return P + np.diag(1 - P.sum(axis=1))
    if kind == "lazy":
        return np.eye(n) - (np.diag(d) - A) / (d.max() + 1)
    dt = d + 1
    if kind == "gcn":
        return np.diag(dt**-0.5) @ (A + np.eye(n)) @ np.diag(dt**-0.5)
    return np.diag(1 / dt) @ (A + np.eye(n))


def _lambda_reference(P):
    """lambda from a full eigendecomposition: drop one copy of the top eigenvalue."""
    if np.allclose(P, P.T, atol=1e-13) and np.allclose(P.sum(axis=1), 1, atol=1e-13):
        n = P.shape[0]
        return np.max(np.abs(np.linalg.eigvalsh(P - np.full((n, n), 1 / n))))
    w = np.linalg.eigvals(P)
    return np.max(np.abs(np.delete(w, np.argmax(w.real))))


random_graphs = st.builds(
    lambda n, p, seed: nx.gnp_random_graph(n, p, seed=seed),
    st.integers(2, 14), st.floats(0.05, 1.0), st.integers(0, 2**16))


def cycle_lambda(n):
    j = np.arange(1, n)
    return np.max(np.abs(1 / 3 + 2 / 3 * np.cos(2 * np.pi * j / n)))


class TestPropagationMatrix:
    @settings(max_examples=25)
    @given(random_graphs, st.sampled_from(KINDS))
    def test_matches_the_dense_definition(self, G, kind):
        A = nx.to_numpy_array(G)
        P = propagation_matrix(G, kind)
        assert isinstance(P, sp.csr_array) and P.dtype == np.float64
        np.testing.assert_allclose(P.toarray(), _dense_reference(A, kind), atol=1e-14)

    @settings(max_examples=25)
    @given(random_graphs, st.sampled_from(["metropolis", "lazy"]))
    def test_metropolis_and_lazy_are_symmetric_doubly_stochastic_nonnegative(self, G, kind):
        P = propagation_matrix(G, kind).toarray()
        np.testing.assert_array_equal(P, P.T)
        np.testing.assert_allclose(P.sum(axis=1), 1, atol=1e-14)
        assert P.min() >= 0 and np.all(np.diag(P) > 0)

    def test_weighted_metropolis_has_positive_diagonal(self):
        G = nx.path_graph(3)
        nx.set_edge_attributes(G, 7.0, "weight")
        P = propagation_matrix(G, "metropolis").toarray()
        np.testing.assert_allclose(P[0], [1 - 7 / 15, 7 / 15, 0])

    @pytest.mark.parametrize("kind", KINDS)
    def test_input_self_loops_are_dropped(self, kind):
        G = nx.cycle_graph(5)
        H = G.copy()
        H.add_edge(2, 2, weight=3.0)
        np.testing.assert_array_equal(propagation_matrix(H, kind).toarray(),
                                      propagation_matrix(G, kind).toarray())

    def test_user_matrix_is_returned_validated(self):
        M = np.array([[0.5, 0.5], [0.5, 0.5]])
        np.testing.assert_array_equal(propagation_matrix(M, "user").toarray(), M)

    def test_callable_kind_receives_the_loop_free_adjacency(self):
        P = propagation_matrix(nx.cycle_graph(4), kind=lambda A: A / 2)
        np.testing.assert_array_equal(P.toarray(), nx.to_numpy_array(nx.cycle_graph(4)) / 2)

    def test_unknown_kind_lists_the_known_ones(self):
        with pytest.raises(ValueError, match="known kinds: metropolis, lazy, gcn, random_walk"):
            propagation_matrix(nx.cycle_graph(4), "laplacian")
        assert PROPAGATION_KINDS == ("metropolis", "lazy", "gcn", "random_walk", "user")

    @pytest.mark.parametrize("bad, match", [
        (np.ones((2, 3)), "square"),
        (np.array([[np.nan, 0], [0, 1]]), "NaN"),
    ])
    def test_bad_user_matrix(self, bad, match):
        with pytest.raises(ValueError, match=match):
            propagation_matrix(bad, "user")


class TestContractionFactor:
    @settings(max_examples=40)
    @given(random_graphs, st.sampled_from(KINDS))
    def test_equals_a_dense_eigendecomposition(self, G, kind):
        P = propagation_matrix(G, kind)
        assert contraction_factor(P) == pytest.approx(_lambda_reference(P.toarray()), abs=1e-10)

    @settings(max_examples=15)
    @given(st.integers(8, 60), st.floats(0.05, 0.5), st.integers(0, 2**16),
           st.sampled_from(KINDS))
    def test_arpack_agrees_with_the_dense_solver(self, n, p, seed, kind):
        P = propagation_matrix(nx.gnp_random_graph(n, p, seed=seed), kind)
        assert contraction_factor(P, method="sparse") == pytest.approx(
            contraction_factor(P, method="dense"), abs=1e-8)

    @pytest.mark.parametrize("n", [3, 4, 5, 6, 7, 8, 11, 12])
    @pytest.mark.parametrize("kind", KINDS)
    def test_cycle_closed_form(self, n, kind):
        lam = contraction_factor(propagation_matrix(nx.cycle_graph(n), kind))
        assert lam == pytest.approx(cycle_lambda(n), abs=1e-12)
        assert lam < 1

    def test_large_cycle_closed_form_with_arpack(self):
        n = 2500  # above the dense limit: ARPACK on P - 11^T/n
        lam = contraction_factor(propagation_matrix(nx.cycle_graph(n), "lazy"))
        assert lam == pytest.approx(cycle_lambda(n), abs=1e-9)

    @pytest.mark.parametrize("n", [2, 3, 5, 10])
    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("method", ["dense", "sparse"])
    def test_complete_graph_is_zero(self, n, kind, method):
        assert contraction_factor(propagation_matrix(nx.complete_graph(n), kind),
                                  method=method) == pytest.approx(0, abs=1e-12)

    @pytest.mark.parametrize("n", [3, 5, 10])
    def test_complete_graph_user_walk_is_one_over_n_minus_one(self, n):
        A = nx.to_numpy_array(nx.complete_graph(n))
        assert contraction_factor(A / (n - 1)) == pytest.approx(1 / (n - 1), abs=1e-12)

    @pytest.mark.parametrize("n", [4, 6, 10, 3000])
    def test_even_cycle_user_walk_is_bipartite_with_lambda_one(self, n):
        A = nx.to_scipy_sparse_array(nx.cycle_graph(n), format="csr")
        assert contraction_factor(A / 2) == pytest.approx(1, abs=1e-12)

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("method", ["dense", "sparse"])
    def test_two_components_give_one(self, kind, method):
        G = nx.disjoint_union(nx.complete_graph(4), nx.cycle_graph(5))
        P = propagation_matrix(G, kind)
        assert contraction_factor(P, method=method) == pytest.approx(1, abs=1e-10)

    @settings(max_examples=20)
    @given(random_graphs)
    def test_random_walk_equals_its_similar_gcn_matrix(self, G):
        assert contraction_factor(propagation_matrix(G, "random_walk")) == pytest.approx(
            contraction_factor(propagation_matrix(G, "gcn")), abs=1e-10)

    def test_single_node(self):
        assert contraction_factor(np.ones((1, 1))) == 0.0

    def test_bad_method(self):
        with pytest.raises(ValueError, match="method must be"):
            contraction_factor(np.eye(5) / 1, method="lanczos")


class TestTopEigenvector:
    @pytest.mark.parametrize("method", ["dense", "sparse"])
    def test_gcn_perron_vector_is_sqrt_degree(self, method):
        G = nx.lollipop_graph(5, 4)
        mu, u = top_eigenvector(propagation_matrix(G, "gcn"), method=method)
        d = np.array([deg + 1.0 for _, deg in G.degree()])
        assert mu == pytest.approx(1, abs=1e-12)
        np.testing.assert_allclose(u, np.sqrt(d) / np.linalg.norm(np.sqrt(d)), atol=1e-10)

    def test_stochastic_symmetric_gives_the_constant_vector(self):
        mu, u = top_eigenvector(propagation_matrix(nx.petersen_graph(), "lazy"))
        assert mu == 1.0
        np.testing.assert_allclose(u, np.full(10, 10**-0.5))

    def test_random_walk_right_vector_is_constant(self):
        mu, u = top_eigenvector(propagation_matrix(nx.petersen_graph(), "random_walk"))
        assert mu == pytest.approx(1)
        np.testing.assert_allclose(u, np.full(10, 10**-0.5), atol=1e-12)
