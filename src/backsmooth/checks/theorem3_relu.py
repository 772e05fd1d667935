"""Check ``theorem3_relu`` [extension]: Theorem 3 for ReLU where the margin stays away from 0.

``c_rho`` enters Theorem 3 only through Theorem 2 and Proposition 1 (layers ``j < L``); for
ReLU each of those steps holds with ``kappa_j = 1 / min_i |hbar^(j)_i|`` (claim
``theorem2_relu``), hence Theorem 3 holds with ``c_rho`` replaced by ``kappa = max_{j<L}
kappa_j`` -- an extension checked here numerically, not proved.  (A2a) holds for ReLU.

Parts (rows labelled ``theorem3_relu``): ``per_layer`` (Theorem 3(a), ``||grad_k||_F <=
delta_k``), ``uniform_hidden`` and ``clean_hidden`` (b), (c) with the output layer kept out of
``s``.  The output layer is trained alone (``fitted``) or left random.  Where some margin is
0 (``kappa = inf``) the hypothesis fails; where it is small the bound is vacuous: the summary
counts vacuous rows by margin, which is the honest picture for ReLU (deep random ReLU nets have
margins of 1e-3 and below).
"""

from __future__ import annotations

import numpy as np

from ._framework import part_record, register
from ._instances import instances
from ._runner import base_row, floor_for, hypotheses
from ._signals import FIT_ERRORS, fit_output, measure_instance
from .theorem2_relu import SMALL_MARGIN, margins
from .theorem3 import _common_values, _hidden_rows, certified_deltas

__all__ = ["DEFAULTS", "run"]

DEFAULTS = {
    "graph": ["flat", "er", "sbm", "csbm", "regular", "complete", "barbell", "karate"],
    "n": (4, 30),
    "depth": (1, 8),
    "width": (1, 6),
    "activation": "relu",
    "scale": ["auto", "unit", "contractive"],
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "output": ["fitted", "random"],
    "trials": 100,
    "seed": 0,
}


def _rows(inst, meas, output):
    L, n = meas.depth, meas.n
    margin = margins(meas) if L else np.array([np.inf])
    with np.errstate(divide="ignore"):
        kappa = float(np.max(1.0 / margin))
    base = base_row(inst, "theorem3_relu")
    base.update({"output": output, "min_margin": float(margin.min()), "kappa": kappa})
    hyp = hypotheses(inst, ("A1+", "A2", "A2a"), **{
        "rho=relu": inst.params["activation"] == "relu", "margin>0": bool(np.isfinite(kappa))})
    grads = meas.grad_norms
    f = floor_for(meas, n * meas.X_scale * meas.B_scale)
    trivial = meas.xi * meas.Q * meas.S * float(np.linalg.norm(meas.B[-1]))
    kap = kappa if np.isfinite(kappa) else np.nan
    with np.errstate(invalid="ignore", over="ignore"):
        delta = certified_deltas(meas, kap)
    rows = [part_record(base, "per_layer", grads, delta, f, hyp, layers=np.arange(L + 1),
                        vacuous=bool(np.all(delta >= trivial)))]
    vals = dict(_common_values(meas, kap, meas.mu), M=np.arange(L + 1), E_X0=meas.E_X[0])
    rows += _hidden_rows(base, meas, hyp, vals, float(grads.max()), float(f.max()),
                         float(trivial.max()), None)
    return rows


@register(
    "theorem3_relu",
    "Theorem 3 for ReLU with c_rho -> max_k kappa_k [extension]",
    ("theorem3", "theorem2_relu"),
    DEFAULTS,
    provenance="extension",
)
def run(settings, progress=None):
    rows, failed = [], 0
    outputs = settings.get("output", "fitted")
    for inst in instances(settings, progress):
        rng = np.random.default_rng([inst.params["seed"], inst.params["instance"], 3])
        output = outputs[int(rng.integers(len(outputs)))] if isinstance(outputs, list) else outputs
        weights = list(inst.weights)
        if output == "fitted":
            try:
                weights = fit_output(inst, tol=1e-10, max_iter=100).weights
            except FIT_ERRORS:
                failed += 1
                continue
        if inst.params["depth"] < 1:
            continue
        rows.extend(_rows(inst, measure_instance(inst, weights), output))
    judged = [r for r in rows if r["part"] == "per_layer" and r["verdict"] == "holds"]
    small = [r for r in judged if r["min_margin"] < SMALL_MARGIN]
    large = [r for r in judged if r["min_margin"] >= SMALL_MARGIN]
    notes = [
        f"per_layer bound vacuous (>= the trivial ||X^(0)||_F Q_k S_k ||B^(L)||_F) on "
        f"{sum(r['vacuous'] for r in small)} of {len(small)} judged instances with min margin "
        f"< {SMALL_MARGIN:g} and on {sum(r['vacuous'] for r in large)} of {len(large)} others"
    ]
    if failed:
        notes.append(f"{failed} instance(s) skipped: the output-layer fit failed")
    return rows, notes, {}
