"""Tests of the local-constant claims (extension): numeric core, check, proofs, Figure 1 certificate."""

import numpy as np
import pytest

from backsmooth.numeric.local_certificate import (
    certificate_from_pass, layer_local_constants, local_backward_bounds, segment_derivative_bounds,
)


class TestSegmentBounds:
    @pytest.mark.parametrize("name,d1,d2", [
        ("tanh", lambda x: 1 / np.cosh(x) ** 2, lambda x: np.abs(2 * np.tanh(x) / np.cosh(x) ** 2)),
        ("arctan", lambda x: 1 / (1 + x * x), lambda x: np.abs(2 * x / (1 + x * x) ** 2)),
    ])
    def test_closed_forms_match_a_dense_grid(self, name, d1, d2):
        rng = np.random.default_rng(0)
        lo = rng.uniform(-4, 4, 200)
        hi = lo + rng.exponential(1.0, 200)
        ell, c = segment_derivative_bounds(name, lo, hi)
        for a, b, e, cc in zip(lo, hi, ell, c):
            x = np.linspace(a, b, 20001)
            # the closed form is the exact maximum: above every grid value, and the grid gets close
            assert d1(x).max() <= e * (1 + 1e-12) and d1(x).max() >= e - 1e-6
            assert d2(x).max() <= cc * (1 + 1e-12) and d2(x).max() >= cc - 1e-6

    def test_relu_has_no_local_constants(self):
        with pytest.raises(ValueError, match="A2b"):
            segment_derivative_bounds("relu", [0.0], [1.0])

    def test_bad_segments(self):
        with pytest.raises(ValueError, match="lo <= hi"):
            segment_derivative_bounds("tanh", [1.0], [0.0])

    def test_weighted_slope_between_min_and_max(self):
        H = np.random.default_rng(1).standard_normal((20, 5)) + np.array([0, 3, -3, 6, 1.0])
        q = layer_local_constants(H, "tanh")
        ell, _ = segment_derivative_bounds("tanh", H.min(0), H.max(0))
        assert ell.min() <= q["ell_w"] <= q["ell"] == ell.max()


class TestCertificateOnNetworks:
    def _net(self, seed, act="tanh", gain=1.0, L=6, n=12):
        from backsmooth.numeric import gnn, gradients
        from backsmooth.numeric.propagation import contraction_factor
        rng = np.random.default_rng(seed)
        A = (rng.random((n, n)) < 0.4).astype(float)
        A = np.triu(A, 1)
        A = A + A.T + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
        A = (A > 0).astype(float)
        deg = A.sum(1)
        P = np.eye(n) - (np.diag(deg) - A) / (deg.max() + 1)
        lam = float(contraction_factor(P))
        W = [gain * np.linalg.qr(rng.standard_normal((4, 4)))[0] for _ in range(L)] + [rng.standard_normal((4, 2))]
        X0 = rng.standard_normal((n, 4)) + 1.0
        Y = rng.integers(0, 2, n)
        g = gradients(P, X0, W, activation=act, loss="cross_entropy", targets=Y)
        return W, g, lam, act

    @pytest.mark.parametrize("seed", range(6))
    @pytest.mark.parametrize("gain", [0.5, 1.0, 2.0, 4.0])
    def test_bounds_hold(self, seed, gain):
        W, g, lam, act = self._net(seed, gain=gain)
        L = len(W) - 1
        H, X, B = g.forward.H, g.forward.X, g.B
        BL = B[-1]
        e_B = np.sqrt(np.sum((BL - BL.mean(0)) ** 2) / BL.shape[0])
        q = certificate_from_pass(W, [H[k] for k in range(L)], [X[k] for k in range(L + 1)], BL.mean(0), e_B, lam, act)
        E = lambda M: np.sqrt(np.sum((M - M.mean(0)) ** 2) / M.shape[0])  # noqa: E731
        tol = 1e-10
        for k in range(L + 1):
            assert np.linalg.norm(g.weight_gradients[k]) <= q["delta"][k] * (1 + tol) + 1e-300
            assert np.linalg.norm(B[k].mean(0)) <= q["m"][k] * (1 + tol) + 1e-300
            assert E(B[k]) <= q["e"][k] * (1 + tol) + 1e-300
        for k in range(L):
            assert E(X[k + 1]) <= q["ell_w"][k] * E(H[k]) * (1 + tol)
            assert q["ell_w"][k] <= q["ell"][k] * (1 + tol)

    def test_scaled_down_certificate_is_violated(self):
        W, g, lam, act = self._net(0, gain=1.0)
        L = len(W) - 1
        H, X, B = g.forward.H, g.forward.X, g.B
        BL = B[-1]
        e_B = np.sqrt(np.sum((BL - BL.mean(0)) ** 2) / BL.shape[0])
        q = certificate_from_pass(W, [H[k] for k in range(L)], [X[k] for k in range(L + 1)], BL.mean(0), e_B, lam, act)
        grads = np.array([np.linalg.norm(G) for G in g.weight_gradients])
        assert np.any(grads > 0.5 * q["delta"]), "a bound 2x too small must fail somewhere"

    def test_linear_recursion_is_exact_for_identity(self):
        out = local_backward_bounds([np.eye(2), 2 * np.eye(2)], 0.5, [1.0], [0.0], [np.ones(2)], [3.0, 4.0], 1.0)
        assert out["m"].tolist() == [10.0, 5.0] and out["e"].tolist() == [1.0, 1.0]


class TestCheck:
    def test_zero_violations(self):
        from backsmooth.checks import check
        r = check("local_certificate", trials=12, seed=3)
        assert r.violations == 0 and r.summary["holds"] > 0

    @pytest.mark.parametrize("variant,args", [
        ("certificate", lambda n, xbar_k, m_k, lam, E_Xk, e_k, **_: 0.5 * (n * xbar_k * m_k + lam * n * E_Xk * e_k)),
        ("one_step", lambda lam, s_k, ell_k, E_Xk, **_: 0.5 * lam * s_k * ell_k * E_Xk),
        ("fluctuation", lambda lam, s_k1, ell_k, E_Bk1, E_Dk, gbar_norm, **_: 0.3 * (lam * s_k1 * ell_k * E_Bk1
                                                                                      + E_Dk * gbar_norm)),
    ])
    def test_scaled_down_bounds_are_caught(self, variant, args):
        from backsmooth.checks import check
        r = check("local_certificate", trials=12, seed=3, activation=["identity", "tanh"],
                  bound_override={variant: args})
        assert r.violations > 0
        assert r.summary["parts"][variant]["violations"] > 0


class TestProofs:
    def test_proofs_pass_and_are_labelled(self):
        from backsmooth.proofs.framework import verify
        from backsmooth.proofs.registry import proof, proofs
        ctx = {name: proof(name) for name in proofs()}
        weakest = {name: verify(proof(name), ctx).weakest for name in
                   ("local_smoothing", "local_backward_recursion", "local_certificate", "saturation_threshold")}
        # rule chains and identities for every size (issue 11b) ...
        # and the certificate's unrolled route too (session 5: induction over sums of symbolic length)
        for name in ("saturation_threshold", "local_smoothing", "local_backward_recursion", "local_certificate"):
            assert weakest[name] in ("rule", "all_sizes_identity"), name

    def test_instance_step_can_fail(self):
        from backsmooth.proofs.checks import on_instances
        from backsmooth.proofs.local_certificate import _certificate_floats
        lhs, rhs, sc = _certificate_floats()
        assert on_instances("<=", floats=lambda: (lhs, rhs, sc))().passed
        assert not on_instances("<=", floats=lambda: (lhs, 0.5 * rhs, sc))().passed


class TestSymbolic:
    def test_registered_and_derived(self):
        from backsmooth.symbolic.claims import claim
        from backsmooth.symbolic.derivations import derive
        for name in ("local_smoothing", "local_backward_recursion", "local_certificate", "saturation_threshold"):
            assert claim(name).provenance == "extension"
            assert all(st.verified for st in derive(name))


@pytest.mark.slow
class TestFigure1Certificate:
    def test_quick_figure1_run(self, tmp_path):
        from backsmooth.figures import default_settings, stationary_epoch, train_run
        from backsmooth.figures.certificate import certificate_theory
        st = default_settings(quick=True)
        run = train_run(st, "gnn", st.deep_depth, 0, cache_dir=tmp_path)
        g_out = run["gradient_norms"][:, -1]
        start = stationary_epoch(g_out, 1e-2 * g_out[0])
        th = certificate_theory(run, start)
        assert th["holds_every_epoch"]
        assert np.all(th["ratio_to_max_gradient"] >= 1 - 1e-9)
        assert th["within_factor_fraction_after_stationary"] >= 0.9


class TestScaledFigure2:
    def test_small_run_bounds_hold_and_files(self, tmp_path):
        from backsmooth.figures import default_settings
        from backsmooth.figures.certificate import plot_scaled_figure2, scaled_figure2_data
        st = default_settings(quick=True).with_(n=150, epochs=5, deep_depth=8)
        data = scaled_figure2_data(st, seeds=[0], gain=3.0)   # small graph: lambda ~ 0.48
        run = data["runs"][0]
        assert len(run["snapshots"]) == 2
        for snap in run["snapshots"]:
            assert snap["lambda_s"] > 1                      # the regime the variant is about
            assert snap["forward_holds"] and snap["forward_holds_w"] and snap["backward_holds"]
            EX = np.asarray(snap["E_X"])
            assert np.all(EX[1:] <= np.asarray(snap["local_forward_step_w"])[1:] * (1 + 1e-9))
        paths = plot_scaled_figure2(data, tmp_path)
        assert paths["png"].exists() and paths["json"].exists()

    def test_cli_knows_the_variant(self):
        from backsmooth.cli.figure import _FIGURES
        assert "2-scaled" in _FIGURES
