"""backsmooth.parallel.process_pool: a worker's own initializer runs after the BLAS limit."""

import os

from backsmooth.parallel import process_pool

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
