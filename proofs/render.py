"""Plain-text and LaTeX renderings of a verified proof (pure strings, no I/O).

Examples
--------
>>> from backsmooth.proofs import proof, verify
>>> text = render_text(verify(proof("lemma1")))
>>> text.splitlines()[0].startswith("Proof of lemma1")
True
"""

from __future__ import annotations

from .framework import PROOF_KINDS, ProofResult

__all__ = ["render_text", "render_latex", "latex_escape", "step_latex"]


def step_latex(step) -> str:
    """The step's statement as LaTeX: its ``latex`` field, else derived from its check
    (a rule chain's start and bound, an identity's first pair), else ``""``."""
    import sympy as sp

    if step.latex:
        return step.latex
    check = step.check
    try:
        if hasattr(check, "start") and hasattr(check, "target"):
            return sp.latex(check.start) + r" \le " + sp.latex(check.target)
        form = getattr(check, "form", None)
        if form in ("identity", "matrix identity", "double sum", "inequality"):
            built = check.build()
            first = built if isinstance(built, tuple) and not isinstance(built[0], tuple) else built[0]
            rel = r" \le " if form == "inequality" else " = "
            if isinstance(first[0], sp.MatrixBase):
                return ""
            return sp.latex(first[0]) + rel + sp.latex(first[1])
    except Exception:  # a statement that sympy cannot print is shown as text
        return ""
    return ""

_MARK = {True: "\u2713", False: "\u2717"}


def render_text(result: ProofResult) -> str:
    """Each step: label, assertion, reason and uses, status and evidence kind."""
    p = result.proof
    status = "PASSED" if result.passed else "FAILED"
    strength = result.strength
    verdict = "proof" if strength in PROOF_KINDS else "not a proof"
    lines = [f"Proof of {p.claim}: {status}; strength: {strength} ({verdict}; "
             f"own steps: {result.weakest})",
             "Hypotheses: " + "; ".join(p.hypotheses)]
    if result.cited:
        lines.append("Cites: " + ", ".join(f"{n} ({s})" for n, s in result.cited))
    if result.chain_error:
        lines.append(f"CHAIN REJECTED: {result.chain_error}")
    for i, r in enumerate(result.steps, 1):
        st, ev = r.step, r.evidence
        lines.append(f"{i:2d}. [{_MARK[r.passed]}] {st.label}: {st.asserts}")
        lines.append(f"      because {st.reason}" + (f" (uses: {', '.join(st.uses)})" if st.uses else ""))
        lines.append(f"      evidence: {ev.label} ({ev.strength}): {ev.detail}")
        rules = ev.rules or st.rules
        if rules:
            lines.append(f"      rules: {', '.join(rules)}")
        for extra in r.also:
            lines.append(f"      also [{_MARK[extra.passed]}] {extra.label}: {extra.detail}")
    lines.append("Conclusion: " + "; ".join(p.conclusion))
    for note in p.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
        "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def latex_escape(text: str) -> str:
    """Escape LaTeX special characters of plain text."""
    return "".join(_ESC.get(ch, ch) for ch in text)


def render_latex(result: ProofResult) -> str:
    """A ``proof`` environment with an ``enumerate`` of the steps and their evidence."""
    p = result.proof
    out = [r"\begin{proof}[Proof of \texttt{" + latex_escape(p.claim) + "}]",
           "Hypotheses: " + latex_escape("; ".join(p.hypotheses)) + ".",
           r"\begin{enumerate}"]
    for r in result.steps:
        st, ev = r.step, r.evidence
        mark = r"$\checkmark$" if r.passed else r"$\times$"
        body = f"${st.latex}$" if st.latex else latex_escape(st.asserts)
        out.append(r"  \item \textbf{" + latex_escape(st.label) + "} " + body
                   + r" \emph{(" + latex_escape(st.reason) + ")} "
                   + f"[{mark} {latex_escape(ev.label)}: {latex_escape(ev.strength)}]"
                   + (r" \emph{rules: " + latex_escape(", ".join(ev.rules or st.rules)) + "}"
                      if (ev.rules or st.rules) else ""))
    out.append(r"\end{enumerate}")
    out.append("Strength (weakest step, cited claims included): " + latex_escape(result.strength) + ".")
    if result.chain_error:
        out.append(r"\textbf{Chain rejected:} " + latex_escape(result.chain_error))
    out.append(r"\end{proof}")
    return "\n".join(out)
