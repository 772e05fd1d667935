"""Numeric core of backsmooth (numpy/scipy only; never sympy).

Graphs and propagation matrices, activations, losses, initialisations, the forward and
backward passes of deep GNNs/MLPs, smoothing measures and training.
"""

from backsmooth.numeric.activations import ACTIVATIONS, Activation, activation
from backsmooth.numeric.initialisation import INITIALISATIONS, initial_weights, spectral_norms
from backsmooth.numeric.losses import LOSSES, Loss, as_mask, loss_function
from backsmooth.numeric.measures import (
    centred_component,
    frobenius_norms,
    layer_norms,
    max_row_norm,
    mean_component,
    mean_row,
    pairwise_difference_energy,
    pairwise_difference_norm,
)
from backsmooth.numeric.model import (
    ForwardPass,
    GraphConvolution,
    Gradients,
    Network,
    backward,
    forward,
    gnn,
    gradients,
    mlp,
)

__all__ = [
    "ACTIVATIONS", "Activation", "activation",
    "INITIALISATIONS", "initial_weights", "spectral_norms",
    "LOSSES", "Loss", "as_mask", "loss_function",
    "centred_component", "frobenius_norms", "layer_norms", "max_row_norm", "mean_component",
    "mean_row", "pairwise_difference_energy", "pairwise_difference_norm",
    "ForwardPass", "GraphConvolution", "Gradients", "Network", "backward", "forward", "gnn",
    "gradients", "mlp",
]
