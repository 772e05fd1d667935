"""The check framework: verdicts, per-instance records, the result object and the registry.

A *check* joins a claim of the symbolic registry to numeric measurements.  On every sampled
instance (graph x n x depth L x width x activation x weight scale s x loss x seed) it
evaluates, for each part of the claim, the measured quantity ``m`` and the lambdified bound
``b``, and gives one verdict:

* ``"hypotheses not met"`` when an assumption of the claim fails on that instance (ass:P
  with ``lambda = 1`` on a disconnected or bipartite graph, a non-stochastic ``P``, ReLU where
  ``rho'`` must be Lipschitz, ``s > lambda^(-alpha)``, ...).  The numbers are still recorded:
  a bound that fails outside its hypotheses is information, not a violation;
* ``"violated"`` when the hypotheses hold and ``m > b (1 + RTOL) + floor``;
* ``"unresolved"`` when nothing is violated but the round-off floor is at least the bound on
  every layer of the row (round-off alone decides the comparison: nothing was judged);
* ``"holds"`` otherwise (at least one layer judged, none violated).

Verdicts are computed by :func:`~backsmooth.checks._verdicts.part_record`, which also applies
the generic bound-scaling hook (``check(name, bound_scale=f)``) that lets tests show that
every check can fail.

Round-off allowance (never widened to get green):

* ``RTOL = 1e-9`` relative.  The bound is evaluated from measured inputs (``lambda`` from a
  backward-stable symmetric eigensolver, absolute error ~ n eps; powers such as
  ``(lambda s)^L`` with ``L <= 64`` amplify this to ``L n eps / lambda`` ~ 1e-10 for the
  smallest ``lambda`` sampled); everything else is a few flops per layer (~ L eps ~ 1e-14).
* ``floor = 16 (L + 2)(n + d) eps * scale`` absolute, where ``scale`` is the magnitude of
  the signal the measured quantity is computed from (e.g. ``||X^(k)||_F / sqrt(n)`` for
  ``E(X^(k))``).  A forward/backward pass of depth ``L`` computes each layer with inner
  products of length ``<= n + d`` (relative error ``<= (n + d) eps`` each, standard error
  analysis), accumulated over ``L + 1`` layers; the centring in ``E`` subtracts the mean,
  so this error is absolute at the scale of the signal, not relative to ``E`` (which may be
  1e-40 while the signal is O(1)).  Below ``1e3 x floor`` the ratio ``m / b`` is not
  known to three digits and is not reported as the tightest case.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field

import numpy as np

from .._json import to_jsonable
from ._instances import RERUN_KEYS
from backsmooth.numeric.measures import fitted_rate
from ._verdicts import (
    EPS,
    RTOL,
    VERDICTS,
    bound_scaling,
    part_record,
    roundoff_floor,
    verdicts,
)

__all__ = [
    "CHECKS",
    "SHARED_PASSES",
    "CHUNK_MERGE",
    "EPS",
    "RTOL",
    "VERDICTS",
    "CheckResult",
    "bound_scaling",
    "CheckSpec",
    "fitted_rate",
    "part_record",
    "register",
    "register_shared",
    "register_chunk_merge",
    "roundoff_floor",
    "summarise",
    "verdicts",
]



def summarise(records):
    """Summary of a table: counts per verdict, the tightest case (with re-run settings), rates.

    ``judged`` counts the rows with verdict ``holds`` or ``violated``; ``unresolved`` rows
    (round-off floor at or above the bound) and ``hypotheses_not_met`` rows are counted apart
    and never enter the tightest ratio.
    """
    rows = list(records)
    judged = [r for r in rows if r["verdict"] in ("holds", "violated")]
    out = {
        "instances": len({r["instance"] for r in rows}),
        "checks": len(rows),
        "holds": sum(r["verdict"] == "holds" for r in rows),
        "violations": sum(r["verdict"] == "violated" for r in rows),
        "unresolved": sum(r["verdict"] == "unresolved" for r in rows),
        "hypotheses_not_met": sum(r["verdict"] == "hypotheses not met" for r in rows),
        "judged": len(judged),
    }
    ineq = [r for r in judged if r["relation"] != "==" and r["resolvable"]]
    if ineq:
        top = max(ineq, key=lambda r: r["ratio"])
        out["tightest_ratio"] = top["ratio"]
        out["tightest_case"] = {k: top.get(k) for k in ("part", "layer", "measured", "bound")}
        out["tightest_case"]["rerun"] = {k: top.get(k) for k in RERUN_KEYS if k in top}
    else:
        out["tightest_ratio"] = None
    eq = [r for r in judged if r["relation"] == "=="]
    if eq:
        out["max_identity_deviation"] = max(r["deviation"] for r in eq)
    violated = [r for r in rows if r["verdict"] == "violated"]
    if violated:
        worst = max(violated, key=lambda r: r["ratio"])
        out["worst_violation"] = {
            k: worst.get(k) for k in ("part", "layer", "measured", "bound", "ratio")
        }
        out["worst_violation"]["rerun"] = {k: worst.get(k) for k in RERUN_KEYS if k in worst}
    rates = [
        r
        for r in judged
        if r.get("fitted_rate") is not None and r.get("predicted_rate") is not None
    ]
    if rates:
        fit = np.array([r["fitted_rate"] for r in rates])
        pred = np.array([r["predicted_rate"] for r in rates])
        pos = pred > 0
        out["rate"] = {
            "instances": len(rates),
            "median_fitted": float(np.median(fit)),
            "median_predicted": float(np.median(pred)),
            "max_fitted_over_predicted": float(np.max(fit[pos] / pred[pos])) if pos.any() else None,
        }
    out["parts"] = _part_summaries(rows, rates)
    return out


def _part_summaries(rows, rates):
    parts = {}
    for name in dict.fromkeys(r["part"] for r in rates):  # first appearance: the same order in every process
        pr = [r for r in rates if r["part"] == name]
        parts[name] = {
            "rate": {
                "instances": len(pr),
                "median_fitted": float(np.median([r["fitted_rate"] for r in pr])),
                "median_predicted": float(np.median([r["predicted_rate"] for r in pr])),
            }
        }
    for r in rows:
        p = parts.setdefault(r["part"], {})
        for key, value in (
            ("checks", 0),
            ("violations", 0),
            ("unresolved", 0),
            ("hypotheses_not_met", 0),
            ("max_ratio", None),
        ):
            p.setdefault(key, value)
        p["checks"] += 1
        p["violations"] += r["verdict"] == "violated"
        p["unresolved"] += r["verdict"] == "unresolved"
        p["hypotheses_not_met"] += r["verdict"] == "hypotheses not met"
        if r["verdict"] in ("holds", "violated") and r["relation"] != "==" and r["resolvable"]:
            p["max_ratio"] = (
                r["ratio"] if p["max_ratio"] is None else max(p["max_ratio"], r["ratio"])
            )
    return parts


#: the one JSON conversion of the package (non-finite floats -> "nan"/"inf"/"-inf")
_jsonable = to_jsonable


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes
    ----------
    name : str
        The check (a key of :data:`CHECKS`).
    title : str
    provenance : dict
        Claim name -> ``"paper"``, ``"reconstruction"`` or ``"extension"`` (from the
        symbolic registry; extension-only checks say ``"extension"``).
    settings : dict
        The settings actually used (re-run with ``check(name, **settings)``).
    records : tuple of dict
        The per-instance table (one row per instance and part of the claim).
    summary : dict
        See :func:`summarise`, plus check-specific entries.
    notes : tuple of str
        Plain statements the check makes about its own outcome (vacuous bounds, claims that
        do not carry over, ...).
    """

    name: str
    title: str
    provenance: dict
    settings: dict
    records: tuple
    summary: dict
    notes: tuple = field(default=())

    @property
    def violations(self) -> int:
        """Number of rows whose verdict is ``"violated"``."""
        return int(self.summary["violations"])

    @property
    def passed(self) -> bool:
        """True when no row is violated."""
        return self.violations == 0

    def table(self) -> list:
        """The per-instance table as a list of dicts (pandas-free)."""
        return [dict(r) for r in self.records]

    def to_dict(self) -> dict:
        """Everything as JSON-ready builtins."""
        return _jsonable(
            {
                "name": self.name,
                "title": self.title,
                "provenance": self.provenance,
                "settings": self.settings,
                "summary": self.summary,
                "notes": list(self.notes),
                "records": self.table(),
            }
        )

    def to_json(self, path) -> None:
        """Write :meth:`to_dict` as JSON to ``path``."""
        with open(path, "w", encoding="utf-8") as fh:
            json.dump(self.to_dict(), fh, indent=1)

    def to_csv(self, path) -> None:
        """Write the per-instance table as CSV to ``path`` (union of all columns)."""
        rows = self.to_dict()["records"]
        cols = []
        for r in rows:
            cols.extend(k for k in r if k not in cols)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=cols)
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})

    @classmethod
    def from_json(cls, path) -> CheckResult:
        """Read a result written by :meth:`to_json` (used to resume an interrupted run)."""
        with open(path, encoding="utf-8") as fh:
            d = json.load(fh)
        return cls(
            name=d["name"],
            title=d["title"],
            provenance=d["provenance"],
            settings=d["settings"],
            records=tuple(d["records"]),
            summary=d["summary"],
            notes=tuple(d["notes"]),
        )

    def __str__(self) -> str:
        s = self.summary
        prov = ", ".join(f"{k} [{v}]" for k, v in self.provenance.items())
        lines = [
            f"{self.name}: {self.title} -- {prov}",
            (
                f"  instances {s['instances']}, checks {s['checks']}, "
                f"violations {s['violations']}, unresolved {s.get('unresolved', 0)}, "
                f"hypotheses not met {s['hypotheses_not_met']}, "
                f"tightest ratio {s['tightest_ratio']}"
            ),
        ]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


@dataclass(frozen=True)
class CheckSpec:
    """A registered check: ``run(settings, progress) -> (records, notes, extra_summary)``."""

    name: str
    title: str
    claims: tuple
    run: object
    defaults: dict
    description: str = ""
    provenance: str | None = None


#: check name -> :class:`CheckSpec` (filled by the claim modules on import)
CHECKS: dict = {}


def register(name, title, claims, defaults, description="", provenance=None):
    """Decorator registering a check runner under ``name``.

    ``provenance`` overrides the registry's provenance of every claim (``"extension"`` for
    checks that take claims beyond the paper's setting).
    """

    def deco(fn):
        CHECKS[name] = CheckSpec(
            name, title, tuple(claims), fn, dict(defaults), description, provenance
        )
        return fn

    return deco


#: shared passes: tuple of check names -> ``joint(settings, progress) -> {name: (records, notes,
#: extra)}``, one pass over the instances that yields exactly what each named check would
#: give run alone (same instances, same rows, same notes); used when several of them run with
#: the same settings (``backsmooth check --all``), so their instances are built and measured once
SHARED_PASSES: dict = {}


def register_shared(names, joint):
    """Register ``joint`` as the one-pass runner of the checks ``names`` (see SHARED_PASSES)."""
    SHARED_PASSES[tuple(names)] = joint
    return joint


#: checks whose run may be split into chunks of instances (``start``, ``trials``) and merged:
#: check name -> ``extra_from_rows(rows, settings)``, the check's own summary entries computed
#: from the merged rows (a check with extra entries that are not a function of its rows, or
#: with notes that depend on the run, is not listed)
CHUNK_MERGE: dict = {}


def register_chunk_merge(name, extra_from_rows):
    """Declare that check ``name`` can run in chunks (see CHUNK_MERGE)."""
    CHUNK_MERGE[name] = extra_from_rows
    return extra_from_rows
