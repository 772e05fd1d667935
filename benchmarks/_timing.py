"""Timing shared by the benchmark scripts (imported as ``_timing`` from ``benchmarks/``)."""

from __future__ import annotations

import time

import numpy as np


def interleaved_times(calls: dict, repeats: int, clocks=(time.perf_counter,)) -> list:
    """Times in seconds of each zero-argument call, ``repeats`` interleaved rounds, per clock.

    Every round runs each call once, in the dict's order, so that all of them see the same
    machine load: their ratio is what a side-by-side comparison should report.  Returns one
    ``{name: [seconds per round]}`` per clock (e.g. ``time.perf_counter`` for the wall time,
    ``time.process_time`` for the process's CPU seconds, which a neighbour's load changes less).
    """
    times = [{name: [] for name in calls} for _ in clocks]
    for _ in range(repeats):
        for name, call in calls.items():
            starts = [clock() for clock in clocks]
            call()
            for per_clock, clock, t0 in zip(times, clocks, starts):
                per_clock[name].append(clock() - t0)
    return times


def interleaved_medians(calls: dict, repeats: int) -> dict:
    """Median wall time in seconds of each zero-argument call, ``repeats`` interleaved rounds."""
    (times,) = interleaved_times(calls, repeats)
    return {name: float(np.median(t)) for name, t in times.items()}
