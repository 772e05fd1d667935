"""Peak resident memory of a piece of work in this process (Linux /proc; elsewhere an upper bound)."""

from __future__ import annotations


def status(field, path="/proc/self/status"):
    """A ``/proc`` field in bytes (``VmRSS``, ``VmHWM``, ``MemAvailable``, ...)."""
    with open(path) as fh:
        for line in fh:
            if line.startswith(field):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def available_memory():
    """Bytes the system can still give (8 GiB when it cannot be read)."""
    try:
        return status("MemAvailable", "/proc/meminfo")
    except (OSError, KeyError):
        return 8 * 2**30


def peak_rise(work):
    """Run ``work()``; return ``(result, peak RSS rise in bytes, method)``.

    Linux: VmHWM after resetting it through /proc/self/clear_refs, minus VmRSS before;
    elsewhere ru_maxrss minus VmRSS (an upper bound)."""
    rss0 = status("VmRSS")
    method = "VmHWM after clear_refs"
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        method = "ru_maxrss (upper bound)"
    result = work()
    if method.startswith("VmHWM"):
        peak = status("VmHWM") - rss0
    else:
        import resource
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss0
    return result, peak, method
