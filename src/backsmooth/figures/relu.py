"""Figure 2 for ReLU [extension]: smoothing profiles at initialisation with the margin bound.

``backsmooth figure 2 --activation relu``.  Same CSBM problem and depth as Figure 2, but ReLU
with He-normal initialisation (``W ~ N(0, 2/d_in)``: a deep ReLU MLP still trains from it;
orthogonal ReLU nets die at initialisation on our settings).  For each seed the exact
forward/backward pass at initialisation gives ``E(X^(k))``, ``E(B^(k))`` and the margins
``min_j |hbar^(k)_j|``; drawn over the measured backward profile are the ``theorem2_relu``
bounds of the symbolic registry: the one-step margin recursion (from the measured
``E(B^(k+1))``) and the unrolled product bound (from ``E(B^(L))``).  The data records how many
layers violate them (0 expected) and the tightest ratio measured / bound.

Examples
--------
>>> from backsmooth.figures.settings import FigureSettings
>>> d = figure2_relu_data(FigureSettings(n=60, avg_degree=8, deep_depth=6), seeds=(0,))
>>> d["gnn"][0]["violations"]
0
"""

from __future__ import annotations

import numpy as np

from .settings import FigureSettings, csbm_problem

__all__ = ["figure2_relu_data", "plot_figure2_relu", "PROVENANCE_RELU"]

PROVENANCE_RELU = "extension (Figure 2 for ReLU, our settings; bound: claim theorem2_relu)"


def _profile(P, lam, X0, weights, loss, targets):
    from ..checks._bounds import bound
    from ..checks._signals import measure
    from ..checks.theorem2 import linearisation
    from backsmooth.numeric.activations import activation
    from backsmooth.numeric.measures import max_row_norm

    meas = measure(P, X0, weights, "relu", loss, targets, lam)
    L = meas.depth
    lin, _ = linearisation(meas, weights, activation("relu"))
    from ..checks.theorem2_relu import column_margin

    margin = np.array([column_margin(h) for h in meas.H[:L]])
    with np.errstate(divide="ignore"):
        kappa = 1.0 / margin
    terms = meas.s[:L] * meas.E_X[:L] * kappa
    sigma = np.array([np.sum(lam ** (np.arange(j, L) - j + 1) * terms[j:]) for j in range(L)])
    vals = {"lam": lam, "s_k": meas.s[:L], "s_k1": meas.s[1:], "E_Bk1": meas.E_B[1:],
            "kappa_k": kappa, "E_Xk": meas.E_X[:L], "E_Hk": meas.E_H[:L],
            "B_row_k1": np.array([max_row_norm(b) for b in meas.B[1:]]),
            "G_max": np.array([np.abs(d["G"]).max() for d in lin]), "S_k": meas.S[:L], "L": L,
            "k": np.arange(L), "E_BL": meas.E_B[-1], "beta": meas.beta, "Sigma_kappa_k": sigma}
    with np.errstate(invalid="ignore", over="ignore"):
        rec = bound("theorem2_relu", "recursion", vals)
        unrolled = bound("theorem2_relu", "unrolled_product", vals)
    EB = meas.E_B[:L]
    ratios = np.concatenate([EB / rec, EB / unrolled])
    finite = np.isfinite(ratios)
    return {"lam": lam, "s": float(meas.s.max()), "E_X": meas.E_X, "E_B": meas.E_B,
            "min_margin": margin, "kappa": kappa, "recursion_bound": rec,
            "unrolled_bound": unrolled,
            "violations": int(np.sum(EB > rec * (1 + 1e-9)) + np.sum(EB > unrolled * (1 + 1e-9))),
            "tightest_ratio": float(ratios[finite].max()) if finite.any() else None}


def figure2_relu_data(settings: FigureSettings, seeds=(0,), *, progress=None) -> dict:
    """ReLU GNN (He-normal) profiles at initialisation with the ``theorem2_relu`` bounds."""
    from backsmooth.numeric.initialisation import initial_weights

    relu = settings.with_(activation="relu", initialisation="he")
    L = relu.deep_depth
    out = {"figure": "2-relu", "provenance": PROVENANCE_RELU, "settings": relu.to_dict(),
           "seeds": list(seeds), "depth": L, "k": np.arange(L + 1), "gnn": []}
    for seed in seeds:
        sample, P, lam = csbm_problem(relu, seed)
        widths = [relu.num_features] + [relu.width] * L + [2]
        W = initial_weights(widths, "he", seed=10_000 + int(seed))
        out["gnn"].append(_profile(P, lam, sample.features, W, relu.loss, sample.labels))
        if progress is not None:
            progress(1)
    out["notes"] = [
        "ReLU has no Lipschitz derivative: Theorem 2 does not apply; theorem2_relu [extension] "
        "replaces c_rho by the margin constant kappa_k = 1/min_j |hbar^(k)_j| of each layer.",
        "Recursion bound: lambda s_(k+1) E(B^(k+1)) + kappa_k lambda s_k s_(k+1) E(X^(k)) "
        "||B^(k+1)||_row from the measured E(B^(k+1)); unrolled: S_k (lambda^(L-k) E(B^(L)) + "
        "beta sum_j lambda^(j-k+1) kappa_j s_j E(X^(j))).",
        "Where the margin min_j |hbar^(k)_j| is small, kappa_k is large and the bound is loose "
        "(right panel).",
    ]
    return out


def plot_figure2_relu(data: dict, out):
    """Three panels: E(X^(k)); E(B^(k)) with the margin bounds; the margins per layer."""
    from .plotting import _geo, _plt, save_figure

    plt = _plt()
    k = np.asarray(data["k"])
    L = data["depth"]
    entries = data["gnn"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
    ex, _, _ = _geo([e["E_X"] for e in entries])
    eb, lo, hi = _geo([e["E_B"] for e in entries])
    rec = np.exp(np.mean(np.log([e["recursion_bound"] for e in entries]), axis=0))
    unr = np.exp(np.mean(np.log([e["unrolled_bound"] for e in entries]), axis=0))
    marg = np.exp(np.mean(np.log([e["min_margin"] for e in entries]), axis=0))
    axes[0].plot(k, ex, "o-", ms=3, color="tab:blue", label="ReLU GNN (He-normal)")
    axes[1].plot(k, eb, "o-", ms=3, color="tab:blue", label="measured E(B^(k))")
    if len(entries) > 1:
        axes[1].fill_between(k, lo, hi, color="tab:blue", alpha=0.2)
    axes[1].plot(k[:L], rec, "k--", label=r"margin recursion: $\lambda s_{k+1}E(B^{(k+1)})+"
                 r"\kappa_k\lambda s_k s_{k+1}E(X^{(k)})\|B^{(k+1)}\|_{row}$")
    axes[1].plot(k[:L], unr, "k:", label=r"margin bound, unrolled ($\kappa_j$ in the sum)")
    axes[2].plot(k[:L], marg, "s-", ms=3, color="tab:green",
                 label=r"margin $\min_j |\bar h^{(k)}_j|$ ($=1/\kappa_k$)")
    tight = max((e["tightest_ratio"] or 0.0) for e in entries)
    viol = sum(e["violations"] for e in entries)
    axes[0].set_title(r"Forward: $E(X^{(k)})$")
    axes[1].set_title(f"Backward: $E(B^{{(k)}})$ ({viol} violations, tightest ratio {tight:.3f})")
    axes[2].set_title("Margin of the mean pre-activation")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel(f"layer k (0 = input, {L} = output)")
        ax.legend(fontsize=7)
    fig.suptitle("Figure 2 for ReLU [extension]: smoothing profiles on CSBM with the margin bound",
                 fontsize=11)
    fig.tight_layout()
    panels = {"forward": (["k", "gnn_E_X"], [k, ex]),
              "backward": (["k", "gnn_E_B", "recursion_bound", "unrolled_bound"],
                           [k, eb, np.append(rec, np.nan), np.append(unr, np.nan)]),
              "margin": (["k", "min_margin"], [k[:L], marg])}
    paths = save_figure(fig, data, out, "figure2_relu", panels)
    plt.close(fig)
    return paths
