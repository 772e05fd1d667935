"""Check of Proposition 1 (docs/theory.md): the backward mean follows the linearised recursion.

The rows are measured by :func:`backsmooth.checks.theorem2.rows_proposition1` (the same
linearisation of the backward pass that Theorem 2's check uses); this module registers the
check under the claim's name.
"""

from __future__ import annotations

from ._framework import register
from ._instances import instances
from ._signals import measure_instance
from .theorem2 import DEFAULTS, rows_proposition1

__all__ = ["run"]


@register(
    "proposition1", "Backward mean follows the linearised recursion", ("proposition1",), DEFAULTS
)
def run(settings, progress=None):
    """Run the Proposition 1 check; returns ``(rows, notes, extra)``."""
    rows = []
    override = settings.get("bound_override")
    for inst in instances(settings, progress):
        rows.extend(rows_proposition1(inst, measure_instance(inst), override))
    return rows, (), {}
