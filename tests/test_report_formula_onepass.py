"""The report's formulas typeset by one match of mathtext's grammar (``report.mathtext_svg``).

The reference is matplotlib's own ``mathtext.math_to_image(..., format="svg")`` (which parses
each formula twice), run in the same process under the same rcParams as the report's
``_typeset``; ``SOURCE_DATE_EPOCH`` fixes the SVG's ``<dc:date>`` so whole files are compared
byte for byte.
"""

import io

import pytest

matplotlib = pytest.importorskip("matplotlib")

from backsmooth.report import html  # noqa: E402
from backsmooth.report import mathtext_svg  # noqa: E402

#: what the report sets around its formulas (``html._typeset``)
_RC = {"svg.fonttype": "path", "svg.hashsalt": "backsmooth", "mathtext.fontset": "stix",
       "savefig.transparent": True}

#: fractions and roots (rules: the SVG's <path> rects), delimiters that size themselves,
#: nested scripts, fonts, \text, spacing, accents; at the report's two sizes
FORMULAS = [
    (r"\frac{\ell_{1}^{2} u_{1} + u_{2} \left(\ell_{1} + q\right)^{2}}{u_{1} + u_{2}} "
     r"\leq \left(\ell_{1} + q\right)^{2}", 15.0),
    (r"\|grad_{k}\|_F \le Q_{k} S_{k} \sqrt{n} \xi \left(2 \Sigma_{m} \beta c_{\rho} \lambda"
     r" + e_{B} \lambda^{L - m} + \mu\right)", 15.0),
    (r"\mathcal{L}(\theta) \geq - \mathcal{E}(X^{(0)}) \Lambda_L \lambda s_L"
     r" + \mathcal{L}_{const}", 18.0),
    (r"\text{if } x^{y^{z}}_{a_b} > 0,\, \mathrm{d}x \quad \mathbb{R} \hat{x} \overline{W}"
     r" \sqrt[3]{\frac{1}{1-\lambda^2}} \binom{n}{k}", 15.0),
]

#: mathtext rejects these (no picture: the page shows the LaTeX as text)
REJECTED = [r"\frac{", r"\max_k\|\nabla_k\|_F\le\sqrt n\,\xi"]


def _reference(s, size):
    buf = io.BytesIO()
    matplotlib.mathtext.math_to_image(s, buf, prop=matplotlib.font_manager.FontProperties(
        size=size), format="svg", dpi=matplotlib.rcParams["figure.dpi"])
    return buf.getvalue()


@pytest.fixture
def report_rc(monkeypatch):
    import matplotlib.font_manager  # noqa: F401
    import matplotlib.mathtext  # noqa: F401

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    with matplotlib.rc_context(_RC):
        yield


def test_one_pass_is_used_where_supported(report_rc):
    # the versions this was checked on: the route must be on there (else the page is slower
    # and this file would check only the fallback)
    import pyparsing

    assert mathtext_svg.one_pass_supported() == (
        matplotlib.__version__.startswith("3.11.") and pyparsing.__version__.startswith("3."))
    with matplotlib.rc_context({"mathtext.fontset": "dejavusans"}):  # fonts with kerning
        assert not mathtext_svg.one_pass_supported()


@pytest.mark.parametrize("latex, size", FORMULAS)
def test_one_pass_writes_math_to_image_bytes(report_rc, latex, size):
    if not mathtext_svg.one_pass_supported():
        pytest.skip(f"one-pass route not enabled for matplotlib {matplotlib.__version__}")
    from matplotlib.font_manager import FontProperties

    s = f"${html._mathtext_dialect(latex)}$"
    ref = _reference(s, size)
    new = mathtext_svg._one_pass(s, FontProperties(size=size),
                                 matplotlib.rcParams["figure.dpi"])
    assert b"<dc:date>1970-01-01" in ref
    assert new == ref


def test_fraction_and_root_rules_are_drawn(report_rc):
    # rules are the SVG's bare <path d=...> elements (not glyph <use>): a fraction bar and a
    # root's vinculum; both routes draw the same ones
    s = r"$\frac{a}{\sqrt{b}}$"
    svg = mathtext_svg.math_svg(s, 15.0, 100.0)
    assert svg == _reference(s, 15.0)
    drawn = svg.decode().split('<g id="text_1">')[1].split("</defs>")[1]
    assert drawn.count("<use ") == 3 and drawn.count("<path d=") == 2


def test_one_pass_parses_once_and_the_renderer_does_not_parse(report_rc, monkeypatch):
    if not mathtext_svg.one_pass_supported():
        pytest.skip(f"one-pass route not enabled for matplotlib {matplotlib.__version__}")
    from matplotlib import _mathtext

    calls = []
    parse = _mathtext.Parser.parse
    monkeypatch.setattr(_mathtext.Parser, "parse",
                        lambda self, *a, **k: calls.append(a[0]) or parse(self, *a, **k))
    s = r"$\frac{1}{- \lambda s + 1} \leq \frac{1}{1 - \lambda}$"
    mathtext_svg.math_svg(s, 15.0, 100.0)
    assert calls == []  # mathtext's own parse never ran: one match of the grammar did it all
    assert len(_reference(s, 15.0)) > 0 and calls == [s, s]  # math_to_image: twice


@pytest.mark.parametrize("latex", REJECTED)
def test_rejected_formula_has_no_picture(report_rc, latex):
    s = f"${html._mathtext_dialect(latex)}$"
    with pytest.raises(Exception):
        _reference(s, 15.0)
    with pytest.raises(ValueError):
        mathtext_svg.math_svg(s, 15.0, 100.0)
    assert html._typeset(latex, 15.0) is None


def test_typeset_is_the_reference_data_uri(report_rc):
    latex, size = FORMULAS[0]
    ref = _reference(f"${html._mathtext_dialect(latex)}$", size)
    assert html._typeset(latex, size) == html.data_uri(ref, "image/svg+xml")


def test_fallback_when_the_one_pass_route_fails(report_rc, monkeypatch):
    # any failure of the private-API route leaves the picture to math_to_image itself
    def broken(*args, **kwargs):
        raise AttributeError("matplotlib internals moved")

    monkeypatch.setattr(mathtext_svg, "_one_pass", broken)
    s = r"$\sqrt{x^2}$"
    assert mathtext_svg.math_svg(s, 15.0, 100.0) == _reference(s, 15.0)
