# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. Diagnose your own PyTorch Geometric model
#
# Your 40-layer GCN does not train. Is it backward oversmoothing? `backsmooth.torch` attaches
# to an existing `torch.nn.Module`, finds its PyG `MessagePassing` layers (or `Linear` stacks,
# or the layers you name), rebuilds the propagation matrix the layers actually use (PyG's
# `gcn_norm` with self-loops) and records, at every step and for every layer k,
# ℰ(X⁽ᵏ⁾) of the layer's input, ℰ(B⁽ᵏ⁾) of
# B⁽ᵏ⁾ = ∂Loss/∂H⁽ᵏ⁾ (the gradient with respect to the layer's
# output, i.e. the pre-activation, since the activation is applied outside `GCNConv`), the
# gradient norm of each layer's parameters and the mean output error.
#
# The measure uses the invariant vector of P: PyG's GCN normalisation
# D̃<sup>−1/2</sup>(A + I)D̃<sup>−1/2</sup> is not stochastic, its oversmoothed limit is
# span(D̃<sup>1/2</sup>**1**), so ℰ measures the distance to that line.
#
# Needs the optional extra: `pip install "backsmooth[torch]"`. Runs on CPU.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch_geometric.nn import GCNConv

import backsmooth.numeric as bn
from backsmooth.display import show_statement
from backsmooth.torch import Monitor
from backsmooth.torch.plots import plot_gradients, plot_profiles

torch.set_num_threads(1)

# %% [markdown]
# Which of the paper's claims the diagnosis draws on, with their provenance from the registry
# (`[paper]`, `[reconstruction]`, `[extension]`; reading a user's model is itself an extension):

# %%
for name in ("theorem1", "corollary1", "theorem3"):
    show_statement(name)

# %% [markdown]
# ## The data: a contextual SBM, and the model: a plain 40-layer PyG GCN

# %%
sample = bn.contextual_sbm(200, avg_degree=10, graph_signal=2.0, feature_signal=1.0,
                           num_features=16, seed=0)
A = sample.adjacency.tocoo()
edge_index = torch.tensor(np.vstack([A.row, A.col]), dtype=torch.int64)
x = torch.tensor(sample.features, dtype=torch.float32)
y = torch.tensor(sample.labels)
L_const = bn.loss_function("cross_entropy").best_constant_loss(sample.labels)
print(f"n = {sample.n} nodes, best-constant loss L_const = log 2 = {L_const:.4f}")


class DeepGCN(torch.nn.Module):
    """A textbook PyG GCN: x <- tanh(GCNConv(x)); optionally with residual connections."""

    def __init__(self, depth=40, width=16, residual=False):
        super().__init__()
        self.inp = GCNConv(16, width)
        self.convs = torch.nn.ModuleList(GCNConv(width, width) for _ in range(depth - 1))
        self.out = GCNConv(width, 2)
        self.residual = residual

    def forward(self, x, edge_index):
        x = torch.tanh(self.inp(x, edge_index))
        for conv in self.convs:
            h = torch.tanh(conv(x, edge_index))
            x = x + h if self.residual else h      # the remedy: x^(k+1) = x^(k) + tanh(P x^(k) W^(k))
        return self.out(x, edge_index)


# %% [markdown]
# ## Training with the monitor: the five added lines are marked `# <-`

# %%
def train(model, epochs=100, lr=5e-3):
    monitor = Monitor(model, edge_index=edge_index, num_nodes=sample.n)        # <- 1
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x, edge_index), y)
        loss.backward()
        monitor.step(loss)                                                      # <- 2
        optimizer.step()
    return monitor.diagnose(best_constant_loss=L_const, activation="tanh")     # <- 3


torch.manual_seed(0)
plain = train(DeepGCN(residual=False))
print(plain)

# %% [markdown]
# The loss never leaves the best-constant loss. The monitor says why: the backward signal that
# reaches the first layers is smoothed away (its ℰ is a tiny fraction of the output's),
# so the early layers receive only gradients along the oversmoothed direction, while the
# forward signal is oversmoothed too and the output layer can only fit the constant. The Theorem
# 3 certificate is *not evaluated* here, and the diagnosis says why: PyG's normalisation is
# not stochastic and the layers carry biases, so the theorem's hypotheses do not hold; the
# measured rates are what remain.

# %%
fig = plot_gradients(plain)
fig.suptitle("Plain 40-layer GCN (Figure 1 style)")
plt.show()
fig = plot_profiles(plain)
fig.suptitle("Plain 40-layer GCN (Figure 2 style)")
plt.show()

# %% [markdown]
# ## The same model with a remedy: residual connections

# %%
torch.manual_seed(0)
residual = train(DeepGCN(residual=True))
print(residual)

# %%
fig = plot_gradients(residual)
fig.suptitle("Residual 40-layer GCN (Figure 1 style)")
plt.show()
fig = plot_profiles(residual)
fig.suptitle("Residual 40-layer GCN (Figure 2 style)")
plt.show()

# %% [markdown]
# ## Files other tools read

# %%
import tempfile, pathlib

out = pathlib.Path(tempfile.mkdtemp())
paths = plain.save(out / "plain")
print({k: p.name for k, p in paths.items()})
print(f"plain: {plain.verdict}; residual: {residual.verdict}")
assert plain.verdict == "present" and residual.verdict == "absent"
