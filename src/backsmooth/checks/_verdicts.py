"""Verdicts of one row: round-off allowance, ``unresolved`` rows and the bound-scaling hook.

Verdicts (in this order of precedence):

* ``"hypotheses not met"``: an assumption of the claim fails on the instance;
* ``"violated"``: some layer has ``m > b (1 + RTOL) + floor`` (``<=``), ``m < b (1 - RTOL) -
  floor`` (``>=``) or ``|m - b| > RTOL |b| + floor`` (``==``);
* ``"unresolved"``: no violation, but on *every* layer the round-off floor is at least the
  bound's magnitude (``floor >= |b|``): the comparison is decided by round-off alone, so the
  row says nothing about the claim;
* ``"holds"``: no violation and at least one layer was judged (``floor < |b|``).

Bound scaling (:func:`bound_scaling`): every check evaluates its verdicts through
:func:`part_record`, which reads a factor ``f`` (default 1) set for the duration of one run
(``check(name, bound_scale=f)``).  With ``0 < f < 1`` every upper bound ``b`` becomes ``b -
(1 - f)|b|`` (``f b`` for ``b >= 0``), every lower bound ``b + (1/f - 1)|b|`` and every
identity's exact value ``b + (1 - f)|b|`` (``1 - f`` when ``b = 0``).  A correct check then
reports violations on its tight instances: tests use this to show that every registered check
can fail, whatever its module.
"""

from __future__ import annotations

import contextlib
import contextvars
import math

import numpy as np

__all__ = [
    "EPS",
    "RTOL",
    "VERDICTS",
    "bound_scaling",
    "current_bound_scale",
    "part_record",
    "roundoff_floor",
    "scale_bound",
    "verdicts",
]

RTOL = 1e-9
EPS = float(np.finfo(np.float64).eps)
VERDICTS = ("holds", "violated", "unresolved", "hypotheses not met")

_BOUND_SCALE = contextvars.ContextVar("bound_scale", default=1.0)


@contextlib.contextmanager
def bound_scaling(factor):
    """Context in which :func:`part_record` scales every bound by ``factor`` (module doc).

    Examples
    --------
    >>> with bound_scaling(0.5):
    ...     part_record({}, "p", 0.8, 1.0, 0.0, {})["verdict"]
    'violated'
    >>> part_record({}, "p", 0.8, 1.0, 0.0, {})["verdict"]
    'holds'
    """
    f = float(factor)
    if not (0 < f <= 1) or not math.isfinite(f):
        raise ValueError(f"bound_scale must be in (0, 1], got {factor!r}")
    token = _BOUND_SCALE.set(f)
    try:
        yield f
    finally:
        _BOUND_SCALE.reset(token)


def current_bound_scale() -> float:
    """The factor set by :func:`bound_scaling` (1.0 outside it)."""
    return _BOUND_SCALE.get()


def scale_bound(bound, relation, factor=None):
    """Tighten ``bound`` by ``factor`` in the direction of ``relation`` (module docstring)."""
    f = current_bound_scale() if factor is None else float(factor)
    b = np.asarray(bound, float)
    if f == 1.0:
        return b
    with np.errstate(invalid="ignore", over="ignore"):
        if relation == "<=":
            return b - (1.0 - f) * np.abs(b)
        if relation == ">=":
            return b + (1.0 / f - 1.0) * np.abs(b)
        return b + (1.0 - f) * np.where(b == 0, 1.0, np.abs(b))


def roundoff_floor(scale, depth, n, width):
    """Absolute round-off allowance ``16 (L + 2)(n + d) eps * scale`` (see ``_framework``)."""
    return 16.0 * (int(depth) + 2) * (int(n) + int(width)) * EPS * np.abs(np.asarray(scale, float))


def verdicts(measured, bound, floor, relation="<="):
    """Elementwise True where the relation holds up to the round-off allowance."""
    m = np.asarray(measured, float)
    b = np.asarray(bound, float)
    f = np.asarray(floor, float)
    with np.errstate(invalid="ignore"):
        if relation == "<=":
            ok = m <= b + RTOL * np.abs(b) + f
        elif relation == ">=":
            ok = m >= b - RTOL * np.abs(b) - f
        elif relation == "==":
            ok = np.abs(m - b) <= RTOL * np.abs(b) + f
        else:
            raise ValueError(f"relation must be '<=', '>=' or '==', got {relation!r}")
    # an infinite bound (overflow of s^L) is satisfied; a NaN measurement is not
    return np.where(np.isnan(m) | np.isnan(b), False, ok | ((b == np.inf) & (relation == "<=")))


def judgeable(bound, floor, relation):
    """Elementwise True where the bound exceeds its round-off floor (the row can judge)."""
    b = np.abs(np.asarray(bound, float))
    f = np.asarray(floor, float)
    if relation == "==":
        # an identity "error == 0" compares the error with its allowance: always a judgement;
        # an identity "value == b" judges only where b is above the floor
        return (np.asarray(bound, float) == 0) | (b > f)
    with np.errstate(invalid="ignore"):
        return b > f


def _ratio(m, b, relation):
    with np.errstate(divide="ignore", invalid="ignore"):
        if relation == ">=":
            return np.where(m != 0, b / m, np.where(b <= 0, 0.0, np.inf))
        return np.where(b != 0, m / b, np.where(m == 0, 0.0, np.inf))


def part_record(
    base, part, measured, bound, floor, hypotheses, *, relation="<=", layers=None, **extra
):
    """One table row for one part of a claim on one instance (worst layer reported).

    ``measured``, ``bound``, ``floor`` broadcast over the layers ``layers``; the row keeps the
    layer with a violation of largest excess if any, else the largest resolvable ratio (the
    measured value above its round-off floor), else the first layer.

    ``hypotheses`` maps each hypothesis label to True/False; the verdict is ``"hypotheses not
    met"`` if any is False, else ``"violated"``, ``"unresolved"`` or ``"holds"`` (module
    docstring).  The bound is scaled by :func:`bound_scaling` when one is active.

    Examples
    --------
    >>> part_record({}, "p", [0.5, 0.9], [1.0, 1.0], 0.0, {}, layers=[0, 1])["ratio"]
    0.9
    >>> part_record({}, "p", 1e-17, 1e-16, 1e-15, {})["verdict"]
    'unresolved'
    """
    m, b, f = np.broadcast_arrays(
        np.atleast_1d(np.asarray(measured, float)),
        np.atleast_1d(scale_bound(bound, relation)),
        np.atleast_1d(np.asarray(floor, float)),
    )
    ok = verdicts(m, b, f, relation)
    judged = judgeable(b, f, relation)
    ratio = _ratio(m, b, relation)
    if relation == "==":
        # relative deviation from the exact value; an identity written as "error == 0"
        # reports the (already relative) error itself
        with np.errstate(divide="ignore", invalid="ignore"):
            deviation = np.where(
                b == 0, np.abs(m), np.where(np.abs(b) > f, np.abs(m - b) / np.abs(b), 0.0)
            )
        deviation = np.where(np.isnan(deviation), 0.0, deviation)
        score = deviation
    else:
        # a ratio is reported (and can be the "tightest") only when the round-off floor is at
        # most 1e-3 of the measured value, i.e. the ratio is known to 3 digits
        resolvable = (m > 1e3 * f) if relation == "<=" else np.ones_like(m, dtype=bool)
        score = np.where(resolvable & judged, ratio, -np.inf)
    if (~ok).any():
        # a NaN bound (e.g. c_rho = inf times 0 for ReLU) cannot be judged: it counts as failing
        excess = np.where(~ok, np.nan_to_num(np.abs(m - b) - f, nan=np.inf), -np.inf)
        i = int(np.argmax(excess))
    elif np.isfinite(score).any():
        i = int(np.nanargmax(np.where(np.isfinite(score), score, -np.inf)))
    else:
        i = 0
    failed = sorted(h for h, v in hypotheses.items() if not v)
    if failed:
        verdict = "hypotheses not met"
    elif not bool(ok.all()):
        verdict = "violated"
    elif not bool(judged.any()):
        verdict = "unresolved"
    else:
        verdict = "holds"
    row = dict(base)
    row.update(
        {
            "part": part,
            "relation": relation,
            "layer": None if layers is None else int(np.asarray(layers).ravel()[i]),
            "measured": float(m[i]),
            "bound": float(b[i]),
            "ratio": float(ratio[i])
            if np.isfinite(ratio[i])
            else (math.inf if ratio[i] > 0 else 0.0),
            "resolvable": bool(np.isfinite(score[i])) if relation != "==" else True,
            "deviation": float(score[i]) if relation == "==" else None,
            "floor": float(f[i]),
            "layers_checked": int(m.size),
            "layers_failing": int((~ok).sum()),
            "layers_unresolved": int((~judged).sum()),
            "verdict": verdict,
            "hypotheses_failed": ", ".join(failed),
            "hypotheses": ", ".join(f"{h}={'yes' if v else 'no'}" for h, v in hypotheses.items()),
        }
    )
    row.update(extra)
    return row
