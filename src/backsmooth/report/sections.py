"""The sections of the report: each runs one real component and returns JSON-ready data.

A section runner takes ``(name, ctx)`` where ``ctx`` is a :class:`SectionContext` (output
folder, profile settings, seed) and returns ``(status, data, message)`` with ``status`` in
``{"done", "not covered"}``; an exception means the section crashed and is recorded as
``"error"`` by :mod:`backsmooth.report`.  Runners write the files behind the page (check
tables as JSON/CSV, check plots and figures as PNG, figure data as CSV/JSON/PDF) under the
output folder and return their paths relative to it.

Components (imported lazily, inside each runner):

* claim: :func:`backsmooth.symbolic.claim` (title, provenance, hypotheses, statement);
* derivation: :func:`backsmooth.symbolic.derive` (sympy-checked steps);
* proof: :func:`backsmooth.proofs.proof` and :func:`backsmooth.proofs.verify`;
* check: :func:`backsmooth.checks.check`, plotted by :mod:`backsmooth.report.plots`;
* figure: :mod:`backsmooth.figures` (data runner, then its own plotting);
* environment: versions and platform.
"""

from __future__ import annotations

import pathlib
import platform
import sys
from dataclasses import dataclass, field

__all__ = ["SectionContext", "RUNNERS", "CACHED_KINDS", "SEEDED_KINDS", "check_names", "derivation_names",
           "figure_names"]


@dataclass(frozen=True)
class SectionContext:
    """What a section runner needs: the output folder, the profile and the seed.

    Attributes
    ----------
    out : pathlib.Path
        Output folder of the report.
    seed : int
        Seed of every random component.
    check_settings : dict
        Extra settings for every numeric check (e.g. ``{"trials": 20}``); empty = defaults.
    figures : dict
        Figure name -> settings dict understood by :func:`_figure` (``quick``, ``seeds``,
        ``grid`` for the phase diagram, ``epochs`` override).
    """

    out: pathlib.Path
    seed: int = 0
    check_settings: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)


def _rel(ctx, path) -> str:
    return pathlib.Path(path).resolve().relative_to(ctx.out.resolve()).as_posix()


# ---------------------------------------------------------------- claims and derivations
def _claim(name, ctx):
    from backsmooth.symbolic import claim

    c = claim(name)
    statement = [{"latex": la, "text": tx} for la, tx in zip(c.latex(), c.text())]
    return "done", {"name": c.name, "title": c.title, "provenance": c.provenance,
                    "provenance_note": c.provenance_note, "hypotheses": list(c.hypotheses),
                    "statement": statement, "variants": list(c.variants)}, None


def derivation_names() -> tuple:
    """Names of the derivations of :mod:`backsmooth.symbolic` (claims and extra ones)."""
    from backsmooth.symbolic import derivations

    return tuple(derivations())


def _derivation(name, ctx):
    from ..derivation_view import derivation_rows

    if name not in derivation_names():
        return "not covered", {}, f"the symbolic registry has no derivation for {name!r}"
    rows = derivation_rows(name)
    verified = bool(rows) and all(r["verified"] for r in rows)
    return "done", {"steps": rows, "verified": verified}, None


# ---------------------------------------------------------------- proofs
def _proof(name, ctx):
    import backsmooth.proofs as pr

    from ..proof_view import proof_record

    if name not in pr.proofs():
        return "not covered", {}, f"the proofs registry has no proof of {name!r}"
    return "done", proof_record(pr.verify(pr.proof(name))), None


# ---------------------------------------------------------------- numeric checks
def check_names() -> tuple:
    """Names of the numeric checks in paper order (:data:`backsmooth.checks.ORDER`)."""
    from ..checks import ORDER

    return tuple(ORDER)


def _check(name, ctx):
    from .plots import check_plot
    from ..checks import CHECKS, check
    from ..checks._framework import summarise  # the checks' own summary, per claim

    spec = CHECKS[name]
    settings = {"seed": ctx.seed}
    settings.update(ctx.check_settings.get(name, ctx.check_settings.get("*", {})))
    if "trials" in settings and "trials" in spec.defaults:
        settings["trials"] = min(int(settings["trials"]), int(spec.defaults["trials"]))
    res = check(name, **settings)
    folder = ctx.out / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    res.to_json(folder / f"{name}.json")
    res.to_csv(folder / f"{name}.csv")
    files = [_rel(ctx, folder / f"{name}.json"), _rel(ctx, folder / f"{name}.csv")]
    table = res.table()
    covered = [c for c in dict.fromkeys(r.get("claim") for r in table) if c]
    per_claim = {}
    for c in covered:
        rows = [r for r in table if r.get("claim") == c]
        entry = {"summary": summarise(rows), "plot": None}
        png = check_plot(rows, folder / f"{name}__{c}.png", c if c == name else f"{name}: {c}")
        if png is not None:
            entry["plot"] = _rel(ctx, png)
            files.append(entry["plot"])
        per_claim[c] = entry
    note = None
    if settings.get("trials") is not None and settings["trials"] != spec.defaults.get("trials"):
        note = (f"run with trials={settings['trials']} (the check's default is "
                f"{spec.defaults.get('trials')}) to fit the report's time budget")
    return "done", {"title": res.title, "claims": covered or list(spec.claims),
                    "registered_claims": list(spec.claims),
                    "provenance": dict(res.provenance), "settings": dict(res.settings),
                    "summary": res.summary, "per_claim": per_claim, "notes": list(res.notes),
                    "files": files, "settings_note": note}, None


# ---------------------------------------------------------------- figures
_FIGURES = {
    "1": ("Figure 1: gradient norms per layer and training loss (deep GNN vs deep MLP)",
          "figure1_data", "plot_figure1"),
    "2": ("Figure 2: forward and backward smoothness E(X^(k)), E(B^(k)) vs layer k",
          "figure2_data", "plot_figure2"),
    "mechanism": ("Mechanism [extension]: mean output error and middle-layer gradient vs epochs",
                  "mechanism_data", "plot_mechanism"),
    "phase": ("Phase diagram [extension]: final loss / best-constant loss over lambda x depth",
              "phase_data", "plot_phase"),
    "2-relu": ("Figure 2 for ReLU [extension]: E(B^(k)) with the margin bound (theorem2_relu), "
               "He-normal initialisation", "figure2_relu_data", "plot_figure2_relu"),
    "remedies": ("Remedies [extension]: which architectures escape (prediction vs training)",
                 "remedies_figure_data", "plot_remedies"),
}


def figure_names() -> tuple:
    """The figures the report draws, in page order."""
    return tuple(_FIGURES)


def _figure_facts(name, data):
    """A few numbers a reader checks the figure against (from the figure's own data)."""
    import numpy as np

    facts = {}
    if name == "1":
        L, l = data["depths"]["deep"], data["depths"]["shallow"]
        for key in (f"gnn{L}", f"mlp{L}", f"gnn{l}", f"mlp{l}"):
            runs = data["runs"].get(key, [])
            if runs:
                facts[f"final loss {key}"] = float(np.mean([r["loss"][-1] for r in runs]))
        runs = data["runs"].get(f"gnn{L}", [])
        if runs:
            facts["L_const (best constant loss)"] = float(np.mean([r["L_const"] for r in runs]))
            facts[f"max final gradient norm gnn{L}"] = float(
                np.max([np.max(r["gradient_norms"][-1]) for r in runs]))
        st = data.get("theory", {}).get("stationary_epoch", [])
        facts["output layer stationary at epoch"] = ", ".join(str(e) for e in st)
    elif name == "2":
        for model in ("gnn", "mlp"):
            for e in data.get(model, [])[:1]:
                facts[f"{model}: lambda s"] = float(e["lambda_s"])
                facts[f"{model}: fitted forward rate"] = e["forward_rate_fitted"]
                facts[f"{model}: fitted backward rate (output half)"] = \
                    e["backward_rate_fitted_output_half"]
                facts[f"{model}: argmin_k E(B^(k))"] = int(e["backward_argmin_k"])
    elif name == "2-relu":
        runs = data.get("gnn", [])
        facts["margin bound violations"] = int(sum(e["violations"] for e in runs))
        facts["tightest ratio measured / margin bound"] = max(
            (e["tightest_ratio"] or 0.0) for e in runs) if runs else None
        facts["smallest margin min_j |hbar^(k)_j|"] = float(
            min(np.min(e["min_margin"]) for e in runs)) if runs else None
    elif name == "phase":
        facts["average degrees"] = ", ".join(f"{c:g}" for c in data["degrees"])
        facts["lambda per degree"] = ", ".join(f"{x:.3f}" for x in np.asarray(data["lam"]))
        facts["depths"] = ", ".join(str(d) for d in data["depths"])
    return facts


def _figure(name, ctx):
    import backsmooth.figures as F

    opts = dict(ctx.figures.get(name, {}))
    title, data_fn, plot_fn = _FIGURES[name]
    settings = F.default_settings(quick=bool(opts.pop("quick", False)))
    if "epochs" in opts:
        settings = settings.with_(epochs=int(opts.pop("epochs")))
    seeds = tuple(ctx.seed + i for i in range(int(opts.pop("seeds", 1))))
    kwargs = {}
    if name not in ("2", "2-relu"):
        kwargs["cache_dir"] = ctx.out / "figures" / "cache"
    if name == "phase" and "grid" in opts:
        kwargs["degrees"], kwargs["depths"] = opts.pop("grid")
    data = getattr(F, data_fn)(settings, seeds=seeds, **kwargs)
    paths = getattr(F, plot_fn)(data, ctx.out / "figures")
    images = [_rel(ctx, paths["png"])] if "png" in paths else []
    files = [_rel(ctx, p) for p in paths.values()]
    notes = [str(n) for n in data.get("notes", [])]
    note = opts.pop("note", None)
    return "done", {"title": title, "images": images, "files": files,
                    "caption": " ".join(notes), "facts": _figure_facts(name, data),
                    "settings_note": note, "provenance": data.get("provenance"),
                    "settings": settings.to_dict(), "seeds": list(seeds)}, None


# ---------------------------------------------------------------- environment
def _environment(name, ctx):
    from importlib import metadata

    pkgs = {}
    for p in ("backsmooth", "numpy", "scipy", "sympy", "networkx", "matplotlib", "tqdm",
              "threadpoolctl", "llvmlite"):
        try:
            pkgs[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            pkgs[p] = "not installed"
    import os

    plat = {"python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "platform": platform.platform(), "machine": platform.machine(),
            "processor": platform.processor() or "-", "cpus": os.cpu_count(),
            "seed": ctx.seed}
    from ..kernel import status

    plat["sparse kernel"] = status()  # the same bits either way; the speed differs
    return "done", {"packages": pkgs, "platform": plat}, None


#: section kind -> runner(name, ctx) -> (status, data, message)
RUNNERS = {
    "claim": _claim,
    "derivation": _derivation,
    "proof": _proof,
    "check": _check,
    "figure": _figure,
    "environment": _environment,
}

#: section kinds whose results depend on neither the machine nor the seed (their runners read
#: only the name): the report takes them from :mod:`backsmooth.result_cache`
CACHED_KINDS = ("claim", "derivation", "proof")

#: section kinds whose results are a deterministic function of the sources, the settings, the
#: seed and the machine: cached with those in the key (:func:`backsmooth.result_cache.seeded_context`)
SEEDED_KINDS = ("check", "figure")
