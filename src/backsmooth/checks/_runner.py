"""Running a registered check: settings validation, hypotheses, the result object."""

from __future__ import annotations

import math

from ._bounds import claim_info
from ._framework import CHECKS, CheckResult, bound_scaling, summarise
from ._instances import COMMON_SETTINGS
from backsmooth.numeric.activations import activation as _activation

__all__ = ["PROFILES", "base_row", "check", "check_many", "claim_hypotheses", "floor_for",
           "hypotheses", "merge_chunks", "shared_groups"]

#: named settings for ``backsmooth check --profile``: ``thorough`` runs 10^4 instances per check
#: (``check --all --profile thorough --workers 2``: 29m41s wall, 50.5 CPU-min, on 2 cores under
#: load, issue-12 note; ``backsmooth sweep`` spreads it over a dask cluster)
PROFILES = {"default": {}, "thorough": {"trials": 10_000}}


def hypotheses(inst, labels, activation=None, **side):
    """Map each hypothesis label of docs/theory.md to whether it holds on ``inst``.

    ``labels`` lists the labels the claim needs among ``A1`` (ass:P), ``A1+`` (ass:P and
    ``P >= 0``), ``A2`` (1-Lipschitz), ``A2a`` (``rho(0) = 0``), ``A2b`` (``rho'``
    Lipschitz), ``A2c`` (``rho''`` Lipschitz), ``rho=id``; ``side`` adds side conditions
    (e.g. ``{"lambda*s<1": True}``).
    """
    rho = _activation(activation if activation is not None else inst.params["activation"])
    table = {
        "A1": inst.ass_P,
        "A1+": inst.ass_P_plus,
        "A2": rho.satisfies_ass_sigma,
        "A2a": rho.zero_at_zero,
        "A2b": rho.has_lipschitz_derivative,
        "A2c": math.isfinite(rho.second_derivative_lipschitz),
        "rho=id": rho.is_linear,
    }
    out = {h: bool(table[h]) for h in labels}
    out.update({k: bool(v) for k, v in side.items()})
    return out


#: labels a check decides from the instance alone (others come as side conditions)
INSTANCE_LABELS = ("A1", "A1+", "A2", "A2a", "A2b", "A2c", "rho=id")


def claim_hypotheses(inst, claim, *, parts=None, extra=(), activation=None, **side):
    """Whether each hypothesis of ``claim`` (as the registry states it) holds on ``inst``.

    The labels come from :func:`backsmooth.symbolic.claim`, never re-typed by the check, so
    a check and its claim cannot drift apart: a label the instance cannot decide must be given
    in ``side`` (e.g. ``A3`` or ``lambda*s<1`` with the value the check measured), and a
    ``side`` key that is not a hypothesis of the claim is an error.

    Parameters
    ----------
    inst : Instance
    claim : str
        A claim name of the registry.
    parts : tuple of str, optional
        The hypotheses one part of the claim uses (a subset of the claim's); default all.
    extra : tuple of str, optional
        Hypotheses a bound *variant* adds beyond the claim's (e.g. ``A2c`` for Proposition
        1's second-order form, ``s<=1`` for a uniform form), decided from the instance or
        given in ``side``.
    activation : str, optional
        Activation to judge (default: the instance's).
    **side
        Value of every label of the claim that the instance does not decide.

    Raises
    ------
    ValueError
        A part that is not a hypothesis of the claim, a side condition the claim does not
        state, or a claim's hypothesis the check left undecided.
    """
    from backsmooth.symbolic.claims import claim as _claim

    stated = _claim(claim).hypotheses
    labels = tuple(stated) if parts is None else tuple(parts)
    stray = [h for h in labels if h not in stated]
    if stray:
        raise ValueError(f"{claim} does not state hypotheses {stray}; its hypotheses: {stated}")
    stray = [h for h in side if h not in labels and h not in extra]
    if stray:
        raise ValueError(f"side conditions {stray} are not hypotheses of {claim} "
                         f"(among {labels})")
    undecided = [h for h in labels if h not in INSTANCE_LABELS and h not in side]
    if undecided:
        raise ValueError(f"the check of {claim} must decide its hypotheses {undecided} "
                         "(pass them as side conditions)")
    own = tuple(h for h in labels + tuple(extra) if h not in side)
    unknown = [h for h in own if h not in INSTANCE_LABELS]
    if unknown:
        raise ValueError(f"the check of {claim} must decide {unknown} (pass them as side "
                         "conditions)")
    return hypotheses(inst, own, activation=activation, **side)


def base_row(inst, claim):
    """The instance columns every row of the table starts with."""
    row = {"claim": claim}
    row.update(inst.params)
    return row


def floor_for(meas, scale):
    """Round-off floor of a measured quantity computed from signals of magnitude ``scale``."""
    from ._framework import roundoff_floor

    return roundoff_floor(scale, meas.depth, meas.n, meas.width)


def check(name, *, progress=None, **settings):
    """Run the numeric check ``name`` and return its :class:`CheckResult`.

    Parameters
    ----------
    name : str
        A claim name (a claim without a check of its own, e.g. ``mean_propagation``, runs
        the check that covers it: :func:`backsmooth.checks.check_for`), an extension check
        (``gcn``) or a deprecated alias (``lemmas``, with a ``DeprecationWarning``).
    progress : callable, optional
        Called with ``1`` after each instance (e.g. ``tqdm.update``).
    **settings
        Override the check's defaults (``CHECKS[name].defaults``); see
        :mod:`backsmooth.checks._instances` for the common ones.  ``bound_scale=f`` (``0 < f
        <= 1``) tightens every bound by ``f`` (:func:`~backsmooth.checks._verdicts.bound_scaling`):
        the generic way to show that a check can fail.

    Raises
    ------
    ValueError
        Unknown check name, or ``bound_scale`` outside ``(0, 1]``.
    TypeError
        Unknown setting.

    Examples
    --------
    Theorem 1 on three lazy-walk Erdos-Renyi graphs; the tightest case re-runs by itself:

    >>> r = check("theorem1", graph="er", trials=3, seed=0)
    >>> r.violations, r.summary["instances"]
    (0, 3)
    >>> again = check("theorem1", trials=1, **r.summary["tightest_case"]["rerun"])
    >>> again.violations
    0
    """
    from ._registry import resolve

    name = resolve(name, CHECKS)
    used, scale = _settings(name, settings)
    with bound_scaling(scale):
        records, notes, extra = CHECKS[name].run(used, progress)
    return _result(name, used, scale, records, notes, extra)


def _settings(name, settings):
    """The settings ``name`` runs with (defaults overridden) and the bound scale, validated."""
    spec = CHECKS[name]
    allowed = set(COMMON_SETTINGS) | set(spec.defaults)
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise TypeError(
            f"check {name!r} got unknown setting(s) {unknown}; allowed: {sorted(allowed)}"
        )
    used = dict(spec.defaults)
    used.update(settings)
    trials = used.get("trials", 1)
    if int(trials) != trials or trials < 1:
        raise ValueError(f"trials must be a positive integer, got {trials!r}")
    scale = used.pop("bound_scale", 1.0)
    return used, scale


def _result(name, used, scale, records, notes, extra):
    """The :class:`CheckResult` of check ``name`` from what its runner returned."""
    spec = CHECKS[name]
    used = dict(used)
    if scale != 1.0:
        used["bound_scale"] = scale
        notes = (
            f"bound_scale={scale}: every bound deliberately tightened by this factor (a test "
            "that the check can fail); violations are expected",
        ) + tuple(notes)
    summary = summarise(records)
    summary.update(extra)
    from ._loose import loose_parts

    summary["loose_parts"] = loose_parts(name, summary["parts"])
    if spec.provenance is not None:
        prov = {c: spec.provenance for c in spec.claims}
    else:
        prov = {c: claim_info(c)["provenance"] for c in spec.claims if _registered(c)}
    shown = {k: v for k, v in used.items() if k not in ("bound_override", "P")}
    return CheckResult(
        name=name,
        title=spec.title,
        provenance=prov,
        settings=shown,
        records=tuple(records),
        summary=summary,
        notes=tuple(notes),
    )


def merge_chunks(name, results, settings):
    """One :class:`CheckResult` of check ``name`` from the results of chunks of its instances.

    ``results`` ran with ``start``/``trials`` chunks covering the run's instances (in any
    order); ``settings`` are the settings of the whole run.  The rows are concatenated in
    instance order and the summary recomputed from them, with the check's own entries from
    :data:`~backsmooth.checks._framework.CHUNK_MERGE`: the result equals that of one run.

    Raises
    ------
    ValueError
        If ``name`` cannot run in chunks, or the chunks do not cover the run's instances.
    """
    from ._framework import CHUNK_MERGE

    if name not in CHUNK_MERGE:
        raise ValueError(f"check {name!r} cannot be merged from chunks (not in CHUNK_MERGE)")
    used, scale = _settings(name, settings)
    start, trials = int(used.get("start", 0)), int(used["trials"])
    results = sorted(results, key=lambda r: int(r.settings.get("start", 0)))
    covered = [(int(r.settings.get("start", 0)), int(r.settings["trials"])) for r in results]
    expect, at = [], start
    for _, t in covered:
        expect.append((at, t))
        at += t
    if covered != expect or at != start + trials:
        raise ValueError(f"chunks {covered} do not cover instances {start}..{start + trials - 1}")
    records = [row for r in results for row in r.records]
    notes = results[0].notes[1:] if scale != 1.0 else results[0].notes
    return _result(name, used, scale, records, notes, CHUNK_MERGE[name](records, used))


def shared_groups(names):
    """Split check names into run units: the shared passes all of whose checks are in ``names``
    (one tuple each, in registry order) and single checks (a 1-tuple each), in the order of
    ``names`` (a group goes where its first member is)."""
    from ._framework import SHARED_PASSES

    names = list(names)
    unit_of = {}
    for group in SHARED_PASSES:
        if len(group) > 1 and all(g in names for g in group):
            for g in group:
                unit_of.setdefault(g, group)
    units, seen = [], set()
    for n in names:
        u = unit_of.get(n, (n,))
        if u not in seen:
            seen.add(u)
            units.append(u)
    return units


def check_many(names, *, progress=None, **settings):
    """Run the checks ``names`` with the same ``settings``; a list of :class:`CheckResult`.

    Gives the results :func:`check` gives one by one, but the checks of a shared pass
    (:data:`~backsmooth.checks._framework.SHARED_PASSES`, e.g. ``lemma1`` ... ``lemma4``, which
    sample the same instances) are run in one pass: their instances are built and measured
    once.  ``progress`` is called with the number of check-instances done.

    Examples
    --------
    >>> rs = check_many(["lemma1", "lemma3"], trials=2)
    >>> [r.name for r in rs], [r.summary["instances"] for r in rs]
    (['lemma1', 'lemma3'], [2, 2])
    """
    from ._framework import SHARED_PASSES
    from ._registry import resolve

    names = [resolve(n, CHECKS) for n in names]
    out = {}
    for unit in shared_groups(names):
        if len(unit) == 1:
            out[unit[0]] = check(unit[0], progress=progress, **settings)
            continue
        prepared = {n: _settings(n, settings) for n in unit}
        used, scale = prepared[unit[0]]
        if any(prepared[n][0] != used for n in unit):
            raise ValueError(f"the checks {unit} of a shared pass must have the same defaults")
        step = None if progress is None else (lambda k, m=len(unit): progress(k * m))
        with bound_scaling(scale):
            parts = SHARED_PASSES[unit](used, step)
        for n in unit:
            out[n] = _result(n, used, scale, *parts[n])
    return [out[n] for n in names]


def _registered(c):
    try:
        claim_info(c)
    except ValueError:
        return False
    return True
