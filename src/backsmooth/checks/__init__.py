"""Numeric checks of every claim: measured quantities against the symbolic bounds.

``check(name, **settings)`` samples instances (graph family x n x depth x width x activation x
weight scale x loss x seed), measures the quantity a claim bounds with the exact numeric core,
evaluates the claim's bound lambdified from :mod:`backsmooth.symbolic`, and returns a
:class:`CheckResult` whose table gives, per instance and part of the claim, whether the
hypotheses hold, the measured value, the bound, their ratio and a verdict in ``{"holds",
"violated", "unresolved", "hypotheses not met"}``.

Examples
--------
>>> from backsmooth.checks import check
>>> r = check("theorem1", trials=3, seed=1)
>>> r.violations, r.provenance["theorem1"]
(0, 'paper')
"""

from . import _registry
from ._framework import CHECKS, RTOL, VERDICTS, CheckResult, CheckSpec
from ._registry import check_for
from ._runner import PROFILES, check

# the engine's sparse products run on the compiled kernel where llvmlite is installed (the
# same bits as scipy's; BACKSMOOTH_KERNEL=scipy keeps scipy's, and a kernel the user chose
# stays): see backsmooth.kernel
from ..kernel import enable_default as _enable_kernel  # noqa: E402
_enable_kernel()

# every public module of this package registers its checks (no hand-kept import list); the
# registry of claims is the key: a check named after no claim is refused here, at import
_registry.load_check_modules()
_registry.validate(CHECKS, hidden=_registry.DEPRECATED_ALIASES)

#: the checks in paper order, derived from ``backsmooth.symbolic.claims()`` (claims' own
#: checks first, then the extension checks); ``backsmooth check --all`` runs them in this order
ORDER = _registry.order(CHECKS)

__all__ = ["CHECKS", "ORDER", "RTOL", "VERDICTS", "CheckResult", "CheckSpec", "check",
           "check_for", "PROFILES"]
