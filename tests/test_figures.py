"""Tests of backsmooth.figures: the claims each figure makes, checked on the data it plots.

Quick settings (n = 500, 200 epochs, docs/experiment-settings.md 'Quick'), one seed.
"""

import argparse
import json

import numpy as np
import pytest

from backsmooth.cli import figure as _cmd_figure
from backsmooth.figures import (
    default_settings, figure1_data, figure2_data, mechanism_data, phase_data, plot_figure1,
    plot_figure2, plot_mechanism, plot_phase, stationary_epoch,
)

RTOL = 1e-10  # float64 round-off allowance for bounds evaluated at measured quantities


@pytest.fixture(scope="module")
def settings():
    return default_settings(quick=True)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def fig1(settings, cache):
    return figure1_data(settings, seeds=[0], cache_dir=cache)


@pytest.fixture(scope="module")
def fig2(settings):
    return figure2_data(settings, seeds=[0])


class TestFigure1Claims:
    def test_deep_gnn_stationary_output_layer_then_every_layer_below_theorem3_delta(self, fig1, settings):
        L = settings.deep_depth
        run = fig1["runs"][f"gnn{L}"][0]
        th = fig1["theory"]
        start = th["stationary_epoch"][0]
        assert start is not None, "the deep GNN's output layer never became stationary"
        ep = th["delta_epochs"][0]
        after = ep >= start
        assert after.sum() >= 5
        grads = run["gradient_norms"][ep[after]]                 # epochs x (L+1)
        delta = th["delta_per_layer"][0][after]
        assert np.all(grads <= delta * (1 + RTOL)), "a layer's gradient exceeds its Theorem 3 delta_k"
        # and the loss stays at the best constant predictor's loss (log 2) after that epoch
        loss_after = run["loss"][start:]
        assert np.max(np.abs(loss_after - run["L_const"])) <= 1e-3 * run["L_const"]
        np.testing.assert_allclose(run["L_const"], np.log(2), rtol=1e-3)

    def test_deep_gnn_gradients_vanish(self, fig1, settings):
        run = fig1["runs"][f"gnn{settings.deep_depth}"][0]
        g = run["gradient_norms"]
        assert g[-1].max() <= 1e-5 * g[0].max()
        assert run["mean_output_error"][-1] <= 1e-5 * run["mean_output_error"][0]

    def test_deep_mlp_loss_falls_well_below_constant(self, fig1, settings):
        run = fig1["runs"][f"mlp{settings.deep_depth}"][0]
        assert run["loss"][-1] <= 0.5 * run["L_const"]

    def test_shallow_gnn_trains(self, fig1, settings):
        run = fig1["runs"][f"gnn{settings.shallow_depth}"][0]
        assert run["loss"][-1] <= 0.25 * run["L_const"]
        assert run["train_accuracy"][-1] >= 0.9

    def test_stationary_epoch_definition(self):
        g = np.array([1.0, 0.5, 0.001, 0.2, 0.001, 0.0001])
        assert stationary_epoch(g, 0.01) == 4
        assert stationary_epoch(np.array([1.0, 1.0]), 0.01) is None


class TestFigure2Claims:
    def test_forward_energy_obeys_theorem1_and_fitted_rate(self, fig2):
        e = fig2["gnn"][0]
        EX = np.asarray(e["E_X"])
        assert np.all(np.diff(EX) < 0), "E(X^(k)) must decrease with k"
        assert np.all(EX <= np.asarray(e["forward_bound"]) * (1 + RTOL))
        assert e["forward_rate_fitted"] <= e["lambda_s"]

    def test_backward_energy_decreases_from_output_to_input(self, fig2):
        e = fig2["gnn"][0]
        EB = np.asarray(e["E_B"])
        L = fig2["depth"]
        half = EB[L // 2:]
        assert np.all(np.diff(half) > 0), "E(B^(k)) must grow from the middle to the output"
        assert EB.min() <= 1e-3 * EB[L]
        assert e["backward_rate_fitted_output_half"] <= e["lambda_s"]
        # Theorem 2 (unrolled) is a bound for tanh at every k
        assert np.all(EB <= np.asarray(e["theorem2_unrolled"]) * (1 + RTOL))

    def test_mlp_barely_smooths(self, fig2):
        gnn, mlp = fig2["gnn"][0], fig2["mlp"][0]
        assert mlp["forward_rate_fitted"] > gnn["forward_rate_fitted"] + 0.2


class TestFigureFiles:
    def test_figure1_and_2_files(self, fig1, fig2, tmp_path):
        for paths, name in ((plot_figure1(fig1, tmp_path), "figure1"), (plot_figure2(fig2, tmp_path), "figure2")):
            for key in ("png", "pdf", "json"):
                assert paths[key].exists() and paths[key].stat().st_size > 0
            assert any(k.startswith("csv_") for k in paths)
            data = json.loads((tmp_path / f"{name}.json").read_text())
            assert data["provenance"] == "paper figure, our settings"
            assert data["settings"]["n"] == 500 and data["settings"]["epochs"] == 200
        header = (tmp_path / "figure1_gnn_gradients.csv").read_text().splitlines()[0].split(",")
        assert header[0] == "epoch" and header[-1] == "theorem3_delta_max"

    def test_mechanism_reuses_cached_runs(self, settings, cache, fig1, tmp_path):
        data = mechanism_data(settings, seeds=[0], cache_dir=cache)
        L = settings.deep_depth
        np.testing.assert_array_equal(data["runs"][f"gnn{L}"][0]["loss"], fig1["runs"][f"gnn{L}"][0]["loss"])
        # Lemma 3: ||grad_k|| <= mean part + fluctuation bound at the middle layer
        for name, parts in data["lemma3_parts"].items():
            run, p = data["runs"][name][0], parts[0]
            g = run["gradient_norms"][p["profile_epochs"], data["middle_layer"]]
            assert np.all(g <= (p["mean_part"] + p["fluctuation_bound"]) * (1 + 1e-9))
        paths = plot_mechanism(data, tmp_path)
        assert json.loads(paths["json"].read_text())["provenance"] == "extension"

    def test_phase_small_grid(self, tmp_path):
        st = default_settings(quick=True).with_(n=300, epochs=150)
        data = phase_data(st, seeds=[0], degrees=(50,), depths=(2, 24), cache_dir=tmp_path / "c")
        assert data["ratio_gnn"][0, 0] < 0.5          # shallow GNN trains
        assert data["ratio_gnn"][0, 1] > 0.99         # deep GNN at lambda ~ 0.6 stays at L_const
        assert data["ratio_mlp"][1] < 0.9             # the deep MLP moves away from L_const
        paths = plot_phase(data, tmp_path)
        assert paths["png"].exists() and paths["csv_ratio"].exists()


class TestCommand:
    def test_parser_and_bad_input(self, tmp_path):
        parser = argparse.ArgumentParser(prog="backsmooth")
        _cmd_figure.register(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["figure", "2", "--quick", "--out", str(tmp_path), "--no-progress"])
        assert args.func(args) == 0
        assert (tmp_path / "figure2.png").exists()
        with pytest.raises(SystemExit):
            parser.parse_args(["figure", "3"])
        bad = parser.parse_args(["figure", "2", "--seeds", "0"])
        with pytest.raises(ValueError, match="--seeds"):
            bad.func(bad)


class TestWorkers:
    """Figure 1's independent training runs in worker processes: the same bytes as serial."""

    @pytest.mark.slow
    def test_two_workers_write_the_serial_bytes(self, tmp_path):
        st = default_settings(quick=True).with_(n=120, epochs=12, deep_depth=6, shallow_depth=2,
                                                profile_every=4)
        out = {}
        for jobs in (1, 2):
            folder = tmp_path / f"jobs{jobs}"
            data = figure1_data(st, seeds=[0], cache_dir=folder / "cache", jobs=jobs)
            paths = plot_figure1(data, folder)
            out[jobs] = {p.name: p.read_bytes() for p in paths.values() if p.suffix != ".pdf"}
        assert out[1] and out[1].keys() == out[2].keys()
        for name in out[1]:
            assert out[1][name] == out[2][name], name

    def test_worker_count(self, monkeypatch):
        from backsmooth.parallel import available_cpus, worker_count

        monkeypatch.delenv("BACKSMOOTH_JOBS", raising=False)
        assert worker_count(None, tasks=64) == available_cpus()
        assert worker_count(None, tasks=1) == 1 and worker_count(3, tasks=8) == 3
        monkeypatch.setenv("BACKSMOOTH_JOBS", "1")
        assert worker_count(None, tasks=4) == 1
        assert worker_count(2, tasks=4) == 2  # the argument wins over the variable
        for bad in ("0", "two", "-1"):
            monkeypatch.setenv("BACKSMOOTH_JOBS", bad)
            with pytest.raises(ValueError, match="BACKSMOOTH_JOBS"):
                worker_count(None)
        with pytest.raises(ValueError, match="jobs"):
            worker_count(0)

    @pytest.mark.parametrize("jobs", [1, 2])
    def test_meanwhile_runs_once_and_changes_no_result(self, jobs):
        from backsmooth.parallel import map_in_workers

        calls = []
        done = []
        out = map_in_workers(pow, [(2, 3), (3, 2), (5, 1)], jobs=jobs,
                             on_done=lambda i, r: done.append(i), meanwhile=lambda: calls.append(1))
        assert out == [8, 9, 5] and calls == [1] and sorted(done) == [0, 1, 2]
