"""A formula's SVG as :func:`matplotlib.mathtext.math_to_image` writes it, parsed once.

``math_to_image(s, ..., format="svg")`` runs mathtext's parser twice on the same string: at the
formula's font size (the picture's width, height and depth) and, inside ``savefig``, at the SVG
renderer's glyph scale (``TextToPath.FONT_SCALE`` = 100 pt: the glyphs drawn).  The two box
trees differ (freetype rounds metrics at each size), so neither can be scaled into the other,
but the grammar matches the same way at both sizes: only mathtext's parse actions (which build
the boxes) depend on the size.  :func:`math_svg` therefore runs the pyparsing match once and
every box-building action twice, once per size, each with its own parser state and fontset,
exactly as the two separate parses would; the 100 pt parse is then handed to the renderer
instead of being parsed again.  Pyparsing's matching is about two thirds of a parse, so this
saves about a third of the typesetting.

This leans on matplotlib's private mathtext parser and on pyparsing's result objects, so it is
used only where it was checked byte for byte against ``math_to_image`` (matplotlib 3.11,
pyparsing 3, the STIX fontsets, whose fonts carry no kerning tables: kerning reads the freetype
size left by the last glyph loaded, which the interleaved parses would change).  Anywhere else,
and on any failure of the one-pass route, the formula is typeset by ``math_to_image`` itself.

Examples
--------
>>> import matplotlib
>>> with matplotlib.rc_context({"mathtext.fontset": "stix"}):
...     svg = math_svg(r"$x^2$", 15.0, 100.0)
>>> svg[:5], b"<svg" in svg
(b'<?xml', True)
"""

from __future__ import annotations

import io

__all__ = ["math_svg", "one_pass_supported"]

#: the mathtext fontsets the one-pass route serves (their fonts have no kerning tables)
_FONTSETS = ("stix", "stixsans")
#: the parser's attributes that one parse sets and reads (``Parser.parse`` resets them)
_PARSE_STATE = ("_state_stack", "_em_width_cache", "_needs_space_after_subsuper")
#: mathtext's parse actions that build nothing and are run once (``math_string`` parses the
#: inside of ``$...$`` with the same grammar, whose actions are the two-size ones)
_RUN_ONCE = frozenset({"math_string"})

_parser = None  # the two-size parser of this process (built on first use)


def one_pass_supported() -> bool:
    """True where :func:`math_svg` parses once (the versions and fontsets it was checked on)."""
    import matplotlib
    import pyparsing

    return (matplotlib.__version__.startswith("3.11.") and pyparsing.__version__.startswith("3.")
            and matplotlib.rcParams["mathtext.fontset"] in _FONTSETS)


def math_svg(s: str, fontsize: float, dpi: float) -> bytes:
    """The SVG bytes ``math_to_image(s, buf, prop=FontProperties(size=fontsize),
    format="svg", dpi=dpi)`` writes under the current rcParams.

    Raises what ``math_to_image`` raises (``ValueError``) where mathtext cannot parse ``s``.
    """
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=fontsize)
    if one_pass_supported():
        try:
            return _one_pass(s, prop, dpi)
        except Exception:  # noqa: BLE001 - math_to_image decides (and raises what it raises)
            pass
    from matplotlib import mathtext

    buf = io.BytesIO()
    mathtext.math_to_image(s, buf, prop=prop, format="svg", dpi=dpi)
    return buf.getvalue()


def _one_pass(s, prop, dpi) -> bytes:
    """:func:`math_svg` by one match of the grammar (the body of ``math_to_image``)."""
    from matplotlib.textpath import TextToPath

    glyph_prop = prop.copy()  # the renderer parses at its glyph scale (TextToPath)
    glyph_prop.set_size(TextToPath.FONT_SCALE)
    global _parser
    if _parser is None:
        _parser = _TwoSizeParser()
    size_parse, glyph_parse = _parser.parse(s, prop, glyph_prop)
    width, height, depth = size_parse.width, size_parse.height, size_parse.depth

    fig = _seeded_figure({(s, 72, glyph_prop): glyph_parse},
                         figsize=(width / 72.0, height / 72.0))
    fig.text(0, depth / height, s, fontproperties=prop)
    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="svg")
    if not fig.seeded:  # the renderer never asked for the seeded parse: not this matplotlib
        raise RuntimeError("the SVG renderer did not use the seeded parse")
    return buf.getvalue()


class _Both:
    """One box of the parse at each of the two sizes."""

    __slots__ = ("small", "big")

    def __init__(self, small, big):
        self.small, self.big = small, big


class _Diverged(Exception):
    """The two sizes' parse actions returned differently shaped tokens."""


def _side(obj, big: bool, memo: dict):
    """``obj`` (parse tokens) with each :class:`_Both` replaced by its box at one size."""
    from pyparsing.results import ParseResults, _ParseResultsWithOffset

    if isinstance(obj, _Both):
        return obj.big if big else obj.small
    if isinstance(obj, ParseResults):
        if id(obj) in memo:
            return memo[id(obj)]
        new = memo[id(obj)] = obj.copy()
        new._toklist = [_side(t, big, memo) for t in obj._toklist]
        new._tokdict = {name: [_ParseResultsWithOffset(_side(v[0], big, memo), v[1])
                               for v in entries] for name, entries in obj._tokdict.items()}
        return new
    if type(obj) is list:
        return [_side(t, big, memo) for t in obj]
    return obj


def _join(small, big, memo: dict):
    """The tokens of both sizes as one (boxes paired; everything else must be equal)."""
    from matplotlib._mathtext import Node
    from pyparsing.results import ParseResults, _ParseResultsWithOffset

    if small is big:
        return small
    if isinstance(small, Node) and type(small) is type(big):
        return _Both(small, big)
    if isinstance(small, ParseResults) and isinstance(big, ParseResults):
        key = (id(small), id(big))
        if key in memo:
            return memo[key]
        if (len(small._toklist) != len(big._toklist)
                or small._tokdict.keys() != big._tokdict.keys()):
            raise _Diverged
        new = memo[key] = small.copy()
        new._toklist = [_join(a, b, memo) for a, b in zip(small._toklist, big._toklist)]
        names = {}
        for name, entries in small._tokdict.items():
            if len(entries) != len(big._tokdict[name]):
                raise _Diverged
            names[name] = [_ParseResultsWithOffset(_join(a[0], b[0], memo), a[1])
                           for a, b in zip(entries, big._tokdict[name])]
        new._tokdict = names
        return new
    if type(small) is list and type(big) is list:
        if len(small) != len(big):
            raise _Diverged
        return [_join(a, b, memo) for a, b in zip(small, big)]
    if (type(small) is type(big) and not isinstance(small, (Node, ParseResults, list))
            and small == big):
        return small
    raise _Diverged


class _TwoSizeParser:
    """mathtext's parser whose box-building actions run at two sizes in one match."""

    def __init__(self):
        import pyparsing
        from matplotlib import _mathtext

        self._mathtext = _mathtext
        self.parser = _mathtext.Parser()  # a grammar of its own (matplotlib's stays as it is)
        self._states = None
        seen, stack = {}, [self.parser._expression, self.parser._math_expression]
        while stack:
            element = stack.pop()
            if id(element) in seen:
                continue
            seen[id(element)] = element
            inner = getattr(element, "expr", None)
            if isinstance(inner, pyparsing.ParserElement):
                stack.append(inner)
            stack.extend(getattr(element, "exprs", None) or ())
        for element in seen.values():
            element.parseAction = [self._twice(fn) if self._builds(fn) else fn
                                   for fn in element.parseAction]

    def _builds(self, fn) -> bool:
        """Whether the parse action ``fn`` is one of this parser's own (box-building) methods."""
        name = getattr(fn, "__name__", "")
        if name in _RUN_ONCE or not callable(getattr(type(self.parser), name, None)):
            return False
        cells = [c.cell_contents for c in (getattr(fn, "__closure__", None) or ())]
        return any(getattr(c, "__self__", None) is self.parser for c in cells)

    def _twice(self, fn):
        """The parse action ``fn`` run once per size, each in its own parser state."""
        parser = self.parser

        def twice(s, loc, toks):
            out = []
            for big, state in enumerate(self._states):
                parser.__dict__.update(state)
                mine = _side(toks, bool(big), {})
                ret = fn(s, loc, mine)
                out.append(mine if ret is None else ret)
                state.update({k: parser.__dict__[k] for k in _PARSE_STATE})
            return _join(out[0], out[1], {})

        twice.__name__ = getattr(fn, "__name__", "twice")
        return twice

    def parse(self, s, small_prop, big_prop):
        """The ``VectorParse`` of ``s`` at each prop's size (``MathTextParser('path')``)."""
        import pyparsing
        from matplotlib.ft2font import LoadFlags
        from matplotlib.mathtext import MathTextParser

        _mathtext = self._mathtext
        states = []
        for prop in (small_prop, big_prop):
            fontset = MathTextParser._font_type_mapping[prop.get_math_fontfamily()](
                prop, LoadFlags.NO_HINTING)
            states.append({"_state_stack": [_mathtext.ParserState(
                               fontset, "default", "rm", prop.get_size_in_points(), 72)],
                           "_em_width_cache": {}, "_needs_space_after_subsuper": False})
        self._states = states
        try:
            result = self.parser._expression.parse_string(s)
        finally:
            self._states = None
            self.parser._state_stack = []
            self.parser._needs_space_after_subsuper = False
            self.parser._em_width_cache = {}
            pyparsing.ParserElement.reset_cache()
        box = result[0]
        if not isinstance(box, _Both):
            raise _Diverged
        return _mathtext.ship(box.small).to_vector(), _mathtext.ship(box.big).to_vector()


def _seeded_classes():
    from matplotlib.figure import Figure
    from matplotlib.mathtext import MathTextParser

    class SeededParser(MathTextParser):
        """A ``MathTextParser('path')`` that answers the given parses without parsing."""

        def __init__(self, seeds):
            super().__init__("path")
            self.seeds, self.used = seeds, False

        def _parse_cached(self, s, dpi, prop, antialiased, load_glyph_flags):
            seeded = self.seeds.get((s, dpi, prop))
            if seeded is None:
                return super()._parse_cached(s, dpi, prop, antialiased, load_glyph_flags)
            self.used = True
            return seeded

    class SeededFigure(Figure):
        """A figure whose renderer's text-to-path converter parses with a seeded parser."""

        def __init__(self, parser, **kwargs):
            super().__init__(**kwargs)
            self._seeded_parser = parser

        @property
        def seeded(self) -> bool:
            return self._seeded_parser.used

        def draw(self, renderer):
            renderer._text2path.mathtext_parser = self._seeded_parser
            return super().draw(renderer)

    return SeededParser, SeededFigure


_CLASSES = None


def _seeded_figure(glyph_parses: dict, **kwargs):
    """A ``Figure(**kwargs)`` whose SVG renderer takes ``glyph_parses`` (``(s, dpi, prop)`` ->
    ``VectorParse``) instead of parsing those again (classes built on first use: matplotlib
    is imported lazily)."""
    global _CLASSES
    if _CLASSES is None:
        _CLASSES = _seeded_classes()
    parser_class, figure_class = _CLASSES
    return figure_class(parser_class(glyph_parses), **kwargs)
