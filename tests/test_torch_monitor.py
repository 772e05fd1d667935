"""backsmooth.torch.Monitor records what backsmooth's numeric core computes (float64, 1e-10).

The oracle is independent code: :func:`backsmooth.numeric.gradients` runs its own forward and
backward passes in numpy on the same weights, data and graph.  Both are exact in float64, so
the per-layer quantities agree to round-off (~1e-15 relative); 1e-10 leaves room for the
different summation orders of the two (depths stay moderate so no E(.) is cancellation-bound).
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="backsmooth[torch] is optional")
pyg = pytest.importorskip("torch_geometric", reason="backsmooth[torch] is optional")

import scipy.sparse as sp  # noqa: E402
from torch_geometric.nn import GCNConv, SAGEConv  # noqa: E402

from _torch_layers import DenseLayer  # noqa: E402
from backsmooth import numeric as bn  # noqa: E402
from backsmooth.torch import Monitor, find_layers, gcn_propagation  # noqa: E402

RTOL = 1e-10


def _close(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    assert np.all(np.abs(a - b) <= RTOL * np.maximum(np.abs(b), 1e-300)), (a, b)


class Vanilla(torch.nn.Module):
    def __init__(self, P, weights):
        super().__init__()
        self.layers = torch.nn.ModuleList(DenseLayer(P, W) for W in weights)

    def forward(self, x):
        for k, layer in enumerate(self.layers):
            x = layer(x)
            if k < len(self.layers) - 1:
                x = torch.tanh(x)
        return x


class PygGCN(torch.nn.Module):
    def __init__(self, widths, bias=False):
        super().__init__()
        self.convs = torch.nn.ModuleList(GCNConv(a, b, bias=bias) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x, edge_index):
        for k, conv in enumerate(self.convs):
            x = conv(x, edge_index)
            if k < len(self.convs) - 1:
                x = torch.tanh(x)
        return x


def _csbm(seed, n=60):
    s = bn.contextual_sbm(n, avg_degree=6, graph_signal=1.5, num_features=5, seed=seed)
    A = s.adjacency.tocoo()
    ei = torch.tensor(np.vstack([A.row, A.col]), dtype=torch.int64)
    return s, ei


def _core(P, X, W, y, reference, mask=None):
    g = bn.gradients(P, X, W, activation="tanh", loss="cross_entropy", targets=y, mask=mask)
    return {
        "loss": g.loss,
        "forward_energy": bn.layer_norms([g.forward.X[k] for k in range(len(W))], reference),
        "backward_energy": bn.layer_norms(g.B, reference),
        "gradient_norms": bn.frobenius_norms(g.weight_gradients),
        "mean_output_error": np.linalg.norm(g.B[-1].mean(axis=0)),
        "backward_mean_norm": np.array([np.linalg.norm(B.mean(axis=0)) for B in g.B]),
        "spectral_norms": np.array([np.linalg.norm(w, 2) for w in W]),
        "output_error_row_norm": bn.max_row_norm(g.B[-1]),
    }


def _check(hist, core, row=0):
    for key, value in core.items():
        got = hist[key][row]
        _close(got, value)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", ["lazy", "gcn"])
def test_vanilla_layers_equal_numeric_core(seed, kind):
    s, _ = _csbm(seed)
    P = bn.propagation_matrix(s, kind=kind)
    depth = 4
    W = bn.initial_weights([5] + [8] * depth + [2], "orthogonal", seed=seed)
    model = Vanilla(torch.tensor(P.toarray()), W)
    mon = Monitor(model, layers=[f"layers.{k}" for k in range(depth + 1)], propagation=P)
    reference = None if kind == "lazy" else np.sqrt(np.asarray(s.adjacency.sum(axis=1)).ravel() + 1)
    if kind == "lazy":
        assert mon.reference is None
    else:  # the monitor's own eigenvector, up to scale, is D~^(1/2) 1
        u = mon.reference / np.linalg.norm(mon.reference)
        assert np.linalg.norm(u - reference / np.linalg.norm(reference)) < 1e-8
        reference = mon.reference
    X, y = s.features, s.labels
    out = model(torch.tensor(X))
    loss = torch.nn.functional.cross_entropy(out, torch.tensor(y))
    loss.backward()
    mon.step(loss)
    _check(mon.history(), _core(P, X, W, y, reference))


@pytest.mark.parametrize("seed", range(3))
def test_pyg_gcnconv_equals_numeric_core_with_its_own_normalisation(seed):
    s, ei = _csbm(seed)
    widths = [5, 8, 8, 8, 2]
    torch.manual_seed(seed)
    model = PygGCN(widths).double()
    mon = Monitor(model)                            # finds the GCNConv layers and the graph
    X, y = s.features, s.labels
    mask = np.zeros(s.n, dtype=bool)
    mask[::2] = True
    for step in range(3):                           # a few Adam steps: later rows too
        model.zero_grad()
        out = model(torch.tensor(X), ei)
        loss = torch.nn.functional.cross_entropy(out[torch.tensor(mask)], torch.tensor(y[mask]))
        loss.backward()
        W = [c.lin.weight.detach().numpy().T.copy() for c in model.convs]
        mon.step(loss)
        # backsmooth's own GCN normalisation (numeric core), not PyG's, is the oracle's P
        P = bn.propagation_matrix(s, kind="gcn")
        assert abs(mon.propagation - P).max() <= 1e-15
        reference = np.sqrt(np.asarray(s.adjacency.sum(axis=1)).ravel() + 1)
        _check(mon.history(), _core(P, X, W, y, reference, mask), row=step)
        with torch.no_grad():
            for c in model.convs:
                c.lin.weight -= 0.5 * c.lin.weight.grad
    assert mon.history()["steps"].tolist() == [0, 1, 2]


def test_mlp_of_linear_layers_uses_constants():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(5, 8, bias=False), torch.nn.Tanh(),
                              torch.nn.Linear(8, 2, bias=False)).double()
    mon = Monitor(net)
    s, _ = _csbm(0)
    out = net(torch.tensor(s.features))
    loss = torch.nn.functional.cross_entropy(out, torch.tensor(s.labels))
    loss.backward()
    mon.step(loss)
    W = [net[0].weight.detach().numpy().T, net[2].weight.detach().numpy().T]
    _check(mon.history(), _core(None, s.features, W, s.labels, None))


def test_gcn_propagation_is_pyg_matrix_and_numeric_gcn():
    s, ei = _csbm(1)
    P, u = gcn_propagation(ei, s.n)
    assert abs(P - bn.propagation_matrix(s, kind="gcn")).max() <= 1e-15
    # the PyG layer itself applies P: GCNConv with identity weight and no bias gives P X
    conv = GCNConv(5, 5, bias=False).double()
    with torch.no_grad():
        conv.lin.weight.copy_(torch.eye(5))
    X = s.features
    _close(conv(torch.tensor(X), ei).detach().numpy(), P @ X)
    _close(P @ u, u)


def test_weighted_edges_and_existing_self_loops_follow_pyg():
    ei = torch.tensor([[0, 1, 1, 2, 1], [1, 0, 2, 1, 1]])
    w = torch.tensor([2.0, 2.0, 0.5, 0.5, 3.0], dtype=torch.float64)
    P, u = gcn_propagation(ei, 3, w)
    conv = GCNConv(3, 3, bias=False).double()
    with torch.no_grad():
        conv.lin.weight.copy_(torch.eye(3))
    X = np.arange(9.0).reshape(3, 3) ** 1.5
    _close(conv(torch.tensor(X), ei, w).detach().numpy(), P @ X)
    _close(P @ u, u)


class TestBadModels:
    def test_not_a_module(self):
        with pytest.raises(TypeError, match="torch.nn.Module"):
            Monitor(lambda x: x)

    def test_no_layers(self):
        with pytest.raises(ValueError, match="no layers to monitor"):
            Monitor(torch.nn.Tanh())

    def test_unknown_layer_name(self):
        with pytest.raises(ValueError, match="no submodule 'nope'"):
            Monitor(torch.nn.Sequential(torch.nn.Linear(2, 2)), layers=["nope"])

    def test_message_passing_it_cannot_rebuild(self):
        model = torch.nn.ModuleList([SAGEConv(3, 3), SAGEConv(3, 2)])
        with pytest.raises(ValueError, match="cannot rebuild the propagation matrix of SAGEConv"):
            Monitor(model)

    def test_linear_stack_with_graph_but_no_rule(self):
        with pytest.raises(ValueError, match="say how it propagates"):
            Monitor(torch.nn.Linear(2, 2), edge_index=torch.tensor([[0, 1], [1, 0]]))

    def test_mini_batch_rows_do_not_match_graph(self):
        s, ei = _csbm(0)
        model = PygGCN([5, 4, 2]).double()
        mon = Monitor(model, edge_index=ei, num_nodes=s.n)
        with pytest.raises(ValueError, match="rows but the graph has"):
            model(torch.randn(s.n + 3, 5, dtype=torch.float64), ei)

    def test_step_before_backward(self):
        s, ei = _csbm(0)
        model = PygGCN([5, 4, 2]).double()
        mon = Monitor(model)
        model(torch.tensor(s.features), ei)
        with pytest.raises(ValueError, match="no gradient reached layers"):
            mon.step()

    def test_step_without_forward(self):
        mon = Monitor(torch.nn.Linear(2, 2))
        with pytest.raises(ValueError, match="no forward pass was recorded"):
            mon.step()


def test_off_and_removed_monitor_record_nothing_and_change_nothing():
    s, ei = _csbm(0)
    torch.manual_seed(0)
    model = PygGCN([5, 4, 2]).double()
    x = torch.tensor(s.features)
    ref = model(x, ei).detach().clone()
    mon = Monitor(model, every=2)
    for _ in range(4):
        model.zero_grad()
        out = model(x, ei)
        out.sum().backward()
        mon.step(out.sum())
    assert mon.history()["steps"].tolist() == [0, 2]
    mon.enabled = False
    model(x, ei).sum().backward()
    mon.step()
    mon.remove()
    assert torch.equal(model(x, ei), ref)
    assert len(mon.history()["steps"]) == 2


def test_subpackage_does_not_shadow_torch():
    import backsmooth.torch as bt
    import backsmooth.torch.monitor as m

    assert m.torch is torch and bt._torch is torch
    assert torch.__name__ == "torch" and hasattr(torch, "autograd")


def test_find_layers_skips_the_linear_inside_gcnconv():
    model = PygGCN([3, 4, 2])
    assert [name for name, _ in find_layers(model)] == ["convs.0", "convs.1"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_tiny_signals_keep_their_digits(dtype):
    from backsmooth.torch.monitor import _scaled_norm

    tiny = 1e-30 if dtype == torch.float32 else 1e-170   # squares underflow
    S = torch.tensor([[3.0, 0.0], [0.0, 4.0]], dtype=dtype) * tiny
    assert abs(float(_scaled_norm(S)) / (5 * tiny) - 1) < 10 * torch.finfo(dtype).eps
    big = torch.tensor([[3.0, 4.0]], dtype=dtype) * (1e30 if dtype == torch.float32 else 1e300)
    assert abs(float(_scaled_norm(big)) / float(5 * big[0, 0] / 3) - 1) < 10 * torch.finfo(dtype).eps
