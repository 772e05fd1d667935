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
# # 5. The figures (quick mode)
#
# The paper has two figures, both on node classification with a Contextual Stochastic Block
# Model (CSBM, Deshpande et al. 2018):
#
# * **Figure 1**: the gradient norm of every layer versus the epochs for a deep GNN and a deep
#   MLP (L = 40), and the loss of shallow (L = 5) and deep GNNs and MLPs;
# * **Figure 2**: the pairwise differences ℰ of the forward signals X⁽ᵏ⁾ and of
#   the backward signals B⁽ᵏ⁾ versus the layer k, at initialisation.
#
# The paper's experiment settings are unknown: `backsmooth.figures` uses *our* calibrated
# settings (they are printed below and stored with the data), so these are the paper's
# figures reproduced under our settings, not the paper's own runs. Quick mode (n = 500,
# 200 epochs) shows the same picture as the default in a few seconds. A third figure, the
# *mechanism* (ours, `[extension]`), follows the mean output error and the two parts of the
# middle layer's gradient during training.
#
# Every file is written to a fresh temporary folder (printed below), never next to the
# notebook: change `out` to keep them.

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Image, display

import backsmooth.figures as bf

settings = bf.default_settings(quick=True)
out = Path(tempfile.mkdtemp(prefix="backsmooth-figures-"))
cache = out / "runs"
print("output folder:", out)
for key, value in settings.to_dict().items():
    print(f"{key:>24}: {value}")

# %% [markdown]
# ## Figure 2: forward and backward oversmoothing at initialisation
# The forward differences decay from the input (Theorem 1 `[paper]`); the backward ones decay
# from the output and are smallest in the middle layers (Theorem 2 `[reconstruction]`). The MLP
# barely smooths.

# %%
fig2 = bf.figure2_data(settings, seeds=(0,))
print(fig2["provenance"])
for model in ("gnn", "mlp"):
    e = fig2[model][0]
    print(f"{model}: lambda s = {e['lambda_s']:.3f}, fitted forward rate {e['forward_rate_fitted']:.3f}, "
          f"fitted backward rate (output half) {e['backward_rate_fitted_output_half']:.3f}, "
          f"smallest E(B^(k)) at k = {e['backward_argmin_k']}")
paths = bf.plot_figure2(fig2, out)
display(Image(filename=str(paths["png"])))

# %% [markdown]
# ## Figure 1: training deep and shallow GNNs and MLPs
# The deep GNN's gradients all collapse together with the mean output error and its loss
# stays at log 2 (the best constant predictor); the deep MLP and the shallow GNN train.

# %%
fig1 = bf.figure1_data(settings, seeds=(0,), cache_dir=cache)
print(fig1["provenance"])
for name, runs in fig1["runs"].items():
    run = runs[0]
    print(f"{name:>6}: final loss {run['loss'][-1]:.4f}, "
          f"final max_k ||grad_k|| {np.max(run['gradient_norms'][-1]):.1e}")
print(f"log 2 = {np.log(2):.4f}")
paths = bf.plot_figure1(fig1, out)
display(Image(filename=str(paths["png"])))

# %% [markdown]
# ## The mechanism `[extension]`
# Lemma 3 `[reconstruction]` splits every gradient into a mean part n ‖x̄⁽ᵏ⁾‖ ‖b̄⁽ᵏ⁾‖ and a
# fluctuation part bounded by λ n ℰ(X⁽ᵏ⁾) ℰ(B⁽ᵏ⁾). In the deep
# GNN the mean output error ‖b̄⁽ᴸ⁾‖ collapses once the output layer is trained, and
# with it the middle layer's gradient; in the MLP it does not.

# %%
mech = bf.mechanism_data(settings, seeds=(0,), cache_dir=cache)
print(mech["provenance"], "- middle layer k =", mech["middle_layer"])
paths = bf.plot_mechanism(mech, out)
display(Image(filename=str(paths["png"])))

# %% [markdown]
# ## The data behind the figures
# Each figure is saved as PNG and PDF with its data (JSON, and one CSV per panel); the loss
# curves below are re-plotted from the returned data.

# %%
print(sorted(p.name for p in out.iterdir() if p.is_file()))
fig, ax = plt.subplots(figsize=(6, 3.5))
for name, runs in fig1["runs"].items():
    ax.semilogy(runs[0]["loss"], label=name)
ax.axhline(np.log(2), color="grey", ls=":", label=r"$\log 2$")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
