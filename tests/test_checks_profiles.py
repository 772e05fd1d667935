"""The thorough profile: 10^4 instances per check, split in chunks, in processes or on dask."""

import argparse
import json

from backsmooth.checks import PROFILES, check
from backsmooth.cli import check as _cmd_check
from backsmooth.sweep import check_totals, run_sweep


def _cli(*argv):
    parser = argparse.ArgumentParser()
    _cmd_check.register(parser.add_subparsers())
    return _cmd_check.run(parser.parse_args(["check", *argv]))


def test_thorough_profile_is_ten_thousand_instances():
    assert PROFILES["thorough"]["trials"] >= 10_000
    assert PROFILES["default"] == {}


def test_chunks_rebuild_the_same_instances():
    whole = check("theorem2_relu", trials=4, seed=5)
    parts = [check("theorem2_relu", trials=2, seed=5, start=s) for s in (0, 2)]
    rows = [r for p in parts for r in p.records]
    key = lambda r: (r["instance"], r["part"])  # noqa: E731
    assert sorted(map(key, rows)) == sorted(map(key, whole.records))
    by = {key(r): r for r in rows}
    for r in whole.records:
        assert by[key(r)]["measured"] == r["measured"]


def test_workers_give_the_same_results(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    args = ("--all", "--trials", "2", "--no-progress")
    assert _cli(*args, "--out", str(a)) == 0
    assert _cli(*args, "--out", str(b), "--workers", "2") == 0
    sa = json.loads((a / "summary.json").read_text())
    sb = json.loads((b / "summary.json").read_text())
    assert set(sa) == set(sb)
    for name in sa:
        for k in ("instances", "violations", "unresolved", "hypotheses_not_met", "tightest_ratio"):
            assert sa[name][k] == sb[name][k], (name, k)
    assert "row(s) unresolved" in capsys.readouterr().out


def test_sweep_chunks_add_up(tmp_path):
    cfg = {"task": "check", "fixed": {"trials": 2, "seed": 1},
           "grid": {"claim": ["theorem1"], "start": [0, 2]}}
    info = run_sweep(cfg, tmp_path / "r.jsonl", workers=1)
    assert info["ran"] == 2
    t = check_totals(tmp_path / "r.jsonl")["theorem1"]
    whole = check("theorem1", trials=4, seed=1)
    assert t["chunks"] == 2 and t["instances"] == 4
    assert t["violations"] == whole.summary["violations"] == 0
    assert t["tightest_ratio"] == whole.summary["tightest_ratio"]
