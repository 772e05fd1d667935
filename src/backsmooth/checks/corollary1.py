"""Check of Corollary 1 (backward oversmoothing of linear GNNs) and of the mean propagation.

Statement (docs/theory.md): under (A1) with ``rho = id`` and ``M_k = W^(k+1) ... W^(L)``,

.. math::

    B^{(k)} = P^{L-k} B^{(L)} M_k^T, \\quad \\bar b^{(k)} = M_k \\bar b^{(L)}, \\quad
    E(B^{(k)}) \\le \\lambda^{L-k} S_k E(B^{(L)}) \\le (\\lambda s)^{L-k} E(B^{(L)}),

and ``||B^(k) - 1 (M_k bbar^(L))^T||_F <= sqrt(n) (lambda s)^(L-k) E(B^(L))``.

Parts: ``closed_form`` and ``mean`` (identities: relative error of the backpropagated signal
against the closed form, judged against the round-off floor), ``product``, ``uniform``,
``distance`` (bounds of the symbolic registry, ``k = 0..L-1``; ``k = L`` is a trivial
equality), ``mean_propagation`` (``||bbar^(k)|| <= S_k mu``).  Rate: the fitted decay of
``E(B^(k))`` from the output towards the input against ``lambda s``.
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import fitted_rate, part_record, register, roundoff_floor
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import measure_instance
from backsmooth.numeric.measures import mean_row

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
    "activation": "identity",
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 150,
    "seed": 0,
}


def rows_for(inst, meas, override=None, claim="corollary1"):
    """The table rows of Corollary 1 on one measured (linear) instance."""
    L, n = meas.depth, meas.n
    W = inst.weights
    P = meas.P
    B = meas.B
    base = base_row(inst, claim)
    s = float(meas.s[1:].max()) if L >= 1 else float(meas.s[0])
    # the exact closed form and the product form use A1 and rho = id; the uniform forms add A3
    # (s_i <= s for i = 1..L, true here because s is the measured max)
    hyp = claim_hypotheses(inst, claim, parts=("A1", "rho=id"))
    hyp_s = claim_hypotheses(inst, claim, A3=bool(L == 0 or np.all(meas.s[1:] <= s)))
    # closed form B^(k) = P^(L-k) B^(L) M_k^T and mean bbar^(k) = M_k bbar^(L)
    allow = roundoff_floor(1.0, L, n, meas.width)
    errs, mean_errs, dist = [], [], []
    M = np.eye(W[-1].shape[1])
    PB = B[-1].copy()
    for k in range(L, -1, -1):
        if k < L:
            M = W[k + 1] @ M
            PB = P @ PB
        closed = PB @ M.T
        scale = max(
            np.linalg.norm(B[k]), np.linalg.norm(closed), meas.B_scale[k] * np.sqrt(n), 1e-300
        )
        errs.append(np.linalg.norm(B[k] - closed) / scale)
        mb = M @ mean_row(B[-1])
        # relative to the signal's scale (the mean may be 0 up to cancellation, e.g. CE)
        mean_errs.append(np.linalg.norm(mean_row(B[k]) - mb) / max(meas.B_scale[k], 1e-300))
        dist.append(np.linalg.norm(B[k] - np.outer(np.ones(n), mb)))
    errs, mean_errs, dist = (np.array(x[::-1]) for x in (errs, mean_errs, dist))
    k = np.arange(L + 1)
    rows = [
        part_record(base, "closed_form", errs, 0.0, allow, hyp, relation="==", layers=k),
        part_record(base, "mean", mean_errs, 0.0, allow, hyp, relation="==", layers=k),
    ]
    if L == 0:
        return rows
    vals = {
        "lam": meas.lam,
        "s": s,
        "L": L,
        "k": k,
        "E_BL": meas.E_B[-1],
        "S_k": meas.S,
        "n": n,
        "mu": meas.mu,
    }
    low = slice(0, L)
    fB = floor_for(meas, meas.B_scale)
    fit = fitted_rate(np.where(meas.E_B > fB, meas.E_B, np.nan)[::-1])
    for part in ("product", "uniform", "distance"):
        measured = dist if part == "distance" else meas.E_B
        floor = fB * np.sqrt(n) if part == "distance" else fB
        extra = {"fitted_rate": fit, "predicted_rate": meas.lam * s} if part == "uniform" else {}
        rows.append(
            part_record(
                base,
                part,
                measured[low],
                bound(claim, part, vals, override)[low],
                floor[low],
                hyp if part == "product" else hyp_s,
                layers=k[low],
                **extra,
            )
        )
    mean_norm = np.array([np.linalg.norm(mean_row(b)) for b in B])
    rows.append(
        part_record(
            base_row(inst, "mean_propagation"),
            "mean_propagation",
            mean_norm[low],
            bound("mean_propagation", "product", vals, override)[low],
            fB[low],
            claim_hypotheses(inst, "mean_propagation"),
            layers=k[low],
        )
    )
    return rows


@register(
    "corollary1",
    "Linear GNN: B^(k) = P^(L-k) B^(L) M_k^T, E(B^(k)) <= (lambda s)^(L-k) E(B^(L))",
    ("corollary1", "mean_propagation"),
    DEFAULTS,
)
def run(settings, progress=None):
    """Run the Corollary 1 check; returns ``(rows, notes, extra)``."""
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        rows.extend(rows_for(inst, measure_instance(inst), override))
    return rows, (), {}
