"""backsmooth.parallel: a worker's own initializer runs after the BLAS limit; the measured share
of a core (:class:`~backsmooth.parallel.CoreShare`) that adds a worker under contention.

The shares below are the ones measured for ``report --quick`` on 2 cores: 0.99 of a core per
worker on a quiet machine, 0.63-0.66 beside a memory-streaming process pinned to one core.
"""

import os

import pytest

from backsmooth.parallel import CONTENDED_SHARE, CoreShare, process_pool

_SEEN = []


def _remember(*values):
    _SEEN[:] = [os.getpid(), *values]


def _seen():
    from threadpoolctl import threadpool_info

    blas = [i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"]
    return list(_SEEN), blas


def test_initializer_runs_in_each_worker_with_one_blas_thread():
    with process_pool(1, initializer=_remember, initargs=("a", 2)) as pool:
        seen, blas = pool.submit(_seen).result()
    assert seen[1:] == ["a", 2] and seen[0] != os.getpid()
    assert all(n == 1 for n in blas)


def test_without_initializer_only_the_blas_limit():
    with process_pool(1) as pool:
        seen, blas = pool.submit(_seen).result()
    assert seen == [] and all(n == 1 for n in blas)


class TestCoreShare:
    def test_quiet_machine_is_not_contended(self):
        share = CoreShare()
        for cpu, wall in [(20.36, 20.52), (7.63, 7.72), (2.82, 2.86)]:  # report --quick, quiet
            share.add(cpu, wall)
        assert not share.contended() and share.share > 0.98

    def test_two_workers_beside_a_busy_process_are_contended(self):
        share = CoreShare()
        share.add(13.2, 20.5)  # figure/1 beside the load: 0.64 of a core
        assert share.contended()

    def test_nothing_is_judged_before_enough_was_measured(self):
        share = CoreShare()
        share.add(0.5, 1.0)
        assert share.share == 0.5 and not share.contended()
        share.add(1.5, 3.0)  # 4 s measured
        assert share.contended()

    def test_the_threshold_is_a_strict_bound(self):
        share = CoreShare()
        share.add(CONTENDED_SHARE * 10.0, 10.0)
        assert not share.contended()
        share.add(0.0, 0.01)
        assert share.contended()

    @pytest.mark.parametrize("cpu, wall", [(-1.0, 1.0), (1.0, -1.0), (float("nan"), 1.0)])
    def test_bad_seconds_are_refused(self, cpu, wall):
        with pytest.raises(ValueError, match="non-negative"):
            CoreShare().add(cpu, wall)

    def test_bad_threshold_is_refused(self):
        with pytest.raises(ValueError, match="threshold"):
            CoreShare(threshold=1.5)
