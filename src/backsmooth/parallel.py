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
1 means serial, in this process (no pool).  Where the count was not pinned, a scheduler may add
one worker when the finished tasks show that the workers do not get their cores
(:class:`CoreShare`: another process shares them); how many workers never changes a result.

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

__all__ = ["CONTENDED_SHARE", "CoreShare", "available_cpus", "count_is_pinned", "map_in_workers",
           "one_blas_thread", "process_pool", "worker_count"]


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(os.cpu_count() or 1, 1)


def _jobs_from_environment() -> bool:
    return bool(os.environ.get("BACKSMOOTH_JOBS", "").strip())


def count_is_pinned(jobs=None) -> bool:
    """Whether :func:`worker_count` takes its count from ``jobs`` or ``$BACKSMOOTH_JOBS``
    (pinned: used as it is) rather than from the CPUs (a scheduler may then add a worker)."""
    return jobs is not None or _jobs_from_environment()


def worker_count(jobs=None, *, tasks=None) -> int:
    """Workers to use: ``jobs``, else ``$BACKSMOOTH_JOBS``, else :func:`available_cpus`.

    At most ``tasks`` (when given) and at least 1.  A bad value is a ``ValueError``.
    """
    source = "jobs"
    if jobs is None and _jobs_from_environment():
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


#: below this share of a core per worker (CPU seconds over wall seconds of the finished tasks)
#: the cores are contended: one extra runnable process next to two workers and a process that
#: keeps a core busy gives each of the three 2/3 of a core (measured: 0.63-0.66 per worker of
#: ``report --quick`` beside a memory-streaming load on one of 2 cores; 0.99 on a quiet machine)
CONTENDED_SHARE = 0.8
#: wall seconds of finished, computed tasks needed before the share is judged
_SHARE_MIN_WALL = 4.0


class CoreShare:
    """The share of a core the workers got over their finished tasks, to add a worker under load.

    ``add(cpu_seconds, wall_seconds)`` for every task a worker computed; :meth:`contended` is
    True once at least ``min_wall`` wall seconds were measured and the workers got less than
    ``threshold`` of a core over them.  On 2 cores shared with one busy process, 3 workers get
    3/4 of the 2 cores instead of 2/3 (the scheduler is fair per process): the report's sections
    finish about 10% sooner, and their results are the same (every task is computed by the same
    code, whichever worker runs it).  On a quiet machine the share stays near 1 and nothing is
    added.

    Examples
    --------
    >>> share = CoreShare()
    >>> share.add(1.9, 2.0); share.contended()   # too little measured yet
    False
    >>> share.add(2.6, 4.0); share.contended()   # 4.5 CPU s in 6 s: 0.75 of a core
    True
    """

    def __init__(self, threshold: float = CONTENDED_SHARE, min_wall: float = _SHARE_MIN_WALL):
        if not 0 < threshold <= 1:
            raise ValueError(f"threshold must lie in (0, 1], got {threshold!r}")
        self.threshold, self.min_wall = float(threshold), float(min_wall)
        self.cpu = self.wall = 0.0

    def add(self, cpu_seconds: float, wall_seconds: float) -> None:
        """Count one finished task's CPU and wall seconds (negative or NaN values are refused)."""
        cpu, wall = float(cpu_seconds), float(wall_seconds)
        if not (cpu >= 0 and wall >= 0):
            raise ValueError(f"CPU and wall seconds must be non-negative, got {cpu!r}, {wall!r}")
        self.cpu += cpu
        self.wall += wall

    @property
    def share(self) -> float:
        """CPU seconds over wall seconds of the tasks counted (1.0 before any)."""
        return self.cpu / self.wall if self.wall > 0 else 1.0

    def contended(self) -> bool:
        """True when enough was measured and the share is below the threshold."""
        return self.wall >= self.min_wall and self.share < self.threshold


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
