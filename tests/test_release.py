"""Release readiness: licence, citation and changelog agree with pyproject.toml; the sdist
and the wheel are complete and pass ``twine check``; the built wheel works once installed.

The build tests run ``python -m build`` (sdist, then the wheel from the sdist, in an isolated
environment that pip fills from the package index) and install the wheel with ``--no-deps``
into a fresh virtual environment that borrows this environment's dependencies through a
``.pth`` file, so the smoke test imports the *installed wheel*, not the source tree.
"""

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

import backsmooth

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: folders of the package namespace: (wheel prefix, source folder)
PACKAGE_DIRS = {"backsmooth": "src/backsmooth", "backsmooth/symbolic": "symbolic",
                "backsmooth/numeric": "numeric", "backsmooth/proofs": "proofs"}


def test_version_lives_in_one_place():
    project = PYPROJECT["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "backsmooth.__version__"}


def test_cli_prints_the_version(capsys):
    from backsmooth.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"backsmooth {backsmooth.__version__}"


def test_license_file_matches_pyproject():
    assert PYPROJECT["project"]["license"] == {"text": "BSD-3-Clause"}
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("BSD 3-Clause License")
    # the third clause is what makes it 3-clause rather than 2-clause
    assert "Neither the name of the copyright holder nor the names of its" in text


def test_citation_cites_the_paper_and_the_tool():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["version"] == backsmooth.__version__
    assert cff["license"] == PYPROJECT["project"]["license"]["text"]
    paper = cff["preferred-citation"]
    assert paper["authors"][0]["family-names"] == "Keriven"
    assert paper["year"] == 2026 and "ICML" in paper["conference"]["name"]
    assert "Backward Oversmoothing" in paper["title"]
    assert any("2505.16736" in ident["value"] for ident in paper["identifiers"])


def test_changelog_has_the_current_version():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert f"## [{backsmooth.__version__}]" in text


def test_docs_extra_is_part_of_the_test_extra():
    """The README's single test command (``.[test]``) must be able to build the docs."""
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras["docs"]) <= set(extras["test"])


# --- building and installing ---------------------------------------------------------------

def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{cmd} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)])
    (sdist,), (wheel,) = sorted(out.glob("*.tar.gz")), sorted(out.glob("*.whl"))
    return sdist, wheel


@pytest.mark.slow
def test_twine_accepts_sdist_and_wheel(dists):
    out = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dists)])
    assert out.count("PASSED") == 2


def _tracked_files():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the list of tracked files is unknown")
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        pytest.skip("git ls-files failed")
    return [f for f in out.stdout.splitlines() if (ROOT / f).is_file()]


@pytest.mark.slow
def test_sdist_contains_every_tracked_file(dists):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    missing = sorted(set(_tracked_files()) - names)
    assert not missing, f"the sdist leaves out {missing[:20]}: see MANIFEST.in"
    for folder in ("symbolic", "numeric", "proofs", "src/backsmooth", "notebooks", "docs",
                   "tests", "benchmarks"):
        assert any(n.startswith(folder + "/") for n in names), folder


@pytest.mark.slow
def test_wheel_contains_every_module(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    missing = []
    for prefix, folder in PACKAGE_DIRS.items():
        for path in (ROOT / folder).rglob("*.py"):
            rel = path.relative_to(ROOT / folder).as_posix()
            if rel.split("/")[0] in {"symbolic", "numeric", "proofs"} and prefix == "backsmooth":
                continue
            if f"{prefix}/{rel}" not in names:
                missing.append(f"{prefix}/{rel}")
    assert not missing, f"the wheel leaves out {missing}"


_SMOKE = r"""
import importlib, pathlib, sys, zipfile
import backsmooth
root = pathlib.Path(sys.prefix).resolve()
assert pathlib.Path(backsmooth.__file__).resolve().is_relative_to(root), backsmooth.__file__
with zipfile.ZipFile(sys.argv[1]) as zf:
    mods = sorted(n[:-3].replace("/", ".").removesuffix(".__init__")
                  for n in zf.namelist() if n.endswith(".py"))
for mod in mods:
    importlib.import_module(mod)
from backsmooth.display import show_statement, show_derivation, show_proof, show_check, plot_check
from backsmooth.report import page, html, sections
from backsmooth.theory_doc import render_theory_markdown
assert "## theorem1" in render_theory_markdown(notebooks=None)
print("imported", len(mods), "modules")
"""


@pytest.mark.slow
def test_installed_wheel_runs_the_cli(dists, tmp_path):
    _, wheel = dists
    env_dir = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)])
    py = env_dir / "bin" / "python"
    site = _run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    # the dependencies come from this environment, after the venv's own site-packages
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    Path(site.strip(), "_backsmooth_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n")
    # --ignore-installed: the borrowed dependencies include this environment's own backsmooth
    # (a non-editable install in CI), which pip would otherwise take as already satisfied
    _run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps",
          "--no-index", "--ignore-installed", "-q", str(wheel)])
    cwd = tmp_path / "elsewhere"  # not the source tree
    cwd.mkdir()
    exe = str(env_dir / "bin" / "backsmooth")
    assert _run([exe, "--version"], cwd=cwd).strip() == f"backsmooth {backsmooth.__version__}"
    assert "theorem1" in _run([exe, "derive", "--list"], cwd=cwd)
    assert "PASSED" in _run([exe, "proof", "lemma1"], cwd=cwd)
    assert "lambda" in _run([exe, "graph-info", "karate"], cwd=cwd)
    assert "## theorem3" in _run([exe, "derive", "--all", "--markdown"], cwd=cwd)
    assert "imported" in _run([str(py), "-c", _SMOKE, str(wheel)], cwd=cwd)
