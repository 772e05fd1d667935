"""Tests of backsmooth.costs: the one home of the schedulers' costs (measured, else by hand)."""

import json

import pytest

from backsmooth import costs as C


@pytest.fixture
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKSMOOTH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BACKSMOOTH_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _doc(profile="quick"):
    sec = lambda kind, name, cpu, **kw: dict({"kind": kind, "name": name, "status": "done",
                                               "cpu_seconds": cpu, "data": {}}, **kw)
    return {"settings": {"profile": profile}, "sections": {
        "figure/1": sec("figure", "1", 20.0),
        "check/lemma1": sec("check", "lemma1", 0.6, data={"summary": {"instances": 30}}),
        "proof/theorem3": sec("proof", "theorem3", 0.01, cached=True),  # from the cache
        "check/gcn": dict(sec("check", "gcn", 3.0), status="error")}}


def test_hand_table_without_measurements(folder):
    assert C.measured() == {}
    assert C.section_cost("figure/1", "quick") == C.SECTION_CPU_SECONDS["figure/1"]
    assert C.section_cost("proof/unknown", "quick") == C._KIND_SECONDS["proof"]
    assert C.check_ms_per_instance("corollary2") == C.CHECK_MS_PER_INSTANCE["corollary2"]


def test_measured_costs_win_and_cached_sections_are_not_recorded(folder):
    C.record(_doc())
    data = json.loads((folder / "costs.json").read_text())
    assert data["sections"]["quick"] == {"figure/1": 20.0, "check/lemma1": 0.6}
    assert C.section_cost("figure/1", "quick") == 20.0
    assert C.section_cost("figure/1", "full") == C.SECTION_CPU_SECONDS["figure/1"]  # per profile
    assert C.section_cost("proof/theorem3", "quick") == C.SECTION_CPU_SECONDS["proof/theorem3"]
    # a report's check section includes plotting: no per-instance cost is taken from it
    assert C.check_ms_per_instance("lemma1") == C.CHECK_MS_PER_INSTANCE["lemma1"]
    assert "gcn" not in data["sections"]["quick"]  # crashed: not recorded


def test_no_cache_neither_reads_nor_writes(folder, monkeypatch):
    monkeypatch.setenv("BACKSMOOTH_NO_CACHE", "1")
    C.record(_doc())
    assert not (folder / "costs.json").exists()
    assert C.measured() == {}


def test_damaged_file_falls_back_to_the_hand_table(folder):
    folder.mkdir(parents=True)
    (folder / "costs.json").write_text("{")
    assert C.section_cost("figure/1", "quick") == C.SECTION_CPU_SECONDS["figure/1"]


def test_both_schedulers_read_the_same_home(folder):
    from backsmooth.cli.check import _work
    from backsmooth.report import _cost

    C.record(_doc())
    assert _cost("figure/1", "quick") == 20.0
    assert _work(("corollary2",), {"trials": 10}) == pytest.approx(1280.0)  # the hand table
    path = folder / "costs.json"
    path.write_text(json.dumps(dict(json.loads(path.read_text()),
                                    check_ms_per_instance={"lemma1": 20.0})))
    assert _work(("lemma1",), {"trials": 10}) == pytest.approx(200.0)  # a recorded table wins
