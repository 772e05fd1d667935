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
# # 1. Forward oversmoothing (Theorem 1)
#
# A vanilla GNN computes X⁽ᵏ⁺¹⁾ = ρ(P X⁽ᵏ⁾ W⁽ᵏ⁾). Under ass:P (P symmetric,
# P**1** = **1**, every other eigenvalue |μᵢ| ≤ λ < 1) and ass:sigma
# (ρ elementwise and 1-Lipschitz), the pairwise differences of the node features
#
# ℰ(X) = ‖(I − (1/n) **1** **1**ᵀ) X‖<sub>F</sub> / √n,<br>
# ℰ(X)² = (1/(2n²)) Σ<sub>i,j</sub> ‖Xᵢ − Xⱼ‖²,
#
# shrink by at least λ sₖ at each layer (sₖ = ‖W⁽ᵏ⁾‖₂). If the weights
# satisfy s ≤ λ⁻ᵅ with 0 ≤ α < 1, the rate is
# λ⁽¹⁻ᵅ⁾ᵏ. This chapter states the theorem as the package registers it,
# shows its derivation and its machine-checked proof, measures it on random networks, and
# plots one network against its bound.

# %%
import matplotlib.pyplot as plt
import numpy as np

import backsmooth
import backsmooth.numeric as bn
import backsmooth.symbolic as bs
from backsmooth.display import plot_check, show_check, show_derivation, show_proof, show_statement

# %% [markdown]
# ## Statement
# The provenance tag says where the statement comes from: `[paper]` (seen in a verified
# source), `[reconstruction]` (our precise or corrected version) or `[extension]`.

# %%
show_statement("theorem1")

# %% [markdown]
# ## Derivation
# `backsmooth.symbolic.derive` performs the derivation with sympy now (nothing is stored):
# each step is an identity whose difference simplifies to zero, an inequality whose sign
# sympy's assumption system decides after a re-parametrisation of the hypotheses, or, where
# sympy cannot decide, an exact check on rational instances (labelled as such).

# %%
show_derivation("theorem1")

# %% [markdown]
# The derivation rests on two tools. **Lemma 1**: ℰ(X)² = ‖X‖<sub>F</sub>²/n −
# ‖x̄‖², the identity behind the pairwise form of ℰ. **Lemma 2**: under
# (A1) P contracts the complement of the constants by λ, a weight matrix by its
# spectral norm, and a 1-Lipschitz activation not at all.

# %%
show_statement("lemma1")
show_derivation("lemma1")
show_statement("lemma2")
show_derivation("lemma2")

# %% [markdown]
# ## Proof
# `backsmooth.proofs` chains the steps from the hypotheses to the statement; the chain is
# checked (every step uses only hypotheses, earlier steps or proved claims) and each step
# carries a machine check whose evidence is named for what it establishes: `all_sizes_identity`
# and `rule` are proof; `fixed_size_identity` (one stated size) and `instances` are not. A
# proof is as strong as its weakest step, including the claims it cites.

# %%
show_proof("theorem1")

# %% [markdown]
# ## Numeric check
# `backsmooth.check` samples random instances (graph families, sizes, depths, widths,
# activations, weight scales) and compares every measured ℰ(X⁽ᵏ⁾) with the bound
# lambdified from the symbolic statement. Small settings here; the report runs more.
# Instances whose hypotheses fail (e.g. a bipartite graph, λ = 1) are reported
# apart: a bound that fails outside its hypotheses is not a violation.

# %%
check = backsmooth.check("theorem1", trials=20, seed=0)
show_check(check)
print("rate:", check.summary["rate"])

# %%
ax = plot_check(check, "uniform")
ax.set(xlabel=r"bound $(\lambda s)^k\mathcal{E}(X^{(0)})$",
       ylabel=r"measured $\mathcal{E}(X^{(k)})$", title="Theorem 1 on random instances")
plt.show()

# %% [markdown]
# ## A measured network against the bound
# One tanh GNN of depth L = 30 on the lazy random walk
# P = I − (D − A)/(dₘₐₓ + 1) of an Erdős–Rényi graph, with weights of spectral norm
# exactly s = λ⁻ᵅ, α = 1/2: the bound predicts the rate
# λ<sup>k/2</sup>. The bound is evaluated by the function that sympy lambdifies from the
# registered statement (`bound_function`), never re-typed.

# %%
graph = bn.erdos_renyi(60, 0.15, seed=1)
P = bn.propagation_matrix(graph.adjacency, "lazy")
lam = bn.contraction_factor(P)
alpha, depth = 0.5, 30
s = lam ** (-alpha)
rng = np.random.default_rng(0)
X0 = rng.standard_normal((60, 8))
weights = bn.initial_weights([8] * (depth + 1) + [1], "spectral", scale=s, seed=1)
forward = bn.forward(P, X0, weights, "tanh")
E = bn.layer_norms(forward.X)
k = np.arange(depth + 1)
uniform = bs.bound_function("theorem1", "uniform")(lam=lam, s=s, k=k, E_X0=E[0])
alpha_form = bs.bound_function("theorem1", "alpha")(lam=lam, alpha=alpha, k=k, E_X0=E[0])
print(f"lambda = {lam:.4f}, s = lambda^(-1/2) = {s:.4f}, lambda*s = {lam * s:.4f}")
print(f"violations of the bound: {int(np.sum(E > uniform * (1 + 1e-12)))} of {depth + 1} layers")
print(f"measured/bound ratio: max {np.max(E / uniform):.3f}, at the last layer {E[-1] / uniform[-1]:.3g}")

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.semilogy(k, E, "o-", ms=3, label=r"measured $\mathcal{E}(X^{(k)})$")
ax.semilogy(k, uniform, "--", label=r"bound $(\lambda s)^k\,\mathcal{E}(X^{(0)})$")
ax.semilogy(k, alpha_form, ":", label=r"$\lambda^{(1-\alpha)k}\,\mathcal{E}(X^{(0)})$, $\alpha = 1/2$")
ax.set_xlabel("layer k")
ax.set_ylabel("pairwise differences")
ax.set_title("Theorem 1: forward oversmoothing")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
