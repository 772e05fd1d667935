"""Speed-ups of ``check --all`` change nothing that is judged: shared passes, chunks, memos.

Each test compares the fast path with the plain one (``check`` one check at a time, one run
over all instances, an empty memo) row by row.
"""

import json

import numpy as np
import pytest

from backsmooth.checks import ORDER, check
from backsmooth.checks._framework import CHUNK_MERGE, SHARED_PASSES, _jsonable
from backsmooth.checks._runner import check_many, merge_chunks, shared_groups


def _dump(result):
    return json.dumps(_jsonable({"settings": result.settings, "records": result.records,
                                 "summary": result.summary, "notes": result.notes}),
                      sort_keys=True, default=str)


def test_every_shared_pass_is_a_set_of_registered_checks_with_the_same_defaults():
    from backsmooth.checks import CHECKS

    assert SHARED_PASSES, "lemma1-4 and the remedies are run in shared passes"
    for group in SHARED_PASSES:
        assert all(name in ORDER for name in group)
        assert all(CHECKS[name].defaults == CHECKS[group[0]].defaults for name in group)


@pytest.mark.parametrize("group", list(SHARED_PASSES), ids="+".join)
def test_shared_pass_equals_one_check_at_a_time(group):
    shared = check_many(list(group), trials=4, seed=11)
    alone = [check(name, trials=4, seed=11) for name in group]
    assert [r.name for r in shared] == list(group)
    for a, b in zip(alone, shared):
        assert _dump(a) == _dump(b), a.name


def test_shared_pass_keeps_bound_scaling_and_fails():
    shared = check_many(["lemma1", "lemma2", "lemma3", "lemma4"], trials=6, seed=0,
                        bound_scale=1e-3)
    assert all(r.violations > 0 for r in shared)
    assert all(r.settings["bound_scale"] == 1e-3 for r in shared)


def test_shared_groups_keep_order_and_only_whole_groups():
    assert shared_groups(["theorem1", "lemma2", "lemma1"]) == [("theorem1",), ("lemma2",),
                                                              ("lemma1",)]
    units = shared_groups(list(ORDER))
    assert ("lemma1", "lemma2", "lemma3", "lemma4") in units
    assert sorted(n for u in units for n in u) == sorted(ORDER)


def test_check_many_progress_counts_check_instances():
    seen = []
    check_many(["lemma1", "lemma2", "lemma3", "lemma4"], trials=3, progress=seen.append)
    assert sum(seen) == 4 * 3


def test_corollary2_chunks_merge_into_the_single_run():
    assert "corollary2" in CHUNK_MERGE
    settings = {"trials": 5, "seed": 2, "depths": [2, 4, 8]}
    whole = check("corollary2", **settings)
    chunks = [check("corollary2", start=2, trials=3, seed=2, depths=[2, 4, 8]),
              check("corollary2", start=0, trials=2, seed=2, depths=[2, 4, 8])]
    assert _dump(merge_chunks("corollary2", chunks, settings)) == _dump(whole)


def test_merge_chunks_refuses_gaps_and_unmergeable_checks():
    a = check("corollary2", start=0, trials=1, seed=2, depths=[2, 4])
    c = check("corollary2", start=2, trials=1, seed=2, depths=[2, 4])
    with pytest.raises(ValueError, match="do not cover"):
        merge_chunks("corollary2", [a, c], {"trials": 3, "seed": 2, "depths": [2, 4]})
    with pytest.raises(ValueError, match="cannot be merged"):
        merge_chunks("theorem1", [check("theorem1", trials=1)], {"trials": 1})


def test_cli_tasks_split_corollary2_evenly_and_cover_its_instances():
    from backsmooth.cli.check import _tasks, _units

    own = {"seed": 0, "trials": 10_000}
    tasks = _tasks(_units([(n, own) for n in ORDER]), 2)
    chunks = [o for u, o, whole in tasks if whole is not None]
    assert chunks and all(u == ("corollary2",) for u, _, w in tasks if w is not None)
    starts = sorted((o["start"], o["trials"]) for o in chunks)
    assert starts[0][0] == 0 and sum(t for _, t in starts) == 10_000
    assert all(a + t == b for (a, t), (b, _) in zip(starts, starts[1:]))
    # every other check runs whole, once
    whole = [u for u, _, w in tasks if w is None]
    assert sorted(n for u in whole for n in u) == sorted(n for n in ORDER if n != "corollary2")


def test_instance_memo_gives_the_same_instances():
    from backsmooth.checks import _memo
    from backsmooth.checks._instances import build_instance
    from backsmooth.checks.lemmas import DEFAULTS

    settings = dict(DEFAULTS, seed=4)
    warm = [build_instance(settings, i) for i in range(40)]
    warm = [build_instance(settings, i) for i in range(40)]  # second time: from the memo
    _memo._GRAPHS.clear()
    _memo._REPORTS.clear()
    cold = [build_instance(settings, i) for i in range(40)]
    assert any(_memo._cacheable(inst.params["graph"]) for inst in cold)
    for a, b in zip(warm, cold):
        assert a.params == b.params and a.P_report == b.P_report
        np.testing.assert_array_equal(a.P, b.P)
        np.testing.assert_array_equal(a.X0, b.X0)
        for wa, wb in zip(a.weights, b.weights):
            np.testing.assert_array_equal(wa, wb)
        assert a.P is not b.P


def test_memo_returns_copies():
    from backsmooth.checks._memo import graph_and_matrix

    rng = np.random.default_rng(0)
    P1 = graph_and_matrix("cycle:5", "lazy", rng)[0]
    P1[0, 0] = 99.0
    assert graph_and_matrix("cycle:5", "lazy", rng)[0][0, 0] != 99.0
