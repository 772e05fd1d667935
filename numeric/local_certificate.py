"""Local constants along a run and the a-posteriori stationarity certificate built from them.

Extension (ours).  The global bounds of Theorems 2-3 use ``|rho'| <= 1``, ``c_rho`` and
worst-case norm prefactors; along a trained deep GNN the pre-activations of a layer occupy a
narrow segment per column (forward smoothing), often in the saturated part of ``tanh``, so the
*local* slopes are much smaller.  For layer ``k < L`` and column ``j`` let
``[a_kj, b_kj] = [min_i H^(k)_ij, max_i H^(k)_ij]`` (it contains the column mean ``hbar_kj``) and

* ``ell_k := max_j max_{x in [a_kj, b_kj]} |rho'(x)|``   (local Lipschitz constant of ``rho``),
* ``c_k   := max_j max_{x in [a_kj, b_kj]} |rho''(x)|``  (local Lipschitz constant of ``rho'``),
* ``h_k   := max_ij |H^(k)_ij - hbar_kj|``              (centred spread),
* ``E(H^(k))``, and the column-energy weighted slope
  ``ell^w_k := (sum_j ell_kj^2 ||Pi H_:j||^2 / sum_j ||Pi H_:j||^2)^(1/2) <= ell_k``.

Local smoothing (forward): ``E(X^(k+1)) <= ell^w_k E(H^(k)) <= lambda s_k ell^w_k E(X^(k))``
``<= lambda s_k ell_k E(X^(k))``.

Local backward recursion (``m_k >= ||bbar^(k)||``, ``e_k >= E(B^(k))``), from ``||bbar^(L)||`` and
``E(B^(L))``, with ``dbar^(k)`` the column means of ``rho'(H^(k))`` and
``E(rho'(H^(k))) <= c_k E(H^(k))``: the mean output error is carried along the linearised mean
path ``v_k = dbar^(k) o (W^(k+1) v_{k+1})``, and (see :func:`local_backward_bounds`)

    ``d_k = s_{k+1} [ell_k d_{k+1} + lambda E(rho'(H^(k))) e_{k+1}]``,
    ``e_k = lambda s_{k+1} ell_k e_{k+1} + E(rho'(H^(k))) (||W^(k+1) v_{k+1}|| + s_{k+1} d_{k+1})``,
    ``m_k = ||v_k|| + d_k``.

Certificate (Lemma 3): ``||dLoss/dW^(k)||_F <= delta_k := n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k``.

Only forward quantities (``H^(k)``, ``X^(k)``), the weights' spectral norms and the two output
error summaries ``||bbar^(L)||``, ``E(B^(L))`` enter: no backward signal of a hidden layer and no
gradient is measured.  See ``docs/theory.md`` (claims ``local_smoothing``,
``local_backward_recursion``, ``local_certificate``, ``saturation_threshold``).
"""

from __future__ import annotations

import math

import numpy as np

from .activations import activation as _activation

__all__ = ["LOCAL_ACTIVATIONS", "segment_derivative_bounds", "layer_local_constants", "local_profile",
           "local_backward_bounds", "local_certificate", "certificate_from_pass", "local_forward_bound",
           "certificate_inputs", "certificate_from_inputs"]

# activations whose |rho'| is even and non-increasing in |x| and whose |rho''| is even and unimodal
# in |x| with its peak at x_star (so the maxima over a segment have closed forms)
_TANH_PEAK = math.atanh(1.0 / math.sqrt(3.0))


def _sech2(x):
    """``sech(x)^2 = 4 e^(-2|x|) / (1 + e^(-2|x|))^2`` without overflow."""
    q = np.exp(-2.0 * np.abs(x))
    return 4.0 * q / (1.0 + q) ** 2


LOCAL_ACTIVATIONS = {
    "tanh": (_sech2, lambda x: 2.0 * np.abs(np.tanh(x)) * _sech2(x), _TANH_PEAK),
    "arctan": (lambda x: 1.0 / (1.0 + x * x), lambda x: 2.0 * np.abs(x) / (1.0 + x * x) ** 2, 1.0 / math.sqrt(3.0)),
}


def segment_derivative_bounds(rho, lo, hi):
    """``max |rho'|`` and ``max |rho''|`` over each segment ``[lo_j, hi_j]`` (exact closed forms).

    Parameters
    ----------
    rho : str or Activation
        ``tanh`` and ``arctan`` (even ``|rho'|`` non-increasing in ``|x|``, ``|rho''|`` unimodal in
        ``|x|``) get the exact segment maxima; ``identity`` gives ``(1, 0)``; any other ``C^1``
        activation with Lipschitz ``rho'`` gets its global constants ``(1, c_rho)`` (still valid).
    lo, hi : array_like
        Segment ends, ``lo <= hi`` elementwise.

    Returns
    -------
    ell, c : ndarray
        Same shape as ``lo``.

    Raises
    ------
    ValueError
        If ``rho'`` is not Lipschitz (ReLU-type: hypothesis (A2b) fails) or ``lo > hi`` somewhere.

    Examples
    --------
    >>> ell, c = segment_derivative_bounds("tanh", [-1.0, 3.0], [2.0, 4.0])
    >>> [round(float(x), 6) for x in ell], [round(float(x), 4) for x in c]
    ([1.0, 0.009866], [0.7698, 0.0196])
    """
    rho = _activation(rho)
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    if lo.shape != hi.shape:
        raise ValueError(f"lo and hi must have the same shape, got {lo.shape} and {hi.shape}")
    if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
        raise ValueError("segment ends must be finite")
    if np.any(lo > hi):
        raise ValueError("every segment needs lo <= hi")
    if rho.name == "identity":
        return np.ones_like(lo), np.zeros_like(lo)
    if rho.name in LOCAL_ACTIVATIONS:
        d1, d2, peak = LOCAL_ACTIVATIONS[rho.name]
        straddles = (lo <= 0) & (hi >= 0)
        u = np.where(straddles, 0.0, np.minimum(np.abs(lo), np.abs(hi)))   # smallest |x| on the segment
        v = np.maximum(np.abs(lo), np.abs(hi))                              # largest |x|
        return d1(u), d2(np.clip(peak, u, v))
    if not rho.has_lipschitz_derivative:
        raise ValueError(f"activation {rho.name!r}: rho' is not Lipschitz (hypothesis A2b), no local constants")
    return np.full(lo.shape, float(rho.lipschitz)), np.full(lo.shape, float(rho.derivative_lipschitz))


def layer_local_constants(H, rho) -> dict:
    """``ell_k``, ``c_k``, ``h_k``, ``E(H^(k))`` of one hidden layer from its pre-activations ``H^(k)``.

    Examples
    --------
    >>> H = np.array([[5.0, -4.0], [5.2, -4.4], [4.9, -4.1]])
    >>> out = layer_local_constants(H, "tanh")
    >>> round(out["ell"], 6), round(out["h"], 4)       # sech(4)^2: the column nearest 0 ends at -4
    (0.001341, 0.2333)
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or H.shape[0] < 1:
        raise ValueError(f"H must be an (n, d) matrix, got shape {H.shape}")
    ell, c = segment_derivative_bounds(rho, H.min(axis=0), H.max(axis=0))
    C = H - H.mean(axis=0)
    h = float(np.abs(C).max())
    col = np.sum(np.multiply(C, C, out=C), axis=0)    # ||Pi H_:j||^2 (C is squared in place)
    total = float(col.sum())
    # column-energy weighted local slope: E(rho(H)) <= ell_w E(H) (per-column mean value theorem)
    ell_w = float(np.sqrt(np.sum(ell * ell * col) / total)) if total > 0 else float(ell.max())
    return {"ell": float(ell.max()), "ell_w": ell_w, "c": float(c.max()), "h": h,
            "E_H": float(np.sqrt(total / H.shape[0]))}


def local_profile(H_list, rho) -> dict:
    """Stack :func:`layer_local_constants` over the hidden layers ``k = 0..L-1`` (arrays of length L)."""
    rows = [layer_local_constants(H, rho) for H in H_list]
    return {key: np.array([r[key] for r in rows], dtype=float) for key in ("ell", "ell_w", "c", "h", "E_H")}


def local_backward_bounds(weights, lam, ell, E_D, mean_derivative, bbar_L, e_B, spread_max=None):
    """Bounds ``m_k >= ||bbar^(k)||`` and ``e_k >= E(B^(k))``, ``k = 0..L``, by the local recursion.

    With ``dbar^(k)`` the column means of ``rho'(H^(k))`` the mean output error is carried exactly
    along the linearised mean path ``v_L = bbar^(L)``, ``v_k = dbar^(k) o (W^(k+1) v_{k+1})``; the
    deviation ``d_k >= ||bbar^(k) - v_k||`` and ``e_k`` follow
    (``g_k := ||W^(k+1) v_{k+1}|| + s_{k+1} d_{k+1} >= ||W^(k+1) bbar^(k+1)||``):

    ``d_k = s_{k+1} ell_k d_{k+1} + lambda s_{k+1} E(rho'(H^(k))) e_{k+1}``,
    ``e_k = lambda s_{k+1} ell_k e_{k+1} + E(rho'(H^(k))) g_k``,

    and ``m_k = ||v_k|| + d_k``.  ``E(rho'(H^(k))) <= c_k E(H^(k))`` (mean value theorem).

    With ``spread_max`` (``omega_k = max_ij |rho'(H^(k)_ij) - dbar^(k)_j|``) each of ``e_k, d_k`` is
    the smaller of the one-step value and the unrolled form through the exact products
    ``M_{k,j} = A_{j-1} ... A_k``, ``A_i = W^(i+1)T diag(dbar^(i))`` (both are bounds):
    ``Pi B^(k) = P (Pi B^(k+1)) A_k + eta_k`` with ``||eta_k||_F / sqrt(n) <= E(rho'(H^(k))) g_k +
    omega_k lambda s_(k+1) E(B^(k+1))``, so
    ``E(B^(k)) <= lambda^(L-k) ||M_{k,L}||_2 e_L + sum_j lambda^(j-k) ||M_{k,j}||_2 (E(rho'(H^(j))) g_j +
    omega_j lambda s_(j+1) e_(j+1))``, and ``||bbar^(k) - v_k|| <= sum_j ||M_{k,j}||_2 lambda s_(j+1)
    E(rho'(H^(j))) e_(j+1)``.

    Parameters
    ----------
    weights : sequence of ndarray, length L + 1
        ``W^(0), ..., W^(L)``.
    lam : float
        ``lambda`` of ``P`` (ass:P; ``P >= 0`` is not needed).
    ell, E_D : array_like, length L
        ``ell_k`` and ``E(rho'(H^(k)))`` of the hidden layers ``k = 0..L-1``.
    mean_derivative : sequence of ndarray, length L
        ``dbar^(k)``, the column means of ``rho'(H^(k))``.
    bbar_L : array_like
        Mean output error ``bbar^(L)`` (vector).
    e_B : float
        ``E(B^(L))``.

    Returns
    -------
    dict with ``m``, ``e``, ``mean_path`` (``||v_k||``) and ``deviation`` (``d_k``), arrays of length L + 1.

    Examples
    --------
    A linear GNN (``ell = 1``, ``E_D = 0``): the mean follows the weights exactly, the fluctuation
    is contracted by ``lambda s``.

    >>> W = [np.eye(1), 2 * np.eye(1), 2 * np.eye(1)]
    >>> out = local_backward_bounds(W, 0.5, [1, 1], [0, 0], [np.ones(1)] * 2, [1.0], 1.0)
    >>> out["m"].tolist(), out["e"].tolist()
    ([4.0, 2.0, 1.0], [1.0, 1.0, 1.0])
    """
    s = _spectral_norms([np.asarray(w, dtype=float) for w in weights])
    ell, E_D = np.asarray(ell, dtype=float), np.asarray(E_D, dtype=float)
    L = s.size - 1
    if ell.shape != (L,) or E_D.shape != (L,) or len(mean_derivative) != L:
        raise ValueError(f"ell, E_D, mean_derivative must have length L = {L} (one entry per hidden layer)")
    if not 0 <= lam <= 1:
        raise ValueError(f"lambda must lie in [0, 1], got {lam}")
    v = np.asarray(bbar_L, dtype=float).ravel()
    path = np.empty(L + 1)
    d = np.zeros(L + 1)
    e = np.empty(L + 1)
    g = np.zeros(L)
    path[L], e[L] = np.linalg.norm(v), float(e_B)
    # A_k = W^(k+1)T diag(dbar^(k)): the linearised backward step (fluctuation and, transposed, mean)
    A = [np.asarray(weights[k + 1], dtype=float).T * np.asarray(mean_derivative[k], dtype=float)[None, :]
         for k in range(L)]
    if spread_max is not None:
        # ||M_{k,j}||_2 for k <= j <= L: the exact products M_{k,k} = I, M_{k,j+1} = A_j M_{k,j}
        # depend only on the weights and dbar, so all of them are formed first and their spectral
        # norms taken in batches (the same LAPACK call per matrix as np.linalg.norm(T, 2))
        # (M_{k,k} = I: its norm is the same routine's value for I, computed once per size)
        products = []
        for k in range(L):
            T = np.eye(A[k].shape[1])
            for j in range(k, L):
                T = A[j] @ T
                products.append(T)
        flat = _spectral_norms(products)
        product_norms, at = [], 0
        for k in range(L):
            product_norms.append(np.concatenate([[_identity_norm(A[k].shape[1])], flat[at:at + L - k]]))
            at += L - k
    for k in range(L - 1, -1, -1):
        Wv = np.asarray(weights[k + 1], dtype=float) @ v
        g[k] = np.linalg.norm(Wv) + s[k + 1] * d[k + 1]
        d[k] = s[k + 1] * (ell[k] * d[k + 1] + lam * E_D[k] * e[k + 1])
        e[k] = lam * s[k + 1] * ell[k] * e[k + 1] + E_D[k] * g[k]
        if spread_max is not None:
            # unrolled form with the exact products M_{k,j} = A_{j-1} ... A_k (||.||_2 computed):
            #   Pi B^(k) = P^(L-k) Pi B^(L) M_{k,L} + sum_j P^(j-k) eta_j M_{k,j},
            #   bbar^(k) - v_k = sum_j M_{k,j}^T rbar_j
            norms = product_norms[k]  # norms[j - k] = ||M_{k,j}||_2, j = k..L
            e_unrolled, d_unrolled = 0.0, 0.0
            for j in range(k, L):
                norm = norms[j - k]
                eta = E_D[j] * g[j] + spread_max[j] * lam * s[j + 1] * e[j + 1]
                e_unrolled += lam ** (j - k) * norm * eta
                d_unrolled += norm * lam * s[j + 1] * E_D[j] * e[j + 1]
            e_unrolled += lam ** (L - k) * norms[L - k] * e[L]
            e[k] = min(e[k], e_unrolled)
            d[k] = min(d[k], d_unrolled)
        v = np.asarray(mean_derivative[k], dtype=float) * Wv
        path[k] = np.linalg.norm(v)
    return {"m": path + d, "e": e, "mean_path": path, "deviation": d}


_IDENTITY_NORMS: dict = {}


def _identity_norm(d: int) -> float:
    """``_spectral_norms([np.eye(d)])[0]`` (1.0 wherever tried), computed once per ``d``."""
    if d not in _IDENTITY_NORMS:
        _IDENTITY_NORMS[d] = float(_spectral_norms([np.eye(d)])[0])
    return _IDENTITY_NORMS[d]


def _spectral_norms(matrices) -> np.ndarray:
    """``[||M||_2 for M in matrices]``, equal to ``np.linalg.norm(M, 2)`` bit for bit: the largest
    singular value from the same LAPACK routine, called on batches of equal shape."""
    out = np.empty(len(matrices))
    groups: dict = {}
    for i, M in enumerate(matrices):
        groups.setdefault(M.shape, []).append(i)
    for idx in groups.values():
        out[idx] = np.linalg.svd(np.stack([matrices[i] for i in idx]), compute_uv=False).max(axis=-1)
    return out


def certificate_from_pass(weights, pre_activations, signals, bbar_L, e_B, lam, rho) -> dict:
    """The local certificate ``delta_k``, ``k = 0..L``, from one forward pass and the output error.

    Only forward quantities (``H^(k)``, ``X^(k)``), the weights and the output error summaries
    ``bbar^(L)``, ``E(B^(L))`` are read; no hidden backward signal and no gradient.  It is
    :func:`certificate_from_inputs` of :func:`certificate_inputs` (the same numbers, bit for bit).

    Parameters
    ----------
    weights : sequence of ndarray, length L + 1
    pre_activations : sequence of ndarray, length >= L
        ``H^(0), ..., H^(L-1)`` (n x d_{k+1}).
    signals : sequence of ndarray, length L + 1
        ``X^(0), ..., X^(L)``.
    bbar_L, e_B, lam, rho
        Mean output error (vector), ``E(B^(L))``, ``lambda`` of ``P``, the activation.

    Returns
    -------
    dict of arrays: ``delta``, ``m``, ``e``, ``mean_path``, ``deviation`` (L + 1) and the local
    constants ``ell``, ``ell_w``, ``c``, ``h``, ``E_H``, ``E_D`` (L).
    """
    return certificate_from_inputs(certificate_inputs(weights, pre_activations, signals, bbar_L, e_B, rho), lam)


def certificate_inputs(weights, pre_activations, signals, bbar_L, e_B, rho) -> dict:
    """The small summaries of one forward pass that :func:`certificate_from_inputs` needs.

    The reductions over the ``n`` rows (local constants, ``dbar^(k)``, ``E(rho'(H^(k)))``,
    ``omega_k``, ``||xbar^(k)||``, ``E(X^(k))``) and copies of the weights: a few kB per layer
    whatever ``n``, so that the rest of the certificate (the products ``M_{k,j}`` and their
    spectral norms) can be computed later or in another process.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> W = [rng.standard_normal((3, 3)) / 3 for _ in range(3)]
    >>> X = [rng.standard_normal((6, 3))]
    >>> H = []
    >>> for k in range(2):
    ...     H.append(X[-1] @ W[k]); X.append(np.tanh(H[-1]))
    >>> inputs = certificate_inputs(W, H, X, np.ones(3) / 6, 0.1, "tanh")
    >>> q = certificate_from_inputs(inputs, 0.5)
    >>> bool(np.array_equal(q["delta"], certificate_from_pass(W, H, X, np.ones(3) / 6, 0.1, 0.5, "tanh")["delta"]))
    True
    """
    from .activations import activation

    rho = activation(rho)
    L = len(weights) - 1
    H = [np.asarray(pre_activations[k], dtype=float) for k in range(L)]
    prof = local_profile(H, rho)
    Dk = [rho.derivative(Hk) for Hk in H]
    dbar = [D.mean(axis=0) for D in Dk]
    E_D, omega = np.empty(L), np.empty(L)
    for k, (D, m) in enumerate(zip(Dk, dbar)):        # D is ours: rho'(H^(k)) - dbar^(k) in place
        own = (isinstance(D, np.ndarray) and D.dtype == np.float64 and D.flags.writeable
               and not np.may_share_memory(D, H[k]))
        R = np.subtract(D, m, out=D) if own else D - m
        omega[k] = float(np.abs(R).max())
        E_D[k] = np.sqrt(np.sum(np.multiply(R, R, out=R)) / R.shape[0])
    prof["E_D"], prof["omega"] = E_D, omega
    X = [np.asarray(signals[k], dtype=float) for k in range(L + 1)]
    n = X[0].shape[0]
    means = [Xk.mean(axis=0) for Xk in X]
    xbar = np.array([np.linalg.norm(m) for m in means])
    EX = np.empty(L + 1)
    for k, (Xk, m) in enumerate(zip(X, means)):
        C = Xk - m
        EX[k] = np.sqrt(np.sum(np.multiply(C, C, out=C)) / n)
    return {"weights": [np.array(w, dtype=float) for w in weights], "profile": prof, "dbar": dbar,
            "bbar_L": np.array(bbar_L, dtype=float), "e_B": e_B, "n": n, "xbar": xbar, "E_X": EX}


def certificate_from_inputs(inputs, lam) -> dict:
    """The certificate of :func:`certificate_from_pass` from :func:`certificate_inputs` and ``lambda``."""
    prof = inputs["profile"]
    out = local_backward_bounds(inputs["weights"], lam, prof["ell"], prof["E_D"], inputs["dbar"], inputs["bbar_L"],
                                inputs["e_B"], spread_max=prof["omega"])
    out["delta"] = local_certificate(inputs["n"], lam, inputs["xbar"], inputs["E_X"], out["m"], out["e"])
    out.update(prof)
    return out


def local_certificate(n, lam, xbar_norm, E_X, m, e):
    """``delta_k = n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k`` (Lemma 3 with the local bounds).

    Examples
    --------
    >>> local_certificate(10, 0.5, [1.0, 2.0], [0.1, 0.2], [1e-3, 1e-3], [1e-2, 1e-2]).tolist()
    [0.015, 0.03]
    """
    xbar_norm, E_X, m, e = (np.asarray(a, dtype=float) for a in (xbar_norm, E_X, m, e))
    return n * xbar_norm * m + lam * n * E_X * e


def local_forward_bound(s, lam, ell, E_X0):
    """Chained local forward bound ``E(X^(k)) <= E(X^(0)) prod_{i<k} lambda s_i ell_i``, ``k = 0..L``.

    Valid with ``ell_i`` the segment maximum or the weighted ``ell^w_i``.

    Examples
    --------
    >>> local_forward_bound([2.0, 2.0, 1.0], 0.5, [0.5, 0.1], 1.0).tolist()
    [1.0, 0.5, 0.05]
    """
    s = np.asarray(s, dtype=float)
    ell = np.asarray(ell, dtype=float)
    steps = lam * s[: ell.size] * ell
    return float(E_X0) * np.concatenate([[1.0], np.cumprod(steps)])
