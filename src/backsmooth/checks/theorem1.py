"""Check of Theorem 1 (forward oversmoothing).

Statement (docs/theory.md; provenance from the symbolic registry): under ass:P (A1) and
ass:sigma (A2, rho 1-Lipschitz), for every ``k = 0..L``

.. math::

    E(H^{(k)}) \\le \\lambda s_k E(X^{(k)}), \\qquad
    E(X^{(k)}) \\le \\prod_{i<k} \\lambda s_i \\, E(X^{(0)}) \\le (\\lambda s)^k E(X^{(0)}),

and, if ``s <= lambda^(-alpha)`` with ``0 <= alpha < 1``,
``E(X^(k)) <= lambda^((1-alpha)k) E(X^(0))``.

Parts checked per instance (worst layer kept): ``product``, ``uniform`` (``s = max_i s_i``),
``alpha`` (``alpha`` of the instance; hypothesis ``s <= lambda^(-alpha)``, ``alpha < 1``) and
``step``.  Rate: the fitted decay ``exp(slope of log E(X^(k)) in k)`` against ``lambda s``
(uniform row) and ``lambda^(1-alpha)`` (alpha row).
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import fitted_rate, part_record, register
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import measure

__all__ = ["DEFAULTS", "bound_values", "run"]

DEFAULTS = {
    "graph": [
        "flat",
        "er",
        "sbm",
        "csbm",
        "regular",
        "cycle",
        "path",
        "complete",
        "star",
        "barbell",
        "karate",
        "florentine",
    ],
    "n": (4, 40),
    "depth": (1, 16),
    "width": (1, 6),
    "activation": ["tanh", "arctan", "sin", "identity", "relu", "leaky_relu", "softplus"],
    "scale": "auto",
    "loss": "mse",
    "propagation": "lazy",
    "trials": 200,
    "seed": 0,
}


def bound_values(meas):
    """Measured inputs of the Theorem 1 bounds (``s = max_i s_i`` over ``i < L``)."""
    L = meas.depth
    return {
        "lam": meas.lam,
        "s": float(meas.s[: max(L, 1)].max()),
        "k": np.arange(L + 1),
        "E_X0": meas.E_X[0],
        "Lam_k": meas.Lam,
        "s_k": meas.s,
        "E_Xk": meas.E_X,
    }


def rows_for(inst, meas, override=None, claim="theorem1"):
    """The table rows of Theorem 1 on one measured instance."""
    alpha = float(inst.params["alpha"])
    vals = dict(bound_values(meas), alpha=alpha)
    k, s = vals["k"], vals["s"]
    base = base_row(inst, claim)
    hyp = claim_hypotheses(inst, "theorem1")
    fX = floor_for(meas, meas.X_scale)
    fit = fitted_rate(np.where(meas.E_X > fX, meas.E_X, np.nan))
    # k = 0 is the trivial equality E(X^(0)) <= E(X^(0)): the bounds are judged on k >= 1
    top = slice(1, None)

    def bounds_E_X(part, hyps, **extra):  # a row bounding E(X^(k)), k >= 1
        return part_record(
            base,
            part,
            meas.E_X[top],
            bound(claim, part, vals, override)[top],
            fX[top],
            hyps,
            layers=k[top],
            **extra,
        )

    hyp_alpha = dict(hyp)
    with np.errstate(divide="ignore"):
        limit = np.power(np.float64(meas.lam), -alpha) if alpha < 1 else 0.0
    hyp_alpha["s<=lambda^(-alpha), alpha<1"] = bool(alpha < 1 and s <= limit * (1 + 1e-12))
    return [
        bounds_E_X("product", hyp),
        bounds_E_X("uniform", hyp, fitted_rate=fit, predicted_rate=meas.lam * s),
        bounds_E_X(
            "alpha",
            hyp_alpha,
            fitted_rate=fit,
            predicted_rate=meas.lam ** (1 - alpha) if alpha < 1 else None,
        ),
        part_record(
            base,
            "step",
            meas.E_H,
            bound(claim, "step", vals, override),
            floor_for(meas, meas.H_scale),
            hyp,
            layers=k,
        ),
    ]


@register(
    "theorem1", "Forward oversmoothing E(X^(k)) <= (lambda s)^k E(X^(0))", ("theorem1",), DEFAULTS
)
def run(settings, progress=None):
    """Run the Theorem 1 check (see the module docstring); returns ``(rows, notes, extra)``."""
    rows = []
    skipped = 0
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        if inst.depth == 0:  # no layer k >= 1: nothing to bound
            skipped += 1
            continue
        # Theorem 1 is about the forward pass only: the backward pass runs with an MSE head
        # whatever the instance's loss (zero targets for cross-entropy labels)
        targets = (
            inst.targets
            if inst.params["loss"] == "mse"
            else np.zeros((inst.n, inst.weights[-1].shape[1]))
        )
        meas = measure(
            inst.P, inst.X0, inst.weights, inst.params["activation"], "mse", targets, inst.lam
        )
        rows.extend(rows_for(inst, meas, override))
    notes = ()
    if skipped:
        notes = (f"{skipped} instance(s) of depth L = 0 skipped: Theorem 1 bounds layers k >= 1",)
    return rows, notes, {}
