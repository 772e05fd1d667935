"""Plot the figures' data and save PNG + PDF + the data of every panel (CSV and JSON).

matplotlib is imported lazily inside the functions (never at import time).  Seeds are
aggregated as the geometric mean (log-scale quantities) or mean (loss) with a min-max band.
"""

from __future__ import annotations

import csv
import json
import pathlib

import numpy as np

from .._json import to_jsonable

__all__ = ["plot_figure1", "plot_figure2", "plot_mechanism", "plot_phase", "save_figure", "to_jsonable"]


def _plt():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _interactive():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _interactive() -> bool:
    import sys

    return hasattr(sys, "ps1")




def _write_csv(path, header, columns):
    cols = [np.asarray(c, dtype=float).ravel() for c in columns]
    rows = max(len(c) for c in cols)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        for i in range(rows):
            w.writerow(["" if i >= len(c) or not np.isfinite(c[i]) else repr(float(c[i])) for c in cols])


_PNG_DPI = 130


def _tight_bbox(fig, dpi):
    """The padded tight bounding box (inches) that ``savefig(bbox_inches="tight")`` computes for
    a PNG at ``dpi``, computed once so that the PNG and the PDF do not each lay the figure out
    twice (the PNG is byte-identical; the PDF gets the PNG's box); ``"tight"`` if matplotlib's
    internals differ."""
    try:
        import matplotlib
        from matplotlib import cbook
        from .._mpl_once import agg_canvas_sharing_mathtext

        # an Agg canvas (also the PNG's, next) whose renderers share their mathtext parses
        canvas = agg_canvas_sharing_mathtext(fig)
        with cbook._setattr_cm(fig, dpi=dpi):
            renderer = canvas.get_renderer()
            with renderer._draw_disabled():
                fig.draw(renderer)
            box = fig.get_tightbbox(renderer)
        pad = matplotlib.rcParams["savefig.pad_inches"]
        return box.padded(pad, pad)
    except (AttributeError, TypeError):  # pragma: no cover - another matplotlib
        return "tight"


def save_figure(fig, data: dict, out, name: str, panels: dict) -> dict:
    """Write ``name.png``, ``name.pdf``, ``name.json`` and one ``name_<panel>.csv`` per panel.

    ``panels`` maps a panel name to ``(header, columns)``.  Returns the written paths.
    """
    from .._mpl_once import ticks_once, without_placeholder_engine

    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    # the placeholder engine that fig.tight_layout() leaves made each savefig lay the figure
    # out once more to no effect (a full draw that renders nothing); the same files without
    with ticks_once(fig), without_placeholder_engine(fig):
        bbox = _tight_bbox(fig, _PNG_DPI)  # laid out once for both files
        for ext in ("png", "pdf"):
            p = out / f"{name}.{ext}"
            fig.savefig(p, dpi=_PNG_DPI if ext == "png" else None, bbox_inches=bbox)
            paths[ext] = p
    for panel, (header, columns) in panels.items():
        p = out / f"{name}_{panel}.csv"
        _write_csv(p, header, columns)
        paths[f"csv_{panel}"] = p
    p = out / f"{name}.json"
    p.write_text(json.dumps(to_jsonable(data), indent=1))
    paths["json"] = p
    return paths


def _geo(stack):
    a = np.asarray(stack, dtype=float)
    with np.errstate(divide="ignore"):
        lg = np.log(np.where(a > 0, a, np.nan))
    return np.exp(np.nanmean(lg, axis=0)), np.nanmin(a, axis=0), np.nanmax(a, axis=0)


def _layer_panel(ax, runs, title, cmap, outline_color="black", delta=None):
    G = np.stack([r["gradient_norms"] for r in runs])            # seeds x epochs x (L+1)
    mid, lo, hi = _geo(G)
    L1 = mid.shape[1]
    epochs = np.arange(mid.shape[0])
    colors = cmap(np.linspace(0.05, 0.95, L1))
    for k in range(L1 - 1):
        ax.plot(epochs, mid[:, k], color=colors[k], lw=0.8)
    ax.plot(epochs, mid[:, -1], color=colors[-1], lw=2.2, path_effects=_outline(outline_color),
            label=f"output layer k = {L1 - 1} (outlined)")
    if len(runs) > 1:
        ax.fill_between(epochs, lo[:, -1], hi[:, -1], color=colors[-1], alpha=0.2, label="output layer: seed range")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(r"$\|\partial \mathcal{L}/\partial W^{(k)}\|_F$")
    ax.set_title(title)
    sm = _plt().cm.ScalarMappable(cmap=cmap, norm=_plt().Normalize(0, L1 - 1))
    _plt().colorbar(sm, ax=ax, label="layer k")
    return mid


def _outline(color):
    import matplotlib.patheffects as pe

    return [pe.Stroke(linewidth=4.0, foreground=color), pe.Normal()]


def plot_figure1(data: dict, out):
    """Figure 1: gradient norms per layer (deep GNN, deep MLP) and losses; theory over the GNN panel."""
    plt = _plt()
    L, l = data["depths"]["deep"], data["depths"]["shallow"]
    runs, th = data["runs"], data["theory"]
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    g_mid = _layer_panel(axes[0], runs[f"gnn{L}"], f"Deep GNN (L = {L}): gradient norm per layer", plt.cm.viridis)
    m_mid = _layer_panel(axes[1], runs[f"mlp{L}"], f"Deep MLP (L = {L}): gradient norm per layer", plt.cm.viridis)
    ep0 = th["delta_epochs"][0]
    old_key = "theorem3_delta_max" if "theorem3_delta_max" in th else "delta_max"
    dmax = np.exp(np.mean(np.log(np.stack(th[old_key])), axis=0))
    frac = float(np.mean(th.get("theorem3_delta_informative_fraction", th["delta_informative_fraction"])))
    label = r"Theorem 3 $\delta=\max_k \delta_k$ (a posteriori)"
    label += f"\ninformative at {100 * frac:.0f}% of epochs" + ("" if frac == 1 else "; vacuous elsewhere")
    axes[0].plot(ep0, dmax, "k--", lw=1.6, label=label)
    cert = [c for c in th.get("certificate", []) if c is not None]
    if cert:
        from .certificate import draw_certificate

        cmax = np.exp(np.mean(np.log(np.stack([c["delta_max"] for c in cert])), axis=0))
        fr = np.array([c["within_factor_fraction_after_stationary"] for c in cert], dtype=float)
        within = (f"within {cert[0]['within_factor']:g}x of max gradient at {100 * float(np.nanmean(fr)):.0f}% "
                  "of epochs after stationary" if np.isfinite(fr).any() else "output layer never stationary")
        draw_certificate(axes[0], ep0, cmax, "local certificate $\\max_k \\delta_k$ (extension)\n" + within)
    st = [e for e in th["stationary_epoch"] if e is not None]
    if st:
        axes[0].axvline(np.median(st), color="red", ls=":", lw=1.5,
                        label=f"output layer stationary (grad < {th['stationary_threshold_relative']:g} x initial): epoch {int(np.median(st))}")
    axes[0].legend(fontsize=7, loc="center right")
    axes[1].legend(fontsize=7, loc="lower left")
    ax = axes[2]
    L_const = float(np.mean([r["L_const"] for r in runs[f"gnn{L}"]]))
    styles = {f"gnn{l}": ("tab:blue", "--"), f"gnn{L}": ("tab:blue", "-"),
              f"mlp{l}": ("tab:orange", "--"), f"mlp{L}": ("tab:orange", "-")}
    losses = {}
    for key, (c, ls) in styles.items():
        arr = np.stack([r["loss"] for r in runs[key]])
        mean = arr.mean(axis=0)
        losses[key] = mean
        e = np.arange(mean.size)
        ax.plot(e, mean, color=c, ls=ls, lw=1.6, label=f"{key[:3].upper()} L = {key[3:]}")
        if arr.shape[0] > 1:
            ax.fill_between(e, arr.min(axis=0), arr.max(axis=0), color=c, alpha=0.15)
    ax.axhline(L_const, color="gray", ls=":", label=rf"$L_{{const}}$ = {L_const:.4f} (best constant)")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean cross-entropy)")
    ax.set_title("Training loss: shallow vs deep")
    ax.legend(fontsize=8)
    fig.suptitle("Figure 1 (paper figure, our settings): CSBM node classification, Adam", fontsize=11)
    fig.tight_layout()
    epochs = np.arange(g_mid.shape[0])
    delta_col = np.full(epochs.size, np.nan)
    delta_col[ep0] = dmax
    cert_col = np.full(epochs.size, np.nan)
    if cert:
        cert_col[ep0] = cmax
    panels = {
        "gnn_gradients": (["epoch"] + [f"grad_k{k}" for k in range(L + 1)] + ["local_certificate_max",
                                                                              "theorem3_delta_max"],
                          [epochs] + [g_mid[:, k] for k in range(L + 1)] + [cert_col, delta_col]),
        "mlp_gradients": (["epoch"] + [f"grad_k{k}" for k in range(L + 1)],
                          [epochs] + [m_mid[:, k] for k in range(L + 1)]),
        "loss": (["epoch"] + list(losses) + ["L_const"],
                 [epochs] + list(losses.values()) + [np.full(epochs.size, L_const)]),
    }
    paths = save_figure(fig, data, out, "figure1", panels)
    plt.close(fig)
    return paths


def plot_figure2(data: dict, out):
    """Figure 2: E(X^(k)) (left) and E(B^(k)) (right) vs k at initialisation, with theory lines."""
    plt = _plt()
    k = np.asarray(data["k"])
    L = data["depth"]
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6))
    cols = {"gnn": "tab:blue", "mlp": "tab:orange"}
    panels = {"forward": (["k"], [k]), "backward": (["k"], [k])}
    for model in ("gnn", "mlp"):
        entries = data[model]
        for side, key, ax in (("forward", "E_X", axes[0]), ("backward", "E_B", axes[1])):
            mid, lo, hi = _geo([e[key] for e in entries])
            rate = np.mean([e["forward_rate_fitted"] if side == "forward" else e["backward_rate_fitted_output_half"]
                            for e in entries])
            ls = np.mean([e["lambda_s"] for e in entries])
            ax.plot(k, mid, "o-", ms=3, color=cols[model],
                    label=f"{model.upper()} (fitted rate {rate:.3f}; lambda s = {ls:.3f})")
            if len(entries) > 1:
                ax.fill_between(k, lo, hi, color=cols[model], alpha=0.2)
            panels[side][0].append(f"{model}_{key}")
            panels[side][1].append(mid)
        if model == "gnn":
            fb = np.exp(np.mean(np.log([e["forward_bound"] for e in entries]), axis=0))
            axes[0].plot(k, fb, "k--", label=r"Theorem 1: $(\lambda s)^k E(X^{(0)})$")
            lin = np.exp(np.mean(np.log([e["corollary1_linear_rate"] for e in entries]), axis=0))
            axes[1].plot(k, lin, "k--", label=r"Corollary 1 rate $(\lambda s)^{L-k}E(B^{(L)})$ (linear GNN)")
            t2 = np.stack([e["theorem2_unrolled"] for e in entries]).mean(axis=0)
            if np.all(np.isfinite(t2)):
                axes[1].plot(k, t2, "k:", label="Theorem 2 (unrolled): bound for tanh")
            panels["forward"][0].append("theorem1_bound")
            panels["forward"][1].append(fb)
            panels["backward"][0].extend(["corollary1_linear_rate", "theorem2_unrolled"])
            panels["backward"][1].extend([lin, t2])
    axes[0].set_title(r"Forward: $E(X^{(k)})$ at initialisation")
    axes[1].set_title(r"Backward: $E(B^{(k)})$ at initialisation")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel(f"layer k (0 = input, {L} = output)")
        ax.legend(fontsize=8)
    axes[0].set_ylabel(r"$E(X^{(k)}) = \|(I-J)X^{(k)}\|_F/\sqrt{n}$")
    axes[1].set_ylabel(r"$E(B^{(k)}) = \|(I-J)B^{(k)}\|_F/\sqrt{n}$")
    axes[1].axvspan(L - 0.5, L + 0.5, color="red", alpha=0.12, label="output layer")
    fig.suptitle("Figure 2 (paper figure, our settings): smoothing profiles on CSBM", fontsize=11)
    fig.tight_layout()
    paths = save_figure(fig, data, out, "figure2", panels)
    plt.close(fig)
    return paths


def plot_mechanism(data: dict, out):
    """Extension: mean output error and middle-layer gradient (with Lemma 3 parts) vs epochs."""
    plt = _plt()
    L, k = data["depth"], data["middle_layer"]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    cols = {f"gnn{L}": "tab:blue", f"mlp{L}": "tab:orange"}
    panels = {"mean_output_error": (["epoch"], []), "middle_gradient": (["epoch"], [])}
    for name, rs in data["runs"].items():
        mu, _, _ = _geo([r["mean_output_error"] for r in rs])
        g, _, _ = _geo([r["gradient_norms"][:, k] for r in rs])
        e = np.arange(mu.size)
        if not panels["mean_output_error"][1]:
            panels["mean_output_error"][1].append(e)
            panels["middle_gradient"][1].append(e)
        axes[0].plot(e, mu, color=cols[name], label=f"{name[:3].upper()} L = {L}")
        axes[1].plot(e, g, color=cols[name], lw=1.8, label=f"{name[:3].upper()}: $\\|grad_{{{k}}}\\|_F$")
        parts = data["lemma3_parts"][name]
        pe = parts[0]["profile_epochs"]
        mp, _, _ = _geo([p["mean_part"] for p in parts])
        fl, _, _ = _geo([p["fluctuation_bound"] for p in parts])
        axes[1].plot(pe, mp, ls="--", color=cols[name], alpha=0.7, label=rf"{name[:3].upper()}: mean part $n\|\bar x\|\|\bar b\|$")
        axes[1].plot(pe, fl, ls=":", color=cols[name], alpha=0.9, label=rf"{name[:3].upper()}: fluctuation bound $\lambda n E(X)E(B)$")
        if "certificate" in parts[0]:
            ce, _, _ = _geo([p["certificate"] for p in parts])
            axes[1].plot(pe, ce, ls="-.", color="crimson", lw=1.4,
                         label=rf"{name[:3].upper()}: local certificate $\delta_{{{k}}}$ (extension)")
        panels["mean_output_error"][0].append(name)
        panels["mean_output_error"][1].append(mu)
        panels["middle_gradient"][0].append(name)
        panels["middle_gradient"][1].append(g)
    axes[0].set_title(r"Mean output error $\|\bar b^{(L)}\|$")
    axes[0].set_ylabel(r"$\|\bar b^{(L)}\|_2$")
    axes[1].set_title(f"Middle layer k = {k}: gradient and its Lemma 3 split")
    axes[1].set_ylabel("norm")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.legend(fontsize=7)
    fig.suptitle("Mechanism (extension): the mean output error vanishes and takes the GNN's gradients with it",
                 fontsize=11)
    fig.tight_layout()
    paths = save_figure(fig, data, out, "mechanism", panels)
    plt.close(fig)
    return paths


def plot_phase(data: dict, out):
    """Extension: heat map of final loss / L_const over lambda x depth, with the MLP row."""
    plt = _plt()
    R = np.asarray(data["ratio_gnn"])
    mlp = np.asarray(data["ratio_mlp"])[None, :]
    M = np.vstack([R, mlp])
    lam = data["lam"]
    rows = [f"GNN c={c:g}, λ={x:.3f}" for c, x in zip(data["degrees"], lam)] + ["MLP (P = I)"]
    fig, ax = plt.subplots(figsize=(1.4 * len(data["depths"]) + 3, 0.6 * len(rows) + 2))
    im = ax.imshow(np.log10(np.clip(M, 1e-4, None)), cmap="magma", vmin=-4, vmax=0.1, aspect="auto")
    for i in range(M.shape[0]):
        for j in range(M.shape[1]):
            ax.text(j, i, f"{M[i, j]:.2g}", ha="center", va="center", color="white" if M[i, j] < 0.1 else "black",
                    fontsize=8)
    ax.axhline(len(rows) - 1.5, color="white", lw=2)
    ax.set_xticks(range(len(data["depths"])), [str(d) for d in data["depths"]])
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel("depth L")
    ax.set_title("Phase diagram (extension): final loss / L_const (1 = stuck at the best constant)")
    fig.colorbar(im, ax=ax, label=r"$\log_{10}$(final loss / $L_{const}$)")
    fig.tight_layout()
    cols = [np.asarray(data["depths"], dtype=float)] + [M[i] for i in range(M.shape[0])]
    header = ["depth"] + [f"gnn_c{c:g}_lambda{x:.4f}" for c, x in zip(data["degrees"], lam)] + ["mlp"]
    paths = save_figure(fig, data, out, "phase", {"ratio": (header, cols)})
    plt.close(fig)
    return paths
