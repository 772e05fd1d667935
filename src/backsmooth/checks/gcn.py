"""Beyond the paper: the GCN normalisation and the generalised measure (an extension).

For ``P = D~^(-1/2) (A + I) D~^(-1/2)`` (symmetric, *not* stochastic unless the graph is
regular) the top eigenvector is ``u ∝ D~^(1/2) 1`` with eigenvalue 1, and oversmoothing drives
signals towards ``span(u)``, not towards the constants.  The generalised measure is
``E_u(X) = ||(I - u u^T) X||_F / sqrt(n)`` (``reference=u`` in
:func:`backsmooth.numeric.measures.pairwise_difference_norm`) and the generalised assumption
``A1_u``: ``P`` symmetric, ``P u = u``, every other eigenvalue ``|mu_i| <= lambda < 1``.

What carries over (our analysis; these rows are judged):

* Lemma 2(b), Lemma 3 with ``J`` replaced by ``u u^T``: ``||grad_k - (X^T u)(u^T B)||_F <=
  lambda n E_u(X) E_u(B)`` -- pure linear algebra, any ``rho``;
* Theorem 1, Corollary 1 and the Theorem 2 recursion **for linear GNNs** (``rho = id``):
  the proofs only use ``(I - u u^T) P = P (I - u u^T)`` and ``||P (I - u u^T)||_2 = lambda``.

What does not (judged as "hypotheses not met", measured anyway and reported in the notes):

* Theorem 1 and the Theorem 2 recursion for non-linear ``rho``: ``E_u(rho(X)) <= E_u(X)``
  is false (``rho(u c^T)`` is not in ``span(u)``), and ``rho'(H)`` does not become constant
  across rows when ``H ~ u c^T``;
* every paper bound stated with the *constant* reference (``E``, ``P1 = 1``): shown on the same
  instances, ``A1`` fails for non-regular graphs.
"""

from __future__ import annotations

import numpy as np

from ._bounds import bound
from ._framework import part_record, register
from ._instances import instances
from ._runner import base_row, floor_for
from ._signals import measure_instance
from .theorem1 import bound_values as theorem1_values
from backsmooth.numeric.activations import activation as _activation
from backsmooth.numeric.measures import max_row_norm

__all__ = ["DEFAULTS", "run"]

DEFAULTS = {
    "graph": ["er", "sbm", "csbm", "star", "barbell", "karate", "les_miserables", "florentine"],
    "n": (5, 40),
    "depth": (1, 12),
    "width": (1, 5),
    "activation": ["identity", "identity", "tanh", "arctan", "sin"],
    "scale": "auto",
    "loss": ["mse", "cross_entropy"],
    "propagation": "gcn",
    "trials": 60,
    "seed": 0,
}


def _hyp_u(inst, linear_only, rho):
    rep = inst.P_report
    a1u = bool(rep["symmetric"] and abs(rep["top_eigenvalue"] - 1.0) <= 1e-10 and inst.lam < 1)
    out = {"A1_u (P sym., Pu = u, lambda < 1)": a1u}
    if linear_only:
        out["rho=id (proof covers linear GNNs only)"] = rho.is_linear
    return out


def rows_for(inst, meas_u, meas_c, override=None):
    rho = _activation(inst.params["activation"])
    u = inst.reference / np.linalg.norm(inst.reference)
    L, n = meas_u.depth, meas_u.n
    vals = theorem1_values(meas_u)
    k, s = vals["k"], vals["s"]
    top = slice(1, None)
    rows = []
    lin = _hyp_u(inst, True, rho)
    fX = floor_for(meas_u, meas_u.X_scale)
    base = base_row(inst, "theorem1")
    for v in ("product", "uniform"):
        rows.append(
            part_record(
                base,
                f"theorem1_{v} (E_u)",
                meas_u.E_X[top],
                bound("theorem1", v, vals, override)[top],
                fX[top],
                lin,
                layers=k[top],
            )
        )
    # Lemma 3 with J -> u u^T (any rho)
    G = meas_u.grads.weight_gradients
    centred = np.array(
        [np.linalg.norm(G[j] - np.outer(meas_u.X[j].T @ u, u @ meas_u.B[j])) for j in k]
    )
    b3 = {"lam": meas_u.lam, "n": n, "E_Xk": meas_u.E_X, "E_Bk": meas_u.E_B}
    rows.append(
        part_record(
            base_row(inst, "lemma3"),
            "lemma3_centred (E_u)",
            centred,
            bound("lemma3", "centred", b3, override),
            floor_for(meas_u, n * meas_u.X_scale * meas_u.B_scale),
            _hyp_u(inst, False, rho),
            layers=k,
        )
    )
    if L >= 1:
        kk = np.arange(L)
        vb = {
            "lam": meas_u.lam,
            "s": float(meas_u.s[1:].max()),
            "L": L,
            "k": kk,
            "E_BL": meas_u.E_B[-1],
        }
        vr = {
            "lam": meas_u.lam,
            "s_k": meas_u.s[:L],
            "s_k1": meas_u.s[1:],
            "E_Bk1": meas_u.E_B[1:],
            "E_Xk": meas_u.E_X[:L],
            "B_row_k1": np.array([max_row_norm(b) for b in meas_u.B[1:]]),
            "c_rho": rho.derivative_lipschitz,
        }
        fB = floor_for(meas_u, meas_u.B_scale[:L])
        # the backward bounds proven for linear GNNs, on E_u(B^(k)), k < L
        for claim, part, values in (("corollary1", "uniform", vb), ("theorem2", "recursion", vr)):
            rows.append(
                part_record(
                    base_row(inst, claim),
                    f"{claim}_{part} (E_u)",
                    meas_u.E_B[:L],
                    bound(claim, part, values, override),
                    fB,
                    lin,
                    layers=kk,
                )
            )
    # the paper's constant-reference Theorem 1 on the same non-stochastic P
    vc = {"lam": meas_c.lam, "s": s, "k": k, "E_X0": meas_c.E_X[0]}
    rows.append(
        part_record(
            base,
            "theorem1_uniform (constant reference E)",
            meas_c.E_X[top],
            bound("theorem1", "uniform", vc, override)[top],
            floor_for(meas_c, meas_c.X_scale)[top],
            {"A1 (P1 = 1)": inst.ass_P},
            layers=k[top],
        )
    )
    return rows


@register(
    "gcn",
    "Extension: GCN normalisation with the generalised measure E_u (u = D^1/2 1)",
    ("theorem1", "lemma3", "corollary1", "theorem2"),
    DEFAULTS,
    provenance="extension",
)
def run(settings, progress=None):
    rows = []
    skipped = 0
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        if inst.depth == 0:  # no layer k >= 1: nothing to bound
            skipped += 1
            continue
        ref = inst.reference if inst.reference is not None else np.ones(inst.n)
        X0 = inst.X0
        if inst.params["instance"] % 3 == 0:
            # adversarial input: aligned with the top eigenvector, X0 = u c^T (E_u(X0) = 0)
            c = np.random.default_rng(
                [inst.params["seed"], inst.params["instance"], 7]
            ).standard_normal(X0.shape[1])
            X0 = 2.0 * np.sqrt(inst.n) * np.outer(ref / np.linalg.norm(ref), c / np.linalg.norm(c))
        params = dict(inst.params, input="aligned with u" if X0 is not inst.X0 else "random")
        inst = inst.__class__(**{**inst.__dict__, "reference": ref, "X0": X0, "params": params})
        meas_u, meas_c = measure_instance(inst, reference=ref), measure_instance(inst)
        rows.extend(rows_for(inst, meas_u, meas_c, override))
    notes = []
    if skipped:
        notes.append(f"{skipped} instance(s) of depth L = 0 skipped: the bounds concern layers k >= 1")
    for part in sorted({r["part"] for r in rows}):
        pr = [r for r in rows if r["part"] == part]
        judged = [r for r in pr if r["verdict"] != "hypotheses not met"]
        beyond = [r for r in pr if r["verdict"] == "hypotheses not met"]
        above = [r for r in beyond if r["ratio"] > 1 + 1e-9 and r["resolvable"]]
        worst = max((r["ratio"] for r in beyond if r["resolvable"]), default=None)
        if not judged:
            text = f"{part}: hypotheses never met (as expected)"
        elif any(r["verdict"] == "violated" for r in judged):
            text = f"{part}: VIOLATED within its hypotheses"
        else:
            text = f"{part}: carries over (0 violations in {len(judged)} judged instances)"
        if beyond:
            text += (
                f"; outside the proven hypotheses ({len(beyond)} instances) the bound FAILS in "
                f"{len(above)}"
                + (f" (max ratio {worst:.3g})" if worst is not None else "")
                + ("" if above else ": no failure observed")
            )
        notes.append(text)
    return rows, notes, {}
