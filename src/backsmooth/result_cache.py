"""A cache of the main job's results: derivations and proofs, and seed-determined checks and figures.

The sympy derivations and the machine-checked proof chains give the same result on every run
of the same code, and they are most of the main job's cold time.  :func:`cached` stores such a
result (JSON) in the user's cache directory and returns it on the next run, so
``backsmooth report`` and the ``derive``/``proof`` commands skip the recomputation.

A cache that is never wrong
---------------------------
Entries live under a folder named by :func:`source_key`: a SHA-256 over

* every file of the packages that compute the results: ``symbolic/``, ``proofs/`` and
  ``numeric/`` (the proofs run numeric forward/backward passes on instances);
* the code that renders and serialises them (:data:`RENDER_MODULES`: the report's section
  runners and JSON document, the ``derive`` and ``proof`` commands, this module);
* the package version and the versions of Python, sympy, mpmath, numpy and scipy.

Any change of any of these gives another key, hence a miss; nothing is ever invalidated by
hand.  An entry also stores its own key and a SHA-256 of its payload: an entry that cannot be
read, does not parse or does not match is ignored and recomputed (and rewritten).  Writes are
atomic (temporary file, then rename), so concurrent workers never see half an entry.

Seed-determined results (checks, figures)
-----------------------------------------
A numeric check's result or a figure's training runs are a deterministic function of the
source code, the settings, the seed and the machine's floating-point stack.  They are cached
too, with ``context=`` (:func:`seeded_context`): the entry's key then also covers

* every file of the whole ``backsmooth`` package (the checks, figures and plotting code);
* the settings and the seed (``context``, compared exactly on reading);
* :func:`machine_fingerprint`: CPU model and flags, the versions of numpy, scipy, matplotlib,
  freetype and the rest, the BLAS build (library, version, architecture) and its thread
  count at compute time, and the engine's pinned choices (``BACKSMOOTH_*`` variables).

The engine's own thread/panel/row-block choices are not in the key: they never change a bit
(``numeric/_tuning.py``; tested in ``tests/test_engine_tuning.py`` and
``tests/test_result_cache.py``).  Every entry stores when it was computed (UTC) and how long
that took, so the report can say which sections it served from the cache.

Where: ``$BACKSMOOTH_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/backsmooth``, else the
platform's default (``~/.cache/backsmooth`` on Linux, ``~/Library/Caches/backsmooth`` on
macOS, ``%LOCALAPPDATA%\\backsmooth\\Cache`` on Windows).  ``BACKSMOOTH_NO_CACHE=1`` or the
commands' ``--no-cache`` bypass the cache (neither read nor written).

Examples
--------
>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> calls = []
>>> def compute():
...     calls.append(1)
...     return {"answer": 42}
>>> cached("demo", "x", compute, directory=folder)
{'answer': 42}
>>> cached("demo", "x", compute, directory=folder), len(calls)   # the second call is a hit
({'answer': 42}, 1)
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pathlib
import re
import sys

__all__ = ["RENDER_MODULES", "SOURCE_PACKAGES", "cache_dir", "cached", "enabled", "entry_path",
           "machine_fingerprint", "seeded_context", "source_key"]

#: packages whose every file is hashed (they compute the cached results)
SOURCE_PACKAGES = ("backsmooth.symbolic", "backsmooth.proofs", "backsmooth.numeric")
#: modules that render or serialise the cached results (hashed too)
RENDER_MODULES = ("backsmooth.report.sections", "backsmooth.report.data", "backsmooth.cli.derive",
                  "backsmooth.cli.proof", "backsmooth.result_cache",
                  # the step renderers whose output derive/proof cache (engine, issue 11)
                  "backsmooth.derivation_view", "backsmooth.proof_view", "backsmooth.step_view")
_VERSIONED = ("sympy", "mpmath", "numpy", "scipy")
#: further versions in the key of seed-determined results (graphs, plots, BLAS control)
_SEEDED_VERSIONED = ("networkx", "matplotlib", "pillow", "threadpoolctl", "tqdm")
_FORMAT = "backsmooth-cache/1"


def enabled(no_cache: bool = False) -> bool:
    """False when ``no_cache`` is true or ``BACKSMOOTH_NO_CACHE`` is set to a true value."""
    env = os.environ.get("BACKSMOOTH_NO_CACHE", "").strip().lower()
    return not (no_cache or env not in ("", "0", "false", "no"))


def cache_dir() -> pathlib.Path:
    """The cache's root folder (see the module docstring; not created here)."""
    env = os.environ.get("BACKSMOOTH_CACHE_DIR")
    if env:
        return pathlib.Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return pathlib.Path(xdg) / "backsmooth"
    home = pathlib.Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "backsmooth"
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return pathlib.Path(base) / "backsmooth" / "Cache"
    return home / ".cache" / "backsmooth"


def _module_files(dotted: str, whole_package: bool) -> list:
    import importlib.util

    spec = importlib.util.find_spec(dotted)
    if spec is None or spec.origin is None:
        raise ImportError(f"cannot locate {dotted} to hash its source")
    if not whole_package:
        return [pathlib.Path(spec.origin)]
    root = pathlib.Path(spec.origin).parent
    return sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                  and not p.name.endswith((".pyc", ".pyo")))


@functools.lru_cache(maxsize=2)
def source_key(whole: bool = False) -> str:
    """SHA-256 (hex) over the sources and versions the cached results depend on.

    ``whole=True`` (seed-determined results) also hashes every file of the ``backsmooth``
    package itself (checks, figures, report, CLI) and the versions of
    ``_SEEDED_VERSIONED``.
    """
    from importlib import metadata

    from . import __version__

    h = hashlib.sha256()
    h.update(f"{_FORMAT}\nbacksmooth {__version__}\npython {sys.version}\n".encode())
    for dist in _VERSIONED + (_SEEDED_VERSIONED if whole else ()):
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"{dist} {version}\n".encode())
    packages = SOURCE_PACKAGES + (("backsmooth",) if whole else ())
    for dotted in packages + RENDER_MODULES:
        files = _module_files(dotted, dotted in packages)
        base = files[0].parent if dotted in packages else None
        for path in files:
            name = path.relative_to(base).as_posix() if base else path.name
            h.update(f"{dotted}:{name}:".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _cpu() -> dict:
    """CPU model and flags (``/proc/cpuinfo`` where there is one, else :mod:`platform`)."""
    import platform

    model, flags = platform.processor() or "", ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "Model", "cpu model") and not model.strip():
                    model = value.strip()
                elif key in ("flags", "Features") and not flags:
                    flags = " ".join(sorted(value.split()))
                if not line.strip() and model and flags:
                    break
    except OSError:
        pass
    return {"machine": platform.machine(), "system": platform.system(), "model": model,
            "flags": hashlib.sha256(flags.encode()).hexdigest()[:16]}


@functools.lru_cache(maxsize=1)
def _cpu_cached() -> dict:
    return _cpu()


def machine_fingerprint() -> dict:
    """What a seed-determined result's bits may depend on besides the sources and settings.

    CPU model and flags, the versions of the numeric stack (numpy, scipy, matplotlib and its
    freetype), numpy's BLAS/LAPACK builds with their thread counts *now* (call it where the
    result is computed: the report's workers run BLAS on one thread), and the ``BACKSMOOTH_*``,
    ``OMP``/``OPENBLAS``/``MKL`` thread variables.

    Examples
    --------
    >>> sorted(machine_fingerprint())
    ['blas', 'cpu', 'environment', 'versions']
    """
    import numpy

    versions = {"numpy": numpy.__version__}
    try:
        import scipy

        versions["scipy"] = scipy.__version__
    except ImportError:  # pragma: no cover - core dependency
        versions["scipy"] = "absent"
    try:
        import matplotlib
        from matplotlib import ft2font

        versions["matplotlib"] = matplotlib.__version__
        versions["freetype"] = getattr(ft2font, "__freetype_version__", "?")
    except ImportError:  # pragma: no cover - core dependency
        versions["matplotlib"] = "absent"
    blas = []
    try:
        from threadpoolctl import threadpool_info

        for lib in threadpool_info():
            blas.append({k: str(lib.get(k)) for k in ("user_api", "internal_api", "version",
                                                       "architecture", "threading_layer",
                                                       "num_threads")}
                        | {"library": os.path.basename(str(lib.get("filepath", "")))})
    except ImportError:  # pragma: no cover - core dependency
        pass
    env = {k: v for k, v in sorted(os.environ.items())
           if k.startswith("BACKSMOOTH_") and k not in ("BACKSMOOTH_CACHE_DIR", "BACKSMOOTH_NO_CACHE")
           or k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "OPENBLAS_CORETYPE", "MKL_CBWR", "NPY_DISABLE_CPU_FEATURES")}
    return {"cpu": _cpu(), "versions": versions, "blas": sorted(blas, key=json.dumps),
            "environment": env}


def seeded_context(settings, seed) -> dict:
    """The ``context`` of a seed-determined result: its settings, its seed and this machine."""
    return {"settings": settings, "seed": seed, "machine": machine_fingerprint()}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", str(text))


def _context_digest(context) -> str:
    return hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()


def entry_path(kind: str, name: str, *, directory=None, context=None) -> pathlib.Path:
    """Where the entry ``kind/name`` of the current sources (and ``context``) lives."""
    from . import __version__

    root = pathlib.Path(directory) if directory is not None else cache_dir()
    if context is None:
        return root / _safe(__version__) / source_key()[:32] / _safe(kind) / f"{_safe(name)}.json"
    leaf = f"{_safe(name)}-{_context_digest(context)[:24]}.json"
    return root / _safe(__version__) / f"seeded-{source_key(True)[:32]}" / _safe(kind) / leaf


def _payload_hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _read(path: pathlib.Path, key: str, kind: str, name: str, context=None):
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        ok = (isinstance(entry, dict) and entry.get("format") == _FORMAT
              and entry.get("key") == key and entry.get("kind") == kind
              and entry.get("name") == name
              and entry.get("context") == json.loads(json.dumps(context, sort_keys=True))
              and entry.get("sha256") == _payload_hash(entry.get("value")))
    except (OSError, ValueError, TypeError):
        return None
    return entry if ok else None


def _write(path: pathlib.Path, entry: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:  # a read-only or full cache folder costs speed, never the result
        pass


def cached(kind: str, name: str, compute, *, use: bool = True, directory=None, info=None,
           context=None):
    """``compute()`` (a JSON-ready value), taken from the cache when a valid entry exists.

    Parameters
    ----------
    kind, name : str
        What the value is (e.g. ``"report-proof"``, ``"theorem1"``); part of the entry's path.
    compute : callable
        Computes the value; called on a miss, a bad entry, or when ``use`` is False.
    use : bool
        False bypasses the cache: neither read nor written (``--no-cache``).
    directory : path, optional
        Cache root (default :func:`cache_dir`).
    info : dict, optional
        Receives ``info["hit"]`` (whether the value came from the cache) and, on a hit,
        ``info["computed"]`` (UTC time the value was computed, ISO 8601) and
        ``info["compute_seconds"]`` (how long it took then).
    context : JSON-ready dict, optional
        For seed-determined results (:func:`seeded_context`): folded into the key, compared
        exactly on reading, and the key's source hash then covers the whole package.

    Returns
    -------
    The value, after a JSON round trip in every case (a hit and a miss return equal values).
    """
    info = {} if info is None else info
    info["hit"] = False
    if not (use and enabled()):
        return json.loads(json.dumps(compute()))
    import datetime
    import time

    key = source_key(context is not None)
    path = entry_path(kind, name, directory=directory, context=context)
    entry = _read(path, key, kind, name, context)
    if entry is not None:
        info.update(hit=True, computed=entry.get("computed"),
                    compute_seconds=entry.get("compute_seconds"))
        return entry["value"]
    t0 = time.perf_counter()
    value = json.loads(json.dumps(compute()))
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    _write(path, {"format": _FORMAT, "key": key, "kind": kind, "name": name,
                  "context": json.loads(json.dumps(context, sort_keys=True)),
                  "computed": stamp, "compute_seconds": time.perf_counter() - t0,
                  "sha256": _payload_hash(value), "value": value})
    return value
