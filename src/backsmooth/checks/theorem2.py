"""Checks of Theorem 2 (non-linear backward oversmoothing) and Proposition 1 (backward mean).

Theorem 2 (docs/theory.md), under (A1+), (A2), (A2b), with ``G_k = P B^(k+1) W^(k+1)T``,
``D_k = diag(rho'(hbar^(k)))``, ``R_k = rho'(H^(k)) - 1 rho'(hbar^(k))^T``:

.. math::

    B^{(k)} = G_k D_k + R_k \\odot G_k, \\qquad
    E(B^{(k)}) \\le \\lambda s_{k+1} E(B^{(k+1)}) + c_\\rho \\lambda s_k s_{k+1} E(X^{(k)})
    \\|B^{(k+1)}\\|_{row},

with (ii) ``||R_k||_F <= c_rho sqrt(n) E(H^(k))``, (iv) ``||B^(k)||_row <= s_{k+1}
||B^(k+1)||_row``, the unrolled product form (v) and the uniform forms (vi).  Proposition 1
(section 5): ``r_k = bbar^(k) - D_k W^(k+1) bbar^(k+1)`` satisfies ``||r_k|| <= c_rho lambda s_k
s_{k+1} E(X^(k)) ||B^(k+1)||_row`` (i), the second-order bound (ii) under (A2c),
``||bbar^(k) - N_k bbar^(L)||`` is bounded by (iii) and ``||bbar^(k)||`` by (iv).

The Theorem 2 check also reports the *middle-layer effect*: the layer where ``E(B^(k))`` is
smallest, and how often it lies strictly inside ``0 < k < L`` (backward smoothing is strongest
where the forward is already smooth and the output is far).
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import part_record, register, roundoff_floor
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import measure_instance
from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.measures import max_row_norm, mean_row

__all__ = ["DEFAULTS", "linearisation", "rows_proposition1", "run_theorem2"]

DEFAULTS = {
    "graph": [
        "flat",
        "er",
        "sbm",
        "csbm",
        "regular",
        "cycle",
        "complete",
        "star",
        "barbell",
        "karate",
    ],
    "n": (4, 36),
    "depth": (1, 14),
    "width": (1, 6),
    "activation": ["tanh", "arctan", "sin", "softplus", "identity", "relu"],
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 150,
    "seed": 0,
}


def linearisation(meas, weights, rho):
    """Per layer ``k < L``: ``G_k``, ``D_k`` (vector), ``R_k``, ``r_k`` and ``N_k bbar^(L)``."""
    L = meas.depth
    P, H, B = meas.P, meas.H, meas.B
    out = []
    v = mean_row(B[-1])
    Nb = [None] * (L + 1)
    Nb[L] = v
    for k in range(L - 1, -1, -1):
        hbar = mean_row(H[k])
        D = rho.derivative(hbar)
        R = rho.derivative(H[k]) - D[None, :]
        G = P @ B[k + 1] @ weights[k + 1].T
        r = mean_row(B[k]) - D * (weights[k + 1] @ mean_row(B[k + 1]))
        Nb[k] = D * (weights[k + 1] @ Nb[k + 1])
        out.append({"k": k, "G": G, "D": D, "R": R, "r": r})
    return out[::-1], Nb


def _hyp(inst, s_cond, claim="theorem2"):
    """The claim's hypotheses (from the registry) plus a bound variant's side conditions."""
    return claim_hypotheses(inst, claim, extra=tuple(s_cond), **s_cond)


def _layer_values(meas, rho, lin):
    """Measured inputs shared by the Theorem 2 and Proposition 1 bounds (layers ``k < L``)."""
    L = meas.depth
    return {
        "lam": meas.lam,
        "s_k": meas.s[:L],
        "s_k1": meas.s[1:],
        "E_Xk": meas.E_X[:L],
        "B_row_k1": np.array([max_row_norm(b) for b in meas.B[1:]]),
        "c_rho": rho.derivative_lipschitz,
        "E_Hk": meas.E_H[:L],
        "G_max": np.array([np.abs(d["G"]).max() for d in lin]),
        "s": float(meas.s.max()),
        "L": L,
        "k": np.arange(L),
        "E_X0": meas.E_X[0],
        "beta": meas.beta,
    }


def rows_theorem2(inst, meas, override=None):
    L, n = meas.depth, meas.n
    if L == 0:
        return []
    rho = _activation(inst.params["activation"])
    lin, _ = linearisation(meas, inst.weights, rho)
    base = base_row(inst, "theorem2")
    vals = dict(_layer_values(meas, rho, lin), E_Bk1=meas.E_B[1:], E_BL=meas.E_B[-1])
    k, s = vals["k"], vals["s"]
    # relative to the signal's scale (B^(k) itself may be tiny by cancellation, e.g. P = J)
    split = np.array(
        [
            np.linalg.norm(meas.B[j] - (d["G"] * d["D"][None, :] + d["R"] * d["G"]))
            / max(np.linalg.norm(meas.B[j]), meas.B_scale[j] * np.sqrt(n), 1e-300)
            for j, d in enumerate(lin)
        ]
    )
    fB = floor_for(meas, meas.B_scale[:L])
    hyp = _hyp(inst, {})

    def bounds_E_B(part, hyps, values=vals, **extra):  # a row bounding E(B^(k)), k < L
        return part_record(
            base,
            part,
            meas.E_B[:L],
            bound("theorem2", part, values, override),
            fB,
            hyps,
            layers=k,
            **extra,
        )

    kmin = int(np.argmin(meas.E_B))
    mid = {"argmin_E_B": kmin, "interior_minimum": bool(0 < kmin < L)}
    # relative error of the split: rho'(H) is evaluated at H carrying round-off ~ eps max|H|
    amp = 1.0 + (
        rho.derivative_lipschitz * max(float(np.abs(h).max()) for h in meas.H[:-1])
        if np.isfinite(rho.derivative_lipschitz)
        else 0.0
    )
    rows = [
        part_record(
            base,
            "split",
            split,
            0.0,
            amp * roundoff_floor(1.0, L, n, meas.width),
            hyp,
            relation="==",
            layers=k,
        ),
        bounds_E_B("recursion", hyp, **mid),
        bounds_E_B("recursion_measured", hyp),
        bounds_E_B("unrolled", _hyp(inst, {"lambda^2*s<1": meas.lam**2 * s < 1})),
        bounds_E_B("unrolled_s_le_1", _hyp(inst, {"s<=1": s <= 1 + 1e-12})),
    ]
    # (ii) ||R_k||_F <= c_rho sqrt(n) E(H^(k)) (only rho' Lipschitz is used)
    R_norm = np.array([np.linalg.norm(d["R"]) for d in lin])
    vals_R = {"c_rho": rho.derivative_lipschitz, "n": n, "E_Hk": meas.E_H[:L]}
    rows.append(
        part_record(
            base,
            "R_norm",
            R_norm,
            bound("theorem2", "R_norm", vals_R, override),
            amp * roundoff_floor(np.sqrt(n), L, n, meas.width),
            claim_hypotheses(inst, "theorem2", parts=("A2", "A2b")),
            layers=k,
        )
    )
    # (iv) ||B^(k)||_row <= s_{k+1} ||B^(k+1)||_row (uses ||P||_inf = 1, i.e. P >= 0)
    B_row = np.array([max_row_norm(b) for b in meas.B[:L]])
    rows.append(
        part_record(
            base,
            "row_growth",
            B_row,
            bound("theorem2", "row_growth", vals, override),
            fB * np.sqrt(n),
            claim_hypotheses(inst, "theorem2", parts=("A1+", "A2")),
            layers=k,
        )
    )
    # (v) product form, Sigma_lam_k = sum_{j=k}^{L-1} lambda^(j-k+1) s_j E(X^(j))
    terms = meas.s[:L] * meas.E_X[:L]
    Sigma_lam = np.array(
        [np.sum(meas.lam ** (np.arange(j, L) - j + 1) * terms[j:]) for j in range(L)]
    )
    vals_v = dict(vals, S_k=meas.S[:L], Sigma_lam_k=Sigma_lam)
    rows.append(bounds_E_B("unrolled_product", hyp, vals_v))
    return rows


def rows_proposition1(inst, meas, override=None):
    L = meas.depth
    if L == 0:
        return []
    rho = _activation(inst.params["activation"])
    lin, Nb = linearisation(meas, inst.weights, rho)
    base = base_row(inst, "proposition1")
    vals = dict(_layer_values(meas, rho, lin), S_k=meas.S[:L], mu=meas.mu, Sigma_k=meas.Sigma[:L])
    k, s = vals["k"], vals["s"]
    r_norm = np.array([np.linalg.norm(d["r"]) for d in lin])
    gap = np.array([np.linalg.norm(mean_row(meas.B[j]) - Nb[j]) for j in range(L)])
    bbar = np.array([np.linalg.norm(mean_row(b)) for b in meas.B])  # ||bbar^(k)||, k = 0..L
    fB = floor_for(meas, meas.B_scale[:L])
    hyp = _hyp(inst, {}, "proposition1")
    vals2 = dict(
        vals,
        E_Bk1=meas.E_B[1:],
        c_2=rho.second_derivative_lipschitz,
        gbar_inf=np.array(
            [np.abs(inst.weights[j + 1] @ mean_row(meas.B[j + 1])).max() for j in range(L)]
        ),
        bbar_k1=bbar[1:],
    )
    hyp2 = claim_hypotheses(inst, "proposition1", extra=("A2c",))

    def row(part, measured, hyps, values=vals):
        return part_record(
            base, part, measured, bound("proposition1", part, values, override), fB, hyps, layers=k
        )

    return [
        row("second_order", r_norm, hyp2, vals2),
        row("second_order_a_priori", r_norm, hyp2, vals2),
        row("one_step", r_norm, hyp),
        row("one_step_measured", r_norm, hyp),
        row("uniform", gap, _hyp(inst, {"lambda*s<1": meas.lam * s < 1}, "proposition1")),
        row("mean", bbar[:L], hyp),
    ]


def _mid_summary(rows):
    deep = [
        r
        for r in rows
        if r["part"] == "recursion"
        and r["depth"] >= 6
        and r["verdict"] != "hypotheses not met"
        and r["activation"] != "identity"
        and r["lambda"] * r["scale"] < 1
    ]
    return {
        "middle_layer_effect": {
            "instances (depth >= 6, non-linear, lambda s < 1)": len(deep),
            "E(B^(k)) smallest strictly inside 0 < k < L": sum(r["interior_minimum"] for r in deep),
        }
    }


@register(
    "theorem2",
    "Non-linear backward oversmoothing with forward interaction",
    ("theorem2",),
    DEFAULTS,
)
def run_theorem2(settings, progress=None):
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        rows.extend(rows_theorem2(inst, measure_instance(inst), override))
    return rows, (), _mid_summary(rows)
