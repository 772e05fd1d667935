"""Layout work done once (backsmooth._mpl_once): the same files as matplotlib's own routes."""

from __future__ import annotations

import io
import os

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from backsmooth._mpl_once import tight_bboxes_once, without_placeholder_engine  # noqa: E402


def _figure(colorbar=True):
    # two log panels of different extents, titles, labels and a colorbar: the layout depends
    # on every box
    fig = Figure(figsize=(5, 2.5), dpi=40)
    a, b = fig.subplots(1, 2)
    x = np.logspace(-3, 2, 6)
    a.loglog(x, x ** 1.5, "o", ms=2, label="points")
    a.set_title("left panel, a long title")
    a.set_xlabel("bound")
    a.set_ylabel("measured")
    a.legend(fontsize=7)
    b.semilogy(np.arange(5), np.exp(-np.arange(5.0)))
    b.set_title("right")
    b.set_ylabel(r"$\|B^{(k)}\|_F$")
    if colorbar:
        import matplotlib.cm as cm

        fig.colorbar(cm.ScalarMappable(), ax=b, label="layer k")
    return fig


def _pars(fig):
    p = fig.subplotpars
    return (p.left, p.right, p.bottom, p.top, p.wspace, p.hspace)


def _png(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_tight_bboxes_once_same_layout_and_bytes():
    # the check plots' route: TightLayoutEngine() with its default rect makes two passes
    from matplotlib.layout_engine import TightLayoutEngine

    plain, once = _figure(), _figure()
    TightLayoutEngine().execute(plain)
    with tight_bboxes_once(once):
        TightLayoutEngine().execute(once)
    assert _pars(once) == _pars(plain)  # exactly, not approximately
    rc = matplotlib.rcParams
    assert _pars(plain)[:4] != tuple(rc[f"figure.subplot.{k}"] for k in ("left", "right", "bottom", "top"))
    assert _png(once) == _png(plain)
    assert not any("get_tightbbox" in vars(ax) for ax in once.axes)  # nothing left behind


def test_tight_bboxes_once_computes_each_box_once(monkeypatch):
    from matplotlib.axes import Axes

    calls = []
    original = Axes.get_tightbbox

    def counting(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)

    from matplotlib.layout_engine import TightLayoutEngine

    monkeypatch.setattr(Axes, "get_tightbbox", counting)
    fig = _figure()
    TightLayoutEngine().execute(fig)
    twice = len(calls)
    calls.clear()
    with tight_bboxes_once(fig):
        TightLayoutEngine().execute(fig)
    assert twice == 2 * len(fig.axes)  # matplotlib's two passes
    assert len(calls) == len(fig.axes)


def test_without_placeholder_engine_same_files_one_draw_less(monkeypatch):
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    draws = []
    original = Figure.draw

    def counting(self, renderer):
        draws.append(renderer)
        return original(self, renderer)

    monkeypatch.setattr(Figure, "draw", counting)
    files = {}
    for drop in (False, True):
        fig = Figure(figsize=(3, 2), dpi=40)
        ax = fig.subplots()
        ax.semilogy([1, 2, 3], [1e-3, 1e-1, 1.0])
        ax.set_title(r"$E(B^{(k)})$")
        fig.tight_layout()
        engine = fig.get_layout_engine()
        assert type(engine) is PlaceHolderLayoutEngine
        draws.clear()
        out = []
        with without_placeholder_engine(fig) if drop else _null(fig):
            for fmt in ("png", "pdf"):
                buf = io.BytesIO()
                fig.savefig(buf, format=fmt, metadata={"CreationDate": None} if fmt == "pdf" else None)
                out.append(buf.getvalue())
        files[drop] = (out, len(draws))
        assert fig.get_layout_engine() is engine  # restored
    assert files[True][0] == files[False][0]
    assert files[True][1] == files[False][1] - 2  # one layout draw less per file


def test_without_placeholder_engine_leaves_other_engines():
    from matplotlib.layout_engine import TightLayoutEngine

    fig = _figure()
    engine = TightLayoutEngine()
    fig.set_layout_engine(engine)
    with without_placeholder_engine(fig):
        assert fig.get_layout_engine() is engine


class _null:
    def __init__(self, fig):
        self.fig = fig

    def __enter__(self):
        return self.fig

    def __exit__(self, *exc):
        return False


def _log_figure(ylim=None):
    fig = Figure(figsize=(3, 2), dpi=40)
    ax = fig.subplots()
    ax.loglog([1e-4, 1e-1, 1.0], [1e-6, 1e-2, 1.0], "o", ms=2)
    ax.set_title(r"$E(B^{(k)})$")
    if ylim is not None:
        ax.set_ylim(*ylim)
    return fig


def test_ticks_once_same_bytes_fewer_updates_and_follows_changes(monkeypatch):
    from matplotlib.axis import Axis
    from matplotlib.layout_engine import TightLayoutEngine

    from backsmooth._mpl_once import ticks_once

    calls = []
    original = Axis._update_ticks

    def counting(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(Axis, "_update_ticks", counting)
    plain = _log_figure()
    TightLayoutEngine().execute(plain)
    first = _png(plain)
    plain.axes[0].set_ylim(1e-3, 10.0)
    second = _png(plain)
    n_plain = len(calls)
    calls.clear()
    once = _log_figure()
    with ticks_once(once):
        TightLayoutEngine().execute(once)
        assert _png(once) == first
        # a change of limits inside the block: the ticks follow it (the state is the key)
        once.axes[0].set_ylim(1e-3, 10.0)
        assert _png(once) == second
    assert second != first
    assert len(calls) < n_plain / 2
    assert not any("_update_ticks" in vars(a) for a in (once.axes[0].xaxis, once.axes[0].yaxis))


def test_agg_canvas_sharing_mathtext_same_bytes_one_parser():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backsmooth._mpl_once import agg_canvas_sharing_mathtext

    files, parsers = [], []
    for share in (False, True):
        fig = _log_figure()
        canvas = agg_canvas_sharing_mathtext(fig) if share else FigureCanvasAgg(fig)
        parsers.append(canvas.get_renderer().mathtext_parser)
        files.append(_png(fig))
        fig.set_size_inches(3.5, 2)  # another size: another renderer
        parsers.append(canvas.get_renderer().mathtext_parser)
    assert files[0] == files[1]
    assert parsers[0] is not parsers[1]  # matplotlib: a parser per renderer
    assert parsers[2] is parsers[3]  # shared


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_forked_child_does_not_reuse_the_shared_parser_or_renderer():
    """The shared parser's cached parses hold the parent's fonts, whose file offsets a forked
    child would share with its parent and siblings (garbled glyphs when workers draw at once):
    a child starts with neither shared parser nor shared renderer."""
    from backsmooth import _mpl_once

    fig = _log_figure()
    _mpl_once.agg_canvas_sharing_mathtext(fig)  # the figure's canvas from now on
    _png(fig)
    fig2 = _log_figure()
    _mpl_once.agg_canvas_sharing_renderer(fig2)
    _png(fig2)
    assert vars(_mpl_once._PARSERS) and vars(_mpl_once._RENDERERS)  # this thread shares both
    pid = os.fork()
    if pid == 0:  # the child: exit status 0 only if it inherited neither
        os._exit(0 if not vars(_mpl_once._PARSERS) and not vars(_mpl_once._RENDERERS) else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    assert vars(_mpl_once._PARSERS)  # the parent keeps its own
