"""Remedies figure [extension]: which architectures escape backward oversmoothing on CSBM.

On the Figure 1 problem (CSBM, depth 40, width 32, tanh, Adam; ``settings.py``) the vanilla
GNN and each remedy of :mod:`backsmooth.numeric.remedies` are trained from the same data and
the same seeds.  Per remedy: the training loss over epochs, the per-layer gradient norms at
the end, ``E(B^(k))`` at initialisation and after training with the derived bound drawn over
it, and a table row: the theory's prediction (escapes / stalls / open) and its basis, and the
observation (final full-graph loss below half the best-constant loss ``L_const``).

Predictions (``docs``: the remedy claims of the registry):

* vanilla architecture (vanilla, DropEdge, initialisations): Theorem 3's regime ``lambda s < 1``
  -> stalls; ``lambda s >= 1`` -> open (no bound forces the gradients to vanish);
* residual: ``remedy_residual`` keeps ``E(B^(k)) >= (r - lambda s)^(L-1-k) E(B^(L-1))`` (linear rho)
  -> escapes;
* initial residual / GCNII: ``remedy_initial_residual``: the main path contracts by
  ``(1 - a) lambda m``, but every layer reaches ``W^(0)`` in one hop (anchor path) -> escapes;
* mean subtraction: ``remedy_normalisation``: all of ``B^(k)`` is centred and contracts by
  ``lambda s`` -> stalls when ``lambda s < 1``;
* PairNorm: the one-step factor ``sigma lambda s_(k+1)/E(H^(k))`` is not below 1 -> open.
"""

from __future__ import annotations

import hashlib
import json
import pathlib
from dataclasses import dataclass, field

import numpy as np

from .settings import FigureSettings, csbm_problem

__all__ = ["Remedy", "REMEDIES", "remedy_settings", "remedy_run", "remedies_data", "remedies_table",
           "plot_remedies", "epochs_needed_remedies", "remedies_figure_data"]

_FIELDS = ("loss", "gradient_norms", "backward_energy", "spectral_norms", "profile_epochs")


@dataclass(frozen=True)
class Remedy:
    """One trained configuration: architecture, initialisation and (optional) DropEdge rate."""

    name: str
    label: str
    architecture: str = "vanilla"  # vanilla | residual | initial_residual | pairnorm | mean
    params: dict = field(default_factory=dict)
    initialisation: str | None = None  # None: the settings' initialisation
    gain: float = 1.0
    dropedge: float = 0.0

    def network(self, P, depth, activation):
        from backsmooth.numeric import gnn
        from backsmooth.numeric.remedies import initial_residual_gnn, normalised_gnn, residual_gnn

        if self.architecture == "vanilla":
            return gnn(P, depth, activation)
        if self.architecture == "residual":
            return residual_gnn(P, depth, activation, skip=self.params.get("r", 1.0))
        if self.architecture == "initial_residual":
            return initial_residual_gnn(P, depth, activation, alpha=self.params["a"], beta=self.params.get("b"))
        if self.architecture in ("pairnorm", "mean"):
            return normalised_gnn(P, depth, activation, norm="pair" if self.architecture == "pairnorm" else "mean",
                                  scale=self.params.get("sigma", 1.0))
        raise ValueError(f"unknown architecture {self.architecture!r}")


REMEDIES = (
    Remedy("vanilla", "vanilla GNN"),
    Remedy("residual", "residual (r = 1)", "residual", {"r": 1.0}),
    Remedy("initial_residual", "initial residual (a = 0.1)", "initial_residual", {"a": 0.1}),
    Remedy("gcnii", "GCNII (a = 0.1, b = 0.1)", "initial_residual", {"a": 0.1, "b": 0.1}),
    Remedy("pairnorm", "PairNorm (sigma = 1)", "pairnorm", {"sigma": 1.0}),
    Remedy("mean_subtraction", "mean subtraction", "mean"),
    Remedy("dropedge", "DropEdge (rate 0.5)", dropedge=0.5),
    Remedy("balanced_init", "balanced init (gain 1)", initialisation="balanced"),
    Remedy("orthogonal_gain2", "orthogonal init, gain 2", initialisation="orthogonal", gain=2.0),
)


def remedy_settings(quick: bool = False, **changes) -> FigureSettings:
    """Figure 1's settings; ``quick``: n = 200, 60 epochs at learning rate 1e-2 (a smoke run)."""
    from .settings import default_settings

    s = default_settings(False).with_(profile_every=0)
    if quick:
        s = s.with_(n=200, epochs=60, learning_rate=1e-2, quick=True)
    return s.with_(**changes) if changes else s


def epochs_needed_remedies(settings, seeds, remedies=REMEDIES) -> int:
    """Progress steps of :func:`remedies_data`."""
    return len(list(seeds)) * len(remedies) * (settings.epochs + 1)


def _E(M):
    C = M - M.mean(axis=0, keepdims=True)
    return float(np.sqrt(np.sum(C * C) / M.shape[0]))


def _bound_line(remedy, net, X, W, lam, EB):
    """The derived bound on ``E(B^(k))`` (k = 0..L) for these weights, and its label."""
    L = len(W) - 1
    s_hidden = max(float(np.linalg.norm(W[i], 2)) for i in range(1, L))
    k = np.arange(L + 1, dtype=float)
    line = np.full(L + 1, np.nan)
    arch = remedy.architecture
    if arch == "vanilla":
        s = max(float(np.linalg.norm(w, 2)) for w in W[1:])
        line = (lam * s) ** (L - k) * EB[L]
        return line, "Corollary 1 rate (lambda s)^(L-k) E(B^(L)) (linear rho; tanh adds Theorem 2's term)"
    if arch == "residual":
        r = remedy.params.get("r", 1.0)
        if lam * s_hidden <= r:
            line[:L] = (r - lam * s_hidden) ** (L - 1 - k[:L]) * EB[L - 1]
        return line, "remedy_residual lower bound (r - lambda s)^(L-1-k) E(B^(L-1)) (linear rho)"
    if arch == "initial_residual":
        b = remedy.params.get("b")
        m = max(float(np.linalg.norm(W[i] if b is None else (1 - b) * np.eye(W[i].shape[0]) + b * W[i], 2))
                for i in range(1, L))
        a = remedy.params["a"]
        line[1:L] = ((1 - a) * lam * m) ** (L - 1 - k[1:L]) * EB[L - 1]
        return line, "remedy_initial_residual ((1 - a) lambda m)^(L-1-k) E(B^(L-1)), k >= 1 (linear rho)"
    if arch == "mean":
        line[:L] = (lam * s_hidden) ** (L - 1 - k[:L]) * EB[L - 1]
        return line, "remedy_normalisation (lambda s)^(L-1-k) E(B^(L-1)) (any 1-Lipschitz rho)"
    from backsmooth.numeric import forward

    fwd = forward(net, X, W)
    EH = np.array([_E(fwd.H[j]) for j in range(L)])
    sigma = remedy.params.get("sigma", 1.0)
    line[L - 1] = EB[L - 1]
    for j in range(L - 2, -1, -1):  # chained one-step bounds
        line[j] = sigma * lam * float(np.linalg.norm(W[j + 1], 2)) / EH[j] * line[j + 1]
    return line, "remedy_normalisation PairNorm, chained sigma lambda s_(k+1)/E(H^(k)) factors (any 1-Lipschitz rho)"


def _predict(remedy, lam, lam_drop, s_init):
    """``(prediction, basis)`` from the derived statements (module docstring)."""
    arch = remedy.architecture
    if arch == "vanilla":
        lam_used = lam_drop if remedy.dropedge else lam
        tag = "lambda of a DropEdge graph" if remedy.dropedge else "lambda"
        if lam_used * s_init < 1:
            return "stalls", f"Theorem 3 regime: {tag} x s = {lam_used * s_init:.2f} < 1"
        return "open", f"{tag} x s = {lam_used * s_init:.2f} >= 1: no bound forces vanishing gradients"
    if arch == "residual":
        return "escapes", "remedy_residual: skip path keeps E(B) (bound for linear rho only)"
    if arch == "initial_residual":
        return "escapes", ("remedy_initial_residual: main path contracts by (1-a) lambda m, but the anchor path "
                           "reaches W^(0) in one hop (not a bound on the loss)")
    if arch == "mean":
        if lam * s_init < 1:
            return "stalls", f"remedy_normalisation: B centred, contracts by lambda s = {lam * s_init:.2f} < 1"
        return "open", f"remedy_normalisation: lambda s = {lam * s_init:.2f} >= 1"
    return "open", "remedy_normalisation: PairNorm's factor sigma lambda s/E(H) is not below 1 (measured)"


def remedy_run(settings: FigureSettings, remedy: Remedy, seed: int, *, problem=None, progress=None,
               cache_dir=None) -> dict:
    """Train one remedy on the CSBM sample of ``seed``; cached (an interrupted figure resumes)."""
    from backsmooth.numeric import initial_weights, loss_function
    from backsmooth.numeric.propagation import contraction_factor
    from backsmooth.numeric.remedies import DropEdgeSchedule, drop_edges
    from backsmooth.numeric.training import train

    key = {"settings": settings.to_dict(), "remedy": repr(remedy), "seed": int(seed), "version": 1}
    path = None
    if cache_dir is not None:
        digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        path = pathlib.Path(cache_dir) / f"remedy_{remedy.name}_seed{seed}_{digest}.json"
        if path.exists():
            if progress is not None:
                progress(settings.epochs + 1)
            out = json.loads(path.read_text())
            return {k: (np.asarray(v, dtype=float) if isinstance(v, list) else v) for k, v in out.items()}
    sample, P, lam = csbm_problem(settings, seed) if problem is None else problem
    L = settings.deep_depth
    net = remedy.network(P, L, settings.activation)
    widths = [settings.num_features] + [settings.width] * L + [2]
    W0 = initial_weights(widths, remedy.initialisation or settings.initialisation, scale=remedy.gain,
                         seed=10_000 + int(seed))
    schedule = None
    lam_drop = float("nan")
    if remedy.dropedge:
        schedule = DropEdgeSchedule(sample.adjacency, net.layers, rate=remedy.dropedge, seed=int(seed),
                                    kind=settings.propagation)
        lam_drop = float(contraction_factor(drop_edges(sample.adjacency, remedy.dropedge, seed=int(seed),
                                                       kind=settings.propagation), method="sparse"))
    cb = (lambda t, record: progress(1)) if progress is not None else None
    h = train(net, sample.features, W0, targets=sample.labels, loss=settings.loss, optimizer=settings.optimizer,
              learning_rate=settings.learning_rate, epochs=settings.epochs, profile_every=settings.profile_every,
              callback=cb, seed=seed, network_schedule=schedule)
    from backsmooth.numeric import backward, forward

    fwd = forward(net, sample.features, list(h.weights))  # evaluation on the full graph
    final = backward(net, fwd, list(h.weights), loss=settings.loss, targets=sample.labels)
    EB_end = np.array([_E(b) for b in final.B])
    EB_init = np.asarray(h.backward_energy[0])
    s_init = max(float(np.linalg.norm(w, 2)) for w in W0[1:])
    line0, label = _bound_line(remedy, net, sample.features, W0, lam, EB_init)
    line1, _ = _bound_line(remedy, net, sample.features, list(h.weights), lam, EB_end)
    prediction, basis = _predict(remedy, lam, lam_drop, s_init)
    L_const = float(loss_function(settings.loss).best_constant_loss(sample.labels))
    out = {"remedy": remedy.name, "label": remedy.label, "seed": int(seed), "lam": float(lam),
           "lam_dropedge": lam_drop, "s_init": s_init, "L_const": L_const,
           "loss": np.asarray(h.loss), "final_loss_full_graph": float(final.loss),
           "gradient_norms_end": np.asarray(final.gradient_norms),
           "backward_energy_init": EB_init, "backward_energy_end": EB_end,
           "bound_init": line0, "bound_end": line1, "bound_label": label,
           "prediction": prediction, "basis": basis,
           "escaped": bool(final.loss < 0.5 * L_const)}
    if path is not None:
        from .plotting import to_jsonable

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(to_jsonable(out)))
        tmp.replace(path)
    return out


def remedies_data(settings: FigureSettings, seeds=(0,), *, remedies=REMEDIES, progress=None, cache_dir=None) -> dict:
    """Train every remedy on every seed; return the runs and the table."""
    runs = {r.name: [] for r in remedies}
    for seed in seeds:
        problem = csbm_problem(settings, seed)
        for r in remedies:
            runs[r.name].append(remedy_run(settings, r, seed, problem=problem, progress=progress,
                                           cache_dir=cache_dir))
    return {"provenance": "extension", "settings": settings.to_dict(), "seeds": list(seeds),
            "remedies": [r.name for r in remedies], "runs": runs, "table": remedies_table(runs),
            "criterion": "escaped: final full-graph training loss < L_const / 2 (best-constant loss)"}


def remedies_figure_data(settings: FigureSettings, seeds=(0,), *, progress=None, cache_dir=None) -> dict:
    """:func:`remedies_data` for the report: ``settings.quick`` picks the remedies' quick settings,
    a changed ``settings.epochs`` is kept; the table is also written as caption notes."""
    from .settings import default_settings

    rs = remedy_settings(quick=settings.quick)
    if settings.epochs != default_settings(settings.quick).epochs:
        rs = rs.with_(epochs=settings.epochs)
    data = remedies_data(rs, seeds, progress=progress, cache_dir=cache_dir)
    notes = [data["criterion"] + "."]
    for row in data["table"]:
        agree = "" if row["seeds_agreeing"] is None else f", {row['seeds_agreeing']}/{row['seeds']} seeds agree"
        notes.append(f"{row['label']}: predicted {row['prediction']}, observed {row['observed']} "
                     f"({row['seeds_escaping']}/{row['seeds']} seeds escape{agree}).")
    data["notes"] = notes
    return data


def remedies_table(runs: dict) -> list:
    """One row per remedy: prediction, basis, observations over seeds, seeds agreeing."""
    rows = []
    for name, rs in runs.items():
        pred = rs[0]["prediction"]
        escaped = [bool(r["escaped"]) for r in rs]
        if pred == "open":
            agree = None
        else:
            agree = sum(e == (pred == "escapes") for e in escaped)
        rows.append({"remedy": name, "label": rs[0]["label"], "prediction": pred, "basis": rs[0]["basis"],
                     "observed": ("escapes" if all(escaped) else "stalls" if not any(escaped) else "mixed"),
                     "seeds_escaping": sum(escaped), "seeds": len(rs),
                     "seeds_agreeing": agree,
                     "final_loss_mean": float(np.mean([r["final_loss_full_graph"] for r in rs])),
                     "L_const": float(rs[0]["L_const"])})
    return rows


def plot_remedies(data: dict, out, name: str = "remedies") -> dict:
    """Four panels (loss, end gradients, E(B) at init and at the end with bounds) + table CSV."""
    from .plotting import _plt, save_figure

    plt = _plt()
    runs = data["runs"]
    names = data["remedies"]
    colors = plt.cm.tab10(np.linspace(0, 1, 10))
    fig, axes = plt.subplots(1, 4, figsize=(22, 5))
    panels = {}
    loss_cols, grad_cols, eb0_cols, eb1_cols, header = [], [], [], [], []
    for i, nm in enumerate(names):
        rs, c = runs[nm], colors[i % 10]
        label = rs[0]["label"]
        Ls = np.stack([np.asarray(r["loss"], float) for r in rs])
        ep = np.arange(Ls.shape[1])
        axes[0].plot(ep, Ls.mean(0), color=c, label=label)
        if len(rs) > 1:
            axes[0].fill_between(ep, Ls.min(0), Ls.max(0), color=c, alpha=0.15)
        G = np.stack([np.asarray(r["gradient_norms_end"], float) for r in rs])
        axes[1].plot(np.arange(G.shape[1]), np.exp(np.log(np.maximum(G, 1e-300)).mean(0)), color=c, marker=".")
        for ax, key, bkey, cols in ((axes[2], "backward_energy_init", "bound_init", eb0_cols),
                                    (axes[3], "backward_energy_end", "bound_end", eb1_cols)):
            E = np.stack([np.asarray(r[key], float) for r in rs])
            mid = np.exp(np.log(np.maximum(E, 1e-300)).mean(0))
            ax.plot(np.arange(mid.size), mid, color=c)
            bnd = np.asarray(rs[0][bkey], float)
            ax.plot(np.arange(bnd.size), bnd, color=c, ls="--", lw=0.9)
            cols.extend([mid, bnd])
        loss_cols.append(Ls.mean(0))
        grad_cols.append(G.mean(0))
        header.append(nm)
    axes[0].axhline(0.5 * runs[names[0]][0]["L_const"], color="k", ls=":", lw=1, label="L_const / 2")
    axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log", title="Loss (mean, band = seed range)")
    axes[0].legend(fontsize=7)
    axes[1].set(yscale="log", xlabel="layer k", ylabel=r"$\|\partial\mathcal{L}/\partial W^{(k)}\|_F$",
                title="Gradient norms at the end")
    for ax, when in ((axes[2], "at initialisation"), (axes[3], "after training")):
        ax.set(yscale="log", xlabel="layer k", ylabel=r"$\mathcal{E}(B^{(k)})$",
               title=f"E(B^(k)) {when} (dashed: derived bound)")
        ax.text(0.02, 0.02, "dashed lines of vanilla-architecture, residual and initial-residual nets are\n"
                "linear-rho forms (not bounds for tanh); mean subtraction, PairNorm: tanh bounds",
                transform=ax.transAxes, fontsize=6, va="bottom")
    fig.suptitle(f"Remedies on CSBM (depth {data['settings']['deep_depth']}, width {data['settings']['width']}; "
                 f"{len(data['seeds'])} seed(s)) [extension]")
    panels["loss"] = (["epoch"] + header, [np.arange(len(loss_cols[0]))] + loss_cols)
    panels["gradients_end"] = (["layer"] + header, [np.arange(len(grad_cols[0]))] + grad_cols)
    hdr = ["layer"] + [f"{h}_{part}" for h in header for part in ("measured", "bound")]
    panels["energy_init"] = (hdr, [np.arange(len(eb0_cols[0]))] + eb0_cols)
    panels["energy_end"] = (hdr, [np.arange(len(eb1_cols[0]))] + eb1_cols)
    paths = save_figure(fig, data, out, name, panels)
    plt.close(fig)
    import csv

    p = pathlib.Path(out) / f"{name}_table.csv"
    with open(p, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(data["table"][0]))
        w.writeheader()
        w.writerows(data["table"])
    paths["csv_table"] = p
    return paths
