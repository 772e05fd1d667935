"""Bridge to the symbolic registry: provenance, hypotheses and lambdified bounds.

One source of truth: a check never re-types a formula.  It computes the *measured inputs*
of a bound (``lam``, ``s``, ``E_X0``, ``Lam_k``, ... with the names and meanings of
:mod:`backsmooth.symbolic.symbols`) and evaluates the bound that
:func:`backsmooth.symbolic.bounds.bound_function` lambdifies from the sympy expression.
"""

from __future__ import annotations

from functools import cache

import numpy as np

__all__ = ["bound", "bound_text", "claim_info", "provenance"]


@cache
def _function(name, variant):
    from backsmooth.symbolic import bounds as _symbolic_bounds

    return _symbolic_bounds.bound_function(name, variant)


def bound(name, variant, values, override=None):
    """Evaluate the lambdified bound ``variant`` of claim ``name`` on measured ``values``.

    Parameters
    ----------
    name, variant : str
        Claim and bound variant of the symbolic registry.
    values : dict
        Measured inputs keyed by the symbols' Python names (``lam``, ``E_X0``, ...); arrays
        broadcast (e.g. one entry per layer ``k``).  Extra keys are ignored.
    override : dict, optional
        ``{(name, variant) or variant: callable(**values)}``: a replacement bound, used by
        tests to show that a wrong bound is caught (never by the default checks).
    """
    if override:
        fn = override.get((name, variant), override.get(variant))
        if fn is not None:
            return np.asarray(fn(**values), dtype=float)
    f = _function(name, variant)
    missing = [a for a in f.arguments if a not in values]
    if missing:  # pragma: no cover - a check/registry mismatch is a programming error
        raise KeyError(
            f"bound {name}/{variant} needs {missing}; the check supplies {sorted(values)}"
        )
    # numpy floats: an overflowing s^L becomes inf (a satisfied, vacuous bound) instead of
    # Python's OverflowError
    args = {
        a: (np.float64(values[a]) if np.isscalar(values[a]) else np.asarray(values[a]))
        for a in f.arguments
    }
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = f(**args)
    return np.asarray(out, dtype=float)


def bound_text(name, variant) -> str:
    """``quantity relation rhs`` of a bound variant, in plain text (for tables and reports)."""
    v = _function(name, variant).variant
    return f"{v.quantity} {v.relation} {v.expr}"


@cache
def claim_info(name) -> dict:
    """Title, provenance (paper / reconstruction / extension), note and hypotheses of a claim."""
    from backsmooth.symbolic.claims import claim

    c = claim(name)
    return {
        "claim": c.name,
        "title": c.title,
        "provenance": c.provenance,
        "provenance_note": c.provenance_note,
        "hypotheses": tuple(c.hypotheses),
    }


def provenance(name) -> str:
    """The provenance of claim ``name`` as registered in :mod:`backsmooth.symbolic`."""
    return claim_info(name)["provenance"]
