"""The speed-ups of issue 16 change no number: each fast path equals the plain computation bit for bit."""

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import forward, gnn, initial_weights
from backsmooth.numeric.activations import activation
from backsmooth.numeric.layers import GraphConvolution
from backsmooth.numeric.local_certificate import _spectral_norms, local_backward_bounds


def test_batched_spectral_norms_equal_numpy_norm_bit_for_bit():
    rng = np.random.default_rng(3)
    mats = [rng.standard_normal((int(rng.integers(1, 12)), int(rng.integers(1, 12))))
            * 10.0 ** rng.uniform(-6, 3) for _ in range(200)]
    mats += [np.eye(5), np.zeros((3, 4))]
    expected = np.array([np.linalg.norm(M, 2) for M in mats])
    assert np.array_equal(_spectral_norms(mats), expected)


def _unrolled_reference(weights, lam, ell, E_D, dbar, bbar_L, e_B, omega):
    """local_backward_bounds as first written: one np.linalg.norm(T, 2) per product."""
    s = np.array([np.linalg.norm(np.asarray(w, dtype=float), 2) for w in weights])
    L = s.size - 1
    v = np.asarray(bbar_L, dtype=float).ravel()
    path, d, e, g = np.empty(L + 1), np.zeros(L + 1), np.empty(L + 1), np.zeros(L)
    path[L], e[L] = np.linalg.norm(v), float(e_B)
    A = [weights[k + 1].T * dbar[k][None, :] for k in range(L)]
    for k in range(L - 1, -1, -1):
        Wv = weights[k + 1] @ v
        g[k] = np.linalg.norm(Wv) + s[k + 1] * d[k + 1]
        d[k] = s[k + 1] * (ell[k] * d[k + 1] + lam * E_D[k] * e[k + 1])
        e[k] = lam * s[k + 1] * ell[k] * e[k + 1] + E_D[k] * g[k]
        T = np.eye(A[k].shape[1])
        eu, du = 0.0, 0.0
        for j in range(k, L):
            norm = np.linalg.norm(T, 2)
            eu += lam ** (j - k) * norm * (E_D[j] * g[j] + omega[j] * lam * s[j + 1] * e[j + 1])
            du += norm * lam * s[j + 1] * E_D[j] * e[j + 1]
            T = A[j] @ T
        eu += lam ** (L - k) * np.linalg.norm(T, 2) * e[L]
        e[k], d[k] = min(e[k], eu), min(d[k], du)
        v = dbar[k] * Wv
        path[k] = np.linalg.norm(v)
    return path + d, e


@pytest.mark.parametrize("widths", [[3, 6, 6, 6, 2], [4, 5, 7, 3, 6, 2]])
def test_local_backward_bounds_equal_the_unbatched_recursion(widths):
    rng = np.random.default_rng(len(widths))
    W = [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(widths[:-1], widths[1:])]
    L = len(W) - 1
    # slopes near 1 but small mean slopes dbar: the unrolled form is the smaller bound
    ell, E_D, omega = rng.uniform(0.9, 1, L), rng.uniform(0, 0.3, L), rng.uniform(0, 0.05, L)
    dbar = [rng.uniform(0.05, 0.2, W[k].shape[1]) for k in range(L)]
    bbar = rng.standard_normal(widths[-1])
    out = local_backward_bounds(W, 0.7, ell, E_D, dbar, bbar, 0.3, spread_max=omega)
    m, e = _unrolled_reference(W, 0.7, ell, E_D, dbar, bbar, 0.3, omega)
    assert np.array_equal(out["m"], m) and np.array_equal(out["e"], e)
    # the unrolled form is used somewhere (else the test would not exercise the batched norms)
    plain = local_backward_bounds(W, 0.7, ell, E_D, dbar, bbar, 0.3)
    assert not np.array_equal(plain["e"], e)


def test_lazy_pre_activations_equal_the_plain_forward_step():
    rng = np.random.default_rng(0)
    A = sp.random_array((60, 60), density=0.2, random_state=1, format="csr")
    A = A + A.T
    P = sp.csr_array(A / np.maximum(A.sum(axis=1), 1e-12)[:, None])
    W = initial_weights([5] + [8] * 4 + [2], "gaussian", seed=2)
    net = gnn(P, 4, "tanh")
    fwd = forward(net, rng.standard_normal((60, 5)), W)
    for k in range(4):
        F, H, _ = net.layers[k].forward(net.P, fwd.X[k], W[k])
        assert np.array_equal(fwd.H[k], H)
    layer = GraphConvolution(activation("tanh"))
    assert np.array_equal(layer.pre_activation(P, fwd.X[1], W[1]), layer.forward(P, fwd.X[1], W[1])[1])


def test_save_figure_png_equals_a_tight_savefig_byte_for_byte(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from backsmooth.figures.plotting import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(7, 3))
    for k in range(5):
        axes[0].plot(np.arange(20), np.exp(-0.1 * k * np.arange(20)), label=f"layer {k}")
    axes[0].set_yscale("log")
    axes[0].legend(fontsize=7)
    axes[1].set_title(r"$\|\partial \mathcal{L}/\partial W^{(k)}\|_F$ (a long title, right panel)")
    sm = plt.cm.ScalarMappable(cmap=plt.cm.viridis, norm=plt.Normalize(0, 4))
    plt.colorbar(sm, ax=axes[1], label="layer k")
    fig.savefig(tmp_path / "direct.png", dpi=130, bbox_inches="tight")
    paths = save_figure(fig, {"x": [1.0]}, tmp_path, "fast", {"p": (["x"], [[1.0, 2.0]])})
    plt.close(fig)
    assert (tmp_path / "direct.png").read_bytes() == paths["png"].read_bytes()
    assert paths["pdf"].read_bytes().startswith(b"%PDF")


def test_runs_without_the_certificate_train_the_same_and_reuse_a_certified_cache(tmp_path):
    from backsmooth.figures import default_settings, train_run

    st = default_settings(quick=True).with_(n=120, epochs=6, profile_every=2)
    plain = train_run(st, "gnn", 3, 0, cache_dir=tmp_path / "a", certificate=False)
    certified = train_run(st, "gnn", 3, 0, cache_dir=tmp_path / "a")
    assert "cert_delta" not in plain and "cert_delta" in certified
    for name in ("loss", "gradient_norms", "forward_energy", "backward_energy"):
        assert np.array_equal(plain[name], certified[name])
    assert len(list((tmp_path / "a").glob("*.npz"))) == 2
    # a certified run in the cache serves a later request that does not need the certificate
    only = train_run(st, "gnn", 3, 0, cache_dir=tmp_path / "b")
    again = train_run(st, "gnn", 3, 0, cache_dir=tmp_path / "b", certificate=False)
    assert "cert_delta" in again and np.array_equal(again["cert_delta"], only["cert_delta"])
    assert len(list((tmp_path / "b").glob("*.npz"))) == 1
