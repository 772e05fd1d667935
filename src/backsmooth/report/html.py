"""Offline HTML primitives for the report: escaping, embedded images, formulas, badges.

Everything produced here is self-contained: images are ``data:`` URIs (base64 PNG or SVG),
formulas are typeset by matplotlib's mathtext into SVG (no MathJax, no CDN, no network),
and the plain-text form of every formula sits beside its picture so the page stays
readable (and searchable) even where an image is not shown.  matplotlib is imported
lazily, inside :func:`math_image`.

Examples
--------
>>> esc("a < b & c")
'a &lt; b &amp; c'
>>> badge("paper", "prov-paper")
'<span class="badge prov-paper">paper</span>'
"""

from __future__ import annotations

import base64
import html
import pathlib
import re
from contextlib import contextmanager
from functools import lru_cache

__all__ = ["esc", "data_uri", "image_file_uri", "math_image", "formula", "badge",
           "status_badge", "table", "fmt", "kv_table", "error_block", "figure_img", "CSS",
           "collecting_formulas", "typeset_formulas", "preset_formulas", "clear_preset_formulas"]

_MIME = {".png": "image/png", ".svg": "image/svg+xml"}


def esc(text) -> str:
    """HTML-escape ``text`` (``None`` becomes an empty string)."""
    return "" if text is None else html.escape(str(text), quote=True)


def data_uri(payload: bytes, mime: str) -> str:
    """A ``data:`` URI carrying ``payload`` base64-encoded."""
    return f"data:{mime};base64," + base64.b64encode(payload).decode("ascii")


def image_file_uri(path) -> str:
    """The PNG or SVG file at ``path`` as a ``data:`` URI (so the page needs no other file)."""
    path = pathlib.Path(path)
    mime = _MIME.get(path.suffix.lower())
    if mime is None:
        raise ValueError(f"cannot embed {path.name}: only .png and .svg images are embedded")
    return data_uri(path.read_bytes(), mime)


#: LaTeX spellings mathtext does not know -> the ones it does (same meaning)
_DIALECT = ((re.compile(r"\\le(?![a-zA-Z])"), r"\\leq"),
            (re.compile(r"\\ge(?![a-zA-Z])"), r"\\geq"),
            (re.compile(r"\\frac(\w)(\w)"), r"\\frac{\1}{\2}"),
            (re.compile(r"\\operatorname\{([^}]*)\}"), r"\\mathrm{\1}"))

#: longer LaTeX than this is not typeset (an image that wide is unreadable); text is shown
MAX_TYPESET = 300


def _mathtext_dialect(latex: str) -> str:
    """Rewrite TeX shorthands mathtext rejects (``\\le``, ``\\frac1n``) into ones it parses."""
    for pattern, repl in _DIALECT:
        latex = pattern.sub(repl, latex)
    return latex


@lru_cache(maxsize=2048)
def math_image(latex: str, fontsize: float = 15.0) -> str | None:
    """Typeset the LaTeX math fragment ``latex`` with mathtext; SVG ``data:`` URI or None.

    None means mathtext cannot parse the fragment; callers then show the plain text only.
    The SVG carries its glyphs as paths (no font needed by the browser).  The picture is a
    function of the fragment, the size, this module and matplotlib/freetype: it is kept in
    the result cache (:mod:`backsmooth.result_cache`, keyed by all of them and the CPU), so a
    warm report does not typeset its formulas again.
    """
    from .. import result_cache as rc

    if not latex or not latex.strip():
        return None
    digest = rc.hashlib.sha256(f"{fontsize!r}|{latex}".encode()).hexdigest()[:32]
    context = {"latex": latex, "fontsize": float(fontsize), "cpu": rc._cpu_cached()}
    return rc.cached("report-formula", digest, lambda: _typeset(latex, fontsize), context=context)


def _typeset(latex: str, fontsize: float) -> str | None:
    """:func:`math_image` without the cache."""
    import sys

    import matplotlib

    if "matplotlib.pyplot" not in sys.modules:  # never switch the backend of a running session
        matplotlib.use("Agg", force=False)      # (a notebook's inline plots would stop showing)
    from matplotlib import rcParams

    from .mathtext_svg import math_svg

    latex = _mathtext_dialect(latex)
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "backsmooth",
                                "mathtext.fontset": "stix", "savefig.transparent": True}):
        try:  # the bytes of mathtext.math_to_image(..., format="svg"), parsed once
            svg = math_svg(f"${latex}$", fontsize, rcParams["figure.dpi"])
        except Exception:  # mathtext raises ValueError/ParseFatalException on unknown TeX
            return None
    return data_uri(svg, "image/svg+xml")


#: fragments being listed instead of typeset (:func:`collecting_formulas`), innermost last
_COLLECTORS: list = []
#: ``(latex, size) -> math_image(latex, size)`` typeset elsewhere (:func:`preset_formulas`)
_PRESET: dict = {}


@contextmanager
def collecting_formulas():
    """Within this context :func:`formula` typesets nothing; it appends ``(latex, size)`` of
    every fragment it would typeset to the list this context yields (what a piece of the page
    needs, to typeset it elsewhere: :func:`typeset_formulas` in a worker process).

    Examples
    --------
    >>> with collecting_formulas() as found:
    ...     _ = formula("x^2", "x**2")
    >>> found
    [('x^2', 15.0)]
    """
    found: list = []
    _COLLECTORS.append(found)
    try:
        yield found
    finally:
        _COLLECTORS.pop()


def typeset_formulas(fragments) -> list:
    """``[math_image(latex, size) for latex, size in fragments]`` (run in a worker process; the
    pictures are the same function of the fragment wherever it runs)."""
    return [math_image(latex, float(size)) for latex, size in fragments]


def preset_formulas(fragments, uris) -> None:
    """Keep pictures typeset elsewhere (:func:`typeset_formulas`): :func:`formula` uses them
    instead of typesetting the same fragments again in this process."""
    for (latex, size), uri in zip(fragments, uris):
        _PRESET[(latex, float(size))] = uri


def clear_preset_formulas() -> None:
    """Forget the pictures kept by :func:`preset_formulas` (the report does, once its page is
    written)."""
    _PRESET.clear()


def formula(latex: str | None, text: str | None, *, display: bool = True,
            size: float = 15.0) -> str:
    """A formula: its typeset picture (if mathtext can parse it) with the plain text beside.

    ``text`` is always shown (as ``code``); the picture's ``alt`` is the LaTeX source.
    """
    long = bool(latex) and len(latex) > MAX_TYPESET
    uri = None
    if latex and not long:
        key = (latex, float(size))
        if _COLLECTORS:  # only list the fragment (collecting_formulas); the HTML is thrown away
            _COLLECTORS[-1].append(key)
        else:
            uri = _PRESET[key] if key in _PRESET else math_image(latex, size)
    cls = "formula" if display else "formula inline"
    parts = [f'<div class="{cls}">']
    if uri:
        parts.append(f'<img class="math" src="{uri}" alt="{esc(latex)}">')
    elif latex and not long:
        parts.append(f'<code class="latex" title="LaTeX (not typeset by mathtext)">'
                     f'{esc(latex)}</code>')
    if text and len(text) > MAX_TYPESET:
        parts.append(f'<code class="plain">{esc(text[:MAX_TYPESET])} ...</code>'
                     f'<details><summary>whole expression ({len(text)} characters)</summary>'
                     f'<code class="plain">{esc(text)}</code></details>')
    elif text:
        parts.append(f'<code class="plain">{esc(text)}</code>')
    parts.append("</div>")
    return "".join(parts)


def badge(text, cls) -> str:
    """A small coloured label."""
    return f'<span class="badge {esc(cls)}">{esc(text)}</span>'


#: status word -> CSS class of its badge
_STATUS_CLASS = {
    "passed": "ok", "holds": "ok", "verified": "ok", "proved symbolically": "ok",
    "all_sizes_identity": "ok", "rule": "ok", "proof": "ok",
    "fixed_size_identity": "warn", "instances": "warn", "not a proof": "warn", "unverified": "bad",
    "checked on instances": "warn", "hypotheses not met": "warn", "not covered": "muted",
    "skipped": "muted",
    "failed": "bad", "violated": "bad", "not verified": "bad", "error": "bad",
}


def status_badge(status: str) -> str:
    """Badge coloured by the meaning of ``status`` (green ok, amber weaker, red failed)."""
    return badge(status, "st-" + _STATUS_CLASS.get(status, "muted"))


def table(header, rows, *, cls="data") -> str:
    """An HTML table; cells are escaped unless given as ``("html", markup)`` tuples."""
    def cell(v, tag):
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "html":
            return f"<{tag}>{v[1]}</{tag}>"
        return f"<{tag}>{esc(v)}</{tag}>"

    out = [f'<table class="{esc(cls)}"><thead><tr>']
    out += [cell(h, "th") for h in header]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(cell(v, "td") for v in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def fmt(x, digits=4) -> str:
    """Compact number formatting for tables (``None`` -> "-")."""
    if x is None or x == "":
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        if x == 0:
            return "0"
        if 1e-3 <= abs(x) < 1e5:
            return f"{x:.{digits}g}"
        return f"{x:.{max(digits - 1, 1)}e}"
    return str(x)


def kv_table(pairs) -> str:
    """A two-column key/value table (keys escaped, values already HTML)."""
    rows = "".join(f"<tr><th>{esc(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f'<table class="kv">{rows}</table>'


def error_block(sec) -> str:
    """The crash message of a section record, traceback folded away."""
    msg = (sec.get("error") or "unknown error").strip()
    first, _, rest = msg.partition("\n")
    more = (f"<details><summary>traceback</summary><pre>{esc(rest)}</pre></details>"
            if rest.strip() else "")
    return f'<div class="error">crashed: {esc(first)}{more}</div>'


def figure_img(out_dir, rel, caption="") -> str:
    """An image of the output folder embedded as a figure (a note if the file is missing)."""
    path = pathlib.Path(out_dir) / rel
    if not path.is_file():
        return f'<p class="note">image {esc(rel)} is missing</p>'
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (f'<figure><img src="{image_file_uri(path)}" alt="{esc(caption or rel)}">'
            f"{cap}</figure>")


CSS = """
:root { --fg:#1d232a; --muted:#5b6570; --line:#d5dbe1; --bg:#ffffff; --soft:#f4f6f8; }
* { box-sizing: border-box; }
body { font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 60px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px;
     border-bottom: 2px solid var(--line); }
h3 { font-size: 17px; margin: 20px 0 6px; }
h4 { font-size: 15px; margin: 14px 0 4px; color: var(--muted); text-transform: uppercase;
     letter-spacing: .04em; }
p, li { max-width: 100ch; }
.sub { color: var(--muted); margin: 0 0 12px; }
.claim { border: 1px solid var(--line); border-radius: 8px; padding: 6px 18px 14px;
         margin: 18px 0; background: #fff; }
.claim > h3 { margin-top: 10px; font-size: 19px; }
.claim > h3 .name { color: var(--muted); font-weight: normal; font-size: 15px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12.5px;
         font-weight: 600; vertical-align: middle; white-space: nowrap; }
.prov-paper { background: #1f6f43; color: #fff; }
.prov-reconstruction { background: #8a5a00; color: #fff; }
.prov-extension { background: #4b3f9e; color: #fff; }
.st-ok { background: #d8f0df; color: #155a2f; }
.st-warn { background: #fcefc7; color: #6b4b00; }
.st-bad { background: #f9d6d5; color: #8c1d18; }
.st-muted { background: #e6e9ed; color: #3d4650; }
.note { color: var(--muted); font-size: 13.5px; }
.formula { margin: 6px 0 8px; padding: 6px 10px; background: var(--soft); border-radius: 6px;
           overflow-x: auto; }
.formula img.math { display: block; max-width: 100%; height: auto; margin: 2px 0 4px; }
.formula code.plain { display: block; color: var(--muted); font-size: 12.5px;
                      white-space: pre-wrap; word-break: break-word; }
.formula code.latex { display: block; font-size: 12.5px; white-space: pre-wrap; }
.formula.inline { display: inline-block; padding: 2px 8px; margin: 2px 0; background: none; }
table.data { border-collapse: collapse; margin: 6px 0 10px; font-size: 13.5px; width: 100%; }
table.data th, table.data td { border: 1px solid var(--line); padding: 4px 7px;
                               text-align: left; vertical-align: top; }
table.data th { background: var(--soft); font-weight: 600; }
table.data td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv { border-collapse: collapse; font-size: 13.5px; margin: 4px 0 10px; }
table.kv th { text-align: left; padding: 2px 14px 2px 0; color: var(--muted); font-weight: 600;
              vertical-align: top; white-space: nowrap; }
table.kv td { padding: 2px 0; }
ol.steps { padding-left: 22px; margin: 4px 0; }
ol.steps > li { margin: 6px 0 10px; max-width: none; }
.step-head { font-weight: 600; }
.step-meta { font-size: 13px; color: var(--muted); }
.plots { display: flex; flex-wrap: wrap; gap: 12px; margin: 8px 0; }
.plots figure { margin: 0; flex: 1 1 430px; max-width: 100%; }
.plots img, figure.fig img { max-width: 100%; height: auto; border: 1px solid var(--line);
                             border-radius: 4px; background: #fff; }
figure.fig figure { margin: 0; }
figure.fig img { width: 100%; }
table.data.narrow { width: auto; min-width: 40%; }
figcaption { font-size: 13px; color: var(--muted); }
figure.fig { margin: 10px 0 24px; }
.summary { border: 2px solid var(--line); border-radius: 8px; padding: 10px 16px; margin: 14px 0;
           background: var(--soft); }
.summary.bad { border-color: #d9534f; }
.summary.ok { border-color: #3c9a5f; }
.error { background: #fdecea; border-left: 4px solid #d9534f; padding: 6px 10px;
         white-space: pre-wrap; font-family: monospace; font-size: 12.5px; overflow-x: auto; }
nav.toc table.data td { padding: 3px 7px; }
a { color: #1b5fa8; text-decoration: none; } a:hover { text-decoration: underline; }
code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
details > summary { cursor: pointer; color: #1b5fa8; margin: 4px 0; }
"""
