"""The standing setting of every claim: notation conventions and hypothesis labels.

A :class:`~backsmooth.symbolic.claims.Claim` names its hypotheses by short labels (``A1``,
``A2b``, ``rho=id``, ...); :data:`HYPOTHESES` says what each label means, and
:data:`CONVENTIONS` fixes the notation every statement uses (the root measure ``E``, ``J``,
``Pi``, the norms, the layer numbering).  ``docs/theory.md`` is generated from these and
from the registry of claims (``backsmooth derive --all --markdown``).

Examples
--------
>>> from backsmooth.symbolic.setting import hypothesis_meaning
>>> hypothesis_meaning("A2b").startswith("rho is C^1")
True
"""

from __future__ import annotations

__all__ = ["CONVENTIONS", "HYPOTHESES", "hypothesis_meaning"]

#: (topic, convention) pairs, in reading order (plain text with ``^``, ``_`` as in the code)
CONVENTIONS = (
    ("GNN", "layers k = 0, ..., L: F^(k) = P X^(k), H^(k) = F^(k) W^(k), X^(k+1) = rho(H^(k)) "
            "for k < L; the output H^(L) = P X^(L) W^(L) has no activation. Weights W^(0), ..., "
            "W^(L): L activations, L + 1 weight matrices (the paper's numbering)."),
    ("backward signals", "B^(L) = dLoss/dH^(L), B^(k) = rho'(H^(k)) o (P^T B^(k+1) W^(k+1)^T); "
                         "the weight gradient is grad_k = dLoss/dW^(k) = F^(k)^T B^(k)."),
    ("J, Pi", "J = 1 1^T / n (averaging), Pi = I - J (centring); xbar = X^T 1 / n is the mean "
              "row of X, bbar^(k) that of B^(k)."),
    ("E", "the ROOT measure E(X) = ||Pi X||_F / sqrt(n); its square is the pairwise-difference "
          "energy E(X)^2 = (1/(2 n^2)) sum_ij ||X_i - X_j||^2. Every bound uses the root E."),
    ("norms", "||.||_F Frobenius, ||.||_2 spectral, ||X||_row = max_i ||X_i||_2 (largest row "
              "norm), ||X||_max = max_ij |X_ij|, ||P||_inf = max_i sum_l |P_il|."),
    ("weights", "s_k = ||W^(k)||_2; Q_k = prod_{i<k} s_i, S_k = prod_{i=k+1}^{L} s_i, "
                "Lambda_k = prod_{i<k} (lambda s_i) (empty products are 1)."),
    ("output error", "beta = ||B^(L)||_row, mu = ||bbar^(L)||_2 (the mean output error), "
                     "xi = ||X^(0)||_F; L_const = E(Y)^2 / 2 is the loss of the best constant "
                     "predictor under MSE."),
)

#: hypothesis label -> meaning (the labels of ``Claim.hypotheses``)
HYPOTHESES = {
    "A1": "P is symmetric, P 1 = 1, and every eigenvalue of P other than the one of the "
          "eigenvector 1 has |mu_i| <= lambda < 1 (ass:P)",
    "A1+": "A1 and P >= 0 entrywise (so ||P||_inf = 1); needed where max-row norms of "
           "backward signals are propagated",
    "A2": "rho acts elementwise and is 1-Lipschitz (ass:sigma)",
    "A2a": "rho(0) = 0 (so |rho(x)| <= |x|)",
    "A2b": "rho is C^1 and rho' is c_rho-Lipschitz (tanh: c_rho = 4/(3 sqrt 3); arctan: "
           "3 sqrt 3 / 8; sin: 1; softsign: 2); ReLU is not covered",
    "A2c": "rho is C^2 and rho'' is c_2-Lipschitz (tanh: c_2 = 2; arctan: 2; sin: 1); only "
           "for the second-order refinement of Proposition 1",
    "A3": "s_k = ||W^(k)||_2 <= s for every layer k",
    "rho=id": "linear GNN: rho is the identity",
    "lambda*s<1": "lambda s < 1 (the regime where the bounds decay with depth)",
    "||xbar^(L)||>=gamma": "the mean row of X^(L) has norm at least gamma > 0",
    "n=2": "two nodes",
    "X0=I": "input features X^(0) = I",
    "MSE": "mean squared error loss",
    "rho=relu": "rho is ReLU, max(x, 0): 1-Lipschitz with rho(0) = 0, but rho' is a step, so A2b "
                "fails (no c_rho)",
    "hbar^(k)_j != 0": "every non-constant column j of the pre-activation H^(k) has a non-zero "
                       "mean hbar^(k)_j, so the ReLU margin constant kappa_k = 1/min_j |hbar^(k)_j| "
                       "is finite",
    "rho C^1": "rho is continuously differentiable (its local slope ell_k is the largest |rho'| "
               "over the segments the pre-activations span)",
    "rho = tanh": "rho is tanh",
    "lambda*s<=r": "lambda s <= r: the residual skip weight r is at least the gain lambda s of "
                   "the propagated path, so r - lambda s >= 0",
    "0<=a<=1": "the initial-residual weight a lies in [0, 1], so |1 - a| = 1 - a (the numeric layer "
               "refuses any other a)",
}


def hypothesis_meaning(label) -> str:
    """Return the meaning of the hypothesis ``label``.

    Raises
    ------
    ValueError
        If ``label`` is not in :data:`HYPOTHESES` (the message lists the known labels).
    """
    try:
        return HYPOTHESES[label]
    except (KeyError, TypeError):
        raise ValueError(f"unknown hypothesis label {label!r}; known labels: "
                         f"{', '.join(HYPOTHESES)}") from None
