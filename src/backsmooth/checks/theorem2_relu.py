"""Check of ``theorem2_relu`` [extension]: ReLU backward oversmoothing with the margin constant.

ReLU' is a step, so (A2b) fails and Theorem 2 does not apply.  But for ``b != 0``,
``|1[a > 0] - 1[b > 0]| <= |a - b| / |b|`` (the indicator changes only when ``a`` and ``b``
have opposite signs, and then ``|a - b| >= |b|``).  Hence ``|(R_k)_ij| <= |(Pi H^(k))_ij| /
|hbar^(k)_j| <= kappa_k |(Pi H^(k))_ij|`` with the *margin constant* ``kappa_k = 1 / min_j
|hbar^(k)_j|`` of layer ``k`` (over the non-constant columns ``j`` of ``H^(k)``: on a
constant column, e.g. a dead unit, ``R`` and ``Pi H`` vanish), and every step of Theorem 2
goes through with ``c_rho`` replaced by ``kappa_k`` (claim ``theorem2_relu`` of
:mod:`backsmooth.symbolic.bounds`):

* ``R_norm``: ``||R_k||_F <= kappa_k sqrt(n) E(H^(k))``;
* ``recursion_measured`` / ``recursion``: ``E(B^(k)) <= lambda s_(k+1) E(B^(k+1)) + kappa_k
  E(H^(k)) ||G_k||_max <= ... + kappa_k lambda s_k s_(k+1) E(X^(k)) ||B^(k+1)||_row``;
* ``unrolled_product``: ``E(B^(k)) <= S_k (lambda^(L-k) E(B^(L)) + beta sum_j lambda^(j-k+1)
  kappa_j s_j E(X^(j)))``; ``unrolled``: the uniform form with ``kappa = max_j kappa_j``
  (needs ``lambda^2 s < 1``);
* ``mean_one_step`` (Proposition 1(i) for ReLU): ``||r_k|| <= kappa_k E(H^(k)) ||G_k||_max``.

Hypotheses: (A1+), ReLU, and a non-zero margin ``min_j |hbar^(k)_j| > 0`` on every layer
(``kappa_k = 0`` when every column of ``H^(k)`` is constant).  When
the margin tends to 0 the constant blows up and the bound becomes vacuous: each row records the
smallest margin and whether the recursion bound is at least the trivial one ``s_(k+1)
||B^(k+1)||_F / sqrt(n)`` (which needs no smoothing at all); the summary counts those by margin.
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import part_record, register, roundoff_floor
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import measure_instance
from .theorem2 import linearisation
from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.measures import max_row_norm

__all__ = ["DEFAULTS", "margins", "rows_for", "run"]

DEFAULTS = {
    "graph": ["flat", "er", "sbm", "csbm", "regular", "cycle", "complete", "star", "barbell",
              "karate"],
    "n": (4, 36),
    "depth": (1, 14),
    "width": (1, 6),
    "activation": "relu",
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 150,
    "seed": 0,
}

#: margins below this are reported apart in the summary (the bound is then usually vacuous)
SMALL_MARGIN = 1e-2


def column_margin(H):
    """``min_j |hbar_j|`` over the non-constant columns ``j`` of ``H`` (``inf`` if none).

    A constant column (e.g. a dead ReLU unit, all zeros) has ``(Pi H)_:j = 0`` and ``R_:j = 0``:
    the entrywise bound holds there with any constant, so it does not enter the margin.
    """
    H = np.asarray(H, float)
    live = np.ptp(H, axis=0) > 0
    if not live.any():
        return np.inf
    return float(np.abs(H.mean(axis=0)[live]).min())


def margins(meas):
    """:func:`column_margin` of ``H^(k)`` for the layers ``k < L``."""
    return np.array([column_margin(h) for h in meas.H[: meas.depth]])


def rows_for(inst, meas, override=None):
    """The table rows of one ReLU instance (one per part)."""
    L, n = meas.depth, meas.n
    if L == 0:
        return []
    if inst.params["activation"] != "relu":
        raise ValueError(
            f"theorem2_relu is a ReLU claim; got activation {inst.params['activation']!r}"
        )
    rho = _activation("relu")
    lin, _ = linearisation(meas, inst.weights, rho)
    margin = margins(meas)
    with np.errstate(divide="ignore"):
        kappa_k = 1.0 / margin  # inf margin (all columns constant) -> 0, margin 0 -> inf
    k = np.arange(L)
    s = float(meas.s.max())
    base = base_row(inst, "theorem2_relu")
    base.update({"min_margin": float(margin.min()), "kappa_max": float(kappa_k.max()),
                 "dead_layers": int(np.sum(~np.isfinite(margin)))})
    hyp = claim_hypotheses(inst, "theorem2_relu", **{
        "rho=relu": True, "hbar^(k)_j != 0": bool(np.all(margin > 0))})
    G_max = np.array([np.abs(d["G"]).max() for d in lin])
    B_row_k1 = np.array([max_row_norm(b) for b in meas.B[1:]])
    terms = meas.s[:L] * meas.E_X[:L] * kappa_k
    Sigma_kappa = np.array(
        [np.sum(meas.lam ** (np.arange(j, L) - j + 1) * terms[j:]) for j in range(L)]
    )
    vals = {
        "lam": meas.lam, "s_k": meas.s[:L], "s_k1": meas.s[1:], "s": s, "L": L, "k": k,
        "E_Bk1": meas.E_B[1:], "E_BL": meas.E_B[-1], "E_Xk": meas.E_X[:L], "E_Hk": meas.E_H[:L],
        "E_X0": meas.E_X[0], "B_row_k1": B_row_k1, "G_max": G_max, "kappa_k": kappa_k,
        "kappa": float(kappa_k.max()), "beta": meas.beta, "S_k": meas.S[:L],
        "Sigma_kappa_k": Sigma_kappa, "n": n,
    }
    fB = floor_for(meas, meas.B_scale[:L])
    with np.errstate(invalid="ignore", over="ignore"):
        rec = bound("theorem2_relu", "recursion", vals, override)
    trivial = meas.s[1:] * np.array([np.linalg.norm(b) for b in meas.B[1:]]) / np.sqrt(n)
    extra = {"vacuous": bool(np.all(rec >= trivial))}

    def row(part, measured, hyps=hyp, floor=fB, **more):
        with np.errstate(invalid="ignore", over="ignore"):
            b = bound("theorem2_relu", part, vals, override)
        return part_record(base, part, measured, b, floor, hyps, layers=k, **more)

    split = np.array(
        [
            np.linalg.norm(meas.B[j] - (d["G"] * d["D"][None, :] + d["R"] * d["G"]))
            / max(np.linalg.norm(meas.B[j]), meas.B_scale[j] * np.sqrt(n), 1e-300)
            for j, d in enumerate(lin)
        ]
    )
    R_norm = np.array([np.linalg.norm(d["R"]) for d in lin])
    r_norm = np.array([np.linalg.norm(d["r"]) for d in lin])
    return [
        part_record(base, "split", split, 0.0, roundoff_floor(1.0, L, n, meas.width), hyp,
                    relation="==", layers=k),
        # R_k is an exact 0/1 pattern difference: no round-off floor beyond that of H
        row("R_norm", R_norm, floor=roundoff_floor(np.sqrt(n), L, n, meas.width)),
        row("recursion", meas.E_B[:L], **extra),
        row("recursion_measured", meas.E_B[:L]),
        row("unrolled_product", meas.E_B[:L]),
        row("unrolled", meas.E_B[:L], dict(hyp, **{"lambda^2*s<1": meas.lam**2 * s < 1})),
        row("mean_one_step", r_norm),
    ]


def _margin_summary(rows):
    rec = [r for r in rows if r["part"] == "recursion" and r["verdict"] != "hypotheses not met"]
    small = [r for r in rec if r["min_margin"] < SMALL_MARGIN]
    large = [r for r in rec if r["min_margin"] >= SMALL_MARGIN]
    out = {
        "margin": {
            f"instances with min margin < {SMALL_MARGIN:g}": len(small),
            "   of which recursion bound vacuous": sum(r["vacuous"] for r in small),
            f"instances with min margin >= {SMALL_MARGIN:g}": len(large),
            "   of which recursion bound vacuous ": sum(r["vacuous"] for r in large),
            "median min margin": float(np.median([r["min_margin"] for r in rec])) if rec else None,
        }
    }
    note = (
        f"margin: the recursion bound is vacuous (>= the trivial s_(k+1) ||B^(k+1)||_F/sqrt(n)) "
        f"on {sum(r['vacuous'] for r in small)} of {len(small)} instances whose smallest mean "
        f"pre-activation |hbar^(k)_j| is below {SMALL_MARGIN:g}, and on "
        f"{sum(r['vacuous'] for r in large)} of {len(large)} others: kappa_k = 1/min_j "
        "|hbar^(k)_j| blows up as the margin closes"
    )
    return out, note


@register(
    "theorem2_relu",
    "ReLU backward oversmoothing with the margin constant [extension]",
    ("theorem2_relu",),
    DEFAULTS,
)
def run(settings, progress=None):
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        rows.extend(rows_for(inst, measure_instance(inst), override))
    summary, note = _margin_summary(rows)
    return rows, (note,), summary
