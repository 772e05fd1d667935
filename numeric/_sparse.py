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
* A sparse product reads one row of ``X`` per non-zero, at scattered places, so it runs at
  the speed of the cache that holds ``X``.  Two measures keep ``X`` in cache.  Products
  run in column panels (:meth:`PropagationOperator.column_panels`) whose width, like the
  thread count and the number of row blocks, is chosen by a short timing probe on the
  operator's own matrix (:mod:`~backsmooth.numeric._tuning`: the effective cache of a shared
  host is far smaller than what sysfs reports); small products, which are not probed, split
  only blocks larger than half the last-level cache.  And large graphs whose nodes can
  be renumbered so that neighbours sit close (meshes, road networks, any graph with geometry
  read in a scrambled order) are renumbered once (reverse Cuthill-McKee,
  :func:`locality_order`); expanders such as SBM graphs, where no order helps, are left
  alone.  The products of a renumbered operator work in its *internal* order;
  :meth:`PropagationOperator.to_internal` and :meth:`~PropagationOperator.to_external` move
  row blocks between the two orders, so the engine permutes its input once, runs every
  layer in the internal order and returns signals in the caller's order.  Products that
  sum over nodes (the weight gradients ``X^T C``) do not depend on the order.
* The dense products inside the fast path are small (``d x d``) and run per chunk, so BLAS
  is limited to one thread while the engine runs (:meth:`PropagationOperator.blas_limits`,
  through ``threadpoolctl`` when installed): BLAS's own threads would compete with the
  engine's and, on a busy machine, stall for whole scheduler slices.

The number of threads is at most ``BACKSMOOTH_NUM_THREADS`` if set, else the CPUs this
process may use (the probe may choose fewer).  Small products (fewer than
``_PARALLEL_MIN_WORK`` multiply-adds) run on the calling thread: there the pool's overhead
would exceed the gain.
"""

from __future__ import annotations

import functools
import itertools
import math
import threading

import numpy as np
import scipy.sparse as sp

from . import _buffers, _tuning
from ._layout import compact_csr as _compact_csr
from ._layout import locality_order
from ._layout import mean_neighbour_distance as _mean_neighbour_distance
from ._layout import row_blocks as _grid_blocks
from ._tuning import num_threads, pool as _pool

__all__ = ["PropagationOperator", "locality_order", "num_threads", "propagate",
           "propagate_transpose", "set_sparse_kernel", "sparse_kernel_name"]

#: below this many multiply-adds a product runs on the calling thread
_PARALLEL_MIN_WORK = 1_000_000


#: rows per chunk of an elementwise pass (about 1 MiB per float64 operand at width 32)
_CHUNK_ROWS = 4096
#: sparse operators with at least this many rows are renumbered for locality by default when
#: the new order shrinks the mean index distance between neighbours at least this much
_REORDER_MIN_ROWS = 32_768
_REORDER_MIN_GAIN = 2.0
#: unprobed products: a column panel should fit in this many bytes (half the last-level cache)
_PANEL_BYTES = _tuning.last_level_cache_bytes() // 2
#: unprobed products: narrower panels cost more passes over ``P`` than their cache hits save
_MIN_PANEL_COLUMNS = 8

try:  # scipy's CSR x dense kernel accumulating into a given output (private but stable)
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except ImportError:  # pragma: no cover - fall back to the public product plus a copy
    _csr_matvecs = None


#: a faster CSR x dense kernel, installed with :func:`set_sparse_kernel` (None: scipy's)
_kernel_factory = None
_gather_factory = None  # and its row gather (None: np.take)
_tanh_signal_factory = None  # and its fused tanh backward signal (None: numpy's three passes)
_kernel_products: dict = {}  # (width, value dtype, index dtype) -> the installed kernel's function


def set_sparse_kernel(factory, *, gather=None, tanh_signal=None) -> None:
    """Install a CSR x dense kernel for the engine's sparse products (None: scipy's again).

    ``factory(width, value_dtype, index_dtype)`` returns a function
    ``f(n_row, indptr, indices, data, X, Y)`` that overwrites the C-contiguous
    ``n_row x width`` array ``Y`` with ``A X`` for the CSR rows ``A``, or None where it has
    none (then scipy's kernel runs).  ``f`` must give scipy's bits: for each row and each
    non-zero in storage order, ``y = y + a * x`` from ``+0.0``, one rounded product and one
    rounded sum (the engine's exactness tests hold it to that).  The engine's measured
    choices (panel widths, threads) are kept per kernel.  :mod:`backsmooth.kernel` provides
    a compiled one (optional llvmlite); this layer stays numpy/scipy only.

    ``gather(width, value_dtype, index_dtype)``, optional, likewise returns
    ``g(rows, X, Y)`` writing ``Y[i] = X[rows[i]]`` (a copy, every bit kept) for C-contiguous
    2-D ``X`` and ``Y``, or None (then ``np.take`` runs): what moves rows between the caller's
    node order and a renumbered operator's.  ``tanh_signal(value_dtype)``, optional,
    returns ``f(y, g, out)`` writing ``out = (1 - y * y) * g`` (numpy's three roundings, in
    order) for C-contiguous arrays of one shape, or None: the backward signal of a tanh layer
    from its output, one pass instead of numpy's three.
    """
    global _kernel_factory, _gather_factory, _tanh_signal_factory
    for name, f in (("kernel factory", factory), ("gather factory", gather),
                    ("tanh signal factory", tanh_signal)):
        if f is not None and not callable(f):
            raise TypeError(f"the {name} must be callable or None, got {type(f).__name__}")
    # the factories first, then the cache: a lookup racing with this call stores its function
    # only if the factory it used is still the installed one (see _remember)
    _kernel_factory, _gather_factory, _tanh_signal_factory = factory, gather, tanh_signal
    _kernel_products.clear()


def _remember(key, factory, installed, make):
    """The cached function for ``key`` made by ``make(factory)``; stored only while ``factory``
    is still ``installed()`` (a kernel swapped meanwhile must not leave its function behind)."""
    found = _kernel_products.get(key, _MISSING)
    if found is _MISSING:
        found = make(factory)
        if installed() is factory:
            _kernel_products[key] = found
    return found


_MISSING = object()


def sparse_kernel_name() -> str:
    """Which kernel the engine's sparse products use: ``"scipy"`` or the installed one's name."""
    if _kernel_factory is None:
        return "scipy"
    return getattr(_kernel_factory, "__qualname__", None) or type(_kernel_factory).__name__


def _overwriting_product(width: int, dtype, index_dtype):
    """``f(n_row, n_col, indptr, indices, data, X, Y)``: ``Y = A X`` (``Y`` C-contiguous)."""
    key = (width, np.dtype(dtype), np.dtype(index_dtype))

    def make(factory):
        compiled = None if factory is None else factory(*key)
        if compiled is None:
            def product(n_row, n_col, indptr, indices, data, X, Y):
                Y.fill(0)
                _csr_matvecs(n_row, n_col, width, indptr, indices, data, X.ravel(), Y.ravel())
        else:
            def product(n_row, n_col, indptr, indices, data, X, Y):
                compiled(n_row, indptr, indices, data, np.ascontiguousarray(X), Y)
        return product

    return _remember(key, _kernel_factory, lambda: _kernel_factory, make)


def tanh_signal(y, g, out) -> bool:
    """Write ``out = (1 - y * y) * g`` with the installed fused kernel and return True, or
    return False (no kernel, or arrays it does not take: numpy's passes are the caller's)."""
    if _tanh_signal_factory is None or not (y.dtype == g.dtype == out.dtype) or not (
            y.shape == g.shape == out.shape) or not (
            y.flags.c_contiguous and g.flags.c_contiguous and out.flags.c_contiguous):
        return False
    fused = _remember(("tanh_signal", y.dtype), _tanh_signal_factory,
                      lambda: _tanh_signal_factory, lambda f: f(y.dtype))
    if fused is None:
        return False
    fused(y, g, out)
    return True


def _row_gather(X, rows):
    """The installed gather for ``X[rows]`` (None: use ``np.take``)."""
    if _gather_factory is None or X.ndim != 2 or not X.flags.c_contiguous or X.shape[1] == 0:
        return None
    return _remember(("gather", X.shape[1], X.dtype, rows.dtype), _gather_factory,
                     lambda: _gather_factory, lambda f: f(X.shape[1], X.dtype, rows.dtype))


def _whole_pass(rows, cols, width, indptr, indices, data, X, out):
    """:meth:`PropagationOperator._pass`'s chunk loop for a product that is one chunk."""
    _overwriting_product(width, X.dtype, indices.dtype)(rows, cols, indptr, indices, data, X, out)
    return out


def _copy_into(X, out):
    """``P = I``: what :meth:`PropagationOperator.apply` does with an ``out`` (a copy)."""
    if out is not X:
        np.copyto(out, X)
    return out


def run_dynamic(task, count: int, threads: int) -> None:
    """Call ``task(i)`` for ``i = 0 .. count-1``, on ``threads`` threads that take the next
    index from a shared counter (the calling thread is one of them).

    Dynamic scheduling: a thread on a free core takes more tasks than one on a core that a
    neighbour keeps busy, so one slow core no longer decides the time of a whole product.
    Which thread runs a task never changes what the task computes (each writes its own rows),
    so results do not depend on the schedule.  An exception raised by a task is re-raised
    once every thread has stopped (the tasks not yet taken may then not run).  Helpers that
    have not started when the calling thread runs out of tasks (the pool busy with another
    run) are cancelled, not waited for: a run never waits on a busy pool, even when called
    from inside a pool task.
    """
    count, threads = int(count), max(1, min(int(threads), int(count)))
    if threads == 1:
        for i in range(count):
            task(i)
        return
    counter, lock = itertools.count(), threading.Lock()

    def worker():
        while True:
            with lock:
                i = next(counter)
            if i >= count:
                return
            task(i)

    futures = [_pool(threads).submit(worker) for _ in range(threads - 1)]
    try:
        worker()
    finally:
        # helpers still queued (the pool busy with other runs) have nothing left to do:
        # cancel them rather than wait for a free worker; wait for those already running
        errors = [f.exception() for f in futures if not f.cancel()]
    for error in errors:
        if error is not None:
            raise error


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


class PropagationOperator:
    """``P`` prepared for fast repeated products ``P X`` and ``P^T X`` (see module docstring).

    Parameters
    ----------
    P : scipy.sparse array, ndarray or None
        The propagation matrix (None: the identity of an MLP).
    symmetric : bool
        If True, ``P^T X`` reuses ``P``; otherwise ``P^T`` is stored once in CSR form.
    threads, panel_columns, row_blocks : int, optional
        Pin how products run (threads, width of the column panels, 0 for no split, tasks
        per product); default: ``BACKSMOOTH_NUM_THREADS``, ``BACKSMOOTH_PANEL_COLUMNS``,
        ``BACKSMOOTH_ROW_BLOCKS`` if set, else chosen per width and dtype by a timing probe
        (:meth:`choice`, :mod:`~backsmooth.numeric._tuning`).
    reorder : bool, optional
        Renumber the nodes for locality (:func:`locality_order`).  Default (None): for a
        sparse ``P`` with at least ``_REORDER_MIN_ROWS`` rows, and only when the new order
        at least halves the mean index distance between neighbours.  The products then take
        and return blocks in the internal order (:attr:`order`); see :meth:`to_internal`.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> P = sp.csr_array(np.array([[0.5, 0.5, 0.0], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]]))
    >>> X = np.arange(6.0).reshape(3, 2)
    >>> op = PropagationOperator(P)
    >>> bool(np.array_equal(op.apply(X), P @ X)), bool(np.array_equal(op.apply_transpose(X), P.T @ X))
    (True, True)
    >>> op = PropagationOperator(P, reorder=True)      # products in the internal order
    >>> Y = op.to_external(op.apply(op.to_internal(X)))
    >>> bool(np.allclose(Y, P @ X, rtol=0, atol=1e-15))
    True
    """

    def __init__(self, P, *, symmetric: bool = False, threads: int | None = None,
                 reorder: bool | None = None, panel_columns: int | None = None,
                 row_blocks: int | None = None):
        self.pins = _tuning.env_pins()
        for key, value in (("threads", threads), ("panel_columns", panel_columns),
                           ("row_blocks", row_blocks)):
            if value is not None:
                self.pins[key] = _tuning._positive(key, value, allow_zero=key == "panel_columns")
        #: most threads a product may use (the probe may choose fewer)
        self.threads = self.pins.get("threads") or num_threads()
        self._map_threads = self.threads  # elementwise passes follow the latest choice
        self._blocks, self._choices = {}, {}
        self.shape = None if P is None else P.shape
        self.sparse = P is not None and sp.issparse(P)
        self.symmetric = bool(symmetric)
        self.matrix = P  # as given
        self._P = self._PT = None
        #: internal position -> node (None: the caller's order); ``_inverse``: node -> position
        self.order = self._inverse = None
        if P is None:
            return
        large = P.shape[0] >= _REORDER_MIN_ROWS if self.sparse else False
        if self.sparse and P.shape[0] > 1 and (reorder or reorder is None and large):
            order = locality_order(P, symmetric=self.symmetric)
            renumbered = sp.csr_array(P)[order][:, order]
            # by default, adopt the order only where it brings neighbours markedly closer (a
            # graph with geometry read in a scrambled order); expanders such as SBM graphs gain
            # nothing and would pay for the permutations
            if reorder or (_mean_neighbour_distance(renumbered) * _REORDER_MIN_GAIN
                           <= _mean_neighbour_distance(sp.csr_array(P))):
                self.order, self._inverse = order, np.empty_like(order)
                self._inverse[order] = np.arange(order.size)
                P = renumbered
        if self.sparse:
            self._P = _compact_csr(P)
            self.nnz = self._P.nnz
        else:
            self._P = np.ascontiguousarray(P)
            self.nnz = self._P.size

    # -- node order ----------------------------------------------------------------------
    @property
    def internal_matrix(self):
        """``P`` in the internal order (the matrix the products apply)."""
        return self.matrix if self.order is None else self._P

    def to_internal(self, X: np.ndarray) -> np.ndarray:
        """Rows of ``X`` (one per node, caller's order) in the internal order (``X`` itself
        when the operator keeps the caller's order)."""
        return X if self.order is None else self._gather(X, self.order)

    def to_external(self, Y: np.ndarray, *, copy: bool = False) -> np.ndarray:
        """Inverse of :meth:`to_internal`: rows in the caller's order (a new array when the
        operator reorders or ``copy`` is True, ``Y`` itself otherwise)."""
        if self.order is None:
            return self._copy(Y) if copy else Y
        return self._gather(Y, self._inverse)

    def _copy(self, X):
        out = _buffers.empty(X.shape, X.dtype)
        self.map_rows(lambda a, b: np.copyto(out[a:b], X[a:b]), X.shape[0], math.prod(X.shape[1:]))
        return out

    def _gather(self, X, rows):
        if X.ndim < 1 or X.shape[0] != rows.size:  # one row per node (the compiled gather trusts it)
            raise ValueError(f"expected {rows.size} rows (one per node), got an array of shape {X.shape}")
        out = _buffers.empty((rows.size,) + X.shape[1:], X.dtype)
        moved = _row_gather(X, rows)
        if moved is not None:
            self.map_rows(lambda a, b: moved(rows[a:b], X, out[a:b]), rows.size, X.shape[1])
            return out
        self.map_rows(lambda a, b: np.take(X, rows[a:b], axis=0, out=out[a:b]), rows.size,
                      math.prod(X.shape[1:]))
        return out

    # -- products ------------------------------------------------------------------------
    def apply(self, X: np.ndarray, out: np.ndarray | None = None, epilogue=None) -> np.ndarray:
        """Return ``P X`` (written into ``out`` if given).

        ``X`` is an ``n x d`` array or a list of column panels ``[X[:, c0:c1], ...]`` (C
        contiguous, e.g. as :meth:`column_panels` splits ``d``), which saves the operator
        from splitting ``X`` itself.  ``epilogue(a, b)``, if given, is called once rows
        ``a:b`` of the result are final, on the thread that computed them; the chunks
        ``[a, b)`` cover every row once.
        """
        return self._product(False, X, out, epilogue)

    def apply_transpose(self, X: np.ndarray, out: np.ndarray | None = None, epilogue=None) -> np.ndarray:
        """Return ``P^T X`` (written into ``out`` if given); ``epilogue`` as in :meth:`apply`."""
        return self._product(not self.symmetric, X, out, epilogue)

    def _row_blocks(self, transpose: bool, parts: int):
        """``(P or P^T, its row blocks)`` for ``parts`` tasks (built once per count)."""
        if transpose and self._PT is None:
            self._PT = _compact_csr(self._P.T.tocsr())
        P = self._PT if transpose else self._P
        key = (transpose, int(parts), _CHUNK_ROWS)
        if key not in self._blocks:
            self._blocks[key] = _grid_blocks(P, int(parts), _CHUNK_ROWS)
        return P, self._blocks[key]

    def _static_panel(self, width: int, dtype) -> int:
        """Panel width without a probe: the block if it fits half the last-level cache."""
        per_column = self.shape[0] * np.dtype(dtype).itemsize
        fit = _PANEL_BYTES // max(per_column, 1)
        if fit >= width or fit < _MIN_PANEL_COLUMNS:
            return width
        return 1 << (int(fit).bit_length() - 1)

    def choice(self, width: int, dtype) -> _tuning.EngineChoice:
        """How a product of an ``n x width`` block of ``dtype`` runs: panel width, threads and
        row blocks, pinned or measured once per process (see :mod:`~backsmooth.numeric._tuning`).
        """
        # one lookup per call (layers ask for every product): memoised on what decides it
        memo_key = (width, dtype, _PANEL_BYTES, _MIN_PANEL_COLUMNS, _tuning._PROBE_MIN_WORK,
                    id(_tuning._CHOICES), _kernel_factory)
        found = self._choices.get(memo_key)
        if found is None:
            found = self._choices[memo_key] = self._choose(int(width), dtype)
        self._map_threads = found.threads
        return found

    def _choose(self, width, dtype):
        if not self.sparse or self._P is None:
            return _tuning.EngineChoice(width, self.threads, self.threads, "dense")
        pins = dict(self.pins)
        default = _tuning.EngineChoice(
            min(pins.get("panel_columns") or width, width) if "panel_columns" in pins
            else self._static_panel(width, dtype),
            pins.get("threads", self.threads),
            pins.get("row_blocks", _tuning.default_row_blocks(pins.get("threads", self.threads))))
        if self.nnz * width < _tuning._PROBE_MIN_WORK and not (
                {"panel_columns", "threads", "row_blocks"} <= set(pins)):
            found = default
        else:
            key = (self.shape, self.nnz, np.dtype(dtype).str, width, self.threads,
                   sparse_kernel_name())  # each kernel is measured on its own
            sample = []  # built on first use (not when the choice is cached or pinned)

            def run(c):
                if not sample:
                    sample.append(self._probe_sample())
                _tuning.probe_product(sample[0], c, width, dtype)

            found = _tuning.choice_for(key, run, width=width, max_threads=self.threads,
                                       pins=pins, default=default)
        return found

    def _probe_sample(self) -> "PropagationOperator":
        """What the probe times: the first half of the rows of ``P`` (all its columns: the
        product reads all of ``X``, at the same scattered places), as an operator with this
        one's threads; half the cost of timing whole products."""
        rows = self._P.shape[0]
        half = self._P if rows < 2 * _CHUNK_ROWS else _compact_csr(self._P[: rows // 2])
        sample = PropagationOperator.__new__(PropagationOperator)
        sample.__dict__.update(self.__dict__)
        sample._P, sample._PT, sample._blocks, sample._choices = half, None, {}, {}
        sample._wholes = {}
        sample.shape, sample.nnz, sample.order = half.shape, half.nnz, None
        return sample

    def column_panels(self, width: int, dtype) -> list:
        """Column ranges ``[(c0, c1), ...]`` in which a product of an ``n x width`` block runs.

        A sparse product reads a row of ``X`` per non-zero, at scattered places: when ``X``
        is larger than the cache almost every read misses.  Splitting ``X`` into column
        panels makes those reads hit, at the price of one more pass over ``P`` per panel.
        The panel width is :meth:`choice`'s (measured, or pinned); products too small to be
        probed split only when the block exceeds half the last-level cache
        (:data:`_PANEL_BYTES`), in power-of-two panels of at least ``_MIN_PANEL_COLUMNS``.
        ``[(0, width)]`` (one panel) when there is no split.
        """
        if not self.sparse or self._P is None:
            return [(0, width)]
        w = self.choice(width, dtype).panel_columns
        if w >= width:
            return [(0, width)]
        return [(c, min(width, c + w)) for c in range(0, width, w)]

    def whole_product(self, transpose: bool, n: int, width: int, dtype):
        """A function ``f(X, out)`` writing ``P X`` (``P^T X``) into ``out`` in one kernel call,
        when :meth:`apply` (:meth:`apply_transpose`) would itself compute it for an ``n x width``
        block as one chunk on the calling thread, in one column panel; None otherwise (use
        :meth:`apply`).  ``transpose``: the product of :meth:`apply_transpose`.

        ``f`` makes the very call that :meth:`apply` would make for that chunk (the same
        arrays: the same bits) without its per-call dispatch: for small graphs (a few
        thousand nodes) that dispatch is a visible share of a layer.  ``X`` and ``out`` must be
        C-contiguous ``n x width`` arrays of ``dtype``; the caller then runs its epilogue on
        rows ``0:n`` itself, as :meth:`apply` would.
        """
        if n > _CHUNK_ROWS:  # apply and map_rows would work in several chunks
            return None
        if self._P is None:  # the identity: apply copies its input into out
            return _copy_into
        if not self.sparse or _csr_matvecs is None:
            return None
        how = self.choice(width, dtype)
        # memoised per product; valid while the choice it was made from stands
        key = (bool(transpose), int(width), dtype, _CHUNK_ROWS)
        memo = self.__dict__.setdefault("_wholes", {})
        found = memo.get(key)
        if found is not None and found[0] is how:
            return found[1]
        whole = self._whole(bool(transpose), int(width), dtype, how)
        memo[key] = (how, whole)
        return whole

    def _whole(self, transpose, width, dtype, how):
        if np.dtype(dtype) != self._P.dtype or how.panel_columns < width:
            return None
        P, blocks = self._row_blocks(transpose and not self.symmetric, how.row_blocks)
        if len(blocks) != 1 or len(blocks[0]) != 1:
            return None
        a, b, indptr, indices, data = blocks[0][0]
        if a != 0 or b != P.shape[0]:
            return None
        return functools.partial(_whole_pass, b - a, P.shape[1], width, indptr, indices, data)

    def _product(self, transpose: bool, X, out, epilogue):
        panels = list(X) if isinstance(X, (list, tuple)) else None
        if panels is not None and len(panels) == 1:
            X, panels = panels[0], None
        if panels is not None:
            width = sum(Xp.shape[1] for Xp in panels)
            n_in, dtype = panels[0].shape[0], panels[0].dtype
        else:
            width, n_in, dtype = X.shape[1], X.shape[0], X.dtype
        n_out = n_in if self._P is None else self.shape[0]
        if panels is not None and (self._P is None or not self.sparse):
            X, panels = np.concatenate(panels, axis=1), None  # dense P: no use for panels
        if self._P is None or not self.sparse:
            if self._P is None:
                out = X if out is None else out
                if out is not X:
                    np.copyto(out, X)
            else:
                M = self._P.T if transpose else self._P
                out = np.matmul(M, X, out=out)
            if epilogue is not None:
                self.map_rows(epilogue, n_out, width)
            return out
        if out is None:
            out = np.empty((n_out, width), dtype=np.result_type(self._P.dtype, dtype))
        if _csr_matvecs is None or not dtype == self._P.dtype == out.dtype or not out.flags.c_contiguous:
            if panels is not None:
                X = np.concatenate(panels, axis=1)
            P = self._row_blocks(transpose, 1)[0]
            out[...] = P @ X  # mixed precision or no private kernel: one public product
            if epilogue is not None:
                self.map_rows(epilogue, n_out, width)
            return out
        ranges = self.column_panels(width, dtype)
        how = self.choice(width, dtype)
        P, blocks = self._row_blocks(transpose, how.row_blocks)
        threads = how.threads
        if panels is None and len(ranges) > 1:
            panels = [_buffers.empty((n_in, c1 - c0), dtype, random_access=True) for c0, c1 in ranges]
            self.map_rows(lambda a, b: [np.copyto(Xp[a:b], X[a:b, c0:c1])
                                        for Xp, (c0, c1) in zip(panels, ranges)], n_in, width)
        if panels is None:
            self._pass(P, blocks, np.ascontiguousarray(X), out, epilogue, threads)
            return out
        bounds = np.cumsum([0] + [Xp.shape[1] for Xp in panels])
        outs = [_buffers.empty((n_out, Xp.shape[1]), dtype) for Xp in panels[:-1]]
        for j, Xp in enumerate(panels[:-1]):
            self._pass(P, blocks, np.ascontiguousarray(Xp), outs[j], None, threads)
        last = out[:, bounds[-2]:]

        def gather(a, b):  # rows a:b of every panel are final: assemble them, then the epilogue
            for j, part in enumerate(outs):
                out[a:b, bounds[j]:bounds[j + 1]] = part[a:b]
            if epilogue is not None:
                epilogue(a, b)

        self._pass(P, blocks, np.ascontiguousarray(panels[-1]), last, gather, threads)
        return out

    def _pass(self, P, blocks, X, out, epilogue, threads):
        """One pass ``out = P X`` over the row blocks (``out`` may be a column slice), on
        ``threads`` threads that take the blocks as they become free."""
        d = X.shape[1]
        contiguous = out.flags.c_contiguous

        product = _overwriting_product(d, X.dtype, P.indices.dtype)

        def run(chunks):
            for a, b, indptr, indices, data in chunks:
                part = out[a:b] if contiguous else np.empty((b - a, d), X.dtype)
                product(b - a, P.shape[1], indptr, indices, data, X, part)
                if not contiguous:
                    out[a:b] = part
                if epilogue is not None:
                    epilogue(a, b)

        if threads > 1 and len(blocks) > 1 and self.nnz * d >= _PARALLEL_MIN_WORK:
            run_dynamic(lambda i: run(blocks[i]), len(blocks), threads)
        else:
            for chunks in blocks:
                run(chunks)

    # -- elementwise passes over rows ----------------------------------------------------
    def map_rows(self, func, n: int, width: int = 1) -> None:
        """Call ``func(a, b)`` on row chunks ``[a, b)`` covering ``0..n``, in parallel.

        ``func`` must only write rows ``a:b`` of its outputs (numpy ufuncs and BLAS release
        the GIL, so chunks on different threads run concurrently).
        """
        step, threads = _CHUNK_ROWS, self._map_threads
        if threads == 1 or n * width < _PARALLEL_MIN_WORK // 8:
            for a in range(0, n, step):
                func(a, min(n, a + step))
            return
        # chunks on a fixed grid, each one task taken from a shared queue (a busy core delays less)
        starts = range(0, n, step)
        run_dynamic(lambda i: func(starts[i], min(n, starts[i] + step)), len(starts), threads)

    def blas_limits(self):
        """Context manager limiting BLAS to one thread (a no-op without threadpoolctl).

        With a sparse ``P`` (or none) the engine's dense products are per chunk and small,
        so BLAS is limited even when the engine runs on one thread: BLAS keeps the thread
        count it read when it was loaded (every CPU), whatever ``BACKSMOOTH_NUM_THREADS``
        or the affinity say later, and its threads waking and spinning on every
        ``4096 x 32`` product cost 3-4x the CPU of a whole pass (measured: a pinned one-thread
        run at ``n = 10^5``, 18.9 CPU s against 4.6 with BLAS on one thread).  Only a dense
        ``P`` run by a one-thread engine leaves BLAS its own threads (its ``P X`` is one
        large product)."""
        dense_alone = self._P is not None and not self.sparse and self.threads == 1
        return _tuning.one_blas_thread(not (dense_alone and num_threads() == 1))
