"""Stated reasons for parts whose tightest ratio stays below :data:`TIGHT_ENOUGH`.

A bound that is never within a factor 2 of what it bounds cannot catch a bound halved by
mistake.  Every such part of the default ``check --all`` must carry a reason here (why the
bound is loose by construction, measured on the default profile); the summary lists the loose
parts with their reason, or ``"no stated reason"`` (and the CLI says so).

Examples
--------
>>> loose_parts("theorem1", {"uniform": {"max_ratio": 0.3}})["uniform"]["reason"]
'no stated reason'
"""

from __future__ import annotations

__all__ = ["LOOSE_REASONS", "TIGHT_ENOUGH", "loose_parts"]

TIGHT_ENOUGH = 0.5

#: (check, part) -> why the part's bound is loose by more than 1/TIGHT_ENOUGH on the default run
LOOSE_REASONS = {
    ("theorem2", "unrolled_s_le_1"): (
        "the s <= 1 form replaces every s_i by 1: on the instances where s <= 1 holds the drawn "
        "s_i are mostly well below 1, so the bound is loose by prod s_i (the product form "
        "unrolled_product, judged on the same rows, reaches ratio 1)"
    ),
    ("proposition1", "uniform"): (
        "(iii) bounds the gap ||bbar^(k) - N_k bbar^(L)|| by a first-order quantity while the gap "
        "is second order in the fluctuations (Proposition 1(ii)); tight only as E(H) grows, "
        "where lambda s < 1 fails"
    ),
    ("corollary2", "loss_lower_measured"): (
        "Cauchy-Schwarz between the output fluctuation and the target fluctuation: tight only "
        "when Pi H^(L) is aligned with Pi Y, which random hidden weights do not do"
    ),
    ("corollary2", "loss_lower"): (
        "loss_lower_measured with E(H^(L)) bounded by Theorem 1 (lambda s_L Lam_L E(X^(0))): "
        "both slacks multiply"
    ),
    ("corollary2", "loss_lower_uniform"): (
        "loss_lower with s_i <= s: the slacks of loss_lower and of the uniform s multiply"
    ),
    ("corollary2", "ce_mean_error"): (
        "softmax is 1/2-Lipschitz only in the worst direction; at a mean-fitted output layer the "
        "fluctuations of H^(L) move the softmax far less"
    ),
    ("theorem2_relu", "unrolled"): (
        "the uniform form uses kappa = max_j kappa_j over all layers: one layer with a small "
        "margin sets the constant of every layer (the per-layer unrolled_product reaches 0.93)"
    ),
    ("theorem2_relu", "mean_one_step"): (
        "||r_k|| is the norm of the mean row of R_k o G_k, whose entries (+-G_ij on the few "
        "flipped signs) largely cancel; the bound kappa_k E(H^(k)) ||G_k||_max ignores the "
        "cancellation"
    ),
    ("theorem3_relu", "uniform_hidden"): (
        "the uniform form takes kappa = max_j kappa_j (one small ReLU margin sets the constant "
        "of every layer) and s = max_i s_i; the per-layer part (a) of the same rows reaches 0.76"
    ),
    ("theorem3_relu", "clean_hidden"): (
        "the s <= 1 form replaces every s_i by 1 and carries kappa = max_j kappa_j, "
        "2 E(X^(0)) beta / (1 - lambda); the per-layer part (a) of the same rows reaches 0.76"
    ),
}


def loose_parts(check_name, parts):
    """``{part: {"max_ratio", "reason"}}`` for the parts below :data:`TIGHT_ENOUGH`."""
    out = {}
    for part, v in parts.items():
        r = v.get("max_ratio")
        if r is not None and r < TIGHT_ENOUGH:
            reason = LOOSE_REASONS.get((check_name, part), "no stated reason")
            out[part] = {"max_ratio": r, "reason": reason}
    return out
