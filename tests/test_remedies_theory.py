"""Remedy claims: sympy derivations at symbolic size, proof chains, and that both can fail."""

import numpy as np
import pytest
import sympy as sp

from backsmooth.proofs.checks import on_instances
from backsmooth.proofs.framework import verify
from backsmooth.proofs.registry import proof
from backsmooth.symbolic import claim
from backsmooth.symbolic.derivations import derive
from backsmooth.symbolic.derive_remedies import _matrix_step, centring

REMEDY_CLAIMS = ("remedy_residual", "remedy_initial_residual", "remedy_normalisation")


@pytest.mark.parametrize("name", REMEDY_CLAIMS)
def test_claims_are_extensions_with_verified_derivations(name):
    assert claim(name).provenance == "extension"
    steps = derive(name)
    assert steps and all(st.verified for st in steps)


@pytest.mark.parametrize("name", REMEDY_CLAIMS)
def test_proofs_pass_and_are_proofs_for_every_size(name):
    r = verify(proof(name))
    assert r.passed, r.failed_steps
    # every step is a rule chain or an all-sizes identity (tests/test_proofs_remedies_engine.py)
    assert r.weakest == "rule" and r.is_proof


def test_wrong_matrix_identities_are_rejected():
    n, d = sp.symbols("n d", integer=True, positive=True)
    X, G = sp.MatrixSymbol("X", n, d), sp.MatrixSymbol("G", n, d)
    P, W = sp.MatrixSymbol("P", n, n), sp.MatrixSymbol("W", d, d)
    grad = sp.Trace(G.T * (P * X * W)).diff(X)
    assert _matrix_step("right", grad, P.T * G * W.T).verified
    assert not _matrix_step("transpose forgotten", grad, P * G * W.T).verified
    assert not _matrix_step("Pi is not I", centring(n), sp.Identity(n)).verified
    assert not _matrix_step("Pi^2 is not 2 Pi", centring(n) * centring(n), 2 * centring(n)).verified


def test_residual_lower_bound_without_the_lambda_s_loss_fails():
    """Dropping '- lambda s' from the residual's lower rate must be caught on the instances."""
    from backsmooth.proofs.remedies import _E, _instances, _norm2

    def too_strong():
        rows = []
        for P, lam_, W, B, ex in _instances("residual"):
            for j in range(1, len(W) - 1):
                rows.append((ex["r"] * _E(B[j]), _E(B[j - 1]), np.linalg.norm(B[j])))
        return tuple(np.array(c) for c in zip(*rows))

    assert not on_instances("<=", floats=too_strong)().passed
    assert _norm2(np.eye(2)) == 1.0


def test_initial_residual_bound_without_one_minus_a_fails_for_the_mean_and_gradient_path():
    """The (1 - a) factor is tight on flat P: replacing it by (1 - a)^2 is caught."""
    from backsmooth.proofs.remedies import _instances

    def too_strong():
        rows = []
        for P, lam_, W, B, ex in _instances("initial"):
            a, Lh = ex["a"], len(W) - 1
            m = max(np.linalg.norm(W[j], 2) for j in range(1, Lh))
            for j in range(1, Lh):
                q = Lh - 1 - j
                rows.append((np.linalg.norm(B[j].mean(axis=0)),
                             ((1 - a) ** 2 * m) ** q * np.linalg.norm(B[Lh - 1].mean(axis=0)),
                             np.linalg.norm(B[Lh - 1])))
        return tuple(np.array(c) for c in zip(*rows))

    assert not on_instances("<=", floats=too_strong)().passed


class TestRemediesCheck:
    def test_no_violation_and_extension(self):
        from backsmooth.checks import check
        from backsmooth.checks.remedies import CLAIM_PARTS

        tightest = []
        for name in ("remedy_residual", "remedy_initial_residual", "remedy_normalisation"):
            r = check(name, trials=20, seed=5)
            assert r.violations == 0, r.summary.get("worst_violation")
            assert set(r.provenance.values()) == {"extension"}
            assert r.summary["holds"] > 0
            # the claim's own check judges exactly its own parts
            assert r.records and all(CLAIM_PARTS[name](row["part"]) for row in r.records)
            tightest.append(r.summary["tightest_ratio"])
        # the linear bounds are attained on the flat P (every eigenvalue lambda)
        assert max(tightest) > 0.999

    @pytest.mark.parametrize("key,wrong", [
        (("remedy_residual", "lower"), lambda r, L, k, E_BL1, **_: r ** (L - 1 - k) * E_BL1),
        (("remedy_initial_residual", "centred"),
         lambda a, lam, m_M, L, k, E_BL1, **_: ((1 - a) ** 2 * lam * m_M) ** (L - 1 - k) * E_BL1),
        (("remedy_normalisation", "mean"), lambda lam, s, L, k, E_BL1, **_: (lam * s) ** (L - k) * E_BL1),
        (("remedy_normalisation", "pairnorm"),
         lambda sigma, lam, s_k1, E_Bk1, E_Hk, **_: 0.5 * sigma * lam * s_k1 * E_Bk1 / E_Hk),
    ])
    def test_a_wrong_bound_is_caught(self, key, wrong):
        from backsmooth.checks import check

        r = check(key[0], trials=20, seed=5, bound_override={key: wrong})
        assert r.violations > 0
