"""Matplotlib layout work done once instead of twice, with the same pixels (figures and report).

Two repetitions in matplotlib's own routes cost the report's plots about a fifth of their CPU
and change nothing in the files:

* :func:`tight_bboxes_once`: a tight layout with a ``rect`` (``TightLayoutEngine()``'s default
  ``(0, 0, 1, 1)``, as the report's check plots use it) computes the subplot parameters
  twice, the second time only to fit the first result's margins into ``rect``; both passes
  ask every Axes for its tight bounding box while nothing has moved, so each box (ticks
  located and formatted, tick labels and titles measured) is computed twice from the same
  state.  Inside the block each Axes' box is computed once per renderer and reused.
  (``fig.tight_layout()`` without ``rect`` makes one pass; the block changes nothing there.)
* :func:`without_placeholder_engine`: ``fig.tight_layout()`` leaves a placeholder layout
  engine on the figure; ``savefig`` then lays the whole figure out again (a full draw that
  renders nothing) before every file, to no effect since the placeholder does no layout.
  Inside the block the figure has no layout engine, and its previous one is restored after.

Both leave the files byte for byte the same (PNG; PDF apart from ``/CreationDate``), shown
on every plot of ``report --quick`` and in ``tests/test_plot_layout_once.py``.

Examples
--------
>>> import matplotlib
>>> matplotlib.use("Agg")
>>> from matplotlib.figure import Figure
>>> fig = Figure()
>>> ax = fig.subplots()
>>> _ = ax.set_yscale("log")
>>> from matplotlib.layout_engine import TightLayoutEngine
>>> with tight_bboxes_once(fig):
...     TightLayoutEngine().execute(fig)
>>> "get_tightbbox" in vars(ax)  # nothing left behind
False
"""

from __future__ import annotations

import contextlib

__all__ = ["tight_bboxes_once", "without_placeholder_engine"]


def _memoised(method):
    memo = {}

    def get_tightbbox(renderer=None, *args, **kwargs):
        try:
            key = (id(renderer), args, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:  # unhashable arguments (e.g. a list of extra artists): not reused
            return method(renderer, *args, **kwargs)
        if key not in memo:
            memo[key] = (renderer, method(renderer, *args, **kwargs))  # the renderer kept alive
        box = memo[key][1]
        return None if box is None else box.frozen()  # a copy: callers may change theirs

    return get_tightbbox


@contextlib.contextmanager
def tight_bboxes_once(fig):
    """Within the block, each Axes of ``fig`` computes its tight bounding box once per renderer.

    Use it only around work that moves nothing between the calls (a tight layout: the
    positions change only when its result is applied, at the end).
    """
    patched = []
    try:
        for ax in fig.axes:
            if "get_tightbbox" not in vars(ax):  # not already patched or overridden
                ax.get_tightbbox = _memoised(ax.get_tightbbox)
                patched.append(ax)
        yield fig
    finally:
        for ax in patched:
            vars(ax).pop("get_tightbbox", None)


@contextlib.contextmanager
def without_placeholder_engine(fig):
    """Within the block, ``fig`` has no layout engine if it had only a placeholder.

    A placeholder (what ``fig.tight_layout()`` leaves) does no layout, but its presence makes
    ``savefig`` run a full draw before saving.  Any other engine is left in place.
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if type(engine) is not PlaceHolderLayoutEngine or "_layout_engine" not in vars(fig):
        yield fig
        return
    fig._layout_engine = None  # set_layout_engine(None) would obey rcParams["figure.autolayout"]
    try:
        yield fig
    finally:
        fig._layout_engine = engine
