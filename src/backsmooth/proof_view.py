"""The one renderer of a verified proof for the edge: JSON-ready record, HTML, rich displays.

:func:`proof_record` turns a :class:`backsmooth.proofs.ProofResult` into the JSON-ready
record the report stores; :func:`proof_html` renders a record as HTML (the report's proof
block and the notebooks' :class:`ProofView` both call it).  Plain text and the LaTeX source
are :func:`backsmooth.proofs.render_text` and :func:`backsmooth.proofs.render_latex`.

In the HTML each step's statement is typeset as an inline SVG picture (matplotlib
mathtext), with its justification, rules and evidence kind as a badge; nothing is loaded
from the network, so a notebook exported to HTML reads offline.

Examples
--------
>>> from backsmooth.proofs import proof, verify
>>> record = proof_record(verify(proof("lemma3")))
>>> record["passed"], record["steps"][0]["kind"] in ("all_sizes_identity", "rule")
(True, True)
>>> "<ol" in proof_html(record)
True
"""

from __future__ import annotations

from .derivation_view import VIEW_CSS

__all__ = ["proof_record", "proof_html", "ProofView", "proof_view", "MAX_TYPESET"]

#: LaTeX fragments longer than this are not typeset (they would not fit a notebook line)
MAX_TYPESET = 300


def proof_record(res) -> dict:
    """A verified proof (:class:`backsmooth.proofs.ProofResult`) as a JSON-ready dict.

    Keys: ``passed``, ``weakest``, ``strength``, ``is_proof``, ``cited``, ``chain_error``,
    ``dependencies``, ``failed_steps``, ``notes``, ``latex_source`` and ``steps``, each step
    with ``label``, ``asserts``, ``latex`` (its statement as LaTeX, or None), ``reason``,
    ``uses``, ``introduces``, ``kind``, ``strength``, ``passed``, ``size``, ``rules``,
    ``also``, ``detail`` and ``seconds``.
    """
    from backsmooth.proofs import render_latex
    from backsmooth.proofs.render import step_latex

    steps = []
    for r in res.steps:
        st, ev = r.step, r.evidence
        steps.append({"label": st.label, "asserts": st.asserts, "latex": step_latex(st) or None,
                      "reason": st.reason, "uses": list(st.uses), "introduces": list(st.introduces),
                      "kind": ev.kind, "strength": ev.strength, "passed": bool(r.passed),
                      "size": ev.size or None, "rules": list(ev.rules or st.rules),
                      "also": [{"kind": e.kind, "size": e.size or None, "passed": bool(e.passed),
                                "detail": e.detail} for e in r.also],
                      "detail": ev.detail, "seconds": r.seconds})
    return {"claim": res.claim, "passed": bool(res.passed), "weakest": res.weakest,
            "strength": res.strength, "is_proof": bool(res.is_proof),
            "cited": [list(c) for c in res.cited], "chain_error": res.chain_error,
            "dependencies": list(res.dependencies), "failed_steps": list(res.failed_steps),
            "notes": list(res.proof.notes), "steps": steps, "latex_source": render_latex(res)}


def proof_html(d, seconds=None, latex_source=True) -> str:
    """HTML of a :func:`proof_record`: status and strength badges, then one item per step
    (statement typeset, status and evidence-kind badges, reason, uses, rules, evidence)."""
    from .report.html import esc, fmt, status_badge
    from .step_view import step_item_html

    took = f", {fmt(seconds, 3)} s" if seconds is not None else ""
    out = [f'<p>{status_badge("passed" if d.get("passed") else "failed")} '
           f'strength: {status_badge(d.get("strength") or d.get("weakest") or "-")} '
           f'{status_badge("proof" if d.get("is_proof") else "not a proof")} '
           + (f'<span class="note">(cites {esc(", ".join(f"{a}: {b}" for a, b in d["cited"]))})</span> '
              if d.get("cited") else "") +
           f'<span class="note">({len(d.get("steps", []))} steps{took}'
           + (f'; uses {esc(", ".join(d["dependencies"]))}' if d.get("dependencies") else "")
           + ")</span></p>"]
    if d.get("chain_error"):
        out.append(f'<div class="error">chain rejected: {esc(d["chain_error"])}</div>')
    items = []
    for st in d.get("steps", []):
        meta = (f'why: {esc(st.get("reason"))}'
                + (f' &middot; uses: {esc(", ".join(st.get("uses", [])))}' if st.get("uses") else "")
                + (f' &middot; rules: {esc(", ".join(st.get("rules", [])))}' if st.get("rules") else "")
                + f'<br>evidence: {esc(st.get("kind"))} ({esc(st.get("strength"))}): {esc(st.get("detail"))}'
                + "".join(f'<br>also: {esc(a.get("kind"))}: {esc(a.get("detail"))}'
                          for a in st.get("also", [])))
        items.append(step_item_html(f'{st.get("label")}: {st.get("asserts")}', st.get("passed"),
                                    st.get("kind"), st.get("size"), st.get("latex"), None, meta))
    out.append(f'<ol class="steps">{"".join(items)}</ol>')
    if d.get("notes"):
        out.append("<p class=\"note\">Corrections to the paper's statements: "
                   + " ".join(esc(n) for n in d["notes"]) + "</p>")
    if latex_source and d.get("latex_source"):
        out.append("<details><summary>LaTeX source of this proof</summary><pre>"
                   + esc(d["latex_source"]) + "</pre></details>")
    return "".join(out)


def proof_view(name) -> "ProofView":
    """The verified proof of ``name`` as a :class:`ProofView` (rich display in notebooks)."""
    from backsmooth.proofs import proof, proofs, verify

    if not isinstance(name, str) or name not in proofs():
        raise ValueError(f"no proof named {name!r}; known proofs: {', '.join(proofs())}")
    return ProofView(verify(proof(name)))


class ProofView:
    """A verified proof with rich displays: each step typeset, with its justification, rules
    and evidence kind as a badge.

    ``_repr_html_`` is :func:`proof_html` with its styles inlined (formulas as inline SVG
    pictures, as in the report), so an exported notebook reads without network access;
    ``_repr_markdown_`` and ``_repr_latex_`` give the same content for other front ends;
    ``str()`` is the CLI text.

    Examples
    --------
    >>> view = proof_view("lemma3")
    >>> "all_sizes_identity" in view._repr_html_() and "rule" in view._repr_markdown_()
    True
    """

    def __init__(self, result):
        self.result = result

    def __str__(self):
        from backsmooth.proofs import render_text

        return render_text(self.result)

    __repr__ = __str__

    def _repr_html_(self):
        from .report.html import esc

        return (f"<div class='bs-view proof'>{VIEW_CSS}<p><b>Proof of {esc(self.result.claim)}"
                f"</b></p>{proof_html(proof_record(self.result), latex_source=False)}</div>")

    def _repr_markdown_(self):
        from backsmooth.proofs.render import step_latex

        res = self.result
        lines = [f"**Proof of {res.claim}**: {'passed' if res.passed else 'FAILED'}; strength "
                 f"`{res.strength}` ({'proof' if res.is_proof else 'not a proof'})", ""]
        for i, r in enumerate(res.steps, 1):
            st, ev = r.step, r.evidence
            tex = step_latex(st)
            stmt = f"${tex}$" if tex and len(tex) <= MAX_TYPESET else st.asserts
            rules = ev.rules or st.rules
            lines.append(f"{i}. **{st.label}** `{ev.label}`: {stmt}  \n   *because* {st.reason}"
                         + (f"  \n   rules: {', '.join(rules)}" if rules else ""))
        return "\n".join(lines)

    def _repr_latex_(self):
        from backsmooth.proofs import render_latex

        return render_latex(self.result)
