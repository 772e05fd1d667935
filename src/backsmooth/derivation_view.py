"""The one renderer of a sympy derivation, per output format: text, LaTeX, Markdown, HTML.

A derivation (:func:`backsmooth.symbolic.derive`) is a tuple of checked steps.  Every place
that shows one (``backsmooth derive``, the notebooks through :mod:`backsmooth.display`, the
report, ``docs/theory.md``) goes through this module:

* :func:`derivation_rows` turns the steps into JSON-ready rows (description, LaTeX, text,
  relation, verified, method); the report stores exactly these rows;
* :func:`derivation_text`, :func:`derivation_latex`, :func:`derivation_markdown` and
  :func:`derivation_html` render rows (or a name, derived on the spot) in one format each;
* :class:`DerivationView` carries the rich displays of a notebook (``_repr_html_``,
  ``_repr_markdown_``, ``_repr_latex_``); its HTML typesets each step as an inline SVG
  picture (matplotlib mathtext), so an exported notebook reads without network access.

Examples
--------
>>> from backsmooth.derivation_view import derivation_rows, derivation_text
>>> rows = derivation_rows("lemma1")
>>> rows[0]["verified"], rows[0]["method"]
(True, 'simplify')
>>> print(derivation_text("lemma1", limit=1))  # doctest: +ELLIPSIS
lemma1: 4 steps, 4 verified by sympy (entrywise simplify 1, simplify 3)
 1. [verified, simplify] (1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2
 ... 3 more steps
"""

from __future__ import annotations

from collections import Counter

__all__ = ["step_forms", "derivation_rows", "derivation_text", "derivation_latex",
           "derivation_markdown", "derivation_html", "DerivationView", "VIEW_CSS",
           "markdown_escape"]

#: styles of the step lists and badges, inlined in a notebook's HTML (the report has its own
#: stylesheet) so that a notebook exported to HTML shows them without network access
VIEW_CSS = ("<style>.bs-view .badge{display:inline-block;padding:1px 8px;border-radius:10px;"
            "font-size:12px}.bs-view .st-ok{background:#d8f0df;color:#155a2f}"
            ".bs-view .st-warn{background:#fcefc7;color:#6b4b00}"
            ".bs-view .st-bad{background:#f9d6d5;color:#8c1d18}"
            ".bs-view .st-muted{background:#e6e9ed;color:#3d4650}"
            ".bs-view img.math{vertical-align:middle;max-width:100%}"
            ".bs-view code.plain{display:block;color:#555;white-space:pre-wrap}"
            ".bs-view .step-meta,.bs-view .note{color:#555;font-size:90%}"
            ".bs-view ol.steps>li{margin-bottom:6px}</style>")


def step_forms(step) -> tuple:
    """``(latex, text)`` of one derivation step, both cheap to compute.

    The LaTeX is :func:`backsmooth.symbolic.render.latex_step`, None for explicit matrices
    and where sympy cannot print it.  The text is the relation in plain text, except for
    explicit matrices, stated in words (printing a symbolic backward pass entry by entry takes
    minutes and reads as noise).  A step checked on rational instances of functions has
    neither (its description says what was checked).
    """
    import sympy as sp

    from backsmooth.symbolic.render import latex_step, text_step

    if step.lhs == sp.Symbol("lhs") and step.rhs == sp.Symbol("rhs"):
        return None, None  # sides are functions (instance-checked step): the description says it
    shapes = [x.shape for x in (step.lhs, step.rhs) if isinstance(x, sp.MatrixBase)]
    if shapes:
        r, c = shapes[0]
        return None, f"{r} x {c} matrices, {step.relation} entry by entry (sympy {step.method})"
    try:
        latex = latex_step(step)
    except Exception:  # a step sympy cannot print in LaTeX keeps its plain text
        latex = None
    return latex, text_step(step)


def _check_name(name):
    from backsmooth.symbolic import derivations

    if not isinstance(name, str) or name not in derivations():
        raise ValueError(f"unknown derivation {name!r}; known names: {', '.join(derivations())}")


def derivation_rows(name) -> list:
    """The derivation of ``name`` as JSON-ready rows, one per step.

    Each row has ``description``, ``latex`` (or None), ``text``, ``relation``, ``verified``
    (bool: sympy established the relation) and ``method``.  The derivation is performed by
    :func:`backsmooth.symbolic.derive` (cached per process), never read from a stored answer.

    Raises
    ------
    ValueError
        If ``name`` is not a derivation of :func:`backsmooth.symbolic.derivations`.
    """
    from backsmooth.symbolic import derive

    _check_name(name)
    rows = []
    for st in derive(name):
        latex, text = step_forms(st)
        rows.append({"description": st.description, "latex": latex, "text": text,
                     "relation": st.relation, "verified": bool(st.verified),
                     "method": st.method})
    return rows


def _rows(source):
    return derivation_rows(source) if isinstance(source, str) else list(source)


def _limit(rows, limit):
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    return rows[:limit]


def _status(row) -> str:
    return f"{'verified' if row['verified'] else 'NOT VERIFIED'}, {row['method']}"


def _summary(name, rows) -> str:
    methods = Counter(r["method"] for r in rows)
    return (f"{name}: {len(rows)} steps, {sum(r['verified'] for r in rows)} verified by sympy ("
            + ", ".join(f"{m} {methods[m]}" for m in sorted(methods)) + ")")


def derivation_text(source, limit=None, relations=False, name=None) -> str:
    """Plain text: a summary line, then ``" i. [verified, method] description"`` per step.

    Parameters
    ----------
    source : str or list of dict
        A derivation name, or rows of :func:`derivation_rows`.
    limit : int or None
        Show only the first ``limit`` steps (the count of the others is given).
    relations : bool
        Print each step's relation in plain text on the line below its description.
    name : str, optional
        The name for the summary line when ``source`` is rows.
    """
    rows = _rows(source)
    shown = _limit(rows, limit)
    lines = [_summary(source if isinstance(source, str) else (name or "derivation"), rows)]
    for i, r in enumerate(shown, 1):
        lines.append(f"{i:2d}. [{_status(r)}] {r['description']}")
        if relations and r["text"]:
            lines.append(f"      {r['text']}")
    if len(shown) < len(rows):
        lines.append(f" ... {len(rows) - len(shown)} more steps")
    return "\n".join(lines)


def derivation_latex(source, math_block=False) -> str:
    """LaTeX: each step's description on a ``%`` comment line, then its math fragment.

    Every non-comment line is a math fragment matplotlib's mathtext (and LaTeX) typesets.
    ``math_block=True`` gives instead one ``$$\\begin{array}{l} ... \\end{array}$$`` block
    (descriptions in ``\\text{}``) that MathJax and KaTeX typeset, for notebooks.
    """
    from backsmooth.proofs.render import latex_escape

    rows = _rows(source)
    if not math_block:
        out = []
        for i, r in enumerate(rows, 1):
            out.append(f"% step {i} [{_status(r)}]: {r['description']}")
            out.append(r["latex"] or _mathrm(r["text"]))
        return "\n".join(out)
    body = []
    for i, r in enumerate(rows, 1):
        body.append(r"\text{%d. %s [%s]}" % (i, latex_escape(r["description"]),
                                              latex_escape(_status(r))))
        if r["latex"]:
            body.append(r"\quad " + r["latex"])
    return "$$\\begin{array}{l}" + r" \\ ".join(body) + "\\end{array}$$"


def _mathrm(text):
    """A math fragment naming what ``text`` states (explicit matrices), else a pointer."""
    words = (text or "").split(",")[0] if text else "(see the description)"
    words = "".join(ch for ch in words if ch.isalnum() or ch in " ()")
    return r"\mathrm{%s}" % words.replace(" ", r"\ ")


def derivation_markdown(source, math=True) -> str:
    """Markdown: a numbered list, ``description (verified, method)``, with ``$...$`` math.

    ``math=False`` leaves out the formulas (the outline of ``docs/theory.md``).
    """
    rows = _rows(source)
    out = []
    for i, r in enumerate(rows, 1):
        line = f"{i}. {_md(r['description'])} ({_status(r)})"
        if math and r["latex"]:
            line += f"  \n   ${r['latex']}$"
        out.append(line)
    return "\n".join(out)


def markdown_escape(text: str, table: bool = False) -> str:
    """Plain text made literal in Markdown (``\\ * _``, a tag-like ``<``; ``|`` in tables)."""
    import re

    text = str(text).replace("\\", "\\\\").replace("*", "\\*")
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)  # '<' that could open an HTML tag
    text = re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)  # '_' not inside a word
    return text.replace("|", "\\|") if table else text


_md = markdown_escape


def derivation_html(source, seconds=None) -> str:
    """HTML: a summary paragraph and an ordered list; each step's formula typeset (SVG) with
    its plain text beside, its verification status as a badge and its method."""
    from .report.html import esc, fmt, formula, status_badge

    rows = _rows(source)
    items = []
    for r in rows:
        # sympy established the step for every value, or only on exact rational instances
        ok = ("not verified" if not r.get("verified") else
              "checked on instances" if r.get("method") == "rational instances" else "verified")
        items.append(
            f'<li><div class="step-head">{esc(r.get("description"))} {status_badge(ok)} '
            f'<span class="step-meta">by {esc(r.get("method"))}</span></div>'
            + (formula(r.get("latex"), r.get("text")) if r.get("latex") or r.get("text")
               else "") + "</li>")
    took = f" ({fmt(seconds, 3)} s)" if seconds is not None else ""
    inst = sum(bool(r.get("verified")) and r.get("method") == "rational instances" for r in rows)
    head = (f'<p>{len(rows)} step(s), {sum(bool(r.get("verified")) for r in rows) - inst} verified '
            f'by sympy' + (f', {inst} checked on exact rational instances only' if inst else "")
            + f'{took}.</p>')
    return head + f'<ol class="steps">{"".join(items)}</ol>'


class DerivationView:
    """A derivation with rich displays for notebooks (and ``str()`` as plain text).

    Examples
    --------
    >>> view = DerivationView("lemma1")
    >>> "<ol" in view._repr_html_() and view._repr_markdown_().startswith("**lemma1**")
    True
    """

    def __init__(self, name, limit=None):
        self.name = name
        self.rows = derivation_rows(name)
        self.limit = limit
        _limit(self.rows, limit)

    def __str__(self):
        return derivation_text(self.rows, self.limit, name=self.name)

    __repr__ = __str__

    def _shown(self):
        return _limit(self.rows, self.limit)

    def _repr_html_(self):
        from .report.html import esc

        more = len(self.rows) - len(self._shown())
        tail = f"<p class='note'>... {more} more steps</p>" if more else ""
        return (f"<div class='bs-view derivation'>{VIEW_CSS}<p><b>Derivation of {esc(self.name)}"
                f"</b></p>{derivation_html(self._shown())}{tail}</div>")

    def _repr_markdown_(self):
        return (f"**{self.name}**: {_summary(self.name, self.rows).split(': ', 1)[1]}\n\n"
                + derivation_markdown(self._shown()))

    def _repr_latex_(self):
        return derivation_latex(self._shown(), math_block=True)
