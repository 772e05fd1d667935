"""Matplotlib work done once instead of several times, with the same files (figures and report).

matplotlib repeats work that the report's plots (26 check PNGs, five figures as PNG + PDF)
pay for on every cold run.  Each helper below removes one repetition and leaves the files
byte for byte the same (PNG; PDF apart from ``/CreationDate``): shown on every plot of
``report --quick`` and in ``tests/test_plot_once.py``.

* :func:`tight_bboxes_once`: a tight layout with a ``rect`` (``TightLayoutEngine()``'s default
  ``(0, 0, 1, 1)``, as the report's check plots use it) computes the subplot parameters
  twice, the second time only to fit the first result's margins into ``rect``; both passes
  ask every Axes for its tight bounding box while nothing has moved, so each box is computed
  twice from the same state.  Inside the block each Axes' box is computed once per renderer.
  (``fig.tight_layout()`` without ``rect`` makes one pass; the block changes nothing there.)
* :func:`without_placeholder_engine`: ``fig.tight_layout()`` leaves a placeholder layout
  engine on the figure; ``savefig`` then lays the whole figure out again (a full draw that
  renders nothing) before every file, to no effect since the placeholder does no layout.
  Inside the block the figure has no layout engine, and its previous one is restored after.
* :func:`ticks_once`: an axis locates and formats its ticks each time its label, title,
  spines or tight box ask (about eleven times per axis in a check plot's layout and draw);
  inside the block it does so once per state of what the ticks depend on.
* :func:`agg_canvas_sharing_mathtext`: matplotlib caches parsed mathtext per parser and gives
  each Agg renderer a parser of its own; the renderers of this canvas share one per thread.
* :func:`agg_canvas_sharing_renderer`: a figure's Agg canvas makes a fresh renderer, whose
  text-metric and mathtext caches start empty; figures of one size drawn by one thread (the
  report's check plots) share one renderer instead.

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
import functools
import os
import threading

__all__ = ["tight_bboxes_once", "without_placeholder_engine", "ticks_once", "agg_canvas_sharing_mathtext",
           "agg_canvas_sharing_renderer"]


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


def _axis_state(axis):
    """What an axis' ticks depend on: its limits and scale, its size and place in pixels (the
    locators' number of ticks follows the size) and its locators and formatters."""
    return (tuple(axis.get_view_interval()), tuple(axis.axes.bbox.bounds), axis.get_scale(),
            id(axis.major.locator), id(axis.major.formatter),
            id(axis.minor.locator), id(axis.minor.formatter))


def _ticks_memoised(axis, method):
    memo = {}

    def _update_ticks():
        key = _axis_state(axis)
        if key not in memo:
            memo.clear()  # one state at a time
            memo[key] = method()
        return list(memo[key])

    return _update_ticks


@contextlib.contextmanager
def ticks_once(fig):
    """Within the block, each axis of ``fig`` locates and formats its ticks once per state.

    matplotlib updates an axis' ticks (locate, format, set every tick's position and label)
    each time anything asks for them: about eleven times per axis in one tight layout and
    draw of a check plot (the axis, its label, the title and each spine ask).  Between two
    asks nothing that the ticks depend on changes unless the axis' limits, scale, size or
    place in pixels, or its locators or formatters change: those are the key
    (:func:`_axis_state`), and a change recomputes.
    """
    patched = []
    try:
        for ax in fig.axes:
            for axis in dict.fromkeys(ax._axis_map.values()) if hasattr(ax, "_axis_map") else ():
                if "_update_ticks" not in vars(axis) and hasattr(axis, "_update_ticks"):
                    axis._update_ticks = _ticks_memoised(axis, axis._update_ticks)
                    patched.append(axis)
        yield fig
    finally:
        for axis in patched:
            vars(axis).pop("_update_ticks", None)


_PARSERS = threading.local()  # per thread: the mathtext parser shared by the Agg renderers


def agg_canvas_sharing_mathtext(fig):
    """An Agg canvas for ``fig`` whose renderers share one mathtext parser (per thread).

    matplotlib caches each parsed mathtext string (a log axis' ``$\\mathdefault{10^{-3}}$``
    tick labels, math in labels and titles) per parser, and each Agg renderer has a parser
    of its own: a figure laid out for its tight box and then drawn to PNG at the same dpi
    (a renderer for each, the sizes differ) parsed every string twice.  The parse depends
    only on the string, dpi, font, antialiasing and glyph flags (the cache's key) and on the
    parser's kind of output, which the shared parser has in common with the renderer's.
    """
    return _sharing_canvas_class()(fig)


@functools.lru_cache(maxsize=None)
def _sharing_canvas_class():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    class _MathtextSharingCanvas(FigureCanvasAgg):
        def get_renderer(self):
            renderer = super().get_renderer()
            own = getattr(renderer, "mathtext_parser", None)
            kind = getattr(own, "_output_type", None)
            if kind is not None:
                shared = vars(_PARSERS).setdefault(kind, own)
                renderer.mathtext_parser = shared
            return renderer

    return _MathtextSharingCanvas


_RENDERERS = threading.local()  # per thread: the Agg renderer shared by same-size figures


def _forget_in_child() -> None:
    """A forked child starts without the parent's shared parsers and renderers.

    The forking thread's thread-local values survive a fork, and a parser's cached parses hold
    the parent's FT2Font objects, which read their font files through file descriptors that the
    parent and every sibling share (one file offset for all): worker processes drawing at once
    then read each other's glyph data ("FT_Load_Glyph ... invalid outline", "too many hints",
    seen in a report whose workers were forked after its process had drawn).  matplotlib clears
    its own font cache in a forked child for the same reason; these caches go with it."""
    global _PARSERS, _RENDERERS
    _PARSERS, _RENDERERS = threading.local(), threading.local()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)


def agg_canvas_sharing_renderer(fig):
    """An Agg canvas for ``fig`` whose renderer is shared by this thread's figures of its size.

    A renderer carries the caches of text metrics and of parsed mathtext (the log axes'
    tick labels), which a fresh renderer per figure rebuilds every time; the renderer is
    cleared before each draw, so the PNG bytes are those of a fresh one (tested in
    ``tests/test_checks_perf_identity.py``).  One size at a time is kept.
    """
    return _renderer_sharing_canvas_class()(fig)


@functools.lru_cache(maxsize=None)
def _renderer_sharing_canvas_class():
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    class _RendererSharingCanvas(FigureCanvasAgg):
        def get_renderer(self):
            w, h = self.get_width_height(physical=True)
            key = (w, h, self.figure.dpi)
            shared = vars(_RENDERERS)
            if key not in shared:
                shared.clear()  # one size at a time
                shared[key] = RendererAgg(w, h, self.figure.dpi)
            self.renderer = shared[key]
            return self.renderer

    return _RendererSharingCanvas
