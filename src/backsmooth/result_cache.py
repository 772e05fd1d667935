"""A cache of the results that depend on neither the machine nor the seed: derivations, proofs.

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
           "source_key"]

#: packages whose every file is hashed (they compute the cached results)
SOURCE_PACKAGES = ("backsmooth.symbolic", "backsmooth.proofs", "backsmooth.numeric")
#: modules that render or serialise the cached results (hashed too)
RENDER_MODULES = ("backsmooth.report.sections", "backsmooth.report.data", "backsmooth.cli.derive",
                  "backsmooth.cli.proof", "backsmooth.result_cache",
                  # the step renderers whose output derive/proof cache (engine, issue 11)
                  "backsmooth.derivation_view", "backsmooth.proof_view", "backsmooth.step_view")
_VERSIONED = ("sympy", "mpmath", "numpy", "scipy")
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


@functools.lru_cache(maxsize=1)
def source_key() -> str:
    """SHA-256 (hex) over the sources and versions the cached results depend on."""
    from importlib import metadata

    from . import __version__

    h = hashlib.sha256()
    h.update(f"{_FORMAT}\nbacksmooth {__version__}\npython {sys.version}\n".encode())
    for dist in _VERSIONED:
        try:
            version = metadata.version(dist)
        except metadata.PackageNotFoundError:
            version = "absent"
        h.update(f"{dist} {version}\n".encode())
    for dotted in SOURCE_PACKAGES + RENDER_MODULES:
        files = _module_files(dotted, dotted in SOURCE_PACKAGES)
        base = files[0].parent if dotted in SOURCE_PACKAGES else None
        for path in files:
            name = path.relative_to(base).as_posix() if base else path.name
            h.update(f"{dotted}:{name}:".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.=-]", "_", str(text))


def entry_path(kind: str, name: str, *, directory=None) -> pathlib.Path:
    """Where the entry ``kind/name`` of the current sources lives."""
    from . import __version__

    root = pathlib.Path(directory) if directory is not None else cache_dir()
    return root / _safe(__version__) / source_key()[:32] / _safe(kind) / f"{_safe(name)}.json"


def _payload_hash(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _read(path: pathlib.Path, key: str, kind: str, name: str):
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        ok = (isinstance(entry, dict) and entry.get("format") == _FORMAT
              and entry.get("key") == key and entry.get("kind") == kind
              and entry.get("name") == name
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


def cached(kind: str, name: str, compute, *, use: bool = True, directory=None, info=None):
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
        Receives ``info["hit"]``: whether the value came from the cache.

    Returns
    -------
    The value, after a JSON round trip in every case (a hit and a miss return equal values).
    """
    info = {} if info is None else info
    info["hit"] = False
    if not (use and enabled()):
        return json.loads(json.dumps(compute()))
    key = source_key()
    path = entry_path(kind, name, directory=directory)
    entry = _read(path, key, kind, name)
    if entry is not None:
        info["hit"] = True
        return entry["value"]
    value = json.loads(json.dumps(compute()))
    _write(path, {"format": _FORMAT, "key": key, "kind": kind, "name": name,
                  "sha256": _payload_hash(value), "value": value})
    return value
