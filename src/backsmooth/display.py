"""Display helpers for notebooks and interactive sessions: a claim's statement, derivation,
proof and numeric check as text, and a check's measured values against their bounds.

Each chapter of ``notebooks/`` shows the same four things for its claims; this module is
the one place that formats them, so that the notebooks only call the package.  The
``*_text`` functions return plain strings; the ``show_*`` functions print them or, inside a
Jupyter kernel, display rich views (:class:`StatementView`,
:class:`~backsmooth.derivation_view.DerivationView`, :class:`ProofView`) whose HTML typesets
every formula as an inline SVG picture, so a notebook exported to HTML reads offline (no
MathJax).  The formats themselves are rendered once, in :mod:`backsmooth.derivation_view` and
:mod:`backsmooth.proof_view`.  :func:`plot_check` draws the measured value ``m`` against the
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
>>> print(derivation_text("lemma4", limit=2))  # doctest: +ELLIPSIS
lemma4: 3 steps, 3 passed; strength rule (proof); kinds: all_sizes_identity 1, rule 2
 1. [✓ all_sizes_identity, simplify] dividing (3.1) by n ||xbar^(L)|| > 0: ...
 2. [✓ rule, assumptions] ||xbar^(L)|| >= gamma ...
 ... 1 more steps
"""

from __future__ import annotations

from .proof_view import MAX_TYPESET, ProofView, proof_view  # noqa: F401  (MAX_TYPESET: public)

__all__ = [
    "StatementView",
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


class StatementView:
    """A claim's statement with rich displays: provenance badge, hypotheses, and each relation
    typeset as an inline SVG picture (offline, like the report); ``str()`` is
    :func:`statement_text`.

    Examples
    --------
    >>> view = StatementView("theorem1")
    >>> "[paper]" in view._repr_html_() and "<img" in view._repr_html_()
    True
    """

    def __init__(self, name):
        self.claim = _claim(name)

    def __str__(self):
        return statement_text(self.claim.name)

    __repr__ = __str__

    def _repr_html_(self):
        from .derivation_view import VIEW_CSS
        from .report.html import badge, esc, formula

        c = self.claim
        prov = {"paper": "st-ok", "reconstruction": "st-warn", "extension": "st-muted"}
        rels = "".join(formula(tex, txt) for tex, txt in zip(c.latex(), c.text()))
        return (f"<div class='bs-view statement'>{VIEW_CSS}<p><b>{esc(c.name)}</b> "
                f"{badge('[' + c.provenance + ']', prov[c.provenance])} {esc(c.title)}</p>"
                f"<p class='note'>hypotheses: {esc(', '.join(c.hypotheses) or 'none')}<br>"
                f"provenance: {esc(c.provenance_note)}</p>{rels}</div>")

    def _repr_markdown_(self):
        c = self.claim
        return "\n".join([f"**{c.name}** `[{c.provenance}]` {c.title}", "",
                          f"hypotheses: {', '.join(c.hypotheses) or 'none'}  ",
                          f"provenance: {c.provenance_note}", ""]
                         + [f"$${tex}$$" for tex in c.latex()])

    def _repr_latex_(self):
        return "$$" + r" \\ ".join(self.claim.latex()) + "$$"


def show_statement(name, math=None) -> None:
    """Show :func:`statement_text`; inside a Jupyter kernel a :class:`StatementView` (the
    relations typeset as pictures, which read in an exported notebook without network).

    Parameters
    ----------
    name : str
        A registered claim.
    math : bool or None
        Rich display (None: only inside a kernel).  Without it the plain-text relations are
        printed.
    """
    view = StatementView(name)
    shown = _math_display(math)
    if shown is None:
        print(str(view))
        return
    shown[0](view)


def derivation_text(name, limit=None) -> str:
    """The sympy derivation of ``name``: one line per step with its status, evidence kind and method.

    The derivation is performed by :func:`backsmooth.symbolic.derive` (cached), never read
    from a stored answer.  Each step shows ``✓`` (its check passed) or ``✗`` and its evidence
    kind, as in the proofs: ``all_sizes_identity`` and ``rule`` are proof;
    ``fixed_size_identity`` (with the one size it was checked at) and ``instances`` (exact
    rational instances) are not.  ``method`` says how sympy checked it.  The first line gives
    the derivation's strength, its weakest step.  The text is
    :func:`backsmooth.derivation_view.derivation_text` (the one text renderer).

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
        First line ``name: N steps, M passed; strength K (proof|not a proof); kinds: ...``.

    Raises
    ------
    ValueError
        For an unknown name or a negative ``limit``.
    """
    from .derivation_view import derivation_text as render

    if not isinstance(name, str):
        raise ValueError(f"unknown derivation {name!r}")
    return render(name, limit)


def show_derivation(name, limit=None, math=None) -> None:
    """Show the derivation of ``name``: a :class:`~backsmooth.derivation_view.DerivationView`
    inside a Jupyter kernel (each step typeset, offline), else :func:`derivation_text`.

    Parameters
    ----------
    name : str
        A name of :func:`backsmooth.symbolic.derivations`.
    limit : int or None
        Show only the first ``limit`` steps.
    math : bool or None
        Rich display (None: only inside a kernel); False prints the plain text.
    """
    from .derivation_view import DerivationView

    view = DerivationView(name, limit) if isinstance(name, str) else derivation_text(name)
    shown = _math_display(math)
    if shown is None:
        print(str(view))
        return
    shown[0](view)


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
