"""The engine's measured configuration (panel width, threads, row blocks): pins and the probe.

Pinned settings (operator arguments or environment variables) are honoured and never
re-measured; with every setting pinned nothing is timed; the probe picks the fastest
configuration it measured; and the numbers never depend on the configuration (bit for bit).
"""

import threading
import time

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import _sparse, _tuning, gnn, gradients, initial_weights
from backsmooth.numeric._sparse import PropagationOperator


def random_graph(n, seed, degree=6):
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, n, n * degree // 2)
    cols = rng.integers(0, n, n * degree // 2)
    A = sp.coo_array((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    A = ((A + A.T) > 0).astype(float)
    A.setdiag(0)
    A.eliminate_zeros()
    deg = np.asarray(A.sum(axis=1)).ravel()
    return sp.csr_array(sp.eye_array(n) - (sp.diags_array(deg) - A) / (deg.max() + 1))


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """An empty choice cache, no pins from the environment, small chunks so threads split."""
    for var in ("BACKSMOOTH_NUM_THREADS", "BACKSMOOTH_PANEL_COLUMNS", "BACKSMOOTH_ROW_BLOCKS",
                "BACKSMOOTH_PROBE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(_tuning, "_CHOICES", {})
    monkeypatch.setattr(_sparse, "_PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(_sparse, "_CHUNK_ROWS", 16)


def _forbid_probe(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the probe ran although every setting was pinned")

    monkeypatch.setattr(_tuning, "probe_product", boom)


class TestPins:
    def test_arguments_are_honoured_without_timing(self, monkeypatch):
        _forbid_probe(monkeypatch)
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        op = PropagationOperator(random_graph(200, 0), threads=1, panel_columns=4, row_blocks=3)
        c = op.choice(16, np.float64)
        assert (c.panel_columns, c.threads, c.row_blocks, c.source) == (4, 1, 3, "pinned")
        assert op.column_panels(16, np.float64) == [(0, 4), (4, 8), (8, 12), (12, 16)]
        assert op.column_panels(6, np.float64) == [(0, 4), (4, 6)]

    def test_environment_is_honoured(self, monkeypatch):
        _forbid_probe(monkeypatch)
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", "2")
        monkeypatch.setenv("BACKSMOOTH_PANEL_COLUMNS", "8")
        monkeypatch.setenv("BACKSMOOTH_ROW_BLOCKS", "5")
        c = PropagationOperator(random_graph(200, 0)).choice(32, np.float64)
        assert (c.panel_columns, c.threads, c.row_blocks, c.source) == (8, 2, 5, "pinned")

    def test_argument_overrides_environment_and_zero_means_no_split(self, monkeypatch):
        monkeypatch.setenv("BACKSMOOTH_PANEL_COLUMNS", "8")
        op = PropagationOperator(random_graph(200, 0), panel_columns=0, threads=2, row_blocks=2)
        assert op.column_panels(32, np.float64) == [(0, 32)]

    @pytest.mark.parametrize("var,value", [("BACKSMOOTH_PANEL_COLUMNS", "-1"),
                                           ("BACKSMOOTH_ROW_BLOCKS", "0"),
                                           ("BACKSMOOTH_NUM_THREADS", "two")])
    def test_bad_environment_value(self, monkeypatch, var, value):
        monkeypatch.setenv(var, value)
        with pytest.raises(ValueError, match=var):
            PropagationOperator(random_graph(50, 0))

    def test_bad_argument(self):
        with pytest.raises(ValueError, match="row_blocks must be a positive integer"):
            PropagationOperator(random_graph(50, 0), row_blocks=0)

    def test_partial_pin_is_kept_whatever_the_timings(self, monkeypatch):
        """Random costs per configuration: the probe's other choices vary, the pinned panel
        width never does."""
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        rng = np.random.default_rng(0)
        real = _tuning.probe
        seen = set()
        for trial in range(8):
            monkeypatch.setattr(_tuning, "_CHOICES", {})
            costs, now = {}, [0.0]

            def run(c, costs=costs, now=now):
                key = (c.panel_columns, c.threads, c.row_blocks)
                now[0] += costs.setdefault(key, float(rng.uniform(0.1, 1.0)))

            monkeypatch.setattr(_tuning, "probe", lambda _, costs=costs, now=now, run=run, **kw:
                                real(run, timer=lambda: now[0], **kw))
            c = PropagationOperator(random_graph(200, 0), panel_columns=4).choice(16, np.float64)
            assert c.panel_columns == 4 and c.source == "probe"
            seen.add((c.threads, c.row_blocks))
        assert len(seen) > 1  # the unpinned settings really were left to the (random) timings


class TestProbe:
    @staticmethod
    def _fake(costs):
        """A fake product advancing a fake clock by the table's cost (default cost 10)."""
        now = [0.0]

        def run(c):
            now[0] += costs.get((c.panel_columns, c.threads, c.row_blocks), 10.0)

        return run, (lambda: now[0])

    def test_picks_a_clear_winner(self):
        """Each step leaves the default for a candidate more than 15% faster."""
        costs = {(16, 2, 32): 5.0, (8, 2, 32): 3.0, (4, 2, 32): 4.0, (8, 1, 16): 2.0,
                 (8, 1, 1): 1.0}
        run, timer = self._fake(costs)
        c = _tuning.probe(run, width=16, max_threads=2, pins={}, timer=timer)
        # one thread: blocks are not searched (they only matter between threads)
        assert (c.panel_columns, c.threads, c.row_blocks, c.source) == (8, 1, 16, "probe")
        assert set(c.timings) == {(16, 2, 32), (8, 2, 32), (4, 2, 32), (8, 1, 16)}
        assert c.timings[(8, 1, 16)] == 2.0
        assert "8/1/16 2.000 s*" in c.describe_timings()

    def test_near_equal_candidates_keep_the_default(self):
        """Candidates up to 15% faster than the default are noise: the default stays."""
        costs = {(16, 2, 32): 1.0, (32, 2, 32): 0.9, (8, 2, 32): 0.87, (4, 2, 32): 1.2,
                 (16, 1, 16): 0.86, (16, 2, 2): 0.88}
        run, timer = self._fake(costs)
        c = _tuning.probe(run, width=32, max_threads=2, pins={}, panel=16, timer=timer)
        assert (c.panel_columns, c.threads, c.row_blocks) == (16, 2, 32)
        assert len(c.timings) == 6  # every candidate was measured and is reported

    def test_one_thread_only_when_clearly_faster(self):
        for one, expected in ((0.9, 2), (0.8, 1)):
            costs = {(16, 2, 32): 1.0, (16, 1, 16): one, (16, 2, 2): 1.0}
            run, timer = self._fake(costs)
            c = _tuning.probe(run, width=16, max_threads=2, pins={}, timer=timer)
            assert c.threads == expected, one

    def test_a_win_must_be_confirmed(self):
        """A candidate fast in its first rounds only (a lucky moment) is not adopted; one
        fast in the confirmation rounds too is."""
        for lasting, expected in ((False, 16), (True, 8)):
            calls = {}
            now = [0.0]

            def run(c):
                k = (c.panel_columns, c.threads, c.row_blocks)
                calls[k] = calls.get(k, 0) + 1
                fast = k == (8, 2, 32) and (lasting or calls[k] <= 5)
                now[0] += 0.5 if fast else 1.0

            c = _tuning.probe(run, width=16, max_threads=2, pins={}, timer=lambda: now[0])
            assert c.panel_columns == expected, lasting
            assert calls[(8, 2, 32)] >= 10  # first rounds and confirmation rounds

    def test_noise_does_not_move_the_choice(self):
        """Equal true costs with 10% random noise per timing: the default, every time."""
        rng = np.random.default_rng(1)
        for trial in range(20):
            now = [0.0]

            def run(c):
                now[0] += 1.0 + 0.1 * rng.random()

            c = _tuning.probe(run, width=32, max_threads=2, pins={}, panel=16,
                              timer=lambda: now[0])
            assert (c.panel_columns, c.threads, c.row_blocks) == (16, 2, 32), trial

    def test_default_blocks_are_many_per_thread(self):
        assert _tuning.default_row_blocks(2) == 2 * _tuning._BLOCKS_PER_THREAD >= 16
        op = PropagationOperator(random_graph(200, 0), threads=2)
        assert op.choice(16, np.float64).row_blocks == _tuning.default_row_blocks(2)

    def test_median_resists_one_slow_sample(self):
        samples = iter([9.0, 2.0, 1.0, 2.0, 1.0, 2.0])  # rounds A, B: A has one 9 s outlier
        now = [0.0]

        def run(c):
            now[0] += next(samples)

        configs = ["A", "B"]
        med = _tuning._median_times(run, configs, lambda: now[0], repeats=3)
        assert med == {"A": 1.0, "B": 2.0}

    def test_small_products_are_not_probed(self, monkeypatch):
        monkeypatch.setattr(_tuning, "probe_product", lambda *a: pytest.fail("probed"))
        c = PropagationOperator(random_graph(200, 0)).choice(32, np.float64)
        assert c.source == "default"

    def test_probe_runs_once_per_shape_and_width(self, monkeypatch):
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        calls = []
        real = _tuning.probe_product
        monkeypatch.setattr(_tuning, "probe_product", lambda *a: (calls.append(1), real(*a)))
        P = random_graph(300, 1)
        first = PropagationOperator(P).choice(16, np.float64)
        n = len(calls)
        assert n > 0 and first.source == "probe"
        assert PropagationOperator(P).choice(16, np.float64) == first  # another operator
        assert len(calls) == n
        PropagationOperator(P).choice(8, np.float64)  # another width: probed
        assert len(calls) > n

    def test_probe_off(self, monkeypatch):
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        monkeypatch.setenv("BACKSMOOTH_PROBE", "0")
        monkeypatch.setattr(_tuning, "probe_product", lambda *a: pytest.fail("probed"))
        assert PropagationOperator(random_graph(200, 0)).choice(16, np.float64).source == "default"


def shuffled_schedule(seed, pause=5e-5):
    """A stand-in for ``_sparse.run_dynamic``: the tasks in a random order, on real threads
    that pause at random (an adversarial schedule: any thread may run any block, in any order)."""
    rng = np.random.default_rng(seed)

    def run(task, count, threads):
        order = iter(rng.permutation(count).tolist())
        pauses = iter((pause * rng.random(count)).tolist())
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    i, wait = next(order, None), next(pauses, 0.0)
                if i is None:
                    return
                time.sleep(wait)
                task(i)

        workers = [threading.Thread(target=worker) for _ in range(max(1, threads))]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    return run


class TestDynamicSchedule:
    @pytest.mark.parametrize("threads,count", [(1, 7), (2, 1), (2, 40), (3, 40), (8, 5)])
    def test_every_task_runs_once(self, threads, count):
        seen, lock = [], threading.Lock()

        def task(i):
            with lock:
                seen.append(i)

        _sparse.run_dynamic(task, count, threads)
        assert sorted(seen) == list(range(count))

    def test_an_error_is_raised_after_every_thread_stopped(self):
        done = []

        def task(i):
            if i == 3:
                raise RuntimeError("task 3 failed")
            done.append(i)

        with pytest.raises(RuntimeError, match="task 3 failed"):
            _sparse.run_dynamic(task, 20, 2)
        ran = len(done)
        time.sleep(0.05)
        assert 3 not in done and len(done) == ran  # nothing still runs after the raise

    def test_a_busy_pool_is_not_waited_for(self):
        """Every pool worker busy (another run): the calling thread does all the tasks and
        returns at once, instead of waiting for a helper that cannot start."""
        release = threading.Event()
        blockers = [_tuning.pool(2).submit(release.wait, 10) for _ in range(2)]
        done, finished = [], threading.Event()

        def call():
            _sparse.run_dynamic(done.append, 10, 2)
            finished.set()

        threading.Thread(target=call, daemon=True).start()
        try:
            assert finished.wait(5), "run_dynamic waited for a busy pool"
            assert sorted(done) == list(range(10))
        finally:
            release.set()
            for b in blockers:
                b.result()

    def test_a_slow_thread_takes_fewer_blocks(self):
        """A thread on a busy core (here: the calling thread, 50x slower per task) leaves
        most tasks to the free one: the point of the shared queue."""
        me, taken = threading.get_ident(), []

        def task(i):
            slow = threading.get_ident() == me
            taken.append(slow)
            time.sleep(0.02 if slow else 0.0004)

        _sparse.run_dynamic(task, 40, 2)
        assert len(taken) == 40 and sum(taken) < 10

    def test_products_use_the_dynamic_schedule(self, monkeypatch):
        calls = []
        real = _sparse.run_dynamic
        monkeypatch.setattr(_sparse, "run_dynamic",
                            lambda task, count, threads: (calls.append((count, threads)),
                                                          real(task, count, threads)))
        P = random_graph(400, 2)
        op = PropagationOperator(P, threads=2, panel_columns=0, row_blocks=12)
        X = np.random.default_rng(0).standard_normal((400, 4))
        assert np.array_equal(op.apply(X), P @ X)
        assert (12, 2) in calls  # 400 rows in chunks of 16: 25 chunks, 12 blocks
        op.map_rows(lambda a, b: None, 400, 4)
        assert (25, 2) in calls  # elementwise passes: one task per chunk


class TestSameNumbersWhateverTheChoice:
    CONFIGS = [("1", "0", "1"), ("2", "2", "5"), ("2", "4", "16"), ("3", "1", "2"),
               ("2", "0", "32"), ("3", "3", "19")]

    def _run(self, monkeypatch, P, config, symmetric_input=True):
        threads, panel, blocks = config
        monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", threads)
        monkeypatch.setenv("BACKSMOOTH_PANEL_COLUMNS", panel)
        monkeypatch.setenv("BACKSMOOTH_ROW_BLOCKS", blocks)
        rng = np.random.default_rng(3)
        X = rng.standard_normal((P.shape[0], 5))
        W = initial_weights([5] + [8] * 4 + [3], "orthogonal", scale=1.1, seed=4)
        y = rng.integers(0, 3, P.shape[0])
        return gradients(gnn(P, 4, "tanh"), X, W, loss="cross_entropy", targets=y)

    @pytest.mark.parametrize("symmetric", [True, False])
    def test_bit_identical(self, monkeypatch, symmetric):
        P = random_graph(301, 5)
        if not symmetric:
            P = sp.csr_array(P @ sp.diags_array(np.linspace(0.5, 1.5, 301)))
        results = [self._run(monkeypatch, P, c) for c in self.CONFIGS]
        ref = results[0]
        for g in results[1:]:
            assert np.array_equal(g.forward.output, ref.forward.output)
            assert g.loss == ref.loss
            for a, b in zip(g.B, ref.B):
                assert np.array_equal(a, b)
            for a, b in zip(g.weight_gradients, ref.weight_gradients):
                assert np.array_equal(a, b)

    @pytest.mark.parametrize("symmetric", [True, False])
    def test_bit_identical_whatever_the_schedule(self, monkeypatch, symmetric):
        """Blocks in random orders on threads that pause at random give the same bits as the
        one-thread run, for every thread count, block count and panel width."""
        P = random_graph(301, 7)
        if not symmetric:
            P = sp.csr_array(P @ sp.diags_array(np.linspace(0.5, 1.5, 301)))
        ref = self._run(monkeypatch, P, ("1", "0", "1"))
        for seed, config in enumerate(self.CONFIGS[1:]):
            monkeypatch.setattr(_sparse, "run_dynamic", shuffled_schedule(seed))
            g = self._run(monkeypatch, P, config)
            assert np.array_equal(g.forward.output, ref.forward.output), config
            assert g.loss == ref.loss
            for a, b in zip(g.B + g.weight_gradients, ref.B + ref.weight_gradients):
                assert np.array_equal(a, b), config

    def test_probed_equals_pinned(self, monkeypatch):
        monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
        P = random_graph(257, 6)
        pinned = self._run(monkeypatch, P, ("1", "0", "1"))
        for var in ("BACKSMOOTH_NUM_THREADS", "BACKSMOOTH_PANEL_COLUMNS", "BACKSMOOTH_ROW_BLOCKS"):
            monkeypatch.delenv(var)
        rng = np.random.default_rng(3)
        X = rng.standard_normal((257, 5))
        W = initial_weights([5] + [8] * 4 + [3], "orthogonal", scale=1.1, seed=4)
        y = rng.integers(0, 3, 257)
        net = gnn(P, 4, "tanh")
        probed = gradients(net, X, W, loss="cross_entropy", targets=y)
        assert net.operator.choice(8, np.float64).source == "probe"
        for a, b in zip(probed.weight_gradients, pinned.weight_gradients):
            assert np.array_equal(a, b)


def _blas_threads():
    from threadpoolctl import threadpool_info

    return max((i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"), default=1)


@pytest.mark.parametrize("how", ["argument", "environment"])
def test_one_engine_thread_still_limits_blas(monkeypatch, how):
    """A one-thread engine on a sparse P keeps BLAS on one thread too: BLAS's own threads,
    sized when it was loaded, would otherwise wake and spin on every small per-chunk product."""
    pytest.importorskip("threadpoolctl")
    if _blas_threads() < 2:
        pytest.skip("BLAS runs one thread here anyway")
    if how == "environment":
        monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", "1")
        op = PropagationOperator(random_graph(50, 0))
    else:
        op = PropagationOperator(random_graph(50, 0), threads=1)
    before = _blas_threads()
    with op.blas_limits():
        assert _blas_threads() == 1
    assert _blas_threads() == before


def test_dense_one_thread_engine_leaves_blas_alone(monkeypatch):
    """A dense P on a one-thread engine is one large product: BLAS keeps its threads."""
    pytest.importorskip("threadpoolctl")
    if _blas_threads() < 2:
        pytest.skip("BLAS runs one thread here anyway")
    monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", "1")
    op = PropagationOperator(np.full((4, 4), 0.25))
    before = _blas_threads()
    with op.blas_limits():
        assert _blas_threads() == before


def _huge_now():
    switch = _tuning._hugepage_switch()
    previous = switch(True)
    switch(previous)
    return bool(previous)


@pytest.mark.parametrize("pin, inside", [("0", False), ("1", True)])
def test_output_pages_policy_is_applied_and_restored(monkeypatch, pin, inside):
    """While the engine runs, new large outputs get huge-page advice only as the policy says;
    scratch panels (read at scattered rows) keep the user's setting; on exit the user's
    setting is back."""
    if _tuning._hugepage_switch() is None:
        pytest.skip("this numpy has no huge-page switch")
    monkeypatch.setenv("BACKSMOOTH_HUGEPAGES", pin)
    assert _huge_now()  # numpy's default
    with _tuning.output_pages(2**30):
        assert _huge_now() is inside
        with _tuning.output_pages(2**30):  # nested: unchanged
            assert _huge_now() is inside
        assert _huge_now() is inside
        switch = _tuning._hugepage_switch()
        seen = []
        real = np.empty

        def spy(*a, **k):
            seen.append(_huge_now())
            return real(*a, **k)

        monkeypatch.setattr(np, "empty", spy)
        _tuning.random_access_empty((3, 2), np.float64)
        monkeypatch.setattr(np, "empty", real)
        assert seen == [True] and _huge_now() is inside and switch is not None
    assert _huge_now()
    with _tuning.output_pages(2**20):  # below numpy's 4 MiB: nothing to switch
        assert _huge_now()


def test_output_pages_policy_from_kernel_and_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("BACKSMOOTH_HUGEPAGES", raising=False)
    for text, huge in [("always defer defer+madvise [madvise] never\n", False),
                       ("[always] defer defer+madvise madvise never\n", False),
                       ("always defer defer+madvise madvise [never]\n", True),
                       ("always [defer] defer+madvise madvise never\n", True)]:
        path = tmp_path / "defrag"
        path.write_text(text)
        monkeypatch.setattr(_tuning, "_defrag_mode",
                            lambda p=str(path), f=_tuning._defrag_mode: f(p))
        assert _tuning.hugepages_for_outputs() is huge, text
    monkeypatch.setenv("BACKSMOOTH_HUGEPAGES", "1")
    assert _tuning.hugepages_for_outputs() is True
    monkeypatch.setenv("BACKSMOOTH_HUGEPAGES", "maybe")
    with pytest.raises(ValueError, match="BACKSMOOTH_HUGEPAGES"):
        _tuning.hugepages_for_outputs()


def test_gradients_do_not_depend_on_the_page_policy(monkeypatch):
    """Bit for bit, and the user's huge-page setting is unchanged after the engine ran."""
    monkeypatch.setattr(_tuning, "output_pages",
                        lambda nbytes, active=True, real=_tuning.output_pages: real(2**30, active))
    P = random_graph(300, 3)
    weights = initial_weights([5, 8, 8, 2], "he", seed=1)
    X = np.random.default_rng(2).standard_normal((300, 5))
    Y = np.random.default_rng(3).standard_normal((300, 2))
    out = []
    for pin in ("0", "1"):
        monkeypatch.setenv("BACKSMOOTH_HUGEPAGES", pin)
        g = gradients(gnn(P, 2, "tanh"), X, weights, targets=Y)
        out.append((g.forward.output, g.weight_gradients, g.B))
        if _tuning._hugepage_switch() is not None:
            assert _huge_now()
    (H0, W0, B0), (H1, W1, B1) = out
    assert np.array_equal(H0, H1)
    assert all(np.array_equal(a, b) for a, b in zip(W0, W1))
    assert all(np.array_equal(a, b) for a, b in zip(B0, B1))
