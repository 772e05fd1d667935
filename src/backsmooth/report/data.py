"""The report's data: the ``results.json`` document, its atomic saving and its summary.

``results.json`` is the single source of the report page: every section the report runs
(a claim's registry entry, its derivation, its proof, a numeric check, a figure, the
environment) is stored under a key ``"<kind>/<name>"`` as::

    {"kind": ..., "name": ..., "status": "done" | "error" | "not covered",
     "seconds": float, "data": {...}, "error": str or None}

It is rewritten (atomically: temporary file, then rename) after each section, so an
interrupted run loses at most the section it was running, and ``--resume`` reuses every
``"done"`` section computed with the same settings.

Examples
--------
>>> doc = new_document({"profile": "quick", "seed": 0})
>>> doc["sections"]["check/x"] = section("check", "x", "done", 0.1,
...     {"summary": {"violations": 2, "instances": 5, "hypotheses_not_met": 0}})
>>> summarise(doc)["violations"], exit_code(summarise(doc))
(2, 1)
"""

from __future__ import annotations

import json
import os
import pathlib

from .._json import to_jsonable

__all__ = ["FORMAT", "STATUSES", "new_document", "section", "save", "load", "jsonable",
           "summarise", "exit_code", "summary_line"]

FORMAT = "backsmooth-report/1"
STATUSES = ("done", "error", "not covered")


def new_document(settings: dict) -> dict:
    """An empty results document for a run with ``settings``."""
    return {"format": FORMAT, "settings": dict(settings), "claims": [], "sections": {},
            "started": None, "finished": None}


def section(kind, name, status, seconds, data=None, error=None) -> dict:
    """One section record (see the module docstring)."""
    if status not in STATUSES:
        raise ValueError(f"section status must be one of {STATUSES}, got {status!r}")
    return {"kind": kind, "name": name, "status": status, "seconds": float(seconds),
            "data": jsonable(data or {}), "error": error}


#: the one JSON conversion of the package (:func:`backsmooth._json.to_jsonable`)
jsonable = to_jsonable


def save(doc: dict, path, *, compact: bool = False) -> None:
    """Write ``doc`` as JSON to ``path`` atomically (temporary file, then rename).

    ``compact=True`` (the saves after each section) writes it without indentation through
    the C encoder, an order of magnitude faster on a large document; the last save of a run
    indents it.  Both read back to the same document.
    """
    path = pathlib.Path(path)
    tmp = path.with_name(path.name + ".tmp")
    if compact:
        try:
            text = json.dumps(doc, allow_nan=False)  # raises on what jsonable would change
        except (TypeError, ValueError):
            text = json.dumps(jsonable(doc))
    else:
        text = json.dumps(jsonable(doc), indent=1)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def load(path) -> dict | None:
    """The results document at ``path``, or None if absent, unreadable or of another format."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("format") == FORMAT else None


def _of_kind(doc, kind):
    return [s for s in doc["sections"].values() if s["kind"] == kind]


def summarise(doc: dict) -> dict:
    """Counts over the document: claims, proofs, derivations, checks, figures, errors, time."""
    proofs = [s for s in _of_kind(doc, "proof") if s["status"] != "not covered"]
    derivs = [s for s in _of_kind(doc, "derivation") if s["status"] != "not covered"]
    checks = [s for s in _of_kind(doc, "check") if s["status"] != "not covered"]
    figures = _of_kind(doc, "figure")
    sums = [s["data"].get("summary", {}) for s in checks if s["status"] == "done"]
    out = {
        "claims": len(doc.get("claims", [])),
        "proofs": len(proofs),
        "proofs_passed": sum(s["status"] == "done" and bool(s["data"].get("passed"))
                             for s in proofs),
        "proof_steps": sum(len(s["data"].get("steps", [])) for s in proofs),
        "proof_steps_failed": sum(len(s["data"].get("failed_steps", [])) for s in proofs),
        "proofs_symbolic": sum(s["status"] == "done" and bool(s["data"].get("is_proof"))
                               for s in proofs),
        "derivations": len(derivs),
        "derivations_verified": sum(s["status"] == "done" and bool(s["data"].get("verified"))
                                    for s in derivs),
        "checks": len(checks),
        "instances": sum(int(x.get("instances", 0) or 0) for x in sums),
        "violations": sum(int(x.get("violations", 0) or 0) for x in sums),
        "hypotheses_not_met": sum(int(x.get("hypotheses_not_met", 0) or 0) for x in sums),
        "unresolved": sum(int(x.get("unresolved", 0) or 0) for x in sums),
        "figures": len(figures),
        "figures_done": sum(s["status"] == "done" for s in figures),
        "errors": sorted(k for k, s in doc["sections"].items() if s["status"] == "error"),
        "seconds": sum(float(s.get("seconds", 0.0)) for s in doc["sections"].values()),
    }
    out["derivations_failed"] = sum(s["status"] == "done" and not s["data"].get("verified")
                                    for s in derivs)
    out["proofs_failed"] = sum(s["status"] == "done" and not s["data"].get("passed")
                               for s in proofs)
    return out


def exit_code(summary: dict) -> int:
    """1 if a claim is violated, a proof or derivation step fails, or a section crashed; else 0."""
    bad = (summary["violations"] or summary["proofs_failed"] or summary["proof_steps_failed"]
           or summary.get("derivations_failed", 0) or summary["errors"])
    return 1 if bad else 0


def summary_line(summary: dict, seconds: float, path) -> str:
    """The one-line summary printed at the end of a run."""
    err = f", {len(summary['errors'])} section(s) crashed" if summary["errors"] else ""
    return (f"backsmooth report: {summary['claims']} claims, proofs passed "
            f"{summary['proofs_passed']}/{summary['proofs']} "
            f"({summary['proof_steps_failed']} failed steps), derivations passed "
            f"{summary['derivations_verified']}/{summary['derivations']}, "
            f"{summary['violations']} violations ({summary.get('unresolved', 0)} rows "
            f"unresolved) in {summary['instances']} instances "
            f"({summary['checks']} checks), figures {summary['figures_done']}/"
            f"{summary['figures']}{err}; {seconds:.1f} s -> {path}")
