"""Execute every notebook of ``notebooks/`` top to bottom, as a reader would.

The notebooks are jupytext percent-format text files (``# %%`` cells) paired with ``.ipynb``.
Each one is converted with jupytext and executed with nbclient in a fresh kernel that runs
*this* interpreter (so the kernel imports the backsmooth under test), with the working
directory set to a temporary folder so that nothing is written into the repository.  Any
cell error fails the test.  Every notebook must also show what it promises: the provenance
tags of its claims, taken from the registry, and at least one plot.

Every chapter must also read offline, in Jupyter and in an HTML export without network access
(issue 11): no maths renderer (MathJax, loaded from a CDN) may be needed.  So the markdown
cells write their formulas in Unicode with HTML ``<sub>``/``<sup>`` (no ``$...$``, no TeX
macros), using only tags that JupyterLab's HTML sanitiser keeps, and every rich output that
carries LaTeX or markdown also carries an HTML form (the project's displays: SVG formulas).

Run only these with ``pytest -m notebooks``; deselect them with ``-m "not notebooks"``.
"""

import json
import re
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

#: a claim's section in a notebook is its ``show_derivation("NAME")`` call (the convention that
#: tests/test_claim_layers.py checks for every claim)
SECTION = re.compile(r'show_derivation\("(\w+)"')

#: notebook -> claims whose provenance tag must appear in its executed output
NOTEBOOKS = {
    p.name: tuple(SECTION.findall(p.read_text(encoding="utf-8")))
    for p in sorted(NOTEBOOK_DIR.glob("[0-9]*.py"))
}

#: seconds one cell may take before the run is declared hung
CELL_TIMEOUT = 120

PROVENANCE_TAGS = ("[paper]", "[reconstruction]", "[extension]")

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    """A kernelspec "python3" that launches ``sys.executable``, first on JUPYTER_PATH.

    A user-level "python3" kernelspec may point at another interpreter (one without
    backsmooth); installing ours into a temporary prefix and putting it first on
    JUPYTER_PATH makes the kernel the test environment's python in every setting, including
    a fresh venv created by ``pip install ".[test]"``.
    """
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("kernel-prefix")
    install(kernel_name="python3", prefix=str(prefix))
    spec = prefix / "share" / "jupyter" / "kernels" / "python3" / "kernel.json"
    argv = json.loads(spec.read_text())["argv"]
    assert argv[0] == sys.executable, f"kernelspec launches {argv[0]}, not {sys.executable}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(prefix / "share" / "jupyter"))
        # temporary files of the notebooks (05 saves its figures there) stay in pytest's tmp
        mp.setenv("TMPDIR", str(tmp_path_factory.mktemp("kernel-tmp")))
        mp.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
        yield "python3"


def _execute(path, kernel_name, workdir):
    nb = jupytext.read(path)
    client = NotebookClient(nb, kernel_name=kernel_name, timeout=CELL_TIMEOUT,
                            allow_errors=False,
                            resources={"metadata": {"path": str(workdir)}})
    t0 = time.perf_counter()
    client.execute()
    return nb, time.perf_counter() - t0


#: tags of JupyterLab's HTML sanitiser (``@jupyterlab/apputils`` ``Sanitizer.allowedTags``)
#: that a rendered markdown cell may contain: markdown's own tags plus ``<sub>``/``<sup>``
#: (``<math>``, ``<svg>`` and ``<script>`` are not among them: they would be dropped)
KEPT_TAGS = frozenset({
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "li", "ol", "p", "pre", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul"})

#: what needs a maths renderer in prose: a ``$`` delimiter, a TeX macro or escaped delimiter
#: (``\frac``, ``\lambda``, ``\(``), a TeX sub/superscript (``^``, ``_{``)
TEX_MATH = re.compile(r"\$|\\[A-Za-z]+|\\[()\[\]{}|,;!]|\^|_\{")


class _Prose(HTMLParser):
    """Text outside ``<code>``/``<pre>`` of rendered markdown, and every tag met."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags, self.closed, self._code = [], [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._code += tag in ("code", "pre")

    def handle_endtag(self, tag):
        self.closed.append(tag)
        self._code -= tag in ("code", "pre")

    def handle_data(self, data):
        if not self._code:
            self.text.append(data)


def markdown_prose(source):
    """Render one markdown cell as Jupyter does (CommonMark, tables, inline HTML) and parse it.

    Returns the parser: ``text`` (prose outside code), ``tags`` and ``closed`` (tag names).
    """
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(source)
    parser = _Prose()
    parser.feed(html)
    parser.close()
    return parser


def maths_renderer_needed(source):
    """Lines of a markdown cell's prose that need a maths renderer (empty: reads as is)."""
    prose = markdown_prose(source)
    return [line for line in "".join(prose.text).splitlines() if TEX_MATH.search(line)]


def _markdown_cells(name):
    return [c.source for c in jupytext.read(NOTEBOOK_DIR / name).cells
            if c.cell_type == "markdown"]


def _outputs(nb):
    for cell in nb.cells:
        if cell.cell_type == "code":
            yield from cell.get("outputs", ())


def _text(nb):
    parts = []
    for out in _outputs(nb):
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
            parts.append(out.get("data", {}).get("text/markdown", ""))
    return "\n".join(parts)


class TestNotebookFiles:
    def test_every_section_names_a_derivation_of_the_registry(self):
        from backsmooth.symbolic import derivations

        shown = [c for names in NOTEBOOKS.values() for c in names]
        assert shown and set(shown) <= set(derivations())

    @pytest.mark.parametrize("name", sorted(NOTEBOOKS))
    def test_paired_percent_format(self, name):
        nb = jupytext.read(NOTEBOOK_DIR / name)
        assert nb.metadata["jupytext"]["formats"] == "ipynb,py:percent"
        assert nb.metadata["kernelspec"]["name"] == "python3"
        kinds = {c.cell_type for c in nb.cells}
        assert kinds == {"markdown", "code"}, f"{name} should mix prose and code cells"

    @pytest.mark.parametrize("name", sorted(NOTEBOOKS))
    def test_text_file_carries_no_outputs(self, name):
        nb = jupytext.read(NOTEBOOK_DIR / name)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


class TestMarkdownReadsOffline:
    """The prose of every chapter reads without MathJax (offline HTML export, issue 11)."""

    def test_the_detector_sees_tex_and_passes_unicode(self):
        assert maths_renderer_needed(r"the rate $\lambda^{(1-\alpha)k}$")
        assert maths_renderer_needed(r"$$\mathcal E(X) = \frac{\|\Pi X\|_F}{\sqrt n}$$")
        assert maths_renderer_needed(r"a bound \(s \le 1\)")
        assert maths_renderer_needed("P^T B W^T")
        assert maths_renderer_needed(r"escaped \$5")
        assert not maths_renderer_needed(
            "the rate λ<sup>(1−α)k</sup>, ℰ(X) = ‖ΠX‖<sub>F</sub>/√n, `$HOME` and `a^b`")
        assert not maths_renderer_needed("```\n$ pip install backsmooth\n```")
        assert {"math", "svg"} <= set(markdown_prose("<math><mi>x</mi></math> <svg></svg>").tags)
        assert not {"math", "svg"} & KEPT_TAGS

    @pytest.mark.parametrize("name", sorted(NOTEBOOKS))
    def test_no_tex_maths_in_markdown(self, name):
        bad = [line for src in _markdown_cells(name) for line in maths_renderer_needed(src)]
        assert not bad, (f"{name}: markdown needs a maths renderer (MathJax) in "
                         f"{len(bad)} lines, e.g.\n" + "\n".join(bad[:5]))

    @pytest.mark.parametrize("name", sorted(NOTEBOOKS))
    def test_markdown_html_survives_the_sanitiser(self, name):
        for src in _markdown_cells(name):
            prose = markdown_prose(src)
            dropped = set(prose.tags) - KEPT_TAGS
            assert not dropped, f"{name}: Jupyter's sanitiser drops {sorted(dropped)}"
            for tag in ("sub", "sup"):
                assert prose.tags.count(tag) == prose.closed.count(tag), \
                    f"{name}: unbalanced <{tag}> in\n{src}"


#: a claim named in prose with its tag, e.g. "Theorem 2 `[reconstruction]`"
PROSE_TAG = re.compile(r"\b(Theorem|Lemma|Corollary|Proposition|Definition) (\d+)\W{0,3}"
                       r"`\[(\w+)\]`")


def claims_named_in_code(name):
    """Registered claims a chapter's code names as a string literal (``show_statement(name)``
    in a loop over names included)."""
    from backsmooth.symbolic import claims

    code = "\n".join(c.source for c in jupytext.read(NOTEBOOK_DIR / name).cells
                     if c.cell_type == "code")
    return sorted(set(re.findall(r"[\"'](\w+)[\"']", code)) & set(claims()))


class TestProvenanceInProse:
    def test_tags_written_in_prose_match_the_registry(self):
        from backsmooth.symbolic import claim

        found = [(name, m.groups()) for name in NOTEBOOKS for src in _markdown_cells(name)
                 for m in PROSE_TAG.finditer(src)]
        assert len(found) >= 3, "the chapters name claims with their tags in prose"
        for name, (kind, number, tag) in found:
            c = claim(f"{kind.lower()}{number}")
            assert tag == c.provenance, f"{name}: {kind} {number} is [{c.provenance}], not [{tag}]"

    def test_a_wrong_tag_is_seen(self):
        m = PROSE_TAG.search("decay from the input (Theorem 1 `[reconstruction]`)")
        assert m.groups() == ("Theorem", "1", "reconstruction")

    def test_claims_named_in_code_are_found(self):
        assert claims_named_in_code("07_diagnose_your_model.py") == \
            ["corollary1", "theorem1", "theorem3"]


class TestNotebookExecution:
    def test_kernel_runs_this_interpreter_in_the_work_dir(self, kernel_name, tmp_path):
        probe = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "import os, sys, backsmooth\nprint(sys.executable)\nprint(os.getcwd())")])
        NotebookClient(probe, kernel_name=kernel_name, timeout=CELL_TIMEOUT,
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        executable, cwd = probe.cells[0].outputs[0].text.split()
        assert Path(executable).resolve() == Path(sys.executable).resolve()
        assert Path(cwd).resolve() == tmp_path.resolve()

    @pytest.mark.parametrize("name", sorted(NOTEBOOKS))
    def test_runs_top_to_bottom(self, name, kernel_name, tmp_path):
        nb, seconds = _execute(NOTEBOOK_DIR / name, kernel_name, tmp_path)
        print(f"{name}: executed in {seconds:.1f} s")
        nbformat.validate(nb)
        assert not any(out.output_type == "error" for out in _outputs(nb))
        for out in _outputs(nb):
            data = out.get("data", {})
            if {"text/latex", "text/markdown"} & set(data):
                assert "text/html" in data, \
                    f"{name}: an output only in LaTeX/markdown needs MathJax: {sorted(data)}"
        assert any("image/png" in out.get("data", {}) for out in _outputs(nb)), \
            f"{name} shows no plot"
        text = _text(nb)
        from backsmooth.symbolic import claim

        for c in sorted(set(NOTEBOOKS[name]) | set(claims_named_in_code(name))):
            tag = f"[{claim(c).provenance}]"
            assert tag in text, f"{name} does not state the provenance {tag} of {c}"
