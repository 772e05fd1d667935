"""Memoised pieces of instance building that depend on the propagation matrix alone.

Building an instance (:func:`~backsmooth.checks._instances.build_instance`) costs about 10 ms,
most of it in :func:`~backsmooth.numeric.assumptions.assumption_report` (scipy sparse
overhead on graphs of a few dozen nodes) and in building deterministic graphs (``cycle:12``,
``karate``, ...) again and again.  A thorough run (10^4 instances per check) meets the same
deterministic graph hundreds of times, so both are kept here, keyed by what determines them:

* :func:`graph_and_matrix` caches ``(P, labels, features)`` of a *deterministic* spec (a family
  of :data:`DETERMINISTIC` or a named data set) and propagation kind; a random spec (``er:...``)
  is built from the instance's generator every time.  A cached spec is only taken once its
  first build left the generator untouched, so caching never shifts the instance's draws;
* :func:`report` caches the assumption report and the top eigenvector by the bytes of ``P``.

Both return fresh copies of arrays, so an instance never shares a mutable array with another.
The cache is bounded (:data:`MAX_ENTRIES`) and local to the process.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> P, labels, feats = graph_and_matrix("cycle:6", "lazy", rng)
>>> P.shape, report(P)[0].satisfies_ass_P
((6, 6), True)
"""

from __future__ import annotations

import numpy as np

from backsmooth.numeric.assumptions import assumption_report
from backsmooth.numeric.propagation import propagation_matrix, top_eigenvector

__all__ = ["DETERMINISTIC", "MAX_ENTRIES", "graph_and_matrix", "report"]

#: graph families whose spec ``family:n`` fixes the graph (no random draw)
DETERMINISTIC = ("cycle", "path", "complete", "star", "barbell")

#: named data sets (fixed graphs)
_DATASETS = ("karate", "davis", "florentine", "les_miserables")

#: entries kept per cache (each is a dense n x n matrix of a few dozen nodes)
MAX_ENTRIES = 4096

_GRAPHS: dict = {}
_REPORTS: dict = {}


def _copy(a):
    return None if a is None else np.array(a, copy=True)


def _put(cache, key, value):
    if len(cache) >= MAX_ENTRIES:
        cache.clear()
    cache[key] = value


def _cacheable(spec) -> bool:
    return isinstance(spec, str) and (spec in _DATASETS or spec.split(":")[0] in DETERMINISTIC)


def graph_and_matrix(spec, kind, rng, build=None):
    """``(P dense, labels or None, features or None)`` of graph ``spec`` with propagation ``kind``.

    ``build(spec, rng) -> (adjacency, labels, features)`` builds the graph (default: the
    checks' :func:`~backsmooth.checks._instances._graph`).
    """
    if build is None:
        from ._instances import _graph as build
    key = (spec, kind)
    hit = _GRAPHS.get(key) if _cacheable(spec) else None
    if hit is None:
        state = rng.bit_generator.state
        A, labels, feats = build(spec, rng)
        P = propagation_matrix(A, kind).toarray()
        if _cacheable(spec) and rng.bit_generator.state == state:
            _put(_GRAPHS, key, (P, labels, feats))
        hit = (P, labels, feats)
    return tuple(_copy(a) for a in hit)


def report(P, reference=False):
    """``(assumption_report(P), top eigenvector of P or None)``, memoised by the bytes of ``P``.

    The eigenvector is computed (and returned) only when ``reference`` is true.
    """
    P = np.ascontiguousarray(P, dtype=float)
    key = (P.shape, P.tobytes())
    hit = _REPORTS.get(key)
    if hit is None or (reference and hit[1] is None):
        rep = hit[0] if hit is not None else assumption_report(P)
        ref = top_eigenvector(P)[1] if reference else None
        hit = (rep, ref)
        _put(_REPORTS, key, hit)
    return hit[0], (_copy(hit[1]) if reference else None)
