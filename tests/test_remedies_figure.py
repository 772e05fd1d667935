"""The remedies figure, its table and the remedies sweep example, on tiny settings."""

import importlib.util
import json
import pathlib

import numpy as np
import pytest

from backsmooth.figures import remedies as R

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _tiny():
    return R.remedy_settings(quick=True, n=60, deep_depth=6, width=8, epochs=4, avg_degree=10.0)


def test_data_table_and_resume(tmp_path):
    s = _tiny()
    pick = tuple(r for r in R.REMEDIES if r.name in ("vanilla", "residual", "pairnorm", "dropedge"))
    d1 = R.remedies_data(s, seeds=(0, 1), remedies=pick, cache_dir=tmp_path / "cache")
    d2 = R.remedies_data(s, seeds=(0, 1), remedies=pick, cache_dir=tmp_path / "cache")  # from the cache
    assert [row["remedy"] for row in d1["table"]] == ["vanilla", "residual", "pairnorm", "dropedge"]
    for a, b in zip(d1["runs"]["residual"], d2["runs"]["residual"]):
        assert np.array_equal(np.asarray(a["loss"]), np.asarray(b["loss"]))
    row = {r["remedy"]: r for r in d1["table"]}
    assert row["residual"]["prediction"] == "escapes" and row["pairnorm"]["prediction"] == "open"
    assert row["pairnorm"]["seeds_agreeing"] is None
    for r in d1["table"]:
        assert r["seeds"] == 2 and 0 <= r["seeds_escaping"] <= 2
        assert r["observed"] in ("escapes", "stalls", "mixed")
    run = d1["runs"]["vanilla"][0]
    # the vanilla prediction follows Theorem 3's regime lambda s < 1, with s measured at init
    assert run["prediction"] == ("stalls" if run["lam"] * run["s_init"] < 1 else "open")
    assert len(run["loss"]) == s.epochs + 1 and len(run["gradient_norms_end"]) == s.deep_depth + 1
    # the derived lower bound of the residual net holds under its measured profile wherever drawn
    rr = d1["runs"]["residual"][0]
    bnd, meas = np.asarray(rr["bound_init"], float), np.asarray(rr["backward_energy_init"], float)
    ok = np.isfinite(bnd)
    assert np.all(bnd[ok] <= meas[ok] * (1 + 1e-9) + 1e-300)
    paths = R.plot_remedies(d1, tmp_path)
    for key in ("png", "pdf", "json", "csv_table", "csv_loss"):
        assert paths[key].exists()
    assert json.loads(paths["json"].read_text())["provenance"] == "extension"


def test_escape_is_half_the_best_constant_loss():
    runs = {"x": [{"prediction": "stalls", "basis": "", "label": "x", "escaped": False,
                   "final_loss_full_graph": 0.6, "L_const": 0.69},
                  {"prediction": "stalls", "basis": "", "label": "x", "escaped": True,
                   "final_loss_full_graph": 0.1, "L_const": 0.69}]}
    row = R.remedies_table(runs)[0]
    assert row["observed"] == "mixed" and row["seeds_agreeing"] == 1 and row["seeds_escaping"] == 1


def test_cli(tmp_path, capsys):
    from backsmooth.cli import main

    code = main(["figure", "remedies", "--n", "120", "--epochs", "1", "--out", str(tmp_path), "--no-progress"])
    assert code == 0
    out = capsys.readouterr().out
    assert "vanilla" in out and "mean_subtraction" in out and "load average" in out
    assert (tmp_path / "remedies_table.csv").exists()


def test_cli_rejects_bad_epochs(tmp_path, capsys):
    from backsmooth.cli import main

    assert main(["figure", "remedies", "--epochs", "-1", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "--epochs must be >= 0" in capsys.readouterr().err


def test_sweep_example_on_a_tiny_grid(tmp_path):
    spec = importlib.util.spec_from_file_location("remedies_sweep", ROOT / "examples" / "remedies_sweep.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    config = json.loads((ROOT / "examples" / "remedies-sweep.json").read_text())
    config["fixed"].update(epochs=2, width=4)
    config["grid"] = {"depth": [2, 3], "graph": ["csbm:n=40,c=8"], "architecture": ["gnn", "gcnii", "pairnorm"],
                      "seed": [0]}
    rows = mod.run(config, tmp_path)
    assert len(rows) == 6 and all(0 < r[2] < 1 for r in rows)
    assert (tmp_path / "remedies-sweep.png").exists()
    with pytest.raises(ValueError, match="unknown architecture"):
        from backsmooth.sweep import run_point, grid_points

        bad = dict(config, grid={"architecture": ["batchnorm"]})
        run_point(grid_points(bad)[0])


def test_report_section(tmp_path):
    from backsmooth.report.sections import RUNNERS, SectionContext, figure_names

    assert "remedies" in figure_names()
    ctx = SectionContext(out=tmp_path, figures={"remedies": {"quick": True, "epochs": 0}})
    status, data, _ = RUNNERS["figure"]("remedies", ctx)
    assert status == "done" and data["provenance"] == "extension"
    assert "predicted" in data["caption"] and data["images"]
    assert data["settings"]["epochs"] == 0
