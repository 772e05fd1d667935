"""Resumable parallel sweeps over grids of measurements, trainings or checks (the edge).

A sweep is a JSON or TOML file::

    {"task": "profile",                       # "profile", "train" or "check"
     "fixed": {"graph": "csbm:n=300,c=30", "kind": "lazy", "width": 16},
     "grid":  {"depth": [5, 10, 20], "activation": ["tanh", "relu"], "seed": [0, 1]}}

Every point of the Cartesian product of ``grid`` (merged with ``fixed``) is run once.
Results are appended, as they finish, to one JSON Lines file; each line carries the point's
``key``, a hash of its parameters.  Re-running the same command resumes: finished keys are
skipped, so no point runs twice and an interrupted sweep loses at most the points that were
running.  Every point is seeded, so a resumed sweep gives the same numbers as an
uninterrupted one.

Parallelism: a :class:`concurrent.futures.ProcessPoolExecutor` on this machine, or a
dask.distributed cluster given its scheduler address (optional extra ``dask``).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import pathlib
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor, as_completed

from ._json import to_jsonable

# the engine's sparse products run on the compiled kernel where llvmlite is installed (the
# same bits as scipy's; BACKSMOOTH_KERNEL=scipy keeps scipy's, and a kernel the user chose
# stays): see backsmooth.kernel
from .kernel import enable_default as _enable_kernel  # noqa: E402
_enable_kernel()

__all__ = ["load_config", "grid_points", "point_key", "read_results", "run_sweep", "run_point", "TASKS",
           "check_totals"]

TASKS = ("profile", "train", "check")

_DEFAULTS = {
    "profile": {"graph": "csbm:n=300,c=30", "kind": "lazy", "depth": 10, "width": 16,
                "activation": "tanh", "loss": "cross_entropy", "init": "orthogonal", "scale": 1.0, "seed": 0},
    "train": {"graph": "csbm:n=300,c=30", "kind": "lazy", "depth": 10, "width": 16,
              "activation": "tanh", "loss": "cross_entropy", "init": "orthogonal", "scale": 1.0,
              "epochs": 100, "learning_rate": 1e-3, "architecture": "gnn", "seed": 0},
    "check": {"claim": "theorem1", "trials": 20, "seed": 0, "start": 0},
}


#: optional remedy parameters of the "train" task (no default in the point, so older keys are kept)
_REMEDY_PARAMETERS = ("skip", "alpha", "beta", "sigma")


def load_config(path) -> dict:
    """Read a sweep config (``.json``, ``.toml``, or ``.yaml`` when PyYAML is installed)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"sweep config {path} does not exist")
    text = path.read_text()
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            config = tomllib.loads(text)
        elif suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise ValueError("YAML configs need PyYAML (pip install pyyaml); or use JSON/TOML") from None
            config = yaml.safe_load(text)
        else:
            config = json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"sweep config {path} is not valid {suffix.lstrip('.') or 'JSON'}: {exc}") from None
    return _validate(config, str(path))


def _validate(config, where="config") -> dict:
    if not isinstance(config, dict):
        raise ValueError(f"{where}: a sweep config is a mapping with keys task, fixed, grid")
    unknown = set(config) - {"task", "fixed", "grid", "description"}
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}; allowed: task, fixed, grid, description")
    task = config.get("task", "profile")
    if task not in TASKS:
        raise ValueError(f"{where}: unknown task {task!r}; known tasks: {', '.join(TASKS)}")
    grid = config.get("grid", {})
    if not isinstance(grid, dict) or not all(isinstance(v, list) and v for v in grid.values()):
        raise ValueError(f"{where}: 'grid' must map each parameter to a non-empty list of values")
    fixed = config.get("fixed", {})
    allowed = set(_DEFAULTS[task]) | (set(_REMEDY_PARAMETERS) if task == "train" else set())
    bad = (set(grid) | set(fixed)) - allowed
    if bad:
        raise ValueError(f"{where}: parameters {sorted(bad)} are unknown for task {task!r}; known: {sorted(allowed)}")
    return {"task": task, "fixed": dict(fixed), "grid": dict(grid)}


def grid_points(config) -> list[dict]:
    """Every point of the grid, with defaults and ``fixed`` filled in, in a stable order."""
    config = _validate(config)
    names = sorted(config["grid"])
    points = []
    for values in itertools.product(*(config["grid"][k] for k in names)):
        point = {**_DEFAULTS[config["task"]], **config["fixed"], **dict(zip(names, values))}
        point["task"] = config["task"]
        points.append(point)
    return points


def point_key(point: dict) -> str:
    """A stable hash of a point's parameters (independent of key order)."""
    return hashlib.sha256(json.dumps(point, sort_keys=True).encode()).hexdigest()[:16]


def read_results(path) -> dict:
    """Finished results of a JSON Lines file, by key (a torn last line is ignored)."""
    results = {}
    path = pathlib.Path(path)
    if not path.exists():
        return results
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by an interrupted write: that point is run again
        if isinstance(row, dict) and "key" in row:
            results[row["key"]] = row
    return results


def _network_inputs(point):
    import numpy as np

    from backsmooth import numeric as bn

    sample = bn.graph_by_name(point["graph"], seed=point["seed"])
    rng = np.random.default_rng(point["seed"])
    n = sample.n
    X = getattr(sample, "features", None)
    if X is None:
        X = rng.standard_normal((n, 8))
    labels = sample.labels if getattr(sample, "labels", None) is not None else rng.integers(0, 2, n)
    labels = np.asarray(labels).astype(np.int64)
    P = bn.propagation_matrix(sample, kind=point["kind"])
    classes = int(labels.max()) + 1
    out = classes if point["loss"] == "cross_entropy" else 1
    targets = labels if point["loss"] == "cross_entropy" else (2.0 * labels - 1.0)[:, None]
    widths = [X.shape[1]] + [point["width"]] * point["depth"] + [out]
    W = bn.initial_weights(widths, point["init"], scale=point["scale"], seed=rng)
    return bn, P, X, W, targets


def run_point(point: dict) -> dict:
    """Run one point of a sweep and return its JSON-serialisable measurements."""
    task = point["task"]
    if task == "check":
        from .checks import check

        extra = {"start": point["start"]} if "start" in point else {}
        result = check(point["claim"], trials=point["trials"], seed=point["seed"], **extra)
        return {"summary": to_jsonable(result.summary)}
    bn, P, X, W, targets = _network_inputs(point)
    if task == "profile":
        g = bn.gradients(P, X, W, activation=point["activation"], loss=point["loss"], targets=targets)
        return {
            "lambda": float(bn.contraction_factor(P)) if P.shape[0] <= 5000 else None,
            "loss": g.loss,
            "E_X": bn.layer_norms(g.forward.X).tolist(),
            "E_B": bn.layer_norms(g.B).tolist(),
            "gradient_norms": g.gradient_norms.tolist(),
            "mean_output_error": float((g.B[-1].mean(axis=0) ** 2).sum() ** 0.5),
        }
    net = _train_network(bn, point, P)
    hist = bn.train(net, X, W, targets=targets, loss=point["loss"], epochs=point["epochs"],
                    learning_rate=point["learning_rate"], seed=point["seed"])
    const = bn.loss_function(point["loss"]).best_constant_loss(targets)
    return {
        "lambda": float(bn.contraction_factor(P)) if P.shape[0] <= 5000 else None,
        "final_loss": float(hist.loss[-1]),
        "best_constant_loss": const,
        "loss_ratio": float(hist.loss[-1] / const) if const > 0 else None,
        "final_gradient_norms": hist.gradient_norms[-1].tolist(),
    }


#: architectures of the "train" task: the vanilla GNN, the MLP and the remedies [extension]
ARCHITECTURES = ("gnn", "mlp", "residual", "initial_residual", "gcnii", "pairnorm", "mean_subtraction")


def _train_network(bn, point, P):
    """The network of a "train" point (remedy parameters: skip, alpha, beta, sigma)."""
    from backsmooth.numeric import remedies

    arch, L, act = point["architecture"], point["depth"], point["activation"]
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; known: {', '.join(ARCHITECTURES)}")
    if arch in ("gnn", "mlp"):
        return bn.gnn(P if arch == "gnn" else None, L, act)
    if arch == "residual":
        return remedies.residual_gnn(P, L, act, skip=point.get("skip", 1.0))
    if arch in ("initial_residual", "gcnii"):
        beta = point.get("beta", 0.1) if arch == "gcnii" else None
        return remedies.initial_residual_gnn(P, L, act, alpha=point.get("alpha", 0.1), beta=beta)
    norm = "pair" if arch == "pairnorm" else "mean"
    return remedies.normalised_gnn(P, L, act, norm=norm, scale=point.get("sigma", 1.0))


def _execute(point):
    start = time.perf_counter()
    result = run_point(point)
    return {"key": point_key(point), "params": point, "result": result,
            "seconds": round(time.perf_counter() - start, 3)}


def _append(path: pathlib.Path, row: dict) -> None:
    with open(path, "a+b") as f:
        f.seek(0, os.SEEK_END)
        if f.tell():
            f.seek(-1, os.SEEK_END)
            if f.read(1) != b"\n":  # a torn line from an interrupted run: close it first
                f.write(b"\n")
        f.write((json.dumps(row, sort_keys=True) + "\n").encode())
        f.flush()
        os.fsync(f.fileno())


def run_sweep(config, out, *, workers: int | None = None, scheduler: str | None = None,
              progress=None) -> dict:
    """Run (or resume) a sweep; return ``{"total", "skipped", "ran", "out"}``.

    Parameters
    ----------
    config : dict or path
    out : path
        The JSON Lines results file (appended to; finished points are skipped).
    workers : int, optional
        Local worker processes (default: the number of cores).
    scheduler : str, optional
        Address of a dask.distributed scheduler; runs the points on that cluster.
    progress : callable, optional
        ``progress(done, total)`` after each finished point.
    """
    if not isinstance(config, dict):
        config = load_config(config)
    points = grid_points(config)
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    done = read_results(out)
    todo = [p for p in points if point_key(p) not in done]
    finished = len(points) - len(todo)
    if progress:
        progress(finished, len(points))
    if scheduler:
        try:
            from distributed import Client, as_completed as dask_completed
        except ImportError:
            raise ValueError("--scheduler needs dask.distributed: pip install 'backsmooth[dask]'") from None
        with Client(scheduler) as client:
            futures = [client.submit(_execute, p, pure=False) for p in todo]
            for fut in dask_completed(futures):
                _append(out, fut.result())
                finished += 1
                if progress:
                    progress(finished, len(points))
    elif todo:
        with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
            futures = [pool.submit(_execute, p) for p in todo]
            for fut in as_completed(futures):
                _append(out, fut.result())
                finished += 1
                if progress:
                    progress(finished, len(points))
    return {"total": len(points), "skipped": len(points) - len(todo), "ran": len(todo), "out": str(out)}


def check_totals(results) -> dict:
    """Per check (``claim`` of a ``"check"`` sweep): totals over its chunks (``start`` values).

    ``results`` is a JSON Lines path or the dict of :func:`read_results`.  Returns ``{check:
    {"chunks", "instances", "violations", "unresolved", "hypotheses_not_met", "checks",
    "tightest_ratio", "parts": {part: max_ratio}}}``: the thorough profile spread over a dask
    cluster (``examples/sweep-thorough.json``) is read back with it.
    """
    rows = read_results(results) if not isinstance(results, dict) else results
    out = {}
    for row in rows.values():
        if row.get("params", {}).get("task") != "check":
            continue
        s = row["result"]["summary"]
        t = out.setdefault(row["params"]["claim"], {
            "chunks": 0, "instances": 0, "checks": 0, "violations": 0, "unresolved": 0,
            "hypotheses_not_met": 0, "tightest_ratio": None, "parts": {}})
        t["chunks"] += 1
        for key in ("instances", "checks", "violations", "unresolved", "hypotheses_not_met"):
            t[key] += int(s.get(key, 0) or 0)
        r = s.get("tightest_ratio")
        if isinstance(r, (int, float)):
            t["tightest_ratio"] = r if t["tightest_ratio"] is None else max(t["tightest_ratio"], r)
        for part, v in (s.get("parts") or {}).items():
            m = v.get("max_ratio")
            if isinstance(m, (int, float)):
                t["parts"][part] = max(t["parts"].get(part, m), m)
    return out
