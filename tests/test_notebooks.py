"""Execute every notebook of ``notebooks/`` top to bottom, as a reader would.

The notebooks are jupytext percent-format text files (``# %%`` cells) paired with ``.ipynb``.
Each one is converted with jupytext and executed with nbclient in a fresh kernel that runs
*this* interpreter (so the kernel imports the backsmooth under test), with the working
directory set to a temporary folder so that nothing is written into the repository.  Any
cell error fails the test.  Every notebook must also show what it promises: the provenance
tags of its claims, taken from the registry, and at least one plot.

Run only these with ``pytest -m notebooks``; deselect them with ``-m "not notebooks"``.
"""

import json
import sys
import time
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

#: notebook -> claims whose provenance tag must appear in its executed output
NOTEBOOKS = {
    "01_forward_oversmoothing.py": ("theorem1",),
    "02_backward_oversmoothing.py": ("corollary1", "theorem2", "proposition1"),
    "03_stationary_points.py": ("definition1", "lemma4", "theorem3", "corollary2"),
    "04_mlps_are_not_gnns.py": ("proposition2",),
    "05_figures.py": (),
    "07_diagnose_your_model.py": ("theorem1", "corollary1", "theorem3"),
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
    def test_every_notebook_is_listed(self):
        on_disk = sorted(p.name for p in NOTEBOOK_DIR.glob("[0-9]*.py"))
        assert on_disk == sorted(NOTEBOOKS), "add new notebooks to NOTEBOOKS (and their claims)"

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
        assert any("image/png" in out.get("data", {}) for out in _outputs(nb)), \
            f"{name} shows no plot"
        text = _text(nb)
        from backsmooth.symbolic import claim

        for c in NOTEBOOKS[name]:
            tag = f"[{claim(c).provenance}]"
            assert tag in text, f"{name} does not state the provenance {tag} of {c}"
