"""Check of Corollary 2 (many spurious delta-stationary points), docs/theory.md.

Construction (the corrected one): hidden weights ``W^(0..L-1)`` random with spectral norm
``s`` (``init="orthogonal"`` by default: every singular value ``s``; with Gaussian weights
rescaled to ``||W||_2 = s`` the mean ``xbar^(L)`` decays with depth, ``s_L = ||c*|| /
||xbar^(L)||`` explodes and the certified delta grows -- try ``init="spectral"``), output
layer fitted to the mean, ``W^(L) = xbar^(L) c*^T / ||xbar^(L)||^2`` (``c*`` the best
constant output: the mean target for MSE, ``log pi`` for cross-entropy), so the mean
output row is ``c*``.  For every depth ``L`` of a sweep and every instance:

* ``stationary``: every ``||grad_k||_F <= delta_k`` (Theorem 3(a) at the constructed point);
  the point is *delta-stationary* with ``delta = max_k delta_k``;
* ``loss_lower_measured``, ``loss_lower``, ``loss_lower_uniform`` (a): ``Loss >= L_const -
  E(Y) E(H^(L))`` and its a-priori forms (valid for every theta);
* ``mse_gap`` (b, MSE): ``|Loss - L_const| <= E(Y) E(H^(L)) + E(H^(L))^2 / 2``;
* ``mean_fitted`` (b, MSE): ``mu = 0`` exactly (up to round-off); ``ce_mean_error`` (b,
  cross-entropy): ``mu <= E(H^(L)) / (2n)``.

Counted: the constructed points that are certified ``delta``-stationary with ``delta <=
delta_max`` and loss ``>= L_const - margin``, ``margin = E(Y) E(H^(L))`` (spurious points).
Rate: ``delta`` (and ``max_k ||grad_k||``) against depth: fitted ``exp(slope)`` per unit of
depth against the predicted ``lambda^(1/2)`` of Theorem 3(c) (``s <= 1``).
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import fitted_rate, part_record, register, register_chunk_merge, roundoff_floor
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import _scale as _rms  # root mean square row norm ||M||_F / sqrt(n)
from ._signals import measure_instance
from .theorem3 import certified_deltas
from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.initialisation import initial_weights
from backsmooth.numeric.losses import loss_function
from backsmooth.numeric.measures import mean_row, pairwise_difference_norm

__all__ = ["DEFAULTS", "mean_fitted_output_layer", "run"]

DEFAULTS = {
    "graph": ["er_dense", "er_dense", "regular", "karate"],
    "n": (10, 40),
    "depth": 1,
    "width": (2, 6),
    "activation": ["tanh", "arctan", "sin"],
    "scale": ["unit", (0.5, 1.0)],
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 24,
    "seed": 0,
    "depths": [2, 4, 8, 12, 16, 24, 32, 40],
    "delta_max": 1e-2,
    "init": "orthogonal",
}


def mean_fitted_output_layer(X_L, c_star):
    """``W^(L) = xbar^(L) c*^T / ||xbar^(L)||^2`` (mean output row ``= c*``)."""
    xbar = mean_row(X_L)
    nrm2 = float(xbar @ xbar)
    if nrm2 == 0:
        raise ValueError(
            "xbar^(L) = 0: the mean-fitted output layer is undefined (Corollary 2 needs "
            "xbar^(L) != 0)"
        )
    return np.outer(xbar, c_star) / nrm2


def _targets_matrix(loss, targets, d_out):
    if loss == "mse":
        return np.asarray(targets, float)
    return np.eye(d_out)[np.asarray(targets)]


def _point(inst, depth, override, init):
    from backsmooth.numeric.model import forward

    p = inst.params
    loss, act = p["loss"], p["activation"]
    d0, d_out = inst.X0.shape[1], inst.weights[-1].shape[1]
    rng = np.random.default_rng([p["seed"], p["instance"], 10, depth])
    W = initial_weights([d0] + [p["width"]] * depth + [d_out], init, scale=p["scale"], seed=rng)
    fwd = forward(inst.P, inst.X0, W, act)
    lf = loss_function(loss)
    c_star = lf.best_constant_output(inst.targets, num_outputs=d_out)
    W[-1] = mean_fitted_output_layer(fwd.X[-1], c_star)
    meas = measure_instance(inst, W)
    L_const = lf.best_constant_loss(inst.targets)
    Y = _targets_matrix(loss, inst.targets, d_out)
    E_Y = pairwise_difference_norm(Y)
    return meas, L_const, E_Y, _rms(Y)


def _mean_error_scale(meas, loss, Y_scale):
    """Scale of the round-off of the mean output error ``mu = ||mean_i B^(L)_i||`` at the
    mean-fitted point (``mean_fitted``, ``ce_mean_error``).

    ``B^(L) = (F - Y)/n`` with ``F = H^(L)`` (MSE) or ``softmax(H^(L))`` (cross-entropy), and
    ``mu`` is small (``0`` for MSE) because the mean row of ``H^(L)`` is ``c*`` *for the
    computed* ``X^(L)``: ``W^(L) = xbar c*^T / ||xbar||^2`` is built from the same computed
    ``X^(L)`` (the pass is deterministic), so the error of the layers below cancels and only the
    output layer's own rounding counts.  That is: ``H^(L) = (P X^(L)) W^(L)`` and
    ``W^(L)`` itself, each entry rounded relative to ``||X^(L)_i|| s_L`` (``s_L = ||W^(L)||_2``,
    inner products of length ``<= n + d``), moving the mean row of ``H^(L)`` off ``c*`` (the
    softmax Jacobian has norm ``<= 1/2 < 1``); the prediction ``F`` (``softmax``: relative
    ``eps`` per entry) and the difference ``F - Y`` (rounded relative to ``|F| + |Y|``, not to
    itself: the residual may be at round-off level, e.g. constant MSE targets); the mean over
    the rows.  Each is ``(n + d) eps`` times ``(s_L |X^(L)| + |F| + |Y|) / n`` in root mean
    square row norms of the signals *as computed* -- not ``H_scale``, whose worst-case growth
    ``s_L Q_L ||X^(0)||`` (the error carried up from layer 0) does not enter here and may
    exceed the mean output error's own magnitude by orders (an "== 0" row whose floor is above
    every plausible value cannot fail: tests/test_roundoff_mean_error_floor.py).  Never below
    ``B_scale[-1]``, the allowance of the backward signals.
    """
    H = meas.H[-1]
    F = H if loss == "mse" else loss_function(loss).probabilities(H)
    return max(meas.B_scale[-1], (meas.s[-1] * _rms(meas.X[-1]) + _rms(F) + Y_scale) / meas.n)


def rows_for(inst, depth, override, delta_max, init="orthogonal"):
    meas, L_const, E_Y, Y_scale = _point(inst, depth, override, init)
    rho = _activation(inst.params["activation"])
    L, n = meas.depth, meas.n
    base = base_row(inst, "corollary2")
    base["depth"] = L
    hyp = claim_hypotheses(inst, "corollary2")
    with np.errstate(invalid="ignore", over="ignore"):
        delta_k = certified_deltas(meas, rho.derivative_lipschitz, override=override)
    delta = float(np.max(delta_k))
    loss = float(meas.grads.loss)
    E_HL = float(meas.E_H[-1])
    vals = {
        "L_const": L_const,
        "E_Y": E_Y,
        "E_HL": E_HL,
        "lam": meas.lam,
        "s_L": meas.s[-1],
        "Lam_L": meas.Lam[-1],
        "E_X0": meas.E_X[0],
        "L": L,
        "s": float(meas.s[:L].max()),
    }
    margin = L_const - float(bound("corollary2", "loss_lower_measured", vals, override))
    spurious = bool(delta <= delta_max and loss >= L_const - margin)
    extra = {
        "delta": delta,
        "max_grad": float(meas.grad_norms.max()),
        "loss_value": loss,
        "L_const": L_const,
        "margin": margin,
        "spurious": spurious,
    }
    scale = n * meas.X_scale * meas.B_scale
    fit = max(loss, L_const)
    if inst.params["loss"] == "mse":
        # MSE: a residual H - Y is rounded to about eps (|H| + |Y|) whatever its own size, so
        # Loss = ||H - Y||^2/(2n) (L_const likewise) carries an error of sqrt(2 Loss) (|H| + |Y|)
        # (Cauchy-Schwarz on the cross term 2 (H - Y) delta); |H| is H_scale, which also carries
        # the error of H^(L) from the layers below (the a-priori rows compare with X^(0)): floors
        # of a fit at round-off level scale with these, not with the residuals
        # (tests/test_corollary2_roundoff_gap.py)
        lf = roundoff_floor(fit + np.sqrt(2.0 * fit) * (meas.H_scale[-1] + Y_scale), L, n, meas.width)
    else:
        # cross-entropy: Loss = mean_i (lse(h_i) - h_{i,y_i}).  An error delta of H^(L) (scale
        # H_scale, from the layers below too: the a-priori rows compare with X^(0)) moves it by
        # <= mean_i ||p_i - y_i|| ||delta_i|| <= rms(p - y) rms(delta) (the residual, n B^(L),
        # in place of MSE's sqrt(2 Loss)); evaluating lse and h_y rounds relative to
        # |lse(h_i)| + |h_{i,y}| <= 2 ||h_i|| + log d_out, not to the loss (a difference of the
        # two); L_const = H(pi) relative to itself.  Scale: fit + rms(p - y) H_scale + 2 rms(H)
        # + log d_out
        resid = n * _rms(meas.B[-1])
        d_out = meas.H[-1].shape[1]
        lf = roundoff_floor(fit + resid * meas.H_scale[-1] + 2.0 * _rms(meas.H[-1]) + np.log(d_out),
                            L, n, meas.width)
    rows = [
        part_record(
            base,
            "stationary",
            meas.grad_norms,
            delta_k,
            floor_for(meas, scale),
            hyp,
            layers=np.arange(L + 1),
            **extra,
        )
    ]
    # Loss >= L_const - margin is judged as (L_const - Loss) <= margin, margin = L_const - rhs of
    # the registry's bound, so that the ratio measures how much of the margin is used
    for v in ("loss_lower_measured", "loss_lower", "loss_lower_uniform"):
        rows.append(
            part_record(
                base, v, L_const - loss, L_const - bound("corollary2", v, vals, override), lf, hyp
            )
        )
    if inst.params["loss"] == "cross_entropy":
        rows.append(
            part_record(
                base,
                "ce_mean_error",
                meas.mu,
                bound("corollary2", "ce_mean_error", {"E_HL": E_HL, "n": n}, override),
                floor_for(meas, _mean_error_scale(meas, inst.params["loss"], Y_scale)),
                hyp,
            )
        )
    if inst.params["loss"] == "mse":
        rows.append(
            part_record(
                base,
                "mse_gap",
                abs(loss - L_const),
                bound("corollary2", "mse_gap", vals, override),
                lf,
                hyp,
            )
        )
        rows.append(
            part_record(
                base,
                "mean_fitted",
                meas.mu,
                0.0,
                floor_for(meas, _mean_error_scale(meas, inst.params["loss"], Y_scale)),
                hyp,
                relation="==",
            )
        )
    return rows


@register(
    "corollary2",
    "Spurious delta-stationary points with a mean-fitted output layer",
    ("corollary2", "theorem3"),
    DEFAULTS,
)
def run(settings, progress=None):
    rows = []
    override = settings.get("bound_override")
    depths = [int(d) for d in settings.get("depths", DEFAULTS["depths"])]
    delta_max = float(settings.get("delta_max", 1e-2))
    init = settings.get("init", "orthogonal")
    for inst in instances(settings, progress):
        inst_rows = []
        for d in depths:
            try:
                inst_rows.extend(rows_for(inst, d, override, delta_max, init))
            except ValueError:  # xbar^(L) = 0: construction undefined, skip that depth
                continue
        st = [r for r in inst_rows if r["part"] == "stationary"]
        if len(st) >= 2:
            ds = [r["depth"] for r in st]
            st[-1]["fitted_rate"] = fitted_rate([r["delta"] for r in st], ds)
            st[-1]["fitted_grad_rate"] = fitted_rate([r["max_grad"] for r in st], ds)
            st[-1]["predicted_rate"] = (
                float(np.sqrt(inst.lam)) if inst.params["scale"] <= 1 + 1e-12 else None
            )
        rows.extend(inst_rows)
    return rows, (), extra_from_rows(rows, settings)


def extra_from_rows(rows, settings):
    """The summary entries of the check (spurious points, rates) from its rows alone, so that
    chunks of a run (``start``) merge into the summary of the whole run."""
    depths = [int(d) for d in settings.get("depths", DEFAULTS["depths"])]
    delta_max = float(settings.get("delta_max", 1e-2))
    st = [r for r in rows if r["part"] == "stationary" and r["verdict"] != "hypotheses not met"]
    extra = {
        "spurious_points": {
            "constructed": len(st),
            "certified delta-stationary (delta <= delta_max) with loss >= L_const - margin": sum(
                r["spurious"] for r in st
            ),
            "delta_max": delta_max,
            "median certified delta at the largest depth": float(
                np.median([r["delta"] for r in st if r["depth"] == max(depths)])
            )
            if st
            else None,
        }
    }
    gr = [r["fitted_grad_rate"] for r in st if r.get("fitted_grad_rate") is not None]
    if gr:
        extra["median_fitted_max_gradient_rate"] = float(np.median(gr))
    return extra


register_chunk_merge("corollary2", extra_from_rows)
