"""Plots of a numeric check's per-instance table for the report (matplotlib, lazily).

One PNG per check with two panels:

* left: measured quantity against its bound, log-log, one point per table row coloured by
  verdict (holds / violated / hypotheses not met), with the line ``measured = bound``:
  an upper bound holds where the points lie on or below it, a lower bound on or above it;
* right: the histogram of the ratio ``measured / bound`` (``bound / measured`` for lower
  bounds) over the rows whose hypotheses hold and whose measured value is above its
  round-off floor: a ratio of 1 is a tight bound, above 1 a violation; for a claim that is
  only identities (``==`` rows), the histogram of the relative deviation instead.

Examples
--------
>>> rows = [{"measured": 0.5, "bound": 1.0, "ratio": 0.5, "verdict": "holds",
...          "relation": "<=", "resolvable": True, "part": "uniform"}]
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> check_plot(rows, d / "x.png", "toy") == d / "x.png"
True
"""

from __future__ import annotations

import math

from .._mpl_once import agg_canvas_sharing_renderer, ticks_once, tight_bboxes_once

__all__ = ["check_plot", "VERDICT_COLOURS"]

_DECADES = 30

VERDICT_COLOURS = {"holds": "#2b7bba", "violated": "#d62728", "hypotheses not met": "#b0b0b0",
                   "unresolved": "#e0a030"}


#: an Agg canvas whose renderer (with its text-metric and mathtext caches) is shared by this
#: thread's check plots (:func:`backsmooth._mpl_once.agg_canvas_sharing_renderer`)
_canvas = agg_canvas_sharing_renderer


def _positive(x):
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) and x > 0 else None


def check_plot(records, path, title):
    """Draw the two panels for ``records`` into the PNG ``path``; return ``path`` (or None).

    None when no row has a positive finite measured value and bound (nothing to draw).
    """
    pts = {v: ([], []) for v in VERDICT_COLOURS}
    ratios, deviations = [], []
    for r in records:
        m, b = _positive(r.get("measured")), _positive(r.get("bound"))
        v = r.get("verdict", "holds")
        if m is not None and b is not None and v in pts:
            pts[v][0].append(b)
            pts[v][1].append(m)
        ratio = r.get("ratio")
        if (v in ("holds", "violated") and r.get("relation") != "==" and r.get("resolvable", True)
                and isinstance(ratio, (int, float)) and math.isfinite(ratio)):
            ratios.append(float(ratio))
        dev = r.get("deviation")
        if (v != "hypotheses not met" and r.get("relation") == "=="
                and isinstance(dev, (int, float)) and math.isfinite(dev)):
            deviations.append(max(float(dev), 1e-18))
    if not any(xs for xs, _ in pts.values()):
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import TightLayoutEngine

    # a bare Figure on an Agg canvas: no pyplot figure manager and nothing to close; the
    # PNG bytes are those of the former plt.subplots + fig.tight_layout() route (tested)
    fig = Figure(figsize=(10.5, 3.8), dpi=90)
    _canvas(fig)
    ax1, ax2 = fig.subplots(1, 2)
    values = sorted(x for xs, ys in pts.values() for x in xs + ys)
    hi = values[-1]
    # the axes span at most _DECADES decades below the largest value: rows far below
    # (round-off-level signals of deep, oversmoothed networks) would squash the rest
    lo = max(values[0], hi * 10.0 ** -_DECADES)
    hidden = 0
    for v, (xs, ys) in pts.items():
        keep = [(x, y) for x, y in zip(xs, ys) if x >= lo and y >= lo]
        hidden += len(xs) - len(keep)
        if keep:
            ax1.scatter([x for x, _ in keep], [y for _, y in keep], s=9, alpha=0.6,
                        color=VERDICT_COLOURS[v], label=f"{v} ({len(xs)})",
                        edgecolors="none")
    ax1.plot([lo, hi], [lo, hi], color="black", lw=1, ls="--", label="measured = bound")
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    if hidden:
        ax1.text(0.98, 0.02, f"{hidden} rows below 1e-{_DECADES} x max not shown",
                 ha="right", va="bottom", fontsize=7.5, transform=ax1.transAxes)
    ax1.set_xlabel("bound (from the symbolic registry)")
    ax1.set_ylabel("measured")
    ax1.set_title(f"{title}: measured vs bound", fontsize=11)
    ax1.legend(fontsize=8, loc="upper left")
    ax1.grid(True, which="major", alpha=0.3)
    if ratios:
        top = max(1.05, max(ratios) * 1.02)
        ax2.hist(ratios, bins=40, range=(0.0, top), color="#2b7bba")
        ax2.axvline(1.0, color="#d62728", lw=1.2, ls="--", label="ratio 1 (tight)")
        ax2.set_yscale("log")
        ax2.legend(fontsize=8, loc="upper left")
        ax2.set_xlabel("measured / bound (bound / measured for lower bounds)")
        ax2.set_title(f"{title}: tightness, {len(ratios)} rows", fontsize=11)
    elif deviations:
        ax2.hist([math.log10(x) for x in deviations], bins=30, color="#2b7bba")
        ax2.set_yscale("log")
        ax2.set_xlabel("log10 |measured - exact| / |exact|  (-18: exact)")
        ax2.set_title(f"{title}: identities, {len(deviations)} rows", fontsize=11)
    else:
        ax2.text(0.5, 0.5, "no row whose hypotheses hold", ha="center", va="center",
                 transform=ax2.transAxes)
    ax2.set_ylabel("rows (log scale)")
    # the tight layout computed once and applied, as fig.tight_layout() does; unlike it,
    # this leaves no placeholder layout engine behind, whose presence made savefig lay the
    # whole figure out a second time (a full draw without rendering) to no effect; each
    # Axes' tight box computed once, not once per pass of the layout (the same result)
    with ticks_once(fig):
        with tight_bboxes_once(fig):
            TightLayoutEngine().execute(fig)
        fig.savefig(path, format="png")
    return path
