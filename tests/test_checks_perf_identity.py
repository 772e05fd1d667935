"""Session 7 speed-ups of the numeric checks give the same results as the routes they replace.

* proposition2's exact gradient: sympy differentiates the loss with respect to one layer's
  weights at a time (the others at their values) instead of the loss in all the weights
  at once; the partial derivatives, hence the printed rationals, must be the same.
"""

import pytest
import sympy as sp

from backsmooth.checks import proposition2 as p2


def _all_symbols_route(kind, L, w, p, rho_name):
    """proposition2's exact gradient check the former way (the reference): the loss in all the
    weights at once, then ``diff`` and ``subs`` of the point."""
    from backsmooth.symbolic.gnn import forward, mse_loss

    W, syms, rho, net = p2._exact_setting(kind, L, w, p, rho_name)
    symbolic = net(syms)
    loss = mse_loss(forward(symbolic, rho)[2][-1], symbolic.Y)
    point = {s: v for S, M in zip(syms, W) for s, v in zip(S, M)}
    g2 = [
        sp.nsimplify(sp.simplify(sum(sp.diff(loss, s).subs(point) ** 2 for s in S))) for S in syms
    ]
    return (sp.nsimplify(sp.simplify(loss.subs(point))), g2[0], sum(g2[1:]),
            p2._registry_value2(kind, L, w, p))


def _srepr(values):
    return [sp.srepr(v) for v in values]


@pytest.mark.parametrize("kind, rho, p", [("A", "tanh", None), ("B", "relu", sp.Rational(1, 5))])
def test_per_layer_exact_gradient_is_the_all_symbols_one(kind, rho, p):
    w = sp.Rational(7, 3)
    assert _srepr(p2.exact_gradient_check(kind, 1, w, p, rho)) == _srepr(
        _all_symbols_route(kind, 1, w, p, rho))


@pytest.mark.parametrize("kind, rho", [("A", "identity")])
def test_per_layer_route_off_the_stationary_point(kind, rho, monkeypatch):
    # (rational activations only: tanh off 0 leaves sympy huge tanh expressions to simplify)
    # at the constructions every hidden gradient is 0; move the weights so that none is,
    # and the two routes must still agree entry for entry (a route that dropped a layer's
    # terms, or used the wrong layer's point, would differ here)
    base = p2._rational_construction(kind, 1)
    shift = [sp.Rational(1, 3), sp.Rational(-2, 7), sp.Rational(1, 11), sp.Rational(3, 5)]
    moved = tuple(sp.ImmutableMatrix(M.shape[0], M.shape[1],
                                     lambda i, j, M=M, k=k: M[i, j] + shift[(i + 2 * j + k) % 4])
                  for k, M in enumerate(base))
    monkeypatch.setattr(p2, "_rational_construction", lambda kind, L: moved)
    args = (kind, 1, sp.Rational(7, 3), sp.Rational(1, 5), rho)
    new = p2.exact_gradient_check(*args)
    assert new[2] != 0 and new[0] != sp.Rational(1, 2)
    assert _srepr(new) == _srepr(_all_symbols_route(*args))


# ---------------------------------------------------------------- the checks' PNG plots
def _rows(scale, n=12):
    rows = []
    for i in range(n):
        b = scale * 10.0 ** (-i)
        rows.append({"claim": "c", "part": "p", "relation": "<=", "resolvable": True,
                     "bound": b, "measured": b * (0.3 + 0.05 * i), "ratio": 0.3 + 0.05 * i,
                     "verdict": "holds" if i % 5 else "hypotheses not met"})
    return rows


def test_check_plot_bytes_are_those_of_a_fresh_renderer(tmp_path, monkeypatch):
    # the renderer shared by a thread's check plots (warm caches, drawn on before) gives the
    # bytes of a fresh canvas with a fresh renderer
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backsmooth.report import plots

    first, second = _rows(1.0), _rows(3e-7, 9)
    shared = [plots.check_plot(r, tmp_path / f"s{i}.png", f"t{i}")
              for i, r in enumerate((first, second))]
    monkeypatch.setattr(plots, "_canvas", FigureCanvasAgg)
    fresh = plots.check_plot(second, tmp_path / "f1.png", "t1")
    assert fresh.read_bytes() == shared[1].read_bytes()
    assert shared[0].read_bytes() != shared[1].read_bytes()


def test_tight_layout_once_is_fig_tight_layout(tmp_path, monkeypatch):
    # TightLayoutEngine().execute(fig), then savefig, gives the bytes of fig.tight_layout(),
    # then savefig (which lays the figure out a second time); and check_plot applies it
    import matplotlib.figure as mfig
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.layout_engine import TightLayoutEngine

    from backsmooth.report import plots

    def draw(path, once):
        fig = mfig.Figure(figsize=(6, 2.5), dpi=60)
        FigureCanvasAgg(fig)
        ax1, ax2 = fig.subplots(1, 2)
        ax1.loglog([1e-9, 1e3], [1e-12, 1.0], label="x")
        ax1.legend(loc="upper left")
        ax2.hist([0.1, 0.5, 0.5, 0.9], bins=5)
        ax2.set_yscale("log")
        ax1.set_title("a title")
        TightLayoutEngine().execute(fig) if once else fig.tight_layout()
        fig.savefig(path, format="png")
        return path.read_bytes()

    assert draw(tmp_path / "a.png", True) == draw(tmp_path / "b.png", False)
    pars = []
    real = mfig.Figure.savefig
    monkeypatch.setattr(mfig.Figure, "savefig",
                        lambda self, *a, **k: (pars.append(self.subplotpars.left), real(self, *a, **k)))
    plots.check_plot(_rows(1.0, 6), tmp_path / "c.png", "t")
    default = mfig.SubplotParams().left
    assert pars and pars[0] != default
