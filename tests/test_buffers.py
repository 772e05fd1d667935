"""The engine's recycled memory (:mod:`backsmooth.numeric._buffers`): a buffer is reused only
when nothing refers to it, the pool keeps within its limit, and results never change."""

import gc
import sys
import threading

import numpy as np
import pytest
import scipy.sparse as sp

from backsmooth.numeric import _buffers, gradients, initial_weights
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import erdos_renyi

MIB = 2**20
SHAPE = (512, 512)  # 2 MiB of float64: pooled


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    monkeypatch.delenv("BACKSMOOTH_BUFFER_POOL_MIB", raising=False)
    gc.collect()
    _buffers.release()
    assert _buffers.held_bytes() == (0, 0)  # no pooled array of another test is alive
    yield
    _buffers.release()


def address(a):
    return a.__array_interface__["data"][0]


def test_a_dropped_array_is_reused():
    a = _buffers.empty(SHAPE, np.float64)
    where = address(a)
    del a
    assert address(_buffers.empty(SHAPE, np.float64)) == where


def test_an_array_in_use_is_never_handed_out_again():
    a = _buffers.empty(SHAPE, np.float64)
    b = _buffers.empty(SHAPE, np.float64)
    assert address(a) != address(b)


@pytest.mark.parametrize("keep", ["slice", "transpose", "memoryview", "reshaped"])
def test_a_view_outliving_its_array_keeps_the_buffer(keep):
    """numpy points a view's ``base`` at the memory's owner (the pool's buffer), so the array
    itself may be gone while a view still reads the buffer: it must not be handed out."""
    a = _buffers.empty(SHAPE, np.float64)
    a[:] = 7.0
    view = {"slice": lambda: a[10:20], "transpose": lambda: a.T,
            "memoryview": lambda: memoryview(a), "reshaped": lambda: a.reshape(-1)}[keep]()
    where = address(a)
    del a
    b = _buffers.empty(SHAPE, np.float64)
    b[:] = -1.0
    assert address(b) != where
    assert np.all(np.asarray(view) == 7.0)


def test_the_limit_bounds_what_the_pool_holds(monkeypatch):
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "3")
    a = _buffers.empty(SHAPE, np.float64)  # 2 MiB: held
    b = _buffers.empty(SHAPE, np.float64)  # 2 more would pass 3 MiB: a plain array
    assert _buffers.held_bytes() == (2 * MIB, 0)
    del a, b
    assert _buffers.held_bytes() == (0, 2 * MIB)
    # a request that cannot fit even with every free buffer dropped drops none
    c = _buffers.empty((256, 1024, 2), np.float64)  # 4 MiB > 3 MiB: plain
    assert c.base is None and _buffers.held_bytes() == (0, 2 * MIB)
    # one that fits once the free buffer goes drops it
    d = _buffers.empty((3, 2**17), np.float64)  # 3 MiB: 2 free + 3 > 3, drop the free 2 MiB
    assert d.base is not None and _buffers.held_bytes() == (3 * MIB, 0)


def test_free_buffers_are_dropped_least_recently_used_first(monkeypatch):
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "6")
    first = _buffers.empty((256, 512), np.float64)  # 1 MiB, handed out first
    second = _buffers.empty((512, 512), np.float64)  # 2 MiB, handed out later
    where_second = address(second)
    del first, second
    assert _buffers.held_bytes() == (0, 3 * MIB)
    big = _buffers.empty((4, 2**17), np.float64)  # 4 MiB: 3 + 4 > 6, one 1 MiB drop suffices
    assert _buffers.held_bytes() == (4 * MIB, 2 * MIB)
    again = _buffers.empty((512, 512), np.float64)  # the 2 MiB buffer was kept
    assert address(again) == where_second
    del big, again


def test_threads_never_share_a_buffer(monkeypatch):
    """Threads taking, viewing and dropping arrays at once: every thread's views keep their
    values (a buffer handed to two holders would be overwritten by the other)."""
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "12")
    errors = []

    def work(mark):
        kept = []
        for i in range(150):
            a = _buffers.empty(SHAPE, np.float64)
            a.fill(mark)
            kept.append(a[::97])
            del a
            if len(kept) > 3:
                view = kept.pop(0)
                if not np.all(view == mark):
                    errors.append(mark)

    threads = [threading.Thread(target=work, args=(float(m),)) for m in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_object_arrays_are_plain():
    a = _buffers.empty(SHAPE, np.float64)
    del a
    o = _buffers.empty((SHAPE[0] * SHAPE[1],), object)  # 2 MiB of pointers: never reused memory
    assert o.base is None and o[0] is None


def test_no_pool_where_the_reference_count_is_not_exact(monkeypatch):
    """A build without the global interpreter lock gets plain arrays, even with a limit set."""
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "64")
    assert _buffers.limit_bytes() == 0
    assert _buffers.empty(SHAPE, np.float64).base is None
    monkeypatch.setattr(_buffers, "_FREE_REFS", None)
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    assert _buffers.limit_bytes() == 0


def test_small_arrays_and_a_switched_off_pool_are_plain(monkeypatch):
    small = _buffers.empty((10, 10), np.float64)
    assert small.base is None and _buffers.held_bytes() == (0, 0)
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "0")
    big = _buffers.empty(SHAPE, np.float64)
    assert big.base is None and _buffers.held_bytes() == (0, 0)


@pytest.mark.parametrize("text", ["lots", "-1", "nan"])
def test_a_bad_limit_is_refused(monkeypatch, text):
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", text)
    with pytest.raises(ValueError, match="BACKSMOOTH_BUFFER_POOL_MIB"):
        _buffers.empty(SHAPE, np.float64)


def test_release_drops_only_free_buffers():
    a = _buffers.empty(SHAPE, np.float64)
    b = _buffers.empty(SHAPE, np.float64)
    del b
    assert _buffers.release() == 2 * MIB
    assert _buffers.held_bytes() == (2 * MIB, 0)
    del a


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_child_is_not_locked_out():
    """A fork while another thread holds the pool's lock: the child still gets arrays (with the
    parent's lock it would wait forever; the alarm ends it with a failure instead)."""
    import os
    import signal

    _buffers._LOCK.acquire()
    try:
        pid = os.fork()
        if pid == 0:  # the child
            signal.alarm(10)
            try:
                _buffers.empty(SHAPE, np.float64)
            finally:
                os._exit(0)
    finally:
        _buffers._LOCK.release()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_a_container_limit_lowers_the_default(tmp_path, version):
    """The default limit is an eighth of what the process may use: a control group's memory limit
    when it is below the physical memory ("max" or a huge number: no limit)."""
    physical = _buffers.memory_bytes(cgroup_list=str(tmp_path / "none"))
    assert physical > 0
    groups = tmp_path / "cgroup"
    if version == "v2":
        (tmp_path / "list").write_text("0::/box\n")
        (groups / "box").mkdir(parents=True)
        (groups / "box" / "memory.max").write_text(f"{2**30}\n")
        (groups / "memory.max").write_text("max\n")
    else:
        (tmp_path / "list").write_text("4:memory:/box\n3:cpuset:/\n")
        (groups / "memory" / "box").mkdir(parents=True)
        (groups / "memory" / "box" / "memory.limit_in_bytes").write_text(f"{2**30}\n")
        (groups / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    found = _buffers.memory_bytes(cgroup_list=str(tmp_path / "list"), cgroup_root=str(groups))
    assert found == min(2**30, physical)


def test_arrays_are_what_np_empty_gives():
    a = _buffers.empty(SHAPE, np.float32)
    assert a.shape == SHAPE and a.dtype == np.float32
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned


def _problem(seed):
    n, width, depth = 5000, 32, 4  # n x width float64 = 1.2 MiB: every signal is pooled
    A = erdos_renyi(n, avg_degree=6.0, seed=0).adjacency
    P = sp.csr_array(propagation_matrix(A, "lazy"))
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((P.shape[0], width)), rng.standard_normal((P.shape[0], 2))
    W = initial_weights([width] * depth + [2], "he", seed=seed)
    return P, X, Y, W


def test_signals_kept_from_one_pass_survive_the_next(monkeypatch):
    """A user keeps some B^(k) (and a slice of an X^(k)) and runs again: the new pass reuses the
    memory of what was dropped, never of what is kept, and gives the same numbers as with the
    pool off."""
    P, X, Y, W = _problem(1)
    g = gradients(P, X, W, targets=Y)
    kept_B = g.B[2]
    kept_slice = g.forward.X[3][100:200]
    copies = kept_B.copy(), kept_slice.copy()
    del g
    P2, X2, Y2, W2 = _problem(2)
    again = gradients(P2, X2, W2, targets=Y2)
    assert _buffers.held_bytes()[0] > 0  # the second pass did use pooled memory
    np.testing.assert_array_equal(kept_B, copies[0])
    np.testing.assert_array_equal(kept_slice, copies[1])
    monkeypatch.setenv("BACKSMOOTH_BUFFER_POOL_MIB", "0")
    plain = gradients(P2, X2, W2, targets=Y2)
    for a, b in zip(again.B, plain.B):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(again.weight_gradients, plain.weight_gradients):
        np.testing.assert_array_equal(a, b)
