"""Recycled memory for the engine's large arrays (private).

A forward and backward pass at ``n = 10^5``, depth 40, width 32 makes about 80 fresh
``n x d`` arrays (the ``X^(k)`` it keeps, the ``B^(k)`` it returns, its scratch panels):
2 GB that the operating system hands over one zeroed page at a time.  Measured on a 2-vCPU
machine of this project's kind, those page faults cost 1.4-1.5 s of system CPU per pass
(490,000 faults) against 3.9 s of user CPU, and 0.7 s with huge pages; and when the arrays
are freed, the C allocator returns them to the system, so the next pass pays again.

This module keeps the memory instead.  :func:`empty` hands out arrays that are views of
buffers it owns; once nothing outside the pool refers to a buffer (every array and view of
it is gone, which CPython's reference counts tell exactly), the next request of the same
size reuses it, already mapped.  So a user's second, third, ... pass of the same size
(a training loop, a sweep, a benchmark's repeats) makes no fresh pages.

What the pool may keep, and for how long
----------------------------------------
* Only buffers of at least ``_MIN_BYTES`` (1 MiB; smaller ones come from the C allocator's
  own free lists, without page faults).
* At most ``limit`` bytes in all, in use or free: ``BACKSMOOTH_BUFFER_POOL_MIB`` if set
  (``0`` switches the pool off), else an eighth of the memory this process may use (the
  physical memory, or a container's smaller limit: :func:`memory_bytes`).  Beyond that,
  :func:`empty` drops free buffers (the least recently handed out first) when that makes
  room, and otherwise returns a plain array that the pool does not track.  So memory that no array uses any more stays
  reserved up to ``limit`` until the next request or :func:`release`, which drops every free
  buffer at once.
* A buffer is never handed out while any array, view, memoryview or pickle buffer of it is
  alive: the pool holds exactly one reference per buffer, and a buffer counts as free only
  when its reference count says that one is the last.  Values are what ``np.empty`` promises
  (unspecified); the engine writes every entry it reads.
* Python builds without the global interpreter lock (``sys._is_gil_enabled()`` False), or
  without ``sys.getrefcount``, or where one more reference does not read as exactly one more,
  get plain arrays, whatever ``BACKSMOOTH_BUFFER_POOL_MIB`` says: there the read is not exact.
  So do object arrays.  Public name: ``backsmooth.numeric.release_buffers`` (:func:`release`).

Examples
--------
>>> import numpy as np
>>> a = empty((512, 512), np.float64)       # 2 MiB: a pooled buffer
>>> address = a.ctypes.data
>>> del a
>>> b = empty((512, 512), np.float64)       # the same memory, already mapped
>>> b.ctypes.data == address
True
>>> c = empty((512, 512), np.float64)       # b is alive: another buffer
>>> c.ctypes.data == address
False
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import sys
import threading

import numpy as np

__all__ = ["empty", "held_bytes", "limit_bytes", "memory_bytes", "release"]

#: smaller arrays are not pooled (the C allocator reuses them without page faults)
_MIN_BYTES = 1 << 20

_LOCK = threading.Lock()
#: (nbytes, random_access) -> buffers (1-D uint8 arrays) owned by the pool
_BUFFERS: dict = {}
#: id(buffer) -> when it was last handed out (a counter), for least-recently-used drops
_STAMPS: dict = {}
_CLOCK = itertools.count()


def _after_fork_in_child() -> None:
    """A forked child starts with a fresh lock: another thread of the parent may have held the
    old one at the fork, and would never release it in the child."""
    global _LOCK
    _LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _count_refs(buffers: list, i: int) -> int:
    return sys.getrefcount(buffers[i])


def _calibrate() -> int | None:
    """The reference count :func:`_count_refs` reads for a buffer only the pool holds (read
    the same way, on this interpreter, so that no bytecode detail changes the answer); None
    (the pool off) where that read is not exact: no ``sys.getrefcount``, a build without the
    global interpreter lock, or one more reference not reading as exactly one more."""
    if not hasattr(sys, "getrefcount") or (
            hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled()):
        return None
    probe = [np.empty(1, np.uint8)]
    reads = {_count_refs(probe, 0) for _ in range(64)}  # warmed up: specialised bytecode too
    extra = probe[0]
    more = {_count_refs(probe, 0) for _ in range(64)}
    del extra
    if len(reads) != 1 or more != {min(reads) + 1}:
        return None
    return reads.pop()


_FREE_REFS = _calibrate()


def limit_bytes() -> int:
    """Most bytes the pool holds (in use or free): ``BACKSMOOTH_BUFFER_POOL_MIB`` MiB if set,
    else an eighth of :func:`memory_bytes` (the physical memory, or a container's smaller
    limit); 0 when the pool is off.

    Examples
    --------
    >>> limit_bytes() >= 0
    True
    """
    text = os.environ.get("BACKSMOOTH_BUFFER_POOL_MIB", "").strip()
    if text:
        try:
            mib = float(text)
        except ValueError:
            mib = -1.0
        if not math.isfinite(mib) or mib < 0:
            raise ValueError(f"BACKSMOOTH_BUFFER_POOL_MIB must be a number of MiB >= 0, got {text!r}")
    if _FREE_REFS is None or (hasattr(sys, "_is_gil_enabled") and not sys._is_gil_enabled()):
        return 0  # the reference count cannot be read exactly here, whatever the setting
    if text:
        return int(mib * 2**20)
    return memory_bytes() // 8


@functools.lru_cache(maxsize=8)
def memory_bytes(cgroup_list: str = "/proc/self/cgroup", cgroup_root: str = "/sys/fs/cgroup") -> int:
    """The memory this process may use: the physical memory, or less where a control group (a
    container's limit: cgroup v2 ``memory.max``, v1 ``memory.limit_in_bytes``) says so; 0 when
    nothing can be read.  Read once per process (every large :func:`empty` asks for the limit).

    Examples
    --------
    >>> memory_bytes() >= 0
    True
    """
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover - no sysconf
        pass
    try:
        with open(cgroup_list) as fh:
            lines = fh.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        path = path.rstrip("/")
        if controllers == "":  # v2: the group's own file and, inside a container, the root's
            files = [f"{cgroup_root}{path}/memory.max", f"{cgroup_root}/memory.max"]
        elif "memory" in controllers.split(","):
            files = [f"{cgroup_root}/memory{path}/memory.limit_in_bytes",
                     f"{cgroup_root}/memory/memory.limit_in_bytes"]
        else:
            continue
        for name in files:
            try:
                with open(name) as fh:
                    value = fh.read().strip()
            except OSError:
                continue
            if value.isdigit():  # "max" (v2) means no limit
                limits.append(int(value))
    return min(limits) if limits else 0


def _is_free(buffers: list, i: int) -> bool:
    return _count_refs(buffers, i) == _FREE_REFS


def _held() -> int:
    return sum(key[0] * len(buffers) for key, buffers in _BUFFERS.items())


def held_bytes() -> tuple[int, int]:
    """``(in use, free)``: bytes of the pool's buffers that arrays use, and that none does.

    Examples
    --------
    >>> used, free = held_bytes()
    >>> used >= 0 and free >= 0
    True
    """
    with _LOCK:
        used = free = 0
        for (nbytes, _), buffers in _BUFFERS.items():
            for i in range(len(buffers)):
                if _is_free(buffers, i):
                    free += nbytes
                else:
                    used += nbytes
        return used, free


def _make_room(needed: int, limit: int) -> bool:
    """Whether ``needed`` more bytes fit within ``limit``, after dropping free buffers (least
    recently handed out first) where that makes them fit; nothing is dropped when even an
    empty pool of free buffers would not make room (the request then gets a plain array)."""
    held = _held()
    if held + needed <= limit:
        return True
    free = [(_STAMPS[id(buffers[i])], key, buffers[i])
            for key, buffers in _BUFFERS.items() for i in range(len(buffers))
            if _is_free(buffers, i)]
    if held - sum(key[0] for _, key, _ in free) + needed > limit:
        return False
    for _, key, buffer in sorted(free, key=lambda item: item[0]):
        if held + needed <= limit:
            break
        _forget(key, buffer)
        held -= key[0]
    return True


def _forget(key, buffer) -> None:
    buffers = _BUFFERS[key]
    buffers[:] = [b for b in buffers if b is not buffer]
    _STAMPS.pop(id(buffer), None)
    if not buffers:
        del _BUFFERS[key]


def _allocate(nbytes: int, random_access: bool) -> np.ndarray:
    """A new 1-D uint8 buffer, with the engine's huge-page policy for its role."""
    buffer = _plain((nbytes,), np.uint8, random_access)
    # views point their ``base`` at the memory's owner: the scheme needs the buffer to be it
    if not buffer.flags.owndata or buffer.base is not None:  # pragma: no cover - numpy's own
        raise RuntimeError("a pooled buffer must own its memory")
    return buffer


def empty(shape, dtype, *, random_access: bool = False) -> np.ndarray:
    """``np.empty(shape, dtype)``, C-contiguous, from recycled memory when it is large.

    ``random_access`` marks arrays that sparse products read at scattered rows (they get
    numpy's usual huge-page advice, :func:`~backsmooth.numeric._tuning.random_access_empty`);
    other new buffers follow :class:`~backsmooth.numeric._tuning.output_pages`.

    Examples
    --------
    >>> x = empty((3, 2), np.float64)           # small: a plain array
    >>> x.shape, x.dtype.name, x.flags.c_contiguous
    ((3, 2), 'float64', True)
    """
    shape = tuple(int(s) for s in (shape if np.iterable(shape) else (shape,)))
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes < _MIN_BYTES or dtype.hasobject:  # object arrays: np.empty's own (None-filled)
        return _plain(shape, dtype, random_access)
    limit = limit_bytes()
    if limit <= 0:
        return _plain(shape, dtype, random_access)
    key = (nbytes, bool(random_access))
    with _LOCK:
        buffers = _BUFFERS.get(key, [])
        for i in range(len(buffers)):
            if _is_free(buffers, i):
                buffer = buffers[i]
                break
        else:
            if not _make_room(nbytes, limit):
                return _plain(shape, dtype, random_access)
            buffer = _allocate(nbytes, random_access)
            _BUFFERS.setdefault(key, []).append(buffer)
        _STAMPS[id(buffer)] = next(_CLOCK)
    return np.ndarray(shape, dtype, buffer=buffer)


def _plain(shape, dtype, random_access):
    if random_access:
        from . import _tuning

        return _tuning.random_access_empty(shape, dtype)
    return np.empty(shape, dtype)


def release() -> int:
    """Drop every free buffer (memory no array uses any more); return the bytes dropped.

    Examples
    --------
    >>> release() >= 0
    True
    """
    with _LOCK:
        dropped = 0
        for key, buffers in list(_BUFFERS.items()):
            for i in reversed(range(len(buffers))):
                if _is_free(buffers, i):
                    dropped += key[0]
                    _STAMPS.pop(id(buffers[i]), None)
                    del buffers[i]
            if not buffers:
                del _BUFFERS[key]
        return dropped
