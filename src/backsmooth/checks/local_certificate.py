"""Check of the local-constant claims (extension): local smoothing, the local backward
recursion, the local stationarity certificate and the tanh saturation threshold.

Per instance the local constants are measured on the forward pass (``ell_k``, ``ell^w_k``,
``c_k``, ``E(rho'(H^(k)))``, :mod:`backsmooth.numeric.local_certificate`) and the bounds of the
symbolic registry are evaluated at them:

* ``local_smoothing``: ``E(X^(k+1)) <= lambda s_k ell_k E(X^(k))`` (``one_step``),
  ``<= ell^w_k E(H^(k))`` (``weighted``);
* ``local_backward_recursion``: ``E(B^(k)) <= lambda s_(k+1) ell_k E(B^(k+1)) + E(rho'(H^(k)))
  ||W^(k+1) bbar^(k+1)||`` (``fluctuation``), the mean remainder (``mean_remainder``) and
  ``E(rho'(H^(k))) <= c_k E(H^(k))`` (``derivative_spread``), every hidden layer;
* ``local_certificate``: ``||grad_k|| <= n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k``, every layer;
* ``saturation_threshold`` (tanh only): ``ell_k <= sech(a)^2`` with ``a`` the smallest distance
  of a column segment from 0.

Activations whose derivative is not Lipschitz (ReLU-type) give ``hypotheses not met``.
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import part_record, register
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import measure_instance

__all__ = ["DEFAULTS", "rows_for", "run"]

DEFAULTS = {
    "graph": ["flat", "er", "sbm", "csbm", "regular", "cycle", "complete", "star", "barbell", "karate"],
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


def _local(inst, meas):
    from backsmooth.numeric.local_certificate import certificate_from_pass

    L = meas.depth
    X, H, B = meas.X, meas.grads.forward.H, meas.B
    Hs = [np.asarray(H[k]) for k in range(L + 1)]
    BL = np.asarray(B[-1])
    e_B = float(np.sqrt(np.sum((BL - BL.mean(0)) ** 2) / BL.shape[0]))
    q = certificate_from_pass(inst.weights, Hs[:L], [np.asarray(X[k]) for k in range(L + 1)], BL.mean(0), e_B,
                              meas.lam, inst.params["activation"])
    return q, Hs


def rows_for(inst, meas, override=None):
    """The table rows of the four local-constant claims on one measured instance."""
    L, n, lam, s = meas.depth, meas.n, meas.lam, meas.s
    hyp = claim_hypotheses(inst, "local_certificate")
    rows = []
    if L == 0:
        return rows
    ok = all(hyp.values())
    if ok:
        q, Hs = _local(inst, meas)
        B = [np.asarray(b) for b in meas.B]
        W = inst.weights
        gbar = np.array([np.linalg.norm(np.asarray(W[k + 1]) @ B[k + 1].mean(0)) for k in range(L)])
        rbar = np.array([np.linalg.norm(B[k].mean(0) - inst_rho(inst).derivative(Hs[k]).mean(0)
                                        * (np.asarray(W[k + 1]) @ B[k + 1].mean(0))) for k in range(L)])
    else:
        nan = np.full(L, np.nan)
        q = {key: nan for key in ("ell", "ell_w", "c", "h", "E_H", "E_D")}
        q.update({key: np.full(L + 1, np.nan) for key in ("m", "e", "delta")})
        gbar = rbar = nan
    hidden = np.arange(L)
    vals = {"lam": lam, "s_k": s[:L], "s_k1": s[1:], "ell_k": q["ell"], "ell_w_k": q["ell_w"], "E_Xk": meas.E_X[:L],
            "E_Hk": meas.E_H[:L], "E_Bk1": meas.E_B[1:], "E_Dk": q["E_D"], "gbar_norm": gbar, "c_k": q["c"]}
    base = {**base_row(inst, "local_smoothing")}
    fX = floor_for(meas, meas.X_scale[1:])
    rows.append(part_record(base, "one_step", meas.E_X[1:], bound("local_smoothing", "one_step", vals, override),
                            fX, hyp, layers=hidden))
    rows.append(part_record(base, "weighted", meas.E_X[1:], bound("local_smoothing", "weighted", vals, override),
                            fX, hyp, layers=hidden))
    base = base_row(inst, "local_backward_recursion")
    fB = floor_for(meas, meas.B_scale[:L])
    rows.append(part_record(base, "fluctuation", meas.E_B[:L],
                            bound("local_backward_recursion", "fluctuation", vals, override), fB, hyp, layers=hidden))
    rows.append(part_record(base, "mean_remainder", rbar,
                            bound("local_backward_recursion", "mean_remainder", vals, override), fB, hyp,
                            layers=hidden))
    rows.append(part_record(base, "derivative_spread", q["E_D"],
                            bound("local_backward_recursion", "derivative_spread", vals, override),
                            floor_for(meas, np.ones(L)), hyp, layers=hidden))
    base = base_row(inst, "local_certificate")
    k = np.arange(L + 1)
    cvals = {"n": n, "xbar_k": np.array([np.linalg.norm(np.asarray(x).mean(0)) for x in meas.X]),
             "m_k": q["m"], "lam": lam, "E_Xk": meas.E_X, "e_k": q["e"]}
    scale = n * meas.X_scale * meas.B_scale
    rows.append(part_record(base, "certificate", meas.grad_norms, bound("local_certificate", "certificate", cvals,
                                                                         override), floor_for(meas, scale), hyp,
                            layers=k))
    if ok and inst.params["activation"] == "tanh":
        base = base_row(inst, "saturation_threshold")
        dist = np.array([np.min(np.where((h.min(0) <= 0) & (h.max(0) >= 0), 0.0,
                                         np.minimum(np.abs(h.min(0)), np.abs(h.max(0))))) for h in Hs[:L]])
        rows.append(part_record(base, "sech", q["ell"], bound("saturation_threshold", "sech", {"a": dist}, override),
                                floor_for(meas, np.ones(L)), {"rho = tanh": True}, layers=hidden))
    return rows


def inst_rho(inst):
    from backsmooth.numeric.activations import activation

    return activation(inst.params["activation"])


@register("local_certificate", "Local constants along a run: smoothing, backward recursion, certificate [extension]",
          ("local_smoothing", "local_backward_recursion", "local_certificate", "saturation_threshold"), DEFAULTS)
def run(settings, progress=None):
    """Run the check of the local-constant claims; returns ``(rows, notes, extra)``."""
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        rows.extend(rows_for(inst, measure_instance(inst), override))
    notes = ("Local constants are measured on each instance's forward pass (a posteriori); ReLU-type activations "
             "(rho' not Lipschitz) are reported as hypotheses not met.",)
    return rows, notes, {}
