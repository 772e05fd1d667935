"""Weight gradients equal PyTorch autograd (float64) to 1e-10 relative, GNNs and MLPs.

An independent oracle: torch differentiates its own forward pass ``rho(P X W)``; both are
exact in float64, so they agree to round-off (~1e-15 relative), far inside 1e-10.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is optional (pip install torch==2.13.0)")

from backsmooth.numeric import gradients, initial_weights

TORCH_RHO = {
    "identity": lambda x: x,
    "relu": torch.relu,
    "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.01),
    "tanh": torch.tanh,
    "arctan": torch.atan,
    "softplus": lambda x: torch.logaddexp(torch.zeros_like(x), x),
    "sin": torch.sin,
}


def _torch_gradients(P, X, W, act, loss, Y):
    Wt = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
    Z = torch.tensor(X, dtype=torch.float64)
    Pt = None if P is None else torch.tensor(P, dtype=torch.float64)
    for k, w in enumerate(Wt):
        F = Z if Pt is None else Pt @ Z
        Hk = F @ w
        Z = TORCH_RHO[act](Hk) if k < len(Wt) - 1 else Hk
    n = X.shape[0]
    if loss == "mse":
        value = 0.5 * torch.sum((Z - torch.tensor(Y, dtype=torch.float64)) ** 2) / n
    else:
        value = torch.nn.functional.cross_entropy(Z, torch.tensor(Y, dtype=torch.int64))
    value.backward()
    return [w.grad.numpy() for w in Wt]


@pytest.mark.parametrize("act", sorted(TORCH_RHO))
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
@pytest.mark.parametrize("arch", ["gnn", "mlp"])
@pytest.mark.parametrize("seed", range(3))
def test_equals_autograd(act, loss, arch, seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 12))
    depth = int(rng.integers(1, 6))
    widths = [int(rng.integers(1, 5)) for _ in range(depth + 1)] + [3]
    A = np.triu((rng.random((n, n)) < 0.4).astype(float), 1)
    A = A + A.T
    d = A.sum(axis=1)
    P = None if arch == "mlp" else np.eye(n) - (np.diag(d) - A) / (d.max() + 1)
    X = rng.standard_normal((n, widths[0]))
    W = initial_weights(widths, "glorot", scale=1.5, seed=rng)
    Y = rng.standard_normal((n, 3)) if loss == "mse" else rng.integers(0, 3, n)
    ours = gradients(P, X, W, activation=act, loss=loss, targets=Y).weight_gradients
    theirs = _torch_gradients(P, X, W, act, loss, Y)
    for a, b in zip(ours, theirs):
        assert np.linalg.norm(a - b) <= 1e-10 * max(np.linalg.norm(b), 1e-300)
