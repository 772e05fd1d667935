"""Check of Theorem 1 (forward oversmoothing).

Statement (theorems.md section 2; provenance from the symbolic registry): under ass:P (A1) and
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

from backsmooth.checks._bounds import bound
from backsmooth.checks._framework import fitted_rate, part_record, register
from backsmooth.checks._instances import instances
from backsmooth.checks._runner import base_row, floor_for, hypotheses
from backsmooth.checks._signals import measure

__all__ = ["DEFAULTS", "run"]

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


def rows_for(inst, meas, override=None, claim="theorem1"):
    """The table rows of Theorem 1 on one measured instance."""
    L = meas.depth
    k = np.arange(L + 1)
    s = float(meas.s[: max(L, 1)].max())
    alpha = float(inst.params["alpha"])
    vals = {
        "lam": meas.lam,
        "s": s,
        "k": k,
        "E_X0": meas.E_X[0],
        "Lam_k": meas.Lam,
        "alpha": alpha,
        "s_k": meas.s,
        "E_Xk": meas.E_X,
    }
    base = base_row(inst, claim)
    hyp = hypotheses(inst, ("A1", "A2"))
    fX = floor_for(meas, meas.X_scale)
    fit = fitted_rate(np.where(meas.E_X > fX, meas.E_X, np.nan))
    # k = 0 is the trivial equality E(X^(0)) <= E(X^(0)): the bounds are judged on k >= 1
    top = slice(1, None)
    kk = k[top]
    rows = [
        part_record(
            base,
            "product",
            meas.E_X[top],
            bound(claim, "product", vals, override)[top],
            fX[top],
            hyp,
            layers=kk,
        ),
        part_record(
            base,
            "uniform",
            meas.E_X[top],
            bound(claim, "uniform", vals, override)[top],
            fX[top],
            hyp,
            layers=kk,
            fitted_rate=fit,
            predicted_rate=meas.lam * s,
        ),
    ]
    hyp_alpha = dict(hyp)
    with np.errstate(divide="ignore"):
        limit = np.power(np.float64(meas.lam), -alpha) if alpha < 1 else 0.0
    hyp_alpha["s<=lambda^(-alpha), alpha<1"] = bool(alpha < 1 and s <= limit * (1 + 1e-12))
    rows.append(
        part_record(
            base,
            "alpha",
            meas.E_X[top],
            bound(claim, "alpha", vals, override)[top],
            fX[top],
            hyp_alpha,
            layers=kk,
            fitted_rate=fit,
            predicted_rate=meas.lam ** (1 - alpha) if alpha < 1 else None,
        )
    )
    rows.append(
        part_record(
            base,
            "step",
            meas.E_H,
            bound(claim, "step", vals, override),
            floor_for(meas, meas.H_scale),
            hyp,
            layers=k,
        )
    )
    return rows


@register(
    "theorem1", "Forward oversmoothing E(X^(k)) <= (lambda s)^k E(X^(0))", ("theorem1",), DEFAULTS
)
def run(settings, progress=None):
    """Run the Theorem 1 check (see the module docstring); returns ``(rows, notes, extra)``."""
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        meas = measure(
            inst.P,
            inst.X0,
            inst.weights,
            inst.params["activation"],
            "mse",
            inst.targets
            if inst.params["loss"] == "mse"
            else np.zeros((inst.n, inst.weights[-1].shape[1])),
            inst.lam,
        )
        rows.extend(rows_for(inst, meas, override))
    return rows, (), {}
