"""The one sparse kernel of the numeric core: applying ``P`` (or ``P^T``) to a dense block.

Every propagation in the forward and backward passes goes through this module, so a faster
kernel replaces it in one place.  ``P = None`` stands for the identity (an MLP).

* :func:`propagate` / :func:`propagate_transpose` are the plain products ``P X`` and
  ``P^T X`` (one call to scipy's CSR kernel).
* :class:`PropagationOperator` is the fast path used by the forward/backward engine.  It
  computes the same products, row block by row block: ``(P X)[a:b] = P[a:b, :] X``, so the
  blocks are independent and run on a small pool of threads (scipy's CSR kernel and numpy's
  ufuncs release the GIL).  Row blocks hold equal numbers of non-zeros, indices are stored as
  int32 when they fit (less memory traffic), and results are written into preallocated
  output arrays.  The blocks are fixed when the operator is built, so the result of every
  product is deterministic (recomputation during checkpointing reproduces it bit for bit).
  Each thread walks its block in chunks of ``_CHUNK_ROWS`` rows and may run an *epilogue*
  on each finished chunk while it is still in cache (the activation, the small dense
  products with ``W``), which fuses a whole layer into one pass over memory.
* The dense products inside the fast path are small (``d x d``) and run per chunk, so BLAS
  is limited to one thread while the engine runs (:meth:`PropagationOperator.blas_limits`,
  through ``threadpoolctl`` when installed): BLAS's own threads would compete with the
  engine's and, on a busy machine, stall for whole scheduler slices.

The number of threads is ``BACKSMOOTH_NUM_THREADS`` if set, else the CPUs this process may
use.  Small products (fewer than ``_PARALLEL_MIN_WORK`` multiply-adds) run on the calling
thread: there the pool's overhead would exceed the gain.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse as sp

__all__ = ["propagate", "propagate_transpose", "PropagationOperator", "num_threads"]

#: below this many multiply-adds a product runs on the calling thread
_PARALLEL_MIN_WORK = 1_000_000
#: rows per chunk of an elementwise pass (about 1 MiB per float64 operand at width 32)
_CHUNK_ROWS = 4096

try:  # scipy's CSR x dense kernel accumulating into a given output (private but stable)
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - fall back to the public product plus a copy
    _csr_matvecs = None

try:
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - optional: without it BLAS keeps its own threads
    ThreadpoolController = None

_POOL: ThreadPoolExecutor | None = None
_BLAS_CONTROLLER = None


def num_threads() -> int:
    """Threads used by the fast path: ``BACKSMOOTH_NUM_THREADS`` or the usable CPUs."""
    env = os.environ.get("BACKSMOOTH_NUM_THREADS")
    if env:
        try:
            value = int(env)
        except ValueError:
            raise ValueError(f"BACKSMOOTH_NUM_THREADS must be a positive integer, got {env!r}") from None
        if value < 1:
            raise ValueError(f"BACKSMOOTH_NUM_THREADS must be a positive integer, got {env!r}")
        return value
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _pool(threads: int) -> ThreadPoolExecutor:
    global _POOL
    if _POOL is None or _POOL._max_workers < threads:
        _POOL = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="backsmooth")
    return _POOL


def propagate(P, X: np.ndarray) -> np.ndarray:
    """Return ``P X`` (``X`` itself when ``P`` is None, the MLP case)."""
    if P is None:
        return X
    return np.asarray(P @ X)


def propagate_transpose(P, X: np.ndarray, *, symmetric: bool = False) -> np.ndarray:
    """Return ``P^T X``; ``symmetric=True`` skips the transpose."""
    if P is None:
        return X
    if symmetric:
        return np.asarray(P @ X)
    return np.asarray(P.T @ X)


def _row_blocks(P: sp.csr_array, parts: int) -> list:
    """Split CSR ``P`` into ``parts`` row blocks of about equal non-zeros, each a list of
    chunks ``(a, b, indptr, indices, data)`` of at most ``_CHUNK_ROWS`` rows (views of ``P``)."""
    n = P.shape[0]
    targets = np.linspace(0, P.nnz, parts + 1)
    cuts = np.unique(np.concatenate([[0], np.searchsorted(P.indptr, targets[1:-1]), [n]]))
    blocks = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        chunks = []
        for a in range(int(lo), int(hi), _CHUNK_ROWS):
            b = min(int(hi), a + _CHUNK_ROWS)
            s, e = P.indptr[a], P.indptr[b]
            chunks.append((a, b, P.indptr[a:b + 1] - s, P.indices[s:e], P.data[s:e]))
        blocks.append(chunks)
    return blocks


def _compact_csr(P) -> sp.csr_array:
    """CSR array with sorted int32 indices when they fit (half the index traffic of int64)."""
    P = sp.csr_array(P)
    if P.nnz < 2**31 - 1 and max(P.shape) < 2**31 - 1 and P.indices.dtype != np.int32:
        P = sp.csr_array((P.data, P.indices.astype(np.int32), P.indptr.astype(np.int32)),
                         shape=P.shape)
    if not P.has_sorted_indices:
        P = P.copy()
        P.sort_indices()
    return P


class PropagationOperator:
    """``P`` prepared for fast repeated products ``P X`` and ``P^T X`` (see module docstring).

    Parameters
    ----------
    P : scipy.sparse array, ndarray or None
        The propagation matrix (None: the identity of an MLP).
    symmetric : bool
        If True, ``P^T X`` reuses ``P``; otherwise ``P^T`` is stored once in CSR form.
    threads : int, optional
        Size of the thread pool (default :func:`num_threads`).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> P = sp.csr_array(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]]))
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> op = PropagationOperator(P)
    >>> bool(np.array_equal(op.apply(X), P @ X)), bool(np.array_equal(op.apply_transpose(X), P.T @ X))
    (True, True)
    """

    def __init__(self, P, *, symmetric: bool = False, threads: int | None = None):
        self.threads = int(threads) if threads is not None else num_threads()
        self.shape = None if P is None else P.shape
        self.sparse = P is not None and sp.issparse(P)
        self.symmetric = bool(symmetric)
        self.matrix = P  # as given (plain layers use it)
        self._P = self._PT = None
        if P is None:
            return
        if self.sparse:
            self._P = _compact_csr(P)
            self._blocks = _row_blocks(self._P, self.threads)
            self._blocks_T = None
            self.nnz = self._P.nnz
        else:
            self._P = np.ascontiguousarray(P)
            self.nnz = self._P.size

    # -- products ------------------------------------------------------------------------
    def apply(self, X: np.ndarray, out: np.ndarray | None = None, epilogue=None) -> np.ndarray:
        """Return ``P X`` (written into ``out`` if given).

        ``epilogue(a, b)``, if given, is called once rows ``a:b`` of the result are final,
        on the thread that computed them; the chunks ``[a, b)`` cover every row once.
        """
        return self._product(False, X, out, epilogue)

    def apply_transpose(self, X: np.ndarray, out: np.ndarray | None = None, epilogue=None) -> np.ndarray:
        """Return ``P^T X`` (written into ``out`` if given); ``epilogue`` as in :meth:`apply`."""
        return self._product(not self.symmetric, X, out, epilogue)

    def _transposed_blocks(self):
        if self._blocks_T is None:
            self._PT = _compact_csr(self._P.T.tocsr())
            self._blocks_T = _row_blocks(self._PT, self.threads)
        return self._PT, self._blocks_T

    def _product(self, transpose: bool, X, out, epilogue):
        n_out = X.shape[0] if self._P is None else self.shape[0]
        if self._P is None or not self.sparse:
            if self._P is None:
                out = X if out is None else out
                if out is not X:
                    np.copyto(out, X)
            else:
                M = self._P.T if transpose else self._P
                out = np.matmul(M, X, out=out)
            if epilogue is not None:
                self.map_rows(epilogue, n_out, X.shape[1])
            return out
        X = np.ascontiguousarray(X)
        if out is None:
            out = np.empty((n_out, X.shape[1]), dtype=np.result_type(self._P.dtype, X.dtype))
        P, blocks = self._transposed_blocks() if transpose else (self._P, self._blocks)
        if _csr_matvecs is None or not X.dtype == P.dtype == out.dtype or not out.flags.c_contiguous:
            out[...] = P @ X  # mixed precision or no private kernel: one public product
            if epilogue is not None:
                self.map_rows(epilogue, n_out, X.shape[1])
            return out
        d, flat_X = X.shape[1], X.ravel()

        def run(chunks):
            for a, b, indptr, indices, data in chunks:
                part = out[a:b]
                part.fill(0)
                _csr_matvecs(b - a, P.shape[1], d, indptr, indices, data, flat_X, part.ravel())
                if epilogue is not None:
                    epilogue(a, b)

        if len(blocks) > 1 and self.nnz * d >= _PARALLEL_MIN_WORK:
            list(_pool(self.threads).map(run, blocks))
        else:
            for chunks in blocks:
                run(chunks)
        return out

    # -- elementwise passes over rows ----------------------------------------------------
    def map_rows(self, func, n: int, width: int = 1) -> None:
        """Call ``func(a, b)`` on row chunks ``[a, b)`` covering ``0..n``, in parallel.

        ``func`` must only write rows ``a:b`` of its outputs (numpy ufuncs and BLAS release
        the GIL, so chunks on different threads run concurrently).
        """
        step = _CHUNK_ROWS
        if self.threads == 1 or n * width < _PARALLEL_MIN_WORK // 8:
            for a in range(0, n, step):
                func(a, min(n, a + step))
            return
        bounds = np.linspace(0, n, self.threads + 1).astype(int)

        def run(part):
            lo, hi = part
            for a in range(lo, hi, step):
                func(a, min(hi, a + step))

        list(_pool(self.threads).map(run, zip(bounds[:-1], bounds[1:])))

    def blas_limits(self):
        """Context manager limiting BLAS to one thread (a no-op without threadpoolctl)."""
        global _BLAS_CONTROLLER
        if ThreadpoolController is None or self.threads == 1 and num_threads() == 1:
            return contextlib.nullcontext()
        if _BLAS_CONTROLLER is None:
            _BLAS_CONTROLLER = ThreadpoolController()
        return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")
