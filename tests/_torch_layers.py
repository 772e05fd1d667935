"""Torch modules shared by the torch bridge's tests (import after ``pytest.importorskip("torch")``)."""

import torch


class DenseLayer(torch.nn.Module):
    """The paper's vanilla layer ``H = P X W`` (``P`` a fixed dense float64 tensor)."""

    def __init__(self, P, W):
        super().__init__()
        self.P = P
        self.weight = torch.nn.Parameter(torch.tensor(W))

    def forward(self, x):
        return self.P @ x @ self.weight
