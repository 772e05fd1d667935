"""One home for what the main job's pieces cost, to start the longest work first.

Two schedulers order work by cost: ``backsmooth report`` (its sections, longest first, so the
workers finish together) and ``backsmooth check --workers N`` (checks, and chunks of a long
check, longest first).  Both read their costs here:

* **measured**: at the end of a report, :func:`record` stores the CPU seconds of every section
  it computed (a section served from the result cache says nothing about its cost and is
  skipped) in ``costs.json`` in the result cache's folder
  (:func:`backsmooth.result_cache.cache_dir`), per profile.  Per-instance costs of the checks
  are *not* taken from a report: its check sections include plotting and files, a fixed cost
  that would inflate the per-instance figure of a 3- or 30-instance run many times over; a
  ``check_ms_per_instance`` table in ``costs.json`` is read if present;
* **the hand table** (:data:`SECTION_CPU_SECONDS`, :data:`CHECK_MS_PER_INSTANCE`): measured by
  hand in earlier sessions; used where nothing was measured yet (first run, new section,
  unreadable file, ``BACKSMOOTH_NO_CACHE``).

Costs only order the work: a wrong cost slows a run down, it never changes a result.

Examples
--------
>>> section_cost("figure/1", "quick", costs={}) > section_cost("check/lemma1", "quick", costs={})
True
>>> check_ms_per_instance("corollary2", costs={})
128.0
"""

from __future__ import annotations

import json
import os

__all__ = ["CHECK_MS_PER_INSTANCE", "SECTION_CPU_SECONDS", "check_ms_per_instance", "measured",
           "record", "section_cost"]

#: CPU seconds of sections of ``report --quick`` (session 4, load 6-13; relative sizes matter)
SECTION_CPU_SECONDS = {"figure/1": 35.0, "figure/phase": 16.4, "figure/mechanism": 8.0,
                       "check/proposition2": 9.7, "figure/2-relu": 4.5, "figure/2": 3.5,
                       "figure/remedies": 3.5, "check/local_certificate": 4.0,
                       "check/corollary2": 4.0, "check/gcn": 4.0, "proof/corollary2": 11.8,
                       "proof/theorem3": 8.3}
#: the default of a section the table does not name, per kind
_KIND_SECONDS = {"check": 1.5, "proof": 1.5, "derivation": 1.0, "figure": 3.0}
#: CPU milliseconds per instance of a check (issue-12 note, thorough profile, one BLAS thread)
CHECK_MS_PER_INSTANCE = {"corollary2": 128.0, "lemma1": 7.0, "lemma2": 7.0, "lemma3": 7.0,
                         "lemma4": 7.0, "remedy_residual": 8.0, "remedy_initial_residual": 8.0,
                         "remedy_normalisation": 8.0, "proposition2": 8.0}
_CHECK_MS_DEFAULT = 12.0
_FILE = "costs.json"


def _path():
    from .result_cache import cache_dir

    return cache_dir() / _FILE


def measured() -> dict:
    """The recorded costs (``{}`` when none, unreadable, or the cache is off)."""
    from .result_cache import enabled

    if not enabled():
        return {}
    try:
        data = json.loads(_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def section_cost(key: str, profile: str, *, costs=None) -> float:
    """CPU seconds section ``key`` of a report in ``profile`` is expected to take.

    ``costs``: the recorded costs (default: :func:`measured`, read now).
    """
    table = (measured() if costs is None else costs).get("sections", {})
    value = table.get(profile, {}).get(key)
    if isinstance(value, (int, float)) and value >= 0:
        return float(value)
    if key in SECTION_CPU_SECONDS:
        return SECTION_CPU_SECONDS[key]
    return _KIND_SECONDS.get(key.split("/", 1)[0], 0.1)


def check_ms_per_instance(name: str, *, costs=None) -> float:
    """CPU milliseconds one instance of check ``name`` is expected to take."""
    value = (measured() if costs is None else costs).get(
        "check_ms_per_instance", {}).get(name)
    if isinstance(value, (int, float)) and value > 0:
        return float(value)
    return CHECK_MS_PER_INSTANCE.get(name, _CHECK_MS_DEFAULT)


def record(doc: dict) -> None:
    """Store the CPU costs of the sections a report computed (not those from the cache)."""
    from .result_cache import enabled

    if not enabled():
        return
    profile = str(doc.get("settings", {}).get("profile"))
    data = measured()
    sections = data.setdefault("sections", {}).setdefault(profile, {})
    for key, sec in doc.get("sections", {}).items():
        cpu = sec.get("cpu_seconds")
        if sec.get("cached") or sec.get("status") != "done" or not isinstance(cpu, (int, float)):
            continue
        sections[key] = round(float(cpu), 3)
    path = _path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only cache folder costs scheduling, never a result
        pass
