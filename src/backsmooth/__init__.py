"""backsmooth: the mathematics of *Backward Oversmoothing* (Keriven, 2025), made executable.

Subpackages
-----------
backsmooth.symbolic
    sympy only: the registry of the paper's claims, their derivations and bounds.
backsmooth.numeric
    numpy/scipy only: graphs, propagation matrices, models, forward/backward passes,
    measures and training.
backsmooth.proofs
    machine-checked proof chains (uses ``symbolic`` and ``numeric``).

The edge (this folder) joins them: the command line (``backsmooth``), the numeric check
of every claim (:func:`backsmooth.check`), the figures and the report.  Nothing heavy is
imported here: ``import backsmooth`` stays cheap and never imports matplotlib.
"""

__version__ = "0.1.0"

__all__ = ["__version__", "check"]


def check(name, **settings):
    """Run the numeric check of the claim ``name`` (see :mod:`backsmooth.checks`).

    Thin lazy wrapper around :func:`backsmooth.checks.check` so that
    ``import backsmooth`` does not import sympy or the numeric core.
    """
    from .checks import check as _check

    return _check(name, **settings)
