"""Display helpers for notebooks and interactive sessions: a claim's statement, derivation,
proof and numeric check as text, and a check's measured values against their bounds.

Each chapter of ``notebooks/`` shows the same four things for its claims; this module is
the one place that formats them, so that the notebooks only call the package.  The
``*_text`` functions return plain strings; the ``show_*`` functions print them and, inside a
Jupyter kernel, also typeset the statement and the short derivation steps as LaTeX
(``IPython.display.Math``).  :func:`plot_check` draws the measured value ``m`` against the
bound ``b`` of every instance of a check on log-log axes, with the diagonal ``m = b``: a
bound holds where the points lie on or below the diagonal (above it for a lower bound
``m >= b``).  matplotlib and IPython are imported only inside the functions that need them.

Examples
--------
>>> from backsmooth.display import derivation_text, statement_text
>>> print(statement_text("lemma1"))  # doctest: +ELLIPSIS
lemma1 [reconstruction] Pairwise-difference identity
  hypotheses: none
  provenance: Identity behind the paper's eq:dirichlet ...
  statement: E(X)**2 == -||xbar||**2 + ||X||_F**2/n
>>> print(derivation_text("lemma1", limit=2))  # doctest: +ELLIPSIS
lemma1: 4 steps, 4 verified by sympy (entrywise simplify 1, simplify 3)
 1. [verified, simplify] (1/(2n^2)) sum_ij ||X_i - X_j||^2 = (1/n)||Pi X||_F^2
 2. [verified, simplify] (1/n)||Pi X||_F^2 = ||X||_F^2/n - ||xbar||^2
 ... 2 more steps
"""

from __future__ import annotations

from collections import Counter

__all__ = [
    "statement_text",
    "show_statement",
    "derivation_text",
    "show_derivation",
    "proof_text",
    "show_proof",
    "ProofView",
    "proof_view",
    "check_text",
    "show_check",
    "plot_check",
]

#: LaTeX fragments longer than this are not typeset (they would not fit a notebook line)
MAX_TYPESET = 300


def _math_display(math):
    """``IPython.display`` (``display``, ``Math``) when typesetting is wanted, else None.

    ``math=None`` typesets only inside a Jupyter kernel (a terminal shows no LaTeX).
    """
    if math is False:
        return None
    try:
        from IPython import get_ipython
        from IPython.display import Math, display
    except ImportError:
        if math:
            raise ImportError("typesetting needs IPython: pip install ipykernel") from None
        return None
    if math is None and getattr(get_ipython(), "kernel", None) is None:
        return None
    return display, Math


def _claim(name):
    from backsmooth.symbolic import claim, claims

    if not isinstance(name, str):
        raise TypeError(f"name must be a claim name (str), got {type(name).__name__}")
    if name not in claims():
        raise ValueError(f"unknown claim {name!r}; known claims: {', '.join(claims())}")
    return claim(name)


def _statement_header(c):
    return [f"{c.name} [{c.provenance}] {c.title}",
            f"  hypotheses: {', '.join(c.hypotheses) or 'none'}",
            f"  provenance: {c.provenance_note}"]


def statement_text(name) -> str:
    """A claim's name, provenance tag, title, hypotheses, provenance note and statement.

    Parameters
    ----------
    name : str
        A claim of :func:`backsmooth.symbolic.claims` (``"theorem1"``, ...).

    Returns
    -------
    str
        First line ``name [provenance] title``, where provenance is ``paper``,
        ``reconstruction`` or ``extension``; then one ``statement:`` line per relation.

    Raises
    ------
    ValueError
        If ``name`` is not a registered claim.
    """
    c = _claim(name)
    return "\n".join(_statement_header(c) + [f"  statement: {rel}" for rel in c.text()])


def show_statement(name, math=None) -> None:
    """Print :func:`statement_text`; typeset the statement as LaTeX inside a Jupyter kernel.

    Parameters
    ----------
    name : str
        A registered claim.
    math : bool or None
        Typeset the relations with ``IPython.display.Math`` (None: only inside a kernel).
        Without typesetting the plain-text relations are printed.
    """
    c = _claim(name)
    shown = _math_display(math)
    if shown is None:
        print(statement_text(name))
        return
    display, Math = shown
    print("\n".join(_statement_header(c)))
    for tex in c.latex():
        display(Math(tex))


def _derivation_lines(name, limit):
    from backsmooth.symbolic import derivations, derive

    if not isinstance(name, str) or name not in derivations():
        raise ValueError(f"unknown derivation {name!r}; known names: {', '.join(derivations())}")
    if limit is not None and (not isinstance(limit, int) or limit < 0):
        raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
    steps = derive(name)
    methods = Counter(st.method for st in steps)
    head = (f"{name}: {len(steps)} steps, {sum(st.verified for st in steps)} verified by sympy ("
            + ", ".join(f"{m} {methods[m]}" for m in sorted(methods)) + ")")
    shown = steps[:limit]
    lines = [(f"{i:2d}. [{'verified' if st.verified else 'NOT VERIFIED'}, {st.method}] "
              f"{st.description}", st) for i, st in enumerate(shown, 1)]
    tail = f" ... {len(steps) - len(shown)} more steps" if len(shown) < len(steps) else None
    return head, lines, tail


def derivation_text(name, limit=None) -> str:
    """The sympy derivation of ``name``: one line per step with its status and method.

    The derivation is performed by :func:`backsmooth.symbolic.derive` (cached), never read
    from a stored answer.  A step is ``verified`` when sympy established its relation;
    ``method`` says how (``simplify``, ``entrywise simplify``, ``assumptions`` or
    ``rational instances``, the last being exact checks on instances only).

    Parameters
    ----------
    name : str
        A name of :func:`backsmooth.symbolic.derivations` (the claims, ``backprop``,
        ``relu``).
    limit : int or None
        Show only the first ``limit`` steps (the count of the others is given).

    Returns
    -------
    str
        First line ``name: N steps, M verified by sympy (method count, ...)``.

    Raises
    ------
    ValueError
        For an unknown name or a negative ``limit``.
    """
    head, lines, tail = _derivation_lines(name, limit)
    return "\n".join([head] + [line for line, _ in lines] + ([tail] if tail else []))


def _typesettable(step):
    """The step's LaTeX when it is worth typesetting (short, not a table of instances)."""
    from backsmooth.symbolic.render import latex_step

    if step.method == "rational instances":
        return None
    tex = latex_step(step)
    return tex if len(tex) <= MAX_TYPESET else None


def show_derivation(name, limit=None, math=None) -> None:
    """Print :func:`derivation_text`; inside a Jupyter kernel, typeset each short step.

    Parameters
    ----------
    name : str
        A name of :func:`backsmooth.symbolic.derivations`.
    limit : int or None
        Show only the first ``limit`` steps.
    math : bool or None
        Typeset the relation of each step with ``IPython.display.Math`` when its LaTeX has
        at most :data:`MAX_TYPESET` characters and it is not checked on rational instances
        (None: only inside a kernel).
    """
    head, lines, tail = _derivation_lines(name, limit)
    shown = _math_display(math)
    print(head)
    for line, step in lines:
        print(line)
        tex = _typesettable(step) if shown else None
        if tex:
            shown[0](shown[1](tex))
    if tail:
        print(tail)


def proof_text(name) -> str:
    """The verified proof chain of the claim ``name`` (:func:`backsmooth.proofs.render_text`).

    Parameters
    ----------
    name : str
        A claim with a proof (:func:`backsmooth.proofs.proofs`).

    Returns
    -------
    str
        First line ``Proof of name: PASSED|FAILED; weakest evidence: ...``, then each step
        with its status, reason and evidence.
    """
    from backsmooth.proofs import proof, proofs, render_text, verify

    if not isinstance(name, str) or name not in proofs():
        raise ValueError(f"no proof named {name!r}; known proofs: {', '.join(proofs())}")
    return render_text(verify(proof(name)))


def show_proof(name, math=None) -> None:
    """Show the proof of ``name``: typeset (:class:`ProofView`) inside a Jupyter kernel, else
    :func:`proof_text` followed by an empty line.

    ``math=False`` forces the plain text, ``math=True`` the rich display.
    """
    shown = _math_display(math)
    if shown:
        from IPython.display import display

        display(proof_view(name))
        return
    print(proof_text(name) + "\n")


def proof_view(name) -> "ProofView":
    """The verified proof of ``name`` as a :class:`ProofView` (rich display in notebooks)."""
    from backsmooth.proofs import proof, proofs, verify

    if not isinstance(name, str) or name not in proofs():
        raise ValueError(f"no proof named {name!r}; known proofs: {', '.join(proofs())}")
    return ProofView(verify(proof(name)))


#: badge colours of the report, inlined so that a notebook exported to HTML shows them offline
_BADGE_CSS = ("<style>.proof .badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px}"
              ".proof .st-ok{background:#d8f0df;color:#155a2f}.proof .st-warn{background:#fcefc7;color:#6b4b00}"
              ".proof .st-bad{background:#f9d6d5;color:#8c1d18}.proof .st-muted{background:#e6e9ed;color:#3d4650}"
              ".proof img.math{vertical-align:middle}.proof code.plain{display:block;color:#555}</style>")


class ProofView:
    """A verified proof with rich displays: each step typeset, with its justification, rules
    and evidence kind as a badge.

    ``_repr_html_`` typesets the formulas as inline PNG pictures (matplotlib mathtext, as in the
    report), so an exported notebook reads without network access; ``_repr_markdown_`` and
    ``_repr_latex_`` give the same content for other front ends; ``str()`` is the CLI text.

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

    def _steps(self):
        from backsmooth.proofs.render import step_latex

        for r in self.result.steps:
            yield r, step_latex(r.step)

    def _repr_html_(self):
        from .report.html import esc, formula, status_badge

        res = self.result
        head = (f"<p><b>Proof of {esc(res.claim)}</b> {status_badge('passed' if res.passed else 'failed')} "
                f"strength: {status_badge(res.strength)} "
                f"<span class='note'>({'proof' if res.is_proof else 'not a proof'}"
                + (f"; cites {esc(', '.join(f'{a}: {b}' for a, b in res.cited))}" if res.cited else "")
                + ")</span></p>")
        items = []
        for r, tex in self._steps():
            st, ev = r.step, r.evidence
            rules = ev.rules or st.rules
            items.append(
                f"<li><b>{esc(st.label)}</b> {status_badge('passed' if r.passed else 'failed')} "
                f"{status_badge(ev.kind)}" + (f" <i>at {esc(ev.size)}</i>" if ev.size else "")
                + formula(tex or None, st.asserts)
                + f"<div>because {esc(st.reason)}</div>"
                + (f"<div>rules: {esc(', '.join(rules))}</div>" if rules else "")
                + f"<div><small>{esc(ev.detail)}</small></div>"
                + "".join(f"<div><small>also {esc(e.kind)}: {esc(e.detail)}</small></div>" for e in r.also)
                + "</li>")
        notes = "".join(f"<p><small>Note: {esc(n)}</small></p>" for n in res.proof.notes)
        err = f"<p><b>chain rejected:</b> {esc(res.chain_error)}</p>" if res.chain_error else ""
        return f"<div class='proof'>{_BADGE_CSS}{head}{err}<ol>{''.join(items)}</ol>{notes}</div>"

    def _repr_markdown_(self):
        res = self.result
        lines = [f"**Proof of {res.claim}**: {'passed' if res.passed else 'FAILED'}; strength "
                 f"`{res.strength}` ({'proof' if res.is_proof else 'not a proof'})", ""]
        for i, (r, tex) in enumerate(self._steps(), 1):
            st, ev = r.step, r.evidence
            stmt = f"${tex}$" if tex and len(tex) <= MAX_TYPESET else st.asserts
            rules = ev.rules or st.rules
            lines.append(f"{i}. **{st.label}** `{ev.label}`: {stmt}  \n   *because* {st.reason}"
                         + (f"  \n   rules: {', '.join(rules)}" if rules else ""))
        return "\n".join(lines)

    def _repr_latex_(self):
        from backsmooth.proofs import render_latex

        return render_latex(self.result)


def _parts(result):
    """Part names of a check result in the order of its table."""
    return list(dict.fromkeys(r["part"] for r in result.records))


def check_text(result) -> str:
    """A check's summary (``str(result)``) and one line per part of the claim.

    Parameters
    ----------
    result : backsmooth.checks.CheckResult
        The outcome of :func:`backsmooth.check`.

    Returns
    -------
    str
        Each part line gives its number of checks, violations, instances where the
        hypotheses fail, and for a bound the largest resolvable ratio measured/bound (``-``
        when none), for an identity the largest relative deviation from the exact value.
    """
    from .checks import CheckResult

    if not isinstance(result, CheckResult):
        raise TypeError(f"result must be a CheckResult from backsmooth.check, got "
                        f"{type(result).__name__}")
    parts = result.summary["parts"]
    width = max((len(p) for p in parts), default=0)
    lines = [str(result)]
    for name in _parts(result):
        p = parts[name]
        judged = [r for r in result.records
                  if r["part"] == name and r["verdict"] in ("holds", "violated")]
        if judged and all(r["relation"] == "==" for r in judged):
            last = f"max deviation {max(r['deviation'] for r in judged):.3g}"
        else:
            last = "max ratio " + ("-" if p["max_ratio"] is None else f"{p['max_ratio']:.3g}")
        lines.append(f"  {name:>{width}}: {p['checks']} checks, {p['violations']} violations, "
                     f"{p.get('unresolved', 0)} unresolved, "
                     f"{p['hypotheses_not_met']} hypotheses not met, {last}")
    return "\n".join(lines)


def show_check(result) -> None:
    """Print :func:`check_text`."""
    print(check_text(result))


def plot_check(result, part=None, ax=None):
    """Measured value against its bound for every judged instance of a check (log-log).

    Rows whose hypotheses fail are left out (a bound need not hold there), and so are rows
    whose measured value is within the round-off floor (their ratio is not known to three
    digits) or not positive; the legend counts them.  Violated rows are marked with a red
    cross.  The dashed diagonal is ``measured = bound``.

    Parameters
    ----------
    result : backsmooth.checks.CheckResult
        The outcome of :func:`backsmooth.check`.
    part : str or None
        One part of the claim (e.g. ``"uniform"`` for Theorem 1); None plots every part,
        one marker each.
    ax : matplotlib.axes.Axes or None
        Where to draw; None makes a new figure.

    Returns
    -------
    matplotlib.axes.Axes
        Labelled ``bound`` (x) and ``measured`` (y), titled by the check's name; set other
        labels on it as usual.

    Raises
    ------
    ValueError
        If ``part`` is not a part of the check.

    Examples
    --------
    >>> import backsmooth
    >>> from backsmooth.display import plot_check
    >>> ax = plot_check(backsmooth.check("theorem1", trials=2, seed=1), "uniform")
    >>> ax.get_xlabel(), ax.get_xscale()
    ('bound', 'log')
    >>> import matplotlib.pyplot as plt; plt.close(ax.figure)
    """
    from .checks import CheckResult

    if not isinstance(result, CheckResult):
        raise TypeError(f"result must be a CheckResult from backsmooth.check, got "
                        f"{type(result).__name__}")
    names = _parts(result)
    if part is not None and part not in names:
        raise ValueError(f"check {result.name!r} has no part {part!r}; "
                         f"its parts: {', '.join(names)}")
    created = ax is None
    if created:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(4.5, 4))
    values = []
    for j, name in enumerate(names if part is None else [part]):
        rows = [r for r in result.records
                if r["part"] == name and r["verdict"] != "hypotheses not met"]
        shown = [r for r in rows if r["resolvable"] and r["measured"] > 0 and r["bound"] > 0]
        label = f"{len(shown)} instances" if part is not None else f"{name}: {len(shown)}"
        if len(rows) > len(shown):
            label += f" ({len(rows) - len(shown)} at round-off or 0, not shown)"
        ax.loglog([r["bound"] for r in shown], [r["measured"] for r in shown], "os^vDP"[j % 6],
                  ms=4, alpha=0.7, label=label)
        bad = [r for r in shown if r["verdict"] == "violated"]
        if bad:
            ax.loglog([r["bound"] for r in bad], [r["measured"] for r in bad], "x", color="red",
                      ms=8, label=f"{len(bad)} violated")
        values += [v for r in shown for v in (r["bound"], r["measured"])]
    if values:
        ends = [min(values), max(values)]
        ax.loglog(ends, ends, "k--", lw=1, label="measured = bound")
    else:
        ax.text(0.5, 0.5, "no instance to show", transform=ax.transAxes, ha="center")
    ax.set(xlabel="bound", ylabel="measured",
           title=f"{result.name}" + (f", {part}" if part else "") + ": measured against bound")
    ax.legend(fontsize=8)
    if created:
        ax.figure.tight_layout()
    return ax
