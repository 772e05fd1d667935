"""How the sparse products run, chosen by measurement: panel width, threads, row blocks (private).

A sparse product ``P X`` reads one row of ``X`` per non-zero, at scattered places; how fast it
runs depends on the cache that *this* process effectively gets, on how many cores are really
free and on how evenly the work spreads over them.  On a shared host none of this can be read
from the OS: sysfs reports the socket's last-level cache, not the share a neighbour leaves,
and ``sched_getaffinity`` reports cores that another process may keep busy.  So
:class:`~backsmooth.numeric._sparse.PropagationOperator` times a few configurations of one
product on its own matrix (:func:`probe`) the first time it multiplies a block of a given
width and dtype, and keeps the fastest for the life of the process (:data:`_CHOICES`, keyed
by shape, non-zeros, dtype and width):

* ``panel_columns``: the product runs in column panels of this many columns (one more pass
  over ``P`` per panel; the panel's rows stay in cache); candidates: the width, then halves
  down to 4 columns; default: the width that fits half the last-level cache;
* ``threads``: 1 or every usable CPU (default: every usable CPU);
* ``row_blocks``: tasks per product, default ``_BLOCKS_PER_THREAD`` (16) per thread, at most
  one per chunk of rows.  The tasks are *scheduled dynamically*: the threads take the next
  block from a shared counter as soon as they are free
  (:func:`~backsmooth.numeric._sparse.run_dynamic`), so a thread on a free core takes more
  blocks while another core is loaded by a neighbour.  With a static split (one block per
  thread) the thread on the loaded core decided the time and the free core idled.  The only
  other candidate is that static split.

The search is coordinate-wise (panels, then threads, then blocks: 4 + 1 + 1 candidates beside
the default at width 32, timed in ``_PROBE_REPEATS`` (5) interleaved rounds), about 30 products
over the first half of the rows (a sub-operator reading all of ``X``, so its cache behaviour is
the whole product's): 3-4 CPU s on the CSBM graph of ``n = 10^5`` (5-6 s with whole products,
measured on a loaded machine). It is *stable*: at each step the current choice is kept unless a candidate beats it by
more than ``_PROBE_MARGIN`` (15%) both in the median and in the best of its timings, and does
so again in fresh interleaved rounds of the two alone. Near-equal candidates (panel widths
within 20-30% of each other under load) used to win by noise, so the choice changed between
runs; and one thread is now chosen on a machine with several usable cores only when it is
measured clearly faster. The choice and every median timing are kept in
:attr:`EngineChoice.timings` (:meth:`EngineChoice.describe_timings`) for benchmark reports.
Small products are not probed (their cost is dominated by overheads the probe cannot see); they
use the defaults.

Every choice can be pinned: by the operator's arguments, or by the environment variables
``BACKSMOOTH_NUM_THREADS``, ``BACKSMOOTH_PANEL_COLUMNS`` (``0``: no split) and
``BACKSMOOTH_ROW_BLOCKS``; ``BACKSMOOTH_PROBE=0`` switches the probe off (defaults
everywhere).  A pinned setting is never changed by the probe, and when all three are pinned
nothing is timed, so the configuration is then fully deterministic.  The numbers never depend
on the choice nor on the schedule: row blocks are unions of whole chunks of a fixed grid, each
output entry is one CSR row times one column, and per-chunk terms are summed in chunk order,
so every configuration gives bit-identical products.

Memory pages: the arrays an engine run returns (one ``n x d`` block per layer) are written once
and read in row order; where the kernel compacts memory synchronously for huge pages they are
made without numpy's huge-page advice (:func:`hugepages_for_outputs`, :class:`output_pages`),
while the scratch panels that sparse products read at scattered rows keep it
(:func:`random_access_empty`).  ``BACKSMOOTH_HUGEPAGES=0/1`` pins the choice.

Examples
--------
>>> costs = {(32, 2, 32): 3.0, (16, 2, 32): 2.0, (8, 2, 32): 1.9, (4, 2, 32): 4.0,
...          (16, 1, 16): 2.6, (16, 2, 2): 1.5}
>>> now = [0.0]
>>> def run(c):    # a fake product: advances a fake clock by the table's cost
...     now[0] += costs[(c.panel_columns, c.threads, c.row_blocks)]
>>> choice = probe(run, width=32, max_threads=2, pins={}, panel=16, timer=lambda: now[0])
>>> choice.panel_columns, choice.threads, choice.row_blocks, choice.source  # 8: not a clear win
(16, 2, 2, 'probe')
>>> probe(run, width=32, max_threads=2, timer=lambda: now[0],
...       pins={"panel_columns": 8, "threads": 1, "row_blocks": 1}).source   # nothing timed
'pinned'
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

__all__ = ["EngineChoice", "choice_for", "env_pins", "last_level_cache_bytes", "num_threads",
           "hugepages_for_outputs", "one_blas_thread", "output_pages", "pool", "probe", "probed_choices",
           "random_access_empty"]

#: products with fewer multiply-adds (non-zeros x width) are not probed
_PROBE_MIN_WORK = 8_000_000
#: narrowest panel the probe tries
_PROBE_MIN_PANEL = 4
_PROBE_REPEATS = 5
#: the probe leaves the default only for a candidate faster by more than this fraction
_PROBE_MARGIN = 0.15
#: tasks per thread of a product by default (each taken from a shared queue when free)
_BLOCKS_PER_THREAD = 16
_POOLS: dict = {}
_ENV = {"threads": "BACKSMOOTH_NUM_THREADS", "panel_columns": "BACKSMOOTH_PANEL_COLUMNS",
        "row_blocks": "BACKSMOOTH_ROW_BLOCKS"}


@dataclass(frozen=True)
class EngineChoice:
    """How a product of a given width runs (see the module docstring).

    ``panel_columns`` equal to the width means no split; ``row_blocks`` counts the tasks of
    one product (at least ``threads``); ``source`` is ``"pinned"``, ``"probe"`` or
    ``"default"``; ``timings`` maps each configuration the probe tried to its median seconds.
    """

    panel_columns: int
    threads: int
    row_blocks: int
    source: str = "default"
    timings: dict = field(default_factory=dict, compare=False, hash=False)

    def describe(self) -> str:
        """One line for benchmark tables, e.g.
        ``"panels of 16, 2 threads, 32 blocks from a shared queue (probe)"``."""
        return (f"panels of {self.panel_columns}, {self.threads} thread"
                f"{'s' if self.threads != 1 else ''}, {self.row_blocks} blocks"
                f"{' from a shared queue' if self.threads > 1 else ''} ({self.source})")

    def describe_timings(self) -> str:
        """The probe's median seconds per configuration tried, e.g.
        ``"16/2/32 0.101 s*, 32/2/32 0.123 s"`` (panel/threads/blocks; ``*``: the choice)."""
        mine = (self.panel_columns, self.threads, self.row_blocks)
        return ", ".join(f"{p}/{t}/{b} {s:.3f} s{'*' if (p, t, b) == mine else ''}"
                         for (p, t, b), s in self.timings.items())


def last_level_cache_bytes(default: int = 32 * 2**20) -> int:
    """Size of the largest CPU cache (Linux sysfs), ``default`` when it cannot be read."""
    sizes = []
    for index in range(8):
        try:
            with open(f"/sys/devices/system/cpu/cpu0/cache/index{index}/size") as fh:
                text = fh.read().strip().upper()
        except OSError:
            continue
        scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get(text[-1:], 1)
        try:
            sizes.append(int(text.rstrip("KMG")) * scale)
        except ValueError:
            continue
    return max(sizes) if sizes else default


def num_threads() -> int:
    """Most threads the fast path uses: ``BACKSMOOTH_NUM_THREADS`` or the usable CPUs."""
    pinned = env_pins().get("threads")
    if pinned is not None:
        return pinned
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


_BLAS = {}


def one_blas_thread(active: bool = True):
    """Context manager limiting BLAS to one thread (``threadpoolctl``); a no-op when not
    ``active`` or without threadpoolctl."""
    if not active:
        return contextlib.nullcontext()
    if "controller" not in _BLAS:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - optional: without it BLAS keeps its own threads
            _BLAS["controller"] = None
        else:
            _BLAS["controller"] = ThreadpoolController()
    controller = _BLAS["controller"]
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=1, user_api="blas")


def pool(threads: int) -> ThreadPoolExecutor:
    pool = _POOLS.get(threads)
    if pool is None:  # one pool per size: a product on t threads never runs on more
        pool = _POOLS[threads] = ThreadPoolExecutor(max_workers=threads,
                                                    thread_name_prefix=f"backsmooth{threads}")
    return pool



def _positive(name, value, allow_zero=False):
    try:
        v = int(value)
    except (TypeError, ValueError):
        v = -1
    if v < (0 if allow_zero else 1) or str(value).strip() not in (str(v), f"+{v}"):
        kind = "a non-negative" if allow_zero else "a positive"
        raise ValueError(f"{name} must be {kind} integer, got {value!r}")
    return v


def env_pins() -> dict:
    """The settings pinned by environment variables (see the module docstring)."""
    pins = {}
    for key, var in _ENV.items():
        text = os.environ.get(var)
        if text:
            pins[key] = _positive(var, text, allow_zero=key == "panel_columns")
    return pins


def probe_enabled() -> bool:
    """False when ``BACKSMOOTH_PROBE`` is ``0``/``false``/``no``."""
    return os.environ.get("BACKSMOOTH_PROBE", "1").strip().lower() not in ("0", "false", "no")


def _all_times(run, configs, timer, repeats):
    times = {c: [] for c in configs}
    for _ in range(repeats):  # interleaved rounds: every configuration sees the same load
        for c in configs:
            t0 = timer()
            run(c)
            times[c].append(timer() - t0)
    return times


def _median(samples) -> float:
    """The upper median of ``samples`` (one of them: no averaging of two timings)."""
    return sorted(samples)[len(samples) // 2]


def _clear_win(times, incumbent_times, margin):
    """Whether ``times`` beat ``incumbent_times`` by ``margin`` in the median and the best."""
    return all(f(times) < (1.0 - margin) * f(incumbent_times) for f in (_median, min))


def _median_times(run, configs, timer, repeats):
    times = _all_times(run, configs, timer, repeats)
    return {c: _median(t) for c, t in times.items()}


def default_row_blocks(threads: int) -> int:
    """Tasks per product when not pinned: ``_BLOCKS_PER_THREAD`` per thread (dynamic schedule)."""
    return max(1, int(threads)) * _BLOCKS_PER_THREAD


def probe(run, *, width: int, max_threads: int, pins: dict, timer=time.perf_counter,
          repeats: int = _PROBE_REPEATS, panel: int | None = None,
          margin: float = _PROBE_MARGIN) -> EngineChoice:
    """Choose panel width, threads and row blocks by timing ``run(choice)`` (coordinate-wise).

    The default (``panel`` columns, default: the whole width; every thread;
    :func:`default_row_blocks`) is kept unless another candidate's median time, over
    ``repeats`` interleaved rounds, and its best time too, beat the default's by more than
    ``margin`` (a fraction), confirmed by ``repeats`` fresh rounds of the two alone:
    so noise between near-equal candidates never moves the choice, and one thread is chosen on
    a machine with several usable cores only when it is measured clearly faster.
    ``pins`` maps ``"panel_columns"``, ``"threads"``, ``"row_blocks"`` to fixed values (a
    ``panel_columns`` of 0 or at least ``width`` means no split); pinned settings are not
    searched, and with all three pinned ``run`` is never called.  ``timings`` of the result
    maps every configuration tried to its median seconds.
    """
    width, max_threads = int(width), max(1, int(max_threads))
    pinned_panel = pins.get("panel_columns")
    if pinned_panel is not None and (pinned_panel == 0 or pinned_panel >= width):
        pinned_panel = width
    threads = pins.get("threads", max_threads)
    blocks = pins.get("row_blocks")
    default_panel = width if panel is None or panel <= 0 or panel >= width else int(panel)
    panel = pinned_panel if pinned_panel is not None else default_panel
    if pinned_panel is not None and "threads" in pins and blocks is not None:
        return EngineChoice(panel, threads, max(blocks, 1), "pinned")
    timings = {}

    def best(incumbent, others):
        configs = [incumbent] + [c for c in others if c != incumbent]
        if len(configs) == 1:
            return incumbent
        times = _all_times(run, configs, timer, repeats)
        measured = {c: _median(t) for c, t in times.items()}
        timings.update({(c.panel_columns, c.threads, c.row_blocks): t for c, t in measured.items()})
        fastest = min(configs, key=lambda c: (measured[c], configs.index(c)))
        if fastest == incumbent or not _clear_win(times[fastest], times[incumbent], margin):
            return incumbent
        # confirmed in fresh interleaved rounds of the two alone, or the default stays
        again = _all_times(run, [incumbent, fastest], timer, repeats)
        return fastest if _clear_win(again[fastest], again[incumbent], margin) else incumbent

    def blocks_for(t):
        return blocks if blocks is not None else default_row_blocks(t)

    current = EngineChoice(panel, threads, blocks_for(threads))
    if pinned_panel is None:
        widths, w = [width], 1 << (max(width - 1, 1).bit_length() - 1)
        while w >= _PROBE_MIN_PANEL and w < width:
            widths.append(w)
            w //= 2
        current = best(current, [EngineChoice(w, threads, blocks_for(threads)) for w in widths])
    if "threads" not in pins and max_threads > 1:
        current = best(current, [EngineChoice(current.panel_columns, 1, blocks_for(1))])
    if blocks is None and current.threads > 1:  # a static split: one block per thread
        t = current.threads
        current = best(current, [EngineChoice(current.panel_columns, t, t)])
    return EngineChoice(current.panel_columns, current.threads, current.row_blocks, "probe",
                        timings)


def probe_product(op, choice: EngineChoice, width: int, dtype) -> None:
    """One product of an ``n x width`` block by operator ``op``, run as ``choice`` says
    (column panels of separate C-contiguous arrays, as the layers write them).

    The input is one random buffer of ``n * width`` numbers made once per probe (kept in
    ``op._probe_buffers``; the operator drops it afterwards) and every configuration's panels
    are consecutive views of it, as are the outputs': nothing is allocated or generated inside
    a timing.  (Earlier each change of panel width regenerated the random input inside the
    timed call, which cost more than a whole product on small graphs and made the panel
    choice noise.)"""
    import numpy as np

    bufs = op.__dict__.setdefault("_probe_buffers", {})
    key = (np.dtype(dtype).str, int(width))
    if key not in bufs:
        bufs.clear()
        rows_in, rows_out = op.shape[1], op.shape[0]
        base = np.random.default_rng(0).standard_normal(rows_in * width).astype(dtype)
        bufs[key] = (base, np.empty(rows_out * width, dtype))
    base, out = bufs[key]
    P, blocks = op._row_blocks(False, choice.row_blocks)
    start_in = start_out = 0
    for c0 in range(0, width, choice.panel_columns):
        w = min(choice.panel_columns, width - c0)
        X = base[start_in:start_in + op.shape[1] * w].reshape(op.shape[1], w)
        Y = out[start_out:start_out + op.shape[0] * w].reshape(op.shape[0], w)
        start_in, start_out = start_in + X.size, start_out + Y.size
        op._pass(P, blocks, X, Y, None, choice.threads)


#: (rows, columns, non-zeros, dtype, width, pins) -> EngineChoice, for the life of the process
_CHOICES: dict = {}
_LOCK = threading.Lock()


def choice_for(key, run, *, width, max_threads, pins, default) -> EngineChoice:
    """The cached choice for ``key``, probing once (``default`` when probing is off)."""
    full = key + (tuple(sorted(pins.items())),)
    with _LOCK:
        found = _CHOICES.get(full)
        if found is None:
            if not probe_enabled() and not ({"panel_columns", "threads", "row_blocks"} <= set(pins)):
                found = default
            else:
                found = probe(run, width=width, max_threads=max_threads, pins=pins,
                              panel=default.panel_columns)
            _CHOICES[full] = found
    return found


def probed_choices() -> dict:
    """Every choice made in this process so far (for benchmark reports)."""
    with _LOCK:
        return dict(_CHOICES)


# ----------------------------------------------------------------------------- memory pages
_PAGES_LOCK = threading.RLock()
#: engine runs in progress (nested or concurrent) and the user's huge-page setting
_PAGE_STATE = {"depth": 0, "user": True}


def _hugepage_switch():
    """numpy's switch of ``madvise(MADV_HUGEPAGE)`` for new large arrays (None if absent)."""
    try:
        from numpy._core.multiarray import _set_madvise_hugepage
    except ImportError:  # pragma: no cover - numpy < 2
        try:
            from numpy.core.multiarray import _set_madvise_hugepage
        except ImportError:
            return None
    return _set_madvise_hugepage


def _defrag_mode(path="/sys/kernel/mm/transparent_hugepage/defrag") -> str:
    """The kernel's huge-page defrag policy (the bracketed word), ``""`` when unknown."""
    try:
        with open(path) as fh:
            text = fh.read()
    except OSError:
        return ""
    start, end = text.find("["), text.find("]")
    return text[start + 1:end] if 0 <= start < end else ""


def hugepages_for_outputs() -> bool:
    """Whether the engine's fresh outputs (one ``n x d`` array per layer, written once and
    read in row order) get huge-page advice, as numpy gives every array of 4 MiB or more.

    Not where the kernel compacts memory *synchronously* to find a huge page for an advised
    region (transparent-huge-page ``defrag`` = ``always`` or ``madvise``): there every fresh
    output paid for compaction.  Measured at ``n = 10^5``, depth 20, width 32 (csbm, two
    threads, interleaved rounds, a shared machine at load 4-8): 3.3 s of system CPU and 18.8 s
    of wall per forward + backward with the advice, 1.2 s and 15.0 s without it on the
    outputs (user CPU 9.4 and 9.1 s: the scratch panels that the sparse products read at
    scattered rows keep their huge pages, :func:`random_access_empty`).  A first-touch timing
    of one fresh array does not show this (it found free huge pages at once), so the rule reads
    the policy instead.  ``BACKSMOOTH_HUGEPAGES=0/1`` pins the answer.
    """
    text = os.environ.get("BACKSMOOTH_HUGEPAGES", "").strip().lower()
    if text:
        if text not in ("0", "1", "true", "false", "yes", "no"):
            raise ValueError(f"BACKSMOOTH_HUGEPAGES must be 0 or 1, got {text!r}")
        return text in ("1", "true", "yes")
    return _defrag_mode() not in ("always", "madvise")


class output_pages:
    """Context manager: while the engine runs, new large arrays get huge-page advice only
    if :func:`hugepages_for_outputs` says so (numpy's process-wide switch, restored on exit;
    nested and concurrent uses keep the outermost setting).  Arrays that a sparse product
    reads at scattered rows are made with :func:`random_access_empty` instead (huge pages
    spare them TLB misses)."""

    def __init__(self, nbytes: int, active: bool = True):
        self.nbytes, self.active = int(nbytes), bool(active)

    def __enter__(self):
        switch = _hugepage_switch()
        if not self.active or switch is None or self.nbytes < 4 * 2**20:
            self.active = False  # numpy advises only arrays of at least 4 MiB anyway
            return self
        huge = hugepages_for_outputs()
        with _PAGES_LOCK:
            if _PAGE_STATE["depth"] == 0:
                user = bool(switch(False))  # the user's setting, restored on exit
                switch(huge and user)
                _PAGE_STATE["user"] = user
            _PAGE_STATE["depth"] += 1
        return self

    def __exit__(self, *exc):
        if self.active:
            with _PAGES_LOCK:
                _PAGE_STATE["depth"] -= 1
                if _PAGE_STATE["depth"] == 0:
                    _hugepage_switch()(_PAGE_STATE["user"])
        return False


def random_access_empty(shape, dtype):
    """``np.empty(shape, dtype)`` with numpy's usual huge-page advice (the user's setting),
    whatever :class:`output_pages` decided for outputs: for arrays read at scattered rows."""
    import numpy as np

    switch = _hugepage_switch()
    with _PAGES_LOCK:
        if switch is None or _PAGE_STATE["depth"] == 0:
            return np.empty(shape, dtype)
        previous = switch(bool(_PAGE_STATE["user"]))
        try:
            return np.empty(shape, dtype)
        finally:
            switch(previous)
