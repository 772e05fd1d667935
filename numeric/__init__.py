"""Numeric core of backsmooth (numpy/scipy only; never sympy).

Graphs and propagation matrices, activations, losses, initialisations, the forward and
backward passes of deep GNNs/MLPs, smoothing measures and training.
"""

from ._buffers import release as release_buffers
from ._sparse import set_sparse_kernel, sparse_kernel_name
from .activations import ACTIVATIONS, Activation, activation
from .assumptions import AssumptionReport, assumption_report, require_ass_P
from .graph_specs import GRAPH_SPECS, graph_by_name
from .graphs import (
    adjacency_matrix,
    bipartite_sides,
    connected_components,
    is_bipartite,
    is_connected,
    read_edge_list,
)
from .initialisation import INITIALISATIONS, initial_weights, spectral_norms
from .losses import LOSSES, Loss, as_mask, loss_function
from .measures import (
    centred_component,
    frobenius_norms,
    layer_norms,
    max_row_norm,
    mean_component,
    mean_row,
    pairwise_difference_energy,
    pairwise_difference_norm,
    stable_norm,
)
from .output_layer import OutputLayerFit, fit_output_layer
from .propagation import (
    PROPAGATION_KINDS,
    contraction_factor,
    propagation_matrix,
    top_eigenvector,
)
from .samplers import (
    REAL_GRAPHS,
    CSBMSample,
    GraphSample,
    contextual_sbm,
    erdos_renyi,
    random_regular,
    real_graph,
    stochastic_block_model,
)
from .training import OPTIMIZERS, TrainingHistory, train, trainable_layers
from .layers import GraphConvolution
from .model import (
    ForwardPass,
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
    "mean_row", "pairwise_difference_energy", "pairwise_difference_norm", "stable_norm",
    "ForwardPass", "GraphConvolution", "Gradients", "Network", "backward", "forward", "gnn",
    "gradients", "mlp",
    "AssumptionReport", "assumption_report", "require_ass_P",
    "GRAPH_SPECS", "graph_by_name",
    "adjacency_matrix", "bipartite_sides", "connected_components", "is_bipartite", "is_connected",
    "read_edge_list",
    "OutputLayerFit", "fit_output_layer",
    "PROPAGATION_KINDS", "contraction_factor", "propagation_matrix", "top_eigenvector",
    "REAL_GRAPHS", "CSBMSample", "GraphSample", "contextual_sbm", "erdos_renyi", "random_regular",
    "real_graph", "stochastic_block_model",
    "OPTIMIZERS", "TrainingHistory", "train", "trainable_layers",
    "release_buffers", "set_sparse_kernel", "sparse_kernel_name",
]
