"""Diagnose a user's own PyTorch / PyTorch Geometric GNN for backward oversmoothing.

Optional: needs the extra ``pip install "backsmooth[torch]"`` (torch 2.13 CPU and
torch_geometric).  Attach a :class:`Monitor` to an existing ``torch.nn.Module``, train as usual
calling ``monitor.step(loss)`` after each ``loss.backward()``, then read
``monitor.diagnose()``: forward and backward smoothing rates against ``lambda s``, the step at
which the output layer became stationary, the Theorem 3 certificate where its hypotheses hold,
and a verdict.  ``[extension]``: the paper measures networks it builds; reading a user's model
is ours.

The subpackage is named ``backsmooth.torch``; inside it ``import torch`` is absolute (Python 3)
and always means PyTorch.
"""

try:
    import torch as _torch  # noqa: F401  (the real PyTorch, not this subpackage)
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("backsmooth.torch needs PyTorch: pip install \"backsmooth[torch]\" "
                      "(torch==2.13.0 CPU build and torch_geometric)") from exc

from .diagnosis import Diagnosis, diagnose
from .graph import as_propagation, edge_index_adjacency, gcn_propagation, reference_vector
from .monitor import Monitor, find_layers

__all__ = ["Monitor", "find_layers", "Diagnosis", "diagnose", "gcn_propagation",
           "edge_index_adjacency", "reference_vector", "as_propagation"]
