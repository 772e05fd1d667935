"""Check of the remedy claims [extension]: residual, initial residual, normalisation.

On every sampled instance (graph x n x depth x width x activation x weight scale s x loss x
seed) the same weights run through five remedy networks of :mod:`backsmooth.numeric.remedies`
and the measured backward energies are held against the registry bounds:

* ``remedy_residual`` (skip ``r`` drawn in [0.5, 2]): ``lower`` ``E(B^(k)) >= (r - lambda s)^(L-1-k)
  E(B^(L-1))`` (needs ``lambda s <= r``) and ``upper`` ``<= (r + lambda s)^(L-1-k) E(B^(L-1))``,
  ``k = 0..L-1``, linear ``rho`` only (tanh instances are recorded as "hypotheses not met");
* ``remedy_initial_residual`` (``a`` drawn in [0, 0.9]; GCNII with ``b`` in [0.1, 1]): ``centred``
  and ``mean``, ``k = 1..L-1`` (layer 0 also receives the anchor path), linear ``rho``;
* ``remedy_normalisation``: ``zero_mean`` (``bbar^(k) = 0``, identity), ``mean`` (mean subtraction,
  ``E(B^(k)) <= (lambda s)^(L-1-k) E(B^(L-1))``) and ``pairnorm``
  (``E(B^(k)) <= sigma lambda s_(k+1) E(B^(k+1))/E(H^(k))``, ``k <= L-2``), any 1-Lipschitz ``rho``.

``s`` is ``max_{1 <= i <= L-1} ||W^(i)||_2`` (the weights the recursions pass through).
Round-off floor: :func:`~backsmooth.checks._framework.roundoff_floor` at the scale of the
signal the quantity is computed from (``||B^(k)||_F/sqrt(n)``, and for the zero mean the
upstream ``||G^(k+1)||`` times the normalisation's factor, which a projection can cancel).
PairNorm rows need ``E(H^(k))`` resolved (above ``1e3`` times the round-off of ``H^(k)``);
otherwise ``sigma/E(H^(k))`` is round-off, the bound is decided by round-off alone and the
row is ``unresolved`` (its ``unresolved_reason`` says why).
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import part_record, register, register_shared, roundoff_floor
from ._instances import instances
from ._runner import base_row, claim_hypotheses
from backsmooth.numeric.measures import layer_norms

__all__ = ["CLAIM_PARTS", "DEFAULTS", "run", "rows_for"]

DEFAULTS = {
    "graph": ["flat", "er", "sbm", "csbm", "regular", "cycle", "complete", "karate"],
    "n": (4, 30),
    "depth": (2, 12),
    "width": (1, 5),
    "activation": ["identity", "tanh"],
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 60,
    "seed": 0,
}


def _signals(net, inst):
    from backsmooth.numeric.model import gradients

    loss = inst.params["loss"]
    return gradients(net, inst.X0, list(inst.weights), loss=loss, targets=inst.targets)


def rows_for(inst, override=None, claims=None):
    """The table rows of the remedy claims ``claims`` (default all three) on one instance.

    The random skip, anchor and scale parameters are drawn in the same order whatever
    ``claims`` is, so a claim's rows do not depend on which other claims are measured.
    """
    W = list(inst.weights)
    L, n, width = len(W) - 1, inst.n, inst.params["width"]
    rng = np.random.default_rng([int(inst.params["seed"]), int(inst.params["instance"]), 99])
    s = max(float(np.linalg.norm(W[i], 2)) for i in range(1, L)) if L >= 2 else 0.0
    k = np.arange(L)

    def floor(scale):
        return roundoff_floor(scale, L, n, width)

    def scales(B):
        return np.array([np.linalg.norm(b) / np.sqrt(n) for b in B])

    claims = tuple(CLAIM_PARTS) if claims is None else tuple(claims)
    rows = []
    # -- residual
    r = round(float(rng.uniform(0.5, 2.0)), 6)
    if "remedy_residual" in claims:
        rows += _residual_rows(inst, override, r, s, k, floor, scales)
    # -- initial residual, with and without GCNII's identity mapping
    for variant in ("appnp", "gcnii"):
        a = round(float(rng.uniform(0.0, 0.9)), 6)
        b = round(float(rng.uniform(0.1, 1.0)), 6) if variant == "gcnii" else None
        if "remedy_initial_residual" in claims:
            rows += _initial_residual_rows(inst, override, variant, a, b, floor, scales)
    # -- normalisation
    for norm in ("mean", "pair"):
        sigma = round(float(rng.uniform(0.3, 2.0)), 6) if norm == "pair" else 1.0
        if "remedy_normalisation" in claims:
            rows += _normalisation_rows(inst, override, norm, sigma, s, k, floor, scales)
    return rows


def _residual_rows(inst, override, r, s, k, floor, scales):
    from backsmooth.numeric.remedies import residual_gnn

    P, lam, L = inst.P, inst.lam, inst.depth
    act = inst.params["activation"]
    rows = []
    g = _signals(residual_gnn(P, L, act, skip=r), inst)
    EB = layer_norms(g.B)
    vals = {"r": r, "lam": lam, "s": s, "L": L, "k": k, "E_BL1": EB[L - 1]}
    base = dict(base_row(inst, "remedy_residual"), skip=r)
    sc = np.maximum(scales(g.B)[:L], scales(g.B)[L - 1])
    rows.append(part_record(base, "lower", EB[:L], bound("remedy_residual", "lower", vals, override), floor(sc),
                            claim_hypotheses(inst, "remedy_residual", A3=True, **{"lambda*s<=r": lam * s <= r}),
                            relation=">=", layers=k))
    rows.append(part_record(base, "upper", EB[:L], bound("remedy_residual", "upper", vals, override), floor(sc),
                            claim_hypotheses(inst, "remedy_residual", parts=("A1", "rho=id", "A3"), A3=True),
                            layers=k))
    return rows


def _initial_residual_rows(inst, override, variant, a, b, floor, scales):
    from backsmooth.numeric.remedies import initial_residual_gnn

    P, lam, W, L = inst.P, inst.lam, list(inst.weights), inst.depth
    act = inst.params["activation"]
    rows = []
    g = _signals(initial_residual_gnn(P, L, act, alpha=a, beta=b), inst)
    Ms = [W[i] if b is None else (1 - b) * np.eye(W[i].shape[0]) + b * W[i] for i in range(1, L)]
    m = max(float(np.linalg.norm(M, 2)) for M in Ms)
    EB = layer_norms(g.B)
    mb = np.array([np.linalg.norm(x.mean(axis=0)) for x in g.B])
    kk = np.arange(1, L)
    vals = {"a": a, "lam": lam, "m_M": m, "L": L, "k": kk, "E_BL1": EB[L - 1], "bbar_L1": mb[L - 1]}
    base = dict(base_row(inst, "remedy_initial_residual"), variant=variant, a=a, b=b)
    sc = np.maximum(scales(g.B)[1:L], scales(g.B)[L - 1])
    hyp = claim_hypotheses(inst, "remedy_initial_residual", **{"0<=a<=1": 0 <= a <= 1})
    rows.append(part_record(base, f"centred_{variant}", EB[1:L],
                            bound("remedy_initial_residual", "centred", vals, override), floor(sc), hyp,
                            layers=kk))
    rows.append(part_record(base, f"mean_{variant}", mb[1:L],
                            bound("remedy_initial_residual", "mean", vals, override), floor(sc), hyp,
                            layers=kk))
    return rows


def _normalisation_rows(inst, override, norm, sigma, s, k, floor, scales):
    from backsmooth.numeric.remedies import normalised_gnn

    P, lam, W, L, n = inst.P, inst.lam, list(inst.weights), inst.depth, inst.n
    act = inst.params["activation"]
    rows = []
    net = normalised_gnn(P, L, act, norm=norm, scale=sigma)
    base = dict(base_row(inst, "remedy_normalisation"), norm=norm, sigma=sigma)
    try:
        g = _signals(net, inst)
    except FloatingPointError:  # PairNorm of a constant signal (e.g. P = J): undefined
        rows.append(part_record(base, "pairnorm", np.nan, np.nan, 0.0,
                                dict(claim_hypotheses(inst, "remedy_normalisation", parts=("A1", "A2")),
                                     **{"Pi H^(k) != 0": False})))
        return rows
    B, H = g.B, [g.forward.H[j] for j in range(L)]
    EB = layer_norms(B)
    EH = layer_norms(H)
    factor = np.ones(L) if norm == "mean" else sigma / EH
    upstream = np.array([np.linalg.norm(P, 2) * np.linalg.norm(B[j + 1]) * np.linalg.norm(W[j + 1], 2)
                         for j in range(L)]) * factor / np.sqrt(n)
    # A3 with s = max_k s_k (rows_for) holds by construction; the PairNorm one-step bound uses s_(k+1)
    hyp = claim_hypotheses(inst, "remedy_normalisation", A3=True)
    # sigma/E(H^(k)) is only known when E(H^(k)) is resolved above the round-off of H (else
    # the recomputed H^(k) and the one normalised differ in every digit of Pi H)
    rms = np.array([np.linalg.norm(h) / np.sqrt(n) for h in H])
    resolved = bool(np.all(EH > 1e3 * floor(rms)))
    mean_norm = np.array([np.linalg.norm(B[j].mean(axis=0)) for j in range(L)])
    rows.append(part_record(base, f"zero_mean_{norm}", mean_norm, 0.0,
                            floor(scales(B)[:L] + upstream), hyp, relation="==", layers=k))
    if norm == "pair":
        rows[-1] = _unresolved_unless(resolved, rows[-1])
    if norm == "mean":
        vals = {"lam": lam, "s": s, "L": L, "k": k, "E_BL1": EB[L - 1]}
        rows.append(part_record(base, "mean", EB[:L], bound("remedy_normalisation", "mean", vals, override),
                                floor(np.maximum(scales(B)[:L], scales(B)[L - 1])), hyp, layers=k))
    else:
        kk = np.arange(L - 1)
        s_k1 = np.array([np.linalg.norm(W[j + 1], 2) for j in kk])
        vals = {"sigma": sigma, "lam": lam, "s_k1": s_k1, "E_Bk1": EB[1:L], "E_Hk": EH[:L - 1]}
        rows.append(part_record(base, "pairnorm", EB[:L - 1],
                                bound("remedy_normalisation", "pairnorm", vals, override),
                                floor(scales(B)[:L - 1] + upstream[:L - 1]), hyp, layers=kk,
                                amplification=float(np.max(sigma * lam * s_k1 / EH[:L - 1]))))
        rows[-1] = _unresolved_unless(resolved, rows[-1])
    return rows


def _unresolved_unless(resolved, row):
    """``row`` as judged if ``resolved``; else ``unresolved``: PairNorm's factor ``sigma/E(H^(k))``
    is round-off when ``E(H^(k))`` is at most ``1e3`` times the round-off of ``H^(k)``, so the
    round-off of the bound itself reaches the bound and nothing is judged (a row whose
    hypotheses fail keeps ``hypotheses not met``)."""
    if resolved or row["verdict"] == "hypotheses not met":
        return row
    return dict(row, verdict="unresolved", layers_unresolved=row["layers_checked"],
                resolvable=False, unresolved_reason="E(H^(k)) at round-off: sigma/E(H^(k)) unknown")


def run(settings, progress=None, claims=None):
    """Run the remedies check; returns ``(rows, notes, extra)`` (rows of ``claims``, default
    all three)."""
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        if inst.depth < 2:
            continue
        rows.extend(rows_for(inst, override, claims))
    return rows, _NOTES, {}


_NOTES = ("Residual and initial-residual bounds are for linear rho; tanh rows are 'hypotheses not met' "
          "and show what the bounds do outside their hypotheses.",
          "PairNorm's one-step factor sigma lambda s_(k+1)/E(H^(k)) is reported as 'amplification'; "
          "values above 1 mean the bound does not force contraction.")


#: the parts of each remedy claim (:func:`rows_for` measures the claims it is given)
CLAIM_PARTS = {
    "remedy_residual": lambda part: part in ("lower", "upper"),
    "remedy_initial_residual": lambda part: part.startswith(("centred_", "mean_")),
    "remedy_normalisation": lambda part: part in ("mean", "pairnorm") or part.startswith("zero_mean_"),
}

_TITLES = {
    "remedy_residual": "Residual layers: E(B^(k)) bounded below through the skip path",
    "remedy_initial_residual": "Initial residual / GCNII: the backward path contracts by (1 - a)",
    "remedy_normalisation": "Mean subtraction and PairNorm: centred backward signals",
}


def _claim_runner(name):
    def runner(settings, progress=None):
        return run(settings, progress, (name,))

    runner.__doc__ = f"Run the check of claim ``{name}`` (the rows of its parts)."
    return runner


for _name in CLAIM_PARTS:
    register(_name, _TITLES[_name] + " [extension]", (_name,), DEFAULTS,
             provenance="extension")(_claim_runner(_name))


def run_remedies_shared(settings, progress=None):
    """The three remedy checks in one pass (shared instances): ``{name: (rows, notes, extra)}``."""
    rows, notes, extra = run(settings, progress)
    return {name: ([r for r in rows if keep(r["part"])], notes, dict(extra))
            for name, keep in CLAIM_PARTS.items()}


register_shared(tuple(CLAIM_PARTS), run_remedies_shared)
