"""Timing shared by the benchmark scripts (imported as ``_timing`` from ``benchmarks/``)."""

from __future__ import annotations

import time

import numpy as np


def interleaved_medians(calls: dict, repeats: int) -> dict:
    """Median wall time in seconds of each zero-argument call, ``repeats`` rounds.

    Every round runs each call once, in the dict's order, so that all of them see the same
    machine load: their ratio is what a side-by-side comparison should report.
    """
    times = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            t0 = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) for name, t in times.items()}
