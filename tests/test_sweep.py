"""Tests of resumable sweeps (src/backsmooth/sweep.py)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from backsmooth.sweep import grid_points, load_config, point_key, read_results, run_sweep

CONFIG = {
    "task": "profile",
    "fixed": {"graph": "csbm:n=120,c=20", "width": 8},
    "grid": {"depth": [2, 4, 6, 8], "activation": ["tanh", "relu"], "seed": [0, 1]},
}


def _rows(path):
    return {k: v["result"] for k, v in read_results(path).items()}


class TestGrid:
    def test_every_point_once_with_stable_keys(self):
        points = grid_points(CONFIG)
        assert len(points) == 16
        keys = [point_key(p) for p in points]
        assert len(set(keys)) == 16
        assert point_key(dict(reversed(list(points[0].items())))) == keys[0]

    def test_unknown_parameter_is_named(self):
        with pytest.raises(ValueError, match=r"parameters \['dept'\] are unknown"):
            grid_points({"task": "profile", "grid": {"dept": [1]}})

    def test_unknown_task(self):
        with pytest.raises(ValueError, match="known tasks: profile, train, check"):
            grid_points({"task": "fly", "grid": {}})

    def test_toml_config(self, tmp_path):
        path = tmp_path / "s.toml"
        path.write_text('task = "profile"\n[grid]\ndepth = [2, 3]\n')
        assert len(grid_points(load_config(path))) == 2


class TestResume:
    def test_torn_last_line_is_ignored_and_rerun(self, tmp_path):
        out = tmp_path / "r.jsonl"
        small = {**CONFIG, "grid": {"depth": [2, 3], "seed": [0]}}
        run_sweep(small, out, workers=1)
        full = _rows(out)
        lines = out.read_text().splitlines()
        out.write_text(lines[0] + "\n" + lines[1][: len(lines[1]) // 2])  # simulate a cut write
        info = run_sweep(small, out, workers=1)
        assert info["ran"] == 1 and info["skipped"] == 1
        assert _rows(out) == full

    def test_killed_sweep_resumes_without_loss_or_repeat(self, tmp_path):
        # training points (~0.3 s each) so that a kill after the first results lands midway
        # whatever the machine's speed (profile points take ~5 ms: the whole sweep could
        # finish before the kill)
        slow = {"task": "train", "fixed": {"graph": "csbm:n=300,c=20", "width": 8, "epochs": 300},
                "grid": {"depth": [2, 4, 6, 8], "activation": ["tanh", "relu"], "seed": [0, 1]}}
        config = tmp_path / "c.json"
        config.write_text(json.dumps(slow))
        reference = tmp_path / "ref.jsonl"
        run_sweep(slow, reference, workers=2)

        out = tmp_path / "out.jsonl"
        cmd = [sys.executable, "-m", "backsmooth.cli", "sweep", str(config), "--out", str(out),
               "--workers", "1", "--no-progress"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline and len(read_results(out)) < 2:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        partial = read_results(out)
        assert 2 <= len(partial) < 16, "the sweep should have been killed midway"

        info = run_sweep(slow, out, workers=2)
        assert info["skipped"] == len(partial) and info["ran"] == 16 - len(partial)
        keys = [json.loads(line)["key"] for line in out.read_text().splitlines() if line.strip().startswith("{")]
        assert len(keys) == len(set(keys)) == 16, "a finished point ran twice or one was lost"
        assert _rows(out) == _rows(reference)  # seeded points: identical numbers


def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed", reason="dask.distributed is an optional extra")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1",
                                  dashboard_address=None, processes=True, protocol="tcp") as cluster:
        small = {**CONFIG, "grid": {"depth": [2, 3]}}
        info = run_sweep(small, tmp_path / "d.jsonl", scheduler=cluster.scheduler_address)
    assert info["ran"] == 2
    reference = tmp_path / "l.jsonl"
    run_sweep(small, reference, workers=1)
    assert _rows(tmp_path / "d.jsonl") == _rows(reference)
