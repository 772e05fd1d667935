"""Checks of Lemmas 1-4 (docs/theory.md).

* Lemma 1 (identity): ``E(X)^2 = (1/(2n^2)) sum_ij ||X_i - X_j||^2 = ||X||_F^2/n - ||xbar||^2``;
  the measured side is the brute-force pairwise sum (an independent oracle), the other side
  the registry's expression, on every signal ``X^(k)``, ``B^(k)`` of a random network; both
  sides are compared *squared* at round-off precision ``16 (n + d) eps ||X||_F^2 / n``.
* Lemma 2 (A1): ``E(P^m X) <= lambda^m E(X)``, ``E(XW) <= ||W||_2 E(X)``, and (A2)
  ``E(rho(X)) <= E(X)``.
* Lemma 3 (A1): ``||grad_k - n xbar^(k) bbar^(k)T||_F <= lambda n E(X^(k)) E(B^(k))``.
* Lemma 4 (A1, ``||xbar^(L)|| >= gamma > 0``): ``mu <= (||grad_L||_F + lambda n E(X^(L))
  E(B^(L)))/(n gamma)``, a posteriori and a priori; measured here with ``gamma =
  ||xbar^(L)||`` at random weights and after fitting the output layer.
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import EPS, part_record, register, register_shared
from ._instances import instances
from ._runner import base_row, claim_hypotheses, floor_for
from ._signals import FIT_ERRORS, fit_output, measure_instance
from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.measures import mean_row, pairwise_difference_norm, stable_norm

__all__ = ["DEFAULTS", "lemma4_values", "rows_for", "run", "run_lemma1", "run_lemma2",
           "run_lemma3", "run_lemma4"]

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
        "davis",
    ],
    "n": (2, 30),
    "depth": (1, 8),
    "width": (1, 6),
    "activation": ["tanh", "arctan", "sin", "identity", "relu", "softplus"],
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "lazy",
    "trials": 120,
    "seed": 0,
}


def _pairwise(X):
    n = X.shape[0]
    diff = X[:, None, :] - X[None, :, :]
    return float(np.sqrt(np.sum(diff * diff) / (2.0 * n * n)))


def _complex_bound(name, variant, vals, override):
    from ._bounds import _function

    if override:
        return bound(name, variant, vals, override)
    f = _function(name, variant)
    return np.asarray(f(**{a: vals[a] for a in f.arguments}))


def rows_for(inst, meas, override=None):
    """The table rows of Lemmas 1-4 on one measured instance (Lemma 4 at these weights)."""
    return (_lemma1_rows(inst, meas, override) + _lemma2_rows(inst, meas, override)
            + _lemma3_rows(inst, meas, override) + _lemma4_rows(inst, meas, override,
                                                                "random weights"))


def _lemma1_rows(inst, meas, override=None):
    n = meas.n
    rows = []
    signals = list(meas.X) + list(meas.B)
    # compared squared, E(X)^2, at round-off precision: the pairwise side sums n^2 terms of size
    # <= 2 (||X||_F^2/n) and the identity side cancels ||X||_F^2/n - ||xbar||^2, each with
    # absolute error <= c (n + d) eps scale^2 (scale^2 = ||X||_F^2/n), so a relative error of
    # 1e-7 in E(X)^2 is caught whenever E(X)^2 > 1e-7 scale^2 x (floor ratio ~ 1e-12)
    measured = np.array([_pairwise(S) ** 2 for S in signals])
    vals = {
        "X_F": np.array([np.linalg.norm(S) for S in signals]),
        "xbar": np.array([np.linalg.norm(mean_row(S)) for S in signals]),
        "n": n,
    }
    scale2 = vals["X_F"] ** 2 / n
    floor = 16.0 * (n + meas.width) * EPS * scale2
    # evaluated in complex arithmetic: on constant rows the radicand is 0 up to round-off and may
    # be slightly negative; |sqrt(z)|^2 = |z| then stays within the floor instead of a NaN
    vals["X_F"] = vals["X_F"].astype(complex)
    with np.errstate(invalid="ignore"):
        identity = np.abs(_complex_bound("lemma1", "identity", vals, override)) ** 2
    rows.append(
        part_record(
            base_row(inst, "lemma1"),
            "identity",
            measured,
            identity,
            floor,
            {},
            relation="==",
            compared="E(X)^2",
        )
    )
    return rows


def _lemma2_rows(inst, meas, override=None):
    """Lemma 2 on X = X^(0) (and on every H^(k) for rho)."""
    L = meas.depth
    rows = []
    X = meas.X[0]
    m = np.arange(0, 6)
    powers, PX = [], X
    for _ in m:
        powers.append(pairwise_difference_norm(PX))
        PX = meas.P @ PX
    b2 = {"lam": meas.lam, "m": m, "E_X": meas.E_X[0], "s_k": meas.s[0]}
    hypA1 = claim_hypotheses(inst, "lemma2", parts=("A1",))
    fX = floor_for(meas, meas.X_scale[0])
    rows.append(
        part_record(
            base_row(inst, "lemma2"),
            "power",
            np.array(powers)[1:],
            bound("lemma2", "power", b2, override)[1:],
            fX,
            hypA1,
            layers=m[1:],
        )
    )
    rows.append(
        part_record(
            base_row(inst, "lemma2"),
            "weights",
            pairwise_difference_norm(X @ inst.weights[0]),
            bound("lemma2", "weights", b2, override),
            fX,
            {},
        )
    )
    rho = _activation(inst.params["activation"])
    E_H = meas.E_H
    E_rho = np.array([pairwise_difference_norm(rho.function(h)) for h in meas.H])
    rows.append(
        part_record(
            base_row(inst, "lemma2"),
            "activation",
            E_rho,
            bound("lemma2", "activation", {"E_X": E_H}, override),
            floor_for(meas, meas.H_scale),
            claim_hypotheses(inst, "lemma2", parts=("A2",)),
            layers=np.arange(L + 1),
        )
    )
    return rows


def _lemma3_rows(inst, meas, override=None):
    """Lemma 3 on every layer."""
    n, L = meas.n, meas.depth
    rows = []
    k = np.arange(L + 1)
    G = meas.grads.weight_gradients
    centred = np.array(
        [np.linalg.norm(G[j] - n * np.outer(mean_row(meas.X[j]), mean_row(meas.B[j]))) for j in k]
    )
    b3 = {"lam": meas.lam, "n": n, "E_Xk": meas.E_X, "E_Bk": meas.E_B}
    scale3 = n * meas.X_scale * meas.B_scale
    rows.append(
        part_record(
            base_row(inst, "lemma3"),
            "centred",
            centred,
            bound("lemma3", "centred", b3, override),
            floor_for(meas, scale3),
            claim_hypotheses(inst, "lemma3"),
            layers=k,
        )
    )
    return rows


def lemma4_values(meas):
    """Measured inputs of Lemma 4's ``mu_0``, with ``gamma = ||xbar^(L)||`` (NaN when 0)."""
    gamma = stable_norm(mean_row(meas.X[-1]))
    return {
        "delta_L": meas.grad_norms[-1],
        "lam": meas.lam,
        "n": meas.n,
        "E_XL": meas.E_X[-1],
        "E_BL": meas.E_B[-1],
        "gamma": gamma if gamma > 0 else np.nan,
    }


def _lemma4_rows(inst, meas, override, state):
    vals = dict(lemma4_values(meas), Lam_L=meas.Lam[-1], E_X0=meas.E_X[0])
    hyp = claim_hypotheses(inst, "lemma4", **{"||xbar^(L)||>=gamma": vals["gamma"] > 0})
    f = floor_for(meas, meas.B_scale[-1])
    return [
        part_record(
            base_row(inst, "lemma4"),
            v,
            meas.mu,
            bound("lemma4", v, vals, override),
            f,
            hyp,
            state=state,
        )
        for v in ("mu0", "a_priori")
    ]


def _lemma4_run_rows(inst, meas, override):
    """Lemma 4 at random weights and, when the fit succeeds, after fitting the output layer."""
    rows = _lemma4_rows(inst, meas, override, "random weights")
    try:
        fit = fit_output(inst, max_iter=50)
    except FIT_ERRORS:
        return rows, False
    fitted = measure_instance(inst, fit.weights)
    return rows + _lemma4_rows(inst, fitted, override, "output layer fitted"), True


def _run_split(settings, progress, parts):
    """One pass over the instances: ``{key: (rows, notes, {})}`` for ``parts`` = ``{key: part
    functions}``; each key gets exactly the rows and notes a run of its parts alone gives."""
    rows = {key: [] for key in parts}
    skipped = dict.fromkeys(parts, 0)
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        meas = measure_instance(inst)
        for key, fns in parts.items():
            for part in fns:
                if part is _lemma4_run_rows:
                    more, fitted = part(inst, meas, override)
                    skipped[key] += not fitted
                    rows[key].extend(more)
                else:
                    rows[key].extend(part(inst, meas, override))
    out = {}
    for key in parts:
        notes = ()
        if skipped[key]:
            notes = (f"Lemma 4 after fitting skipped on {skipped[key]} instance(s): "
                     "fit_output_layer failed (extreme inputs: features that overflow, or a solver that fails on them)",)
        out[key] = (rows[key], notes, {})
    return out


def _run(settings, progress, parts):
    return _run_split(settings, progress, {None: parts})[None]


#: the part functions of each lemma's check
_PARTS = {"lemma1": (_lemma1_rows,), "lemma2": (_lemma2_rows,), "lemma3": (_lemma3_rows,),
          "lemma4": (_lemma4_run_rows,)}


def run_lemmas_shared(settings, progress=None):
    """Lemmas 1-4 in one pass (shared instances): ``{name: (rows, notes, extra)}``."""
    return _run_split(settings, progress, _PARTS)


register_shared(tuple(_PARTS), run_lemmas_shared)


@register("lemma1", "Lemma 1: E(X)^2 = ||X||_F^2/n - ||xbar||^2 (pairwise-difference identity)",
          ("lemma1",), DEFAULTS)
def run_lemma1(settings, progress=None):
    """Run the Lemma 1 check; returns ``(rows, notes, extra)``."""
    return _run(settings, progress, (_lemma1_rows,))


@register("lemma2", "Lemma 2: E(P^m X) <= lambda^m E(X), E(XW) <= ||W||_2 E(X), E(rho(X)) <= E(X)",
          ("lemma2",), DEFAULTS)
def run_lemma2(settings, progress=None):
    """Run the Lemma 2 check; returns ``(rows, notes, extra)``."""
    return _run(settings, progress, (_lemma2_rows,))


@register("lemma3", "Lemma 3: gradient = mean part + centred part, centred part <= lambda n E E",
          ("lemma3",), DEFAULTS)
def run_lemma3(settings, progress=None):
    """Run the Lemma 3 check; returns ``(rows, notes, extra)``."""
    return _run(settings, progress, (_lemma3_rows,))


@register("lemma4", "Lemma 4: stationary output layer => small mean output error",
          ("lemma4",), DEFAULTS)
def run_lemma4(settings, progress=None):
    """Run the Lemma 4 check; returns ``(rows, notes, extra)``."""
    return _run(settings, progress, (_lemma4_run_rows,))


@register(
    "lemmas",
    "Lemmas 1-4 in one pass (deprecated name: use lemma1 ... lemma4)",
    ("lemma1", "lemma2", "lemma3", "lemma4"),
    DEFAULTS,
)
def run(settings, progress=None):
    """All four lemmas in one pass over the instances (the deprecated ``lemmas`` check)."""
    return _run(settings, progress, (_lemma1_rows, _lemma2_rows, _lemma3_rows, _lemma4_run_rows))
