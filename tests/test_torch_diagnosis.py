"""backsmooth.torch.diagnose: certificate, verdict rules, files."""

import csv
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="backsmooth[torch] is optional")
pytest.importorskip("torch_geometric", reason="backsmooth[torch] is optional")

from _torch_layers import DenseLayer  # noqa: E402
from backsmooth import numeric as bn  # noqa: E402
from backsmooth.torch import Monitor, diagnose  # noqa: E402
from backsmooth.torch.diagnosis import _verdict  # noqa: E402


def _vanilla_run(steps=4, depth=6, seed=0, scale=1.0):
    s = bn.contextual_sbm(80, avg_degree=8, graph_signal=2, num_features=4, seed=seed)
    P = bn.propagation_matrix(s, kind="lazy")
    W = bn.initial_weights([4] + [6] * depth + [2], "orthogonal", scale=scale, seed=seed)
    layers = torch.nn.ModuleList(DenseLayer(torch.tensor(P.toarray()), w) for w in W)
    mon = Monitor(layers, layers=[str(k) for k in range(depth + 1)], propagation=P)
    x, y = torch.tensor(s.features), torch.tensor(s.labels)
    opt = torch.optim.SGD(layers.parameters(), lr=0.1)
    for _ in range(steps):
        opt.zero_grad()
        h = x
        for k, layer in enumerate(layers):
            h = layer(h)
            h = torch.tanh(h) if k < depth else h
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        mon.step(loss)
        opt.step()
    return mon, s


class TestCertificate:
    def test_theorem3_holds_on_a_vanilla_model_with_lazy_P(self):
        mon, s = _vanilla_run()
        d = mon.diagnose(activation="tanh")
        c = d.certificate
        assert c["applicable"], c["reasons"]
        assert c["holds"]
        assert np.all(c["measured_max"] <= c["delta_max"])
        assert d.graph["satisfies_ass_P_plus"] and d.reference == "the constant vector"

    def test_relu_and_missing_activation_are_refused_with_reasons(self):
        mon, _ = _vanilla_run(steps=1)
        assert "activation unknown" in " ".join(mon.diagnose().certificate["reasons"])
        assert "(A2a)-(A2b)" in " ".join(mon.diagnose(activation="relu").certificate["reasons"])

    def test_pyg_gcn_normalisation_is_refused(self):
        from torch_geometric.nn import GCNConv

        s = bn.contextual_sbm(60, avg_degree=6, graph_signal=1.5, num_features=3, seed=0)
        A = s.adjacency.tocoo()
        ei = torch.tensor(np.vstack([A.row, A.col]))
        conv = torch.nn.ModuleList([GCNConv(3, 2, bias=False)])
        mon = Monitor(conv)
        conv[0](torch.tensor(s.features, dtype=torch.float32), ei).sum().backward()
        mon.step()
        c = mon.diagnose(activation="tanh").certificate
        assert not c["applicable"] and "ass:P+" in c["reasons"][0]

    def test_the_comparison_fails_when_a_gradient_exceeds_delta(self):
        mon, _ = _vanilla_run(steps=2)
        d = mon.diagnose(activation="tanh")
        row = mon._rows[-1]
        row["gradient_norms"] = row["gradient_norms"].copy()
        row["gradient_norms"][0] = 10 * d.certificate["delta"][-1, 0]
        assert not mon.diagnose(activation="tanh").certificate["holds"]


class TestVerdict:
    @staticmethod
    def _h(loss):
        return {"loss": np.asarray(loss, float)}

    def test_present(self):
        verdict, reasons = _verdict(self._h([0.7, 0.693, 0.693]), 1e-6, 2, 0.6931, 1e-3, 0.9, True)
        assert verdict == "present"

    def test_absent_when_loss_falls_below_best_constant(self):
        assert _verdict(self._h([0.7, 0.3]), 1e-6, None, 0.6931, 1e-3, 0.9, True)[0] == "absent"

    def test_absent_when_backward_signals_reach_the_input(self):
        assert _verdict(self._h([0.7, 0.693]), 0.5, 1, 0.6931, 1e-3, 0.9, True)[0] == "absent"

    def test_absent_without_a_graph(self):
        assert _verdict(self._h([0.7, 0.693]), 1e-6, 1, 0.6931, 1e-3, 0.9, False)[0] == "absent"

    def test_undecided_between_thresholds(self):
        assert _verdict(self._h([0.7, 0.693]), 1e-2, 1, 0.6931, 1e-3, 0.9, True)[0] == "undecided"

    def test_undecided_while_loss_still_decreases_without_L_const(self):
        assert _verdict(self._h([0.9, 0.8, 0.7, 0.6]), 1e-6, None, None, 1e-3, 0.9, True)[0] == "undecided"


def test_no_recorded_step_is_an_error():
    with pytest.raises(ValueError, match="recorded no step"):
        diagnose(Monitor(torch.nn.Linear(2, 2)))


def test_files_json_csv_plots(tmp_path):
    mon, _ = _vanilla_run(steps=3)
    d = mon.diagnose(activation="tanh", best_constant_loss=np.log(2))
    paths = d.save(tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["verdict"] == d.verdict and len(data["history"]["loss"]) == 3
    rows = list(csv.reader(paths["csv"].open()))
    assert len(rows) == 1 + 3 and rows[0][:3] == ["step", "loss", "mean_output_error"]
    assert float(rows[1][1]) == d.history["loss"][0]
    assert paths["figure1"].stat().st_size > 0 and paths["figure2"].stat().st_size > 0
    assert "backward oversmoothing:" in str(d)
