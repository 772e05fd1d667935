"""Tests of backsmooth.numeric.assumptions: the report of ass:P / ass:P+ and require_ass_P."""

import dataclasses
import json

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric.assumptions import AssumptionReport, assumption_report, require_ass_P
from backsmooth.numeric.propagation import propagation_matrix


def _cycle(n):
    return nx.to_scipy_sparse_array(nx.cycle_graph(n), format="csr")


class TestAssumptionReport:
    def test_even_cycle_user_walk_is_bipartite_with_lambda_one(self):
        r = assumption_report(_cycle(8) / 2)
        assert r.symmetric and r.row_stochastic and r.column_stochastic and r.nonnegative
        assert r.connected and r.bipartite and not r.self_loops and not r.positive_diagonal
        assert r.lambda_ == 1.0 and r.top_eigenvalue == 1.0
        assert not r.satisfies_ass_P and not r.satisfies_ass_P_plus
        assert any("bipartite with zero diagonal" in w and "-1" in w for w in r.warnings)

    @pytest.mark.parametrize("kind", ["metropolis", "lazy"])
    def test_even_cycle_with_self_weight_satisfies_ass_P_plus(self, kind):
        r = assumption_report(propagation_matrix(_cycle(8), kind))
        lam = max(abs(1 / 3 + 2 / 3 * np.cos(2 * np.pi * j / 8)) for j in range(1, 8))
        assert r.lambda_ == pytest.approx(lam, abs=1e-12)
        assert r.satisfies_ass_P and r.satisfies_ass_P_plus and r.positive_diagonal
        assert not r.bipartite and r.warnings == ()

    def test_two_components_are_vacuous(self):
        A = nx.to_scipy_sparse_array(nx.disjoint_union(nx.cycle_graph(5), nx.path_graph(3)))
        r = assumption_report(propagation_matrix(A, "lazy"))
        assert not r.connected and r.num_components == 2 and r.lambda_ == 1.0
        assert not r.satisfies_ass_P
        assert any("disconnected (2 components): lambda = 1, every bound" in w
                   for w in r.warnings)

    def test_gcn_is_symmetric_but_not_stochastic(self):
        r = assumption_report(propagation_matrix(nx.star_graph(4), "gcn"))
        assert r.symmetric and not r.row_stochastic and r.nonnegative
        assert r.top_eigenvalue == pytest.approx(1, abs=1e-12) and r.lambda_ < 1
        assert not r.satisfies_ass_P
        assert any("D~^1/2 1" in w and "generalised measure" in w for w in r.warnings)

    def test_random_walk_is_row_but_not_column_stochastic(self):
        r = assumption_report(propagation_matrix(nx.star_graph(4), "random_walk"))
        assert r.row_stochastic and not r.column_stochastic and not r.symmetric
        assert not r.satisfies_ass_P
        assert any(w.startswith("not symmetric") for w in r.warnings)

    def test_negative_entries_break_only_ass_P_plus(self):
        # P = I - t L on the path P_3 (L eigenvalues 0, 1, 3): for t = 0.6 the eigenvalues
        # are 1, 0.4, -0.8, so ass:P holds (lambda = 0.8) but P_{11} = 1 - 1.2 < 0.
        L = nx.laplacian_matrix(nx.path_graph(3)).toarray().astype(float)
        r = assumption_report(np.eye(3) - 0.6 * L)
        assert r.lambda_ == pytest.approx(0.8, abs=1e-12)
        assert r.satisfies_ass_P and not r.nonnegative and not r.satisfies_ass_P_plus
        assert any("negative entries" in w for w in r.warnings)

    def test_tolerance_accepts_round_off_and_rejects_real_violations(self):
        P = propagation_matrix(nx.petersen_graph(), "lazy").toarray()
        r = assumption_report(P + 1e-15 * np.eye(10))
        assert r.tolerance == pytest.approx(1e-10) and r.row_stochastic
        assert not assumption_report(P + 1e-8 * np.eye(10)).row_stochastic

    def test_dict_is_json_serialisable_and_str_is_an_aligned_table(self):
        r = assumption_report(_cycle(6) / 2)
        data = json.loads(json.dumps(r.to_dict()))
        assert data["lambda"] == 1.0 and data["bipartite"] is True and "lambda_" not in data
        lines = str(r).splitlines()
        table = [line for line in lines if not line.startswith("warning:")]
        value_starts = {len(line) - len(line.split("  ")[-1].lstrip()) for line in table}
        assert len(value_starts) == 1, lines  # every value starts in the same column
        assert lines[-1].startswith("warning: bipartite")

    def test_is_frozen(self):
        r = assumption_report(np.eye(2))
        assert isinstance(r, AssumptionReport)
        with pytest.raises(dataclasses.FrozenInstanceError):
            r.n = 3

    def test_sparse_path_on_a_large_sample(self):
        G = nx.random_regular_graph(6, 2400, seed=1)
        r = assumption_report(propagation_matrix(G, "metropolis"))
        assert r.satisfies_ass_P_plus and 0 < r.lambda_ < 1 and r.n == 2400


class TestRequireAssP:
    def test_returns_csr(self):
        P = require_ass_P(propagation_matrix(nx.cycle_graph(5), "lazy").toarray())
        assert isinstance(P, sp.csr_array)

    def test_non_symmetric(self):
        with pytest.raises(ValueError, match=r"W is not symmetric.*\(W \+ W.T\) / 2"):
            require_ass_P(propagation_matrix(nx.star_graph(3), "random_walk"), name="W")

    def test_not_stochastic(self):
        with pytest.raises(ValueError, match="symmetric but not stochastic.*kind='lazy'"):
            require_ass_P(propagation_matrix(nx.star_graph(3), "gcn"))

    def test_contraction_rejects_disconnected(self):
        P = propagation_matrix(nx.disjoint_union(nx.path_graph(2), nx.path_graph(2)), "lazy")
        require_ass_P(P)
        with pytest.raises(ValueError, match="lambda = 1 >= 1"):
            require_ass_P(P, contraction=True)

    def test_not_square(self):
        with pytest.raises(ValueError, match="square"):
            require_ass_P(np.ones((2, 3)))
