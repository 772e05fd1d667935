"""The one conversion of results to JSON-ready data (checks, report, figures).

Numpy scalars and arrays become Python numbers and lists, tuples and sets become lists, keys
become strings.  **Non-finite floats become the strings** ``"nan"``, ``"inf"`` and ``"-inf"``:
strict JSON has no NaN or infinity, and a string keeps apart what ``null`` would merge (an
infinite bound is vacuous but satisfied; a NaN is a quantity that could not be measured).
``None`` stays ``null`` and means "no value" (e.g. :func:`backsmooth.numeric.measures.fitted_rate`
when no rate can be fitted).  :func:`from_jsonable` reads the strings back as floats.

Examples
--------
>>> import numpy as np
>>> to_jsonable({"bound": np.inf, "rates": np.array([0.5, np.nan]), "fit": None})
{'bound': 'inf', 'rates': [0.5, 'nan'], 'fit': None}
>>> from_jsonable(["inf", 0.5, "nan", "text"])
[inf, 0.5, nan, 'text']
"""

from __future__ import annotations

import math

__all__ = ["to_jsonable", "from_jsonable"]

_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def to_jsonable(x):
    """``x`` made JSON-safe (see the module docstring); unknown objects become ``str(x)``."""
    if isinstance(x, dict):
        return {str(k): to_jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):  # numpy scalar or array
        return to_jsonable(x.tolist())
    if isinstance(x, bool) or x is None or isinstance(x, (str, int)):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    return str(x)


def from_jsonable(x):
    """Inverse of :func:`to_jsonable` for non-finite floats: ``"nan"``/``"inf"`` -> float."""
    if isinstance(x, dict):
        return {k: from_jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [from_jsonable(v) for v in x]
    if isinstance(x, str) and x in _NON_FINITE:
        return _NON_FINITE[x]
    return x
