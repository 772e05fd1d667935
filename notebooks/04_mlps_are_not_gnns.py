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
# # 4. MLPs are not GNNs (Proposition 2)
#
# Is the "trained output layer ⇒ stationary network" phenomenon of chapter 3 a
# property of deep networks in general? No: an MLP (the same network with P = I) can sit
# at a trained, mean-fitted output layer with the loss of the best constant predictor and an
# *arbitrarily large* gradient, at any depth. With the same weights, a GNN's first-layer
# gradient is damped by λᴸ⁺¹.
#
# The construction (two nodes, X⁽⁰⁾ = I₂, widths 2, one output, Y = (1, −1)ᵀ, MSE;
# matrices are written row by row, rows separated by “;”): W⁽⁰⁾ = [a, 0; a, 0],
# W⁽ᵏ⁾ = diag(aₖ, 1) for 1 ≤ k < L, W⁽ᴸ⁾ = (0, w)ᵀ, and
# Pₚ = [1 − p, p; p, 1 − p] with λ = |1 − 2p|.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import HTML, display

import sympy as sp

import backsmooth
import backsmooth.numeric as bn
import backsmooth.symbolic as bs
from backsmooth.checks.proposition2 import construction
from backsmooth.display import show_check, show_derivation, show_proof, show_statement
from backsmooth.report.html import formula
from backsmooth.symbolic.counterexample import counterexample

# %% [markdown]
# ## Statement

# %%
show_statement("proposition2")

# %% [markdown]
# ## Exact computation
# sympy differentiates the loss of the symbolic forward pass of construction A (tanh,
# L = 2) at exact weights, for the MLP and for the GNN with a symbolic p:

# %%
for model in ("mlp", "gnn"):
    exact = counterexample("A", 2, rho="tanh", P=model)
    grad0_sq = sp.factor(sum(g**2 for g in exact["grads"][0]))
    others = [sp.simplify(sum(g**2 for g in G)) for G in exact["grads"][1:]]
    print(f"{model.upper()}: loss = {exact['loss']}, mean output error = {exact['bbar_L']}, "
          f"||grad_k||^2 for k >= 1: {others}")
    # typeset offline as an SVG picture (the report's renderer), with the plain text beside it
    display(HTML(formula(r"\|\nabla_{W^{(0)}}\mathrm{Loss}\|_F^2 = " + sp.latex(grad0_sq),
                         f"||grad_W(0) Loss||_F^2 = {grad0_sq}")))

# %% [markdown]
# ## Derivation
# The registry's derivation runs these exact computations for both constructions, the
# activations id, tanh and ReLU, MLP and GNN, and depths 1 and 2 (the first steps are shown).

# %%
show_derivation("proposition2", limit=8)

# %% [markdown]
# ## Proof

# %%
show_proof("proposition2")

# %% [markdown]
# ## Numeric check
# Exact rational instances (depth 1 here; the derivation above covers depths 1 and 2),
# random w, p, a, aₖ and depths with the numeric core, and, side by side on CSBM
# data, the same hidden weights in a deep GNN and a deep MLP with only the output layer
# trained.

# %%
check = backsmooth.check("proposition2", trials=10, seed=0, exact_depths=[1])
show_check(check)
print("max deviation from the exact values:", check.summary["max_identity_deviation"])
side = check.summary["side_by_side"]
for key, value in side.items():
    if isinstance(value, dict):
        print(f"{key}:")
        print("    " + ", ".join(f"{k} {v:.3g}" for k, v in value.items() if isinstance(v, float)))

# %% [markdown]
# ## The counter-example, measured
# Construction A with tanh, w = 3, a = 0.7, aₖ = 1.2, p = 0.2 (λ = 0.6), for
# depths L = 1, …, 12: the MLP's first-layer gradient stays at |w|/√2, the GNN's
# shrinks like λᴸ⁺¹; every other gradient is exactly 0 and the loss is 1/2 in both.

# %%
w, a, a_k, p = 3.0, 0.7, 1.2, 0.2
P = np.array([[1 - p, p], [p, 1 - p]])
lam = abs(1 - 2 * p)
X0 = np.eye(2)
Y = np.array([[1.0], [-1.0]])
depths = np.arange(1, 13)
mlp_grad0, gnn_grad0, others = [], [], []
for depth in depths:
    weights = construction("A", depth, w, a=a, a_k=[a_k] * (depth - 1))
    g_mlp = bn.gradients(None, X0, weights, activation="tanh", loss="mse", targets=Y)
    g_gnn = bn.gradients(P, X0, weights, activation="tanh", loss="mse", targets=Y)
    others.append(max(g_mlp.gradient_norms[1:].max(), g_gnn.gradient_norms[1:].max()))
    mlp_grad0.append(g_mlp.gradient_norms[0])
    gnn_grad0.append(g_gnn.gradient_norms[0])
print(f"loss (MLP, GNN) at L = 12: {g_mlp.loss}, {g_gnn.loss}")
print(f"largest gradient of the layers k >= 1 (exactly 0 in theory): {max(others):.1e}")
pred_mlp = bs.bound_function("proposition2", "mlp_A")(w=w) * np.ones(len(depths))
pred_gnn = bs.bound_function("proposition2", "gnn_A")(lam=lam, L=depths, w=w)
print("max relative deviation from Proposition 2:",
      f"MLP {np.max(np.abs(np.array(mlp_grad0) / pred_mlp - 1)):.1e},",
      f"GNN {np.max(np.abs(np.array(gnn_grad0) / pred_gnn - 1)):.1e}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(depths, mlp_grad0, "o", label="MLP, measured")
ax.semilogy(depths, pred_mlp, "-", label=r"$|w|/\sqrt{2}$")
ax.semilogy(depths, gnn_grad0, "s", label="GNN, measured")
ax.semilogy(depths, pred_gnn, "--", label=r"$\lambda^{L+1}|w|/\sqrt{2}$")
ax.set_xlabel("depth L")
ax.set_ylabel(r"$\|\nabla_{W^{(0)}}\mathrm{Loss}\|_F$")
ax.set_title("Proposition 2: trained output layer, first-layer gradient")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
