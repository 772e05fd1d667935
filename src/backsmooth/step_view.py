"""The one renderer of a checked step, shared by proofs and derivations (text and HTML).

Derivations and proofs are chains of the same step engine (:mod:`backsmooth.symbolic.chain`);
each step's evidence kind is shown with the same words and badges wherever a step appears:
``backsmooth derive`` and ``backsmooth proof``, the report, the notebooks' rich displays.
Only ``all_sizes_identity`` and ``rule`` are proof; ``fixed_size_identity`` (with the size it
was checked at) and ``instances`` are shown as "not a proof", never as proved.

Examples
--------
>>> evidence_label("fixed_size_identity", "3 x 2 matrices")
'fixed_size_identity (3 x 2 matrices)'
>>> step_status_text(True, "rule")
'✓ rule'
>>> strength_line(["rule", "instances", "rule"])
'strength instances (not a proof); kinds: rule 2, instances 1'
"""

from __future__ import annotations

__all__ = ["MARK", "evidence_label", "step_status_text", "strength_of", "strength_line",
           "step_badges_html", "step_item_html"]

#: the pass/fail mark of a step in plain text
MARK = {True: "\u2713", False: "\u2717"}


def evidence_label(kind, size=None) -> str:
    """The kind, with the size for a fixed-size identity (as :attr:`Evidence.label`)."""
    return f"{kind} ({size})" if kind == "fixed_size_identity" and size else str(kind)


def step_status_text(passed, kind, size=None, method=None) -> str:
    """``"✓ kind (size)"`` (and ``", method"``): a step's status in plain text."""
    out = f"{MARK[bool(passed)]} {evidence_label(kind, size)}"
    return f"{out}, {method}" if method else out


def strength_of(kinds) -> str:
    """The strength of a chain of steps of these kinds: its weakest kind."""
    from backsmooth.symbolic.evidence import weakest_kind

    return weakest_kind(kinds)


def strength_line(kinds) -> str:
    """``"strength K (proof|not a proof); kinds: k1 n1, ..."`` (kinds strongest first)."""
    from backsmooth.symbolic.evidence import EVIDENCE_KINDS, STRENGTH

    kinds = list(kinds)
    strength = strength_of(kinds)
    counts = ", ".join(f"{k} {kinds.count(k)}" for k in EVIDENCE_KINDS if k in kinds)
    return f"strength {strength} ({STRENGTH[strength]}); kinds: {counts or 'none'}"


def step_badges_html(passed, kind, size=None) -> str:
    """The status badge and the evidence-kind badge of one step (with its size, if one)."""
    from .report.html import esc, status_badge

    return (f'{status_badge("passed" if passed else "failed")} {status_badge(kind or "-")}'
            + (f' <span class="note">at {esc(size)}</span>' if size else ""))


def step_item_html(head, passed, kind, size=None, latex=None, text=None, meta="") -> str:
    """One ``<li>`` of a step list: head text, badges, the typeset formula, then ``meta``.

    ``head`` is plain text (escaped here); ``meta`` is HTML (already escaped by the caller).
    """
    from .report.html import esc, formula

    return (f'<li><div class="step-head">{esc(head)} {step_badges_html(passed, kind, size)}</div>'
            + (formula(latex, text) if latex or text else "")
            + (f'<div class="step-meta">{meta}</div>' if meta else "") + "</li>")
