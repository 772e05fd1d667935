"""Theory drawn over the figures' data, evaluated from the symbolic registry.

Every line comes from :func:`backsmooth.symbolic.bounds.bound_function` (the lambdified
sympy bounds of ``docs/theory.md``), evaluated at quantities measured on the run:

* Figure 2, forward: Theorem 1 (uniform) ``E(X^(k)) <= (lambda s)^k E(X^(0))``;
* Figure 2, backward: Corollary 1 (uniform) ``(lambda s)^(L-k) E(B^(L))`` -- the rate of a
  *linear* GNN -- and Theorem 2 (unrolled), the bound that holds for tanh;
* Figure 1: Theorem 3 (a) a posteriori, ``||grad_k||_F <= delta_k = min(T1_k, T2_k)`` with
  the backward route ``T1_k = min_{m >= k} backward_route(m)`` and the forward route ``T2_k``,
  evaluated at every profile epoch from the measured ``s_i``, ``E(X^(j))``, ``E(B^(L))``,
  ``||bbar^(L)||`` and ``||B^(L)||_row``.
"""

from __future__ import annotations

import numpy as np

from backsmooth.numeric.measures import fitted_rate as _fitted_rate

__all__ = ["theorem3_delta", "fitted_rate", "forward_rate_line", "backward_rate_lines",
           "stationary_epoch", "informative_fraction"]


def _bound(name, variant):
    from backsmooth.symbolic.bounds import bound_function

    return bound_function(name, variant).function


def theorem3_delta(history, *, n: int, xi: float, lam: float, c_rho: float) -> np.ndarray:
    """Per-layer Theorem 3 (a) bounds ``delta_k`` at the profile epochs, shape ``(m, L + 1)``.

    Parameters
    ----------
    history : TrainingHistory
        Needs ``spectral_norms``, ``forward_energy``, ``backward_energy``,
        ``backward_mean_norm`` and ``output_error_row_norm`` at the profile epochs.
    n : int
        Number of nodes.
    xi : float
        ``||X^(0)||_F``.
    lam : float
        ``lambda`` of ``P``.
    c_rho : float
        Lipschitz constant of ``rho'`` (tanh: 4/(3 sqrt 3)).
    """
    fwd_route = _bound("theorem3", "forward_route")
    bwd_route = _bound("theorem3", "backward_route")
    s_all = history.spectral_norms
    m_count, L1 = s_all.shape
    L = L1 - 1
    out = np.empty((m_count, L1))
    for r in range(m_count):
        s = s_all[r]
        EX = history.forward_energy[r]
        e_B = history.backward_energy[r, L]
        mu = history.backward_mean_norm[r, L]
        beta = history.output_error_row_norm[r]
        Q = np.concatenate([[1.0], np.cumprod(s[:-1])])                 # Q_k = prod_{i<k} s_i
        S = np.concatenate([np.cumprod(s[::-1][:-1])[::-1], [1.0]])     # S_k = prod_{i>k} s_i
        terms = s[:L] * EX[:L]
        Sigma = np.concatenate([np.cumsum(terms[::-1])[::-1], [0.0]])   # Sigma_m = sum_{j=m}^{L-1}
        k = np.arange(L1)
        T2 = fwd_route(n=n, xi=xi, Q_k=Q, S_k=S, mu=mu, c_rho=c_rho, lam=lam, beta=beta, Sigma_k=Sigma,
                       E_Xk=EX, L=L, k=k, E_BL=e_B)
        # backward route: min over m >= k of the bracket; the prefactor depends on k only
        bracket = bwd_route(n=n, xi=xi, Q_k=1.0, S_k=1.0, lam=lam, L=L, m=k, E_BL=e_B, mu=mu, c_rho=c_rho,
                            beta=beta, Sigma_m=Sigma)
        suffix_min = np.minimum.accumulate(bracket[::-1])[::-1]         # min_{m >= k}
        T1 = Q * S * suffix_min
        out[r] = np.minimum(T1, T2)
    return out


#: the per-layer rate (one home: :func:`backsmooth.numeric.measures.fitted_rate`; None, not
#: NaN, when no rate can be fitted)
fitted_rate = _fitted_rate


def forward_rate_line(lam: float, s: float, L: int, E_X0: float) -> np.ndarray:
    """Theorem 1 (uniform): ``(lambda s)^k E(X^(0))`` for ``k = 0..L``."""
    f = _bound("theorem1", "uniform")
    return np.asarray(f(lam=lam, s=s, k=np.arange(L + 1), E_X0=E_X0), dtype=float)


def backward_rate_lines(lam: float, s: float, L: int, E_BL: float, E_X0: float, beta: float,
                        c_rho: float) -> dict:
    """Corollary 1 rate ``(lambda s)^(L-k) E(B^(L))`` and Theorem 2 (unrolled) for ``k = 0..L``.

    Theorem 2's unrolled form needs ``lambda^2 s < 1``; otherwise its entry is all NaN.
    """
    k = np.arange(L + 1)
    linear = np.asarray(_bound("corollary1", "uniform")(lam=lam, s=s, L=L, k=k, E_BL=E_BL), dtype=float)
    if lam * lam * s < 1:
        thm2 = np.asarray(_bound("theorem2", "unrolled")(lam=lam, s=s, L=L, k=k, E_BL=E_BL, E_X0=E_X0,
                                                          beta=beta, c_rho=c_rho), dtype=float)
    else:
        thm2 = np.full(L + 1, np.nan)
    return {"corollary1_linear_rate": linear, "theorem2_unrolled": thm2}


def stationary_epoch(output_gradient, threshold: float):
    """First epoch from which the output layer's gradient stays ``<= threshold`` (None if never)."""
    g = np.asarray(output_gradient, dtype=float)
    above = np.flatnonzero(g > threshold)
    if above.size == 0:
        return 0
    first = int(above[-1]) + 1
    return first if first < g.size else None


def informative_fraction(delta_max, reference: float) -> float:
    """Fraction of entries where a bound is below ``reference`` (else it certifies nothing new)."""
    d = np.asarray(delta_max, dtype=float)
    return float(np.mean(d < reference)) if d.size else float("nan")
