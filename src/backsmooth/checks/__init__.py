"""Numeric checks of every claim: measured quantities against the symbolic bounds.

``check(name, **settings)`` samples instances (graph family x n x depth x width x activation x
weight scale x loss x seed), measures the quantity a claim bounds with the exact numeric core,
evaluates the claim's bound lambdified from :mod:`backsmooth.symbolic`, and returns a
:class:`CheckResult` whose table gives, per instance and part of the claim, whether the
hypotheses hold, the measured value, the bound, their ratio and a verdict in ``{"holds",
"violated", "hypotheses not met"}``.

Examples
--------
>>> from backsmooth.checks import check
>>> r = check("theorem1", trials=3, seed=1)
>>> r.violations, r.provenance["theorem1"]
(0, 'paper')
"""

from backsmooth.checks import (  # noqa: F401  (register the checks)
    corollary1,
    corollary2,
    gcn,
    lemmas,
    proposition2,
    remedies,
    theorem1,
    theorem2,
    theorem3,
)
from backsmooth.checks._framework import CHECKS, RTOL, VERDICTS, CheckResult, CheckSpec
from backsmooth.checks._runner import check

#: the checks in paper order (``backsmooth check --all`` runs them in this order)
ORDER = (
    "lemmas",
    "theorem1",
    "corollary1",
    "theorem2",
    "proposition1",
    "theorem3",
    "corollary2",
    "proposition2",
    "gcn",
    "remedies",
)

__all__ = ["CHECKS", "ORDER", "RTOL", "VERDICTS", "CheckResult", "CheckSpec", "check"]
