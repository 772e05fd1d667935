"""Reproduced figures of the paper (Figures 1 and 2, our settings) and two extensions.

Data runners (:mod:`~backsmooth.figures.experiments`) return plain dicts; plotting functions
(:mod:`~backsmooth.figures.plotting`, matplotlib imported lazily) save PNG, PDF and the data of
every panel as CSV and JSON, with the settings and a provenance field.
"""

from .experiments import (
    STATIONARY_THRESHOLD, epochs_needed, figure1_data, figure2_data, mechanism_data, phase_data, train_run,
)
from .plotting import (
    plot_figure1, plot_figure2, plot_mechanism, plot_phase, save_figure, to_jsonable,
)
from .remedies import plot_remedies, remedies_figure_data
from .settings import PROVENANCE, FigureSettings, csbm_problem, default_settings
from .theory import (
    backward_rate_lines, fitted_rate, forward_rate_line, informative_fraction, stationary_epoch, theorem3_delta,
)

__all__ = [
    "STATIONARY_THRESHOLD", "epochs_needed", "figure1_data", "figure2_data", "mechanism_data", "phase_data",
    "train_run", "plot_figure1", "plot_figure2", "plot_mechanism", "plot_phase", "save_figure", "to_jsonable",
    "PROVENANCE", "FigureSettings", "csbm_problem", "default_settings", "backward_rate_lines", "fitted_rate",
    "forward_rate_line", "informative_fraction", "stationary_epoch", "theorem3_delta",
    "remedies_figure_data", "plot_remedies",
]

# Figure 2 for ReLU [extension] (backsmooth figure 2 --activation relu)
from .relu import figure2_relu_data, plot_figure2_relu  # noqa: E402

# the engine's sparse products run on the compiled kernel where llvmlite is installed (the
# same bits as scipy's; BACKSMOOTH_KERNEL=scipy keeps scipy's, and a kernel the user chose
# stays): see backsmooth.kernel
from ..kernel import enable_default as _enable_kernel  # noqa: E402
_enable_kernel()

__all__ += ["figure2_relu_data", "plot_figure2_relu"]
