"""The main job's one worker-process mechanism: how many workers, the pool, one BLAS thread each.

``backsmooth report`` runs its sections and ``backsmooth figure`` its independent training
runs in worker processes made by :func:`process_pool` (the figures' workers also stream the
local certificate's inputs back to the parent process, set up by an ``initializer``);
:func:`map_in_workers` is an ordered map over such workers.  Each worker limits BLAS to one
thread (:func:`one_blas_thread`): the matrices are thin (n x 32) and oversubscribed BLAS
threads on a loaded 2-core machine were measured an order of magnitude slower (20 deep-GNN
epochs: 120 s with default threads, 1.8 s with one).  The numbers do not depend on the number
of workers: every task is computed by the same code on one BLAS thread, in or out of a worker
(tested in ``tests/test_figures.py``).

How many workers (:func:`worker_count`): the ``jobs`` argument if given, else
``$BACKSMOOTH_JOBS`` if set, else the CPUs this process may run on; never more than the tasks;
1 means serial, in this process (no pool).

Examples
--------
>>> map_in_workers(pow, [(2, 3), (3, 2)], jobs=1)
[8, 9]
>>> worker_count(1, tasks=4), worker_count(8, tasks=3)
(1, 3)
"""

from __future__ import annotations

import concurrent.futures as cf
import os

__all__ = ["available_cpus", "map_in_workers", "one_blas_thread", "process_pool", "worker_count"]


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def worker_count(jobs=None, *, tasks=None) -> int:
    """Workers to use: ``jobs``, else ``$BACKSMOOTH_JOBS``, else :func:`available_cpus`.

    At most ``tasks`` (when given) and at least 1.  A bad value is a ``ValueError``.
    """
    source = "jobs"
    if jobs is None and os.environ.get("BACKSMOOTH_JOBS", "").strip():
        jobs, source = os.environ["BACKSMOOTH_JOBS"], "BACKSMOOTH_JOBS"
    if jobs is None:
        jobs = available_cpus()
    try:
        n = int(str(jobs).strip())
    except ValueError:
        n = 0
    if n < 1:
        raise ValueError(f"{source} must be a positive integer, got {jobs!r}")
    return max(1, min(n, tasks)) if tasks is not None else n


def one_blas_thread():
    """Context limiting BLAS to one thread: the engine's own limit
    (:func:`backsmooth.numeric._tuning.one_blas_thread`, one cached threadpoolctl controller)."""
    from backsmooth.numeric._tuning import one_blas_thread as limit

    return limit()


_WORKER_LIMIT = []


def _init_worker(then=None, args=()):
    """Worker initialiser: one BLAS thread for the life of the worker, then ``then(*args)``."""
    _WORKER_LIMIT.append(one_blas_thread().__enter__())
    if then is not None:
        then(*args)


def process_pool(jobs: int, *, initializer=None, initargs=()) -> cf.ProcessPoolExecutor:
    """A pool of ``jobs`` worker processes, each with one BLAS thread; ``initializer(*initargs)``
    then runs in each worker (as for :class:`concurrent.futures.ProcessPoolExecutor`)."""
    return cf.ProcessPoolExecutor(max_workers=int(jobs), initializer=_init_worker,
                                  initargs=(initializer, tuple(initargs)))


def map_in_workers(fn, tasks, *, jobs=1, on_done=None, meanwhile=None) -> list:
    """``[fn(*t) for t in tasks]``, in ``jobs`` worker processes; results in task order.

    ``on_done(index, result)`` is called in this process as each task finishes (e.g. to
    advance a progress bar).  ``meanwhile()`` is called in this process once every task is
    handed to the workers (work this process would otherwise do after them, e.g. imports;
    it must not change what the tasks compute), or after the tasks when they run here.
    ``jobs=1`` runs serially in this process, on one BLAS thread.
    """
    tasks = [tuple(t) for t in tasks]
    results = [None] * len(tasks)
    if jobs <= 1 or len(tasks) <= 1:
        with one_blas_thread():
            for i, t in enumerate(tasks):
                results[i] = fn(*t)
                if on_done is not None:
                    on_done(i, results[i])
        if meanwhile is not None:
            meanwhile()
        return results
    with process_pool(min(jobs, len(tasks))) as pool:
        futures = {pool.submit(fn, *t): i for i, t in enumerate(tasks)}
        if meanwhile is not None:
            meanwhile()
        for fut in cf.as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            if on_done is not None:
                on_done(i, results[i])
    return results
