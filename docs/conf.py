"""Sphinx configuration of the backsmooth documentation (offline, strict).

Build: ``sphinx-build -W -b html docs docs/_build/html`` (see the README's Documentation
section).  Everything is served from the build folder, MathJax included
(``sphinx-mathjax-offline``): the pages need no network to build or to read.

* The notebooks (jupytext percent files in ``../notebooks``) are converted to
  ``notebooks/*.ipynb`` here, before Sphinx reads its sources, and executed by myst-nb
  (``-D nb_execution_mode=off`` renders them without outputs, as the docs test does).
* ``theory.md`` is generated from the registry (``backsmooth derive --all --markdown``); a
  test fails when it is stale, so it is read as it is.
"""

from __future__ import annotations

import importlib
import pathlib
import pkgutil
import re

import jupytext

import backsmooth

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent

project = "backsmooth"
author = "the backsmooth developers"
copyright = "2026, the backsmooth developers"
version = release = backsmooth.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_nb",
    "sphinxarg.ext",
    "sphinx-mathjax-offline",  # serves MathJax 3 from _static/mathjax: no network
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "notebooks/README.md"]
templates_path = ["_templates"]

# --- MyST / myst-nb -------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 2
nb_execution_mode = "force"
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_in_temp = True
nb_ipywidgets_js = {}  # no widgets; and no require.js from a CDN

# --- API reference --------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
# a page documents what its module defines: a package's page does not repeat what it
# re-exports (``backsmooth.symbolic.claims`` is both a module and a re-exported function)
autodoc_default_options = {"members": True, "ignore-module-all": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# --- HTML -----------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"backsmooth {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
# single pages have no section navigation: give their width to the text
html_sidebars = {page: [] for page in ("index", "getting-started", "theory",
                                       "experiment-settings", "cli", "benchmarks", "limits",
                                       "releases")}
html_static_path: list = []
html_show_sourcelink = False


def _convert_notebooks():
    """jupytext percent files -> ``notebooks/*.ipynb`` (unexecuted; myst-nb runs them)."""
    out = HERE / "notebooks"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.ipynb"):
        old.unlink()
    for path in sorted((ROOT / "notebooks").glob("*.py")):
        nb = jupytext.read(path)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        jupytext.write(nb, out / (path.stem + ".ipynb"))


#: subpackages and modules of the API reference, in reading order
API_ROOTS = ("backsmooth.symbolic", "backsmooth.numeric", "backsmooth.proofs",
             "backsmooth.checks", "backsmooth.figures", "backsmooth.report", "backsmooth.cli",
             "backsmooth.display", "backsmooth.sweep", "backsmooth.theory_doc")


def _public_modules(root):
    """``root`` and its public submodules (no ``_`` segment), found on disk."""
    mod = importlib.import_module(root)
    names = [root]
    if hasattr(mod, "__path__"):
        names += sorted(info.name for info in pkgutil.walk_packages(mod.__path__, root + ".")
                        if not any(part.startswith("_") for part in info.name.split(".")))
    return names


_API_INTRO = """API reference
=============

Generated from the numpydoc docstrings. One import namespace, ``backsmooth``: ``symbolic``
(sympy only), ``numeric`` (numpy/scipy only), ``proofs`` (uses both) and the edge (checks,
figures, report, command line, display helpers for the notebooks).  A subpackage's page lists
what it re-exports; each module's page documents what the module defines.
"""


def _write_api_index():
    """``api/index.rst``: one autosummary table per subpackage with every public module.

    Written here (not committed) so that a module added to a package appears without editing
    the docs; autosummary then writes one page per module into ``api/generated/``.  Full
    dotted names (not ``:recursive:``) keep a module and a re-exported function of the same
    name (``backsmooth.symbolic.claims``) apart.
    """
    out = [_API_INTRO]
    for root in API_ROOTS:
        out += [root, "-" * len(root), "", ".. autosummary::", "   :toctree: generated", ""]
        out += [f"   {name}" for name in _public_modules(root)]
        out.append("")
    text = "\n".join(out)
    path = HERE / "api" / "index.rst"
    path.parent.mkdir(exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


_LITERAL = re.compile(r"(``.+?``|`[^`]+`)")
_BARS = re.compile(r"(?<![\\|\w])\|(?=[^\s|])([^|`]*?[^\s|\\])\|(?![\w|])")


def _escape_absolute_values(app, what, name, obj, options, lines):
    """``|x|`` in prose is an absolute value, not an RST substitution reference.

    The docstrings write mathematics in plain text (``lambda = |1 - 2p|``), which also reads
    well in ``help()``; escape such bars outside literals, literal blocks, doctests and tables.
    """
    in_block, block_indent = False, 0
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if in_block:
            if not stripped or indent > block_indent:
                continue
            in_block = False
        table = stripped.startswith(("+-", "+=")) or (stripped[:1] == "|" == line.rstrip()[-1:])
        if not table and not stripped.startswith((">>>", "...")):
            parts = _LITERAL.split(line)
            parts[::2] = [_BARS.sub(r"\\|\1\\|", part) for part in parts[::2]]
            lines[i] = "".join(parts)
        if line.rstrip().endswith("::"):
            in_block, block_indent = True, indent


def setup(app):
    app.connect("autodoc-process-docstring", _escape_absolute_values)


_convert_notebooks()
_write_api_index()
