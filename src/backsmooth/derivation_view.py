"""The one renderer of a sympy derivation, per output format: text, LaTeX, Markdown, HTML.

A derivation (:func:`backsmooth.symbolic.derive`) is a chain of checked steps of the one step
engine, each with an evidence kind named for what it establishes (the same kinds, words and
badges as the proofs: :mod:`backsmooth.step_view`), and a strength: its weakest step.  Every
place that shows one (``backsmooth derive``, the notebooks through :mod:`backsmooth.display`,
the report, ``docs/theory.md``) goes through this module:

* :func:`derivation_rows` turns the steps into JSON-ready rows (description, LaTeX, text,
  relation, kind, size, strength, rules, detail, passed, method); the report stores exactly
  these rows, and :func:`derivation_record` adds the derivation's strength;
* :func:`derivation_text`, :func:`derivation_latex`, :func:`derivation_markdown` and
  :func:`derivation_html` render rows (or a name, derived on the spot) in one format each;
* :class:`DerivationView` carries the rich displays of a notebook (``_repr_html_``,
  ``_repr_markdown_``, ``_repr_latex_``); its HTML typesets each step as an inline SVG
  picture (matplotlib mathtext), so an exported notebook reads without network access.

Examples
--------
>>> from backsmooth.derivation_view import derivation_rows, derivation_text
>>> rows = derivation_rows("lemma4")
>>> rows[0]["passed"], rows[0]["kind"], rows[0]["method"]
(True, 'all_sizes_identity', 'simplify')
>>> print(derivation_text("lemma4", limit=1))  # doctest: +ELLIPSIS
lemma4: 3 steps, 3 passed; strength rule (proof); kinds: all_sizes_identity 1, rule 2
 1. [✓ all_sizes_identity, simplify] dividing (3.1) by n ||xbar^(L)|| > 0: ...
 ... 2 more steps
"""

from __future__ import annotations

from .step_view import evidence_label, step_status_text, strength_line, strength_of

__all__ = ["step_forms", "derivation_rows", "derivation_record", "derivation_text", "derivation_latex",
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

    Each row has ``description``, ``latex`` (or None), ``text``, ``relation``, ``kind`` (the
    evidence kind), ``size`` (for ``fixed_size_identity``, else None), ``strength`` ("proof"
    or "not a proof"), ``rules``, ``detail``, ``passed`` (bool: the step's check established
    it), ``verified`` (the same bool, kept for old readers) and ``method``.  The derivation is
    performed by :func:`backsmooth.symbolic.derive` (cached per process), never read from a
    stored answer.

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
        ev = st.evidence
        rows.append({"description": st.description, "latex": latex, "text": text,
                     "relation": st.relation, "kind": ev.kind, "size": ev.size or None,
                     "strength": ev.strength, "rules": list(ev.rules), "detail": ev.detail,
                     "passed": bool(ev.passed), "verified": bool(ev.passed),
                     "method": st.method})
    return rows


def derivation_record(name) -> dict:
    """The derivation of ``name`` as one JSON-ready dict: the chain's verdict and its steps.

    Keys: ``name``, ``passed`` (every step's check passed and the chain checks), ``strength``
    (the weakest step, :func:`backsmooth.symbolic.derivations.derivation_result`), ``is_proof``,
    ``kind_counts`` and ``steps`` (:func:`derivation_rows`).

    Examples
    --------
    >>> d = derivation_record("lemma4")
    >>> d["strength"], d["is_proof"], d["kind_counts"]["rule"]
    ('rule', True, 2)
    """
    from backsmooth.symbolic import derive
    from backsmooth.symbolic.chain import ChainError
    from backsmooth.symbolic.chain_verify import verify
    from backsmooth.symbolic.derivations import chain_of

    _check_name(name)
    steps = derive(name)
    try:  # the same chain checker and verification as a proof
        res = verify(chain_of(name, steps), context={})
        passed, strength, counts, error = res.passed, res.strength, res.kind_counts, res.chain_error
    except ChainError as exc:  # steps that do not chain: failed, weakest kind still shown
        kinds = [st.kind for st in steps]
        passed, strength, error = False, strength_of(kinds), str(exc)
        counts = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    from backsmooth.symbolic.evidence import PROOF_KINDS

    return {"name": name, "passed": bool(passed), "strength": strength,
            "is_proof": bool(passed) and strength in PROOF_KINDS, "chain_error": error,
            "kind_counts": counts, "steps": derivation_rows(name)}


def _rows(source):
    return derivation_rows(source) if isinstance(source, str) else list(source)


def _limit(rows, limit):
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    return rows[:limit]


def _passed(row) -> bool:
    return bool(row.get("passed", row.get("verified")))


def _kind(row) -> str:
    return row.get("kind") or "kind not recorded"


def _status(row) -> str:
    return step_status_text(_passed(row), _kind(row), row.get("size"), row.get("method"))


def _status_words(row) -> str:
    """The status in words (for LaTeX): ``passed: kind (size), method``."""
    return (f"{'passed' if _passed(row) else 'FAILED'}: {evidence_label(_kind(row), row.get('size'))}"
            f", {row.get('method')}")


def _summary(name, rows) -> str:
    """``name: N steps, M passed; strength K (proof|not a proof); kinds: ...``."""
    kinds = [r.get("kind") for r in rows]
    return (f"{name}: {len(rows)} steps, {sum(_passed(r) for r in rows)} passed; "
            + (strength_line(kinds) if all(kinds) else "evidence kinds not recorded"))


def derivation_text(source, limit=None, relations=False, name=None) -> str:
    """Plain text: a summary line (counts, strength, kinds), then
    ``" i. [✓ kind (size), method] description"`` per step.

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
            out.append(f"% step {i} [{_status_words(r)}]: {r['description']}")
            out.append(r["latex"] or _mathrm(r["text"]))
        return "\n".join(out)
    body = []
    for i, r in enumerate(rows, 1):
        body.append(r"\text{%d. %s [%s]}" % (i, latex_escape(r["description"]),
                                              latex_escape(_status_words(r))))
        if r["latex"]:
            body.append(r"\quad " + r["latex"])
    return "$$\\begin{array}{l}" + r" \\ ".join(body) + "\\end{array}$$"


def _mathrm(text):
    """A math fragment naming what ``text`` states (explicit matrices), else a pointer."""
    words = (text or "").split(",")[0] if text else "(see the description)"
    words = "".join(ch for ch in words if ch.isalnum() or ch in " ()")
    return r"\mathrm{%s}" % words.replace(" ", r"\ ")


def derivation_markdown(source, math=True) -> str:
    """Markdown: a numbered list, ``description (✓ kind (size), method)``, with ``$...$`` math.

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
    """HTML: a summary paragraph (counts, strength) and an ordered list; each step's formula
    typeset (SVG) with its plain text beside, its status and evidence-kind badges (the proofs'
    step renderer, :func:`backsmooth.step_view.step_item_html`) and its method."""
    from backsmooth.symbolic.evidence import STRENGTH

    from .report.html import esc, fmt, status_badge
    from .step_view import step_item_html

    rows = _rows(source)
    items = [step_item_html(r.get("description"), _passed(r), _kind(r), r.get("size"),
                            r.get("latex"), r.get("text"),
                            f'by {esc(r.get("method"))}' + (f': {esc(r.get("detail"))}'
                                                           if r.get("detail") else ""))
             for r in rows]
    took = f" ({fmt(seconds, 3)} s)" if seconds is not None else ""
    kinds = [r.get("kind") for r in rows]
    strength = strength_of(kinds) if rows and all(kinds) else None
    head = (f'<p>{len(rows)} step(s), {sum(_passed(r) for r in rows)} passed{took}; '
            + (f'strength: {status_badge(strength)} {status_badge(STRENGTH[strength])} '
               f'<span class="note">({esc(strength_line(kinds).split("; ", 1)[1])})</span>'
               if strength else "evidence kinds not recorded") + '</p>')
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
