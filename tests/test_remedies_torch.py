"""Remedy layers' weight gradients equal PyTorch autograd (float64) to 1e-10 relative.

torch differentiates its own forward pass of each remedy network (written here from the
definitions in numeric/remedies.py, not from our backward code); both are exact in float64.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is optional (pip install torch==2.13.0)")

from backsmooth.numeric import gradients, initial_weights
from backsmooth.numeric.remedies import initial_residual_gnn, normalised_gnn, residual_gnn


def _torch_forward(model, P, X, Ws):
    L = len(Ws) - 1
    Z = P @ X @ Ws[0]
    if model in ("pair", "mean"):
        C = Z - Z.mean(0, keepdim=True)
        Z = C * (1.3 * np.sqrt(X.shape[0]) / torch.linalg.norm(C)) if model == "pair" else C
    Z = torch.tanh(Z)
    A = Z
    for k in range(1, L):
        if model == "residual":
            Z = 0.7 * Z + torch.tanh(P @ Z @ Ws[k])
        elif model in ("ir", "gcnii"):
            a, b = (0.3, None) if model == "ir" else (0.2, 0.6)
            M = Ws[k] if b is None else (1 - b) * torch.eye(Ws[k].shape[0], dtype=torch.float64) + b * Ws[k]
            Z = torch.tanh(((1 - a) * P @ Z + a * A) @ M)
        else:
            H = P @ Z @ Ws[k]
            C = H - H.mean(0, keepdim=True)
            Z = torch.tanh(C * (1.3 * np.sqrt(X.shape[0]) / torch.linalg.norm(C)) if model == "pair" else C)
    return P @ Z @ Ws[L]


NETS = {"residual": lambda P: residual_gnn(P, 3, skip=0.7), "ir": lambda P: initial_residual_gnn(P, 3, alpha=0.3),
        "gcnii": lambda P: initial_residual_gnn(P, 3, alpha=0.2, beta=0.6),
        "pair": lambda P: normalised_gnn(P, 3, norm="pair", scale=1.3),
        "mean": lambda P: normalised_gnn(P, 3, norm="mean")}


@pytest.mark.parametrize("model", sorted(NETS))
@pytest.mark.parametrize("seed", range(3))
def test_equals_autograd(model, seed):
    rng = np.random.default_rng(seed)
    n = 8
    A = np.triu((rng.random((n, n)) < 0.4).astype(float), 1)
    A = A + A.T
    d = A.sum(axis=1)
    P = np.eye(n) - (np.diag(d) - A) / (d.max() + 1)
    X = rng.standard_normal((n, 3))
    W = initial_weights([3, 4, 4, 4, 2], "glorot", scale=1.2, seed=rng)
    Y = rng.standard_normal((n, 2))
    ours = gradients(NETS[model](P), X, W, loss="mse", targets=Y).weight_gradients
    Wt = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    out = _torch_forward(model, torch.tensor(P), torch.tensor(X), Wt)
    (0.5 * torch.sum((out - torch.tensor(Y)) ** 2) / n).backward()
    for a, w in zip(ours, Wt):
        b = w.grad.numpy()
        assert np.linalg.norm(a - b) <= 1e-10 * max(np.linalg.norm(b), 1e-300)
