"""The documentation builds, offline and with warnings as errors, so it cannot rot.

The site is built from a copy of what it reads (``docs/``, the notebooks, the README, the
changelog, the citation file, the benchmark results) in a temporary folder, so nothing is
written into the repository.  The notebooks are rendered without executing them here (the
notebook test executes them); the README's documentation command executes them.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: what docs/ reads from the repository
INPUTS = ("README.md", "CHANGELOG.md", "CITATION.cff", "benchmarks/RESULTS.md")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    src = tmp_path_factory.mktemp("repo")
    shutil.copytree(ROOT / "docs", src / "docs",
                    ignore=shutil.ignore_patterns("_build", "generated", "*.ipynb", "index.rst",
                                                  "jupyter_execute"))
    shutil.copytree(ROOT / "notebooks", src / "notebooks")
    for name in INPUTS:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / name, src / name)
    out = src / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-D", "nb_execution_mode=off", str(src / "docs"), str(out)],
        capture_output=True, text=True)
    assert proc.returncode == 0, f"sphinx-build -W failed:\n{proc.stderr[-5000:]}"
    return out


def test_pages_exist(site):
    for page in ("index", "getting-started", "theory", "experiment-settings", "cli",
                 "api/index", "benchmarks", "limits", "releases", "notebooks/index",
                 "notebooks/01_forward_oversmoothing", "api/generated/backsmooth.symbolic.claims"):
        assert (site / f"{page}.html").is_file(), page


def test_theory_page_shows_every_claim(site):
    from backsmooth.symbolic import claims

    html = (site / "theory.html").read_text()
    for name in claims():
        assert f"{name}: " in html, name
    assert "\\mathcal{E}" in html  # the statements are typeset by MathJax


def test_cli_reference_is_generated_from_argparse(site):
    html = (site / "cli.html").read_text()
    for command in ("graph-info", "derive", "proof", "check", "figure", "report", "sweep"):
        assert command in html
    assert "--markdown" in html


def test_api_reference_documents_the_docstrings(site):
    html = (site / "api/generated/backsmooth.symbolic.bounds.html").read_text()
    assert "bound_function" in html and "Examples" in html


def test_pages_load_nothing_from_the_network(site):
    """Scripts, styles and fonts come from the build folder (MathJax included)."""
    assert (site / "_static/mathjax/tex-chtml.js").is_file()
    for page in site.rglob("*.html"):
        text = page.read_text()
        remote = re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?:https?:)?//[^\"]+",
                            text)
        assert not remote, (page.name, remote[:3])
