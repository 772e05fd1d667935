"""Sampling the instances a check runs on.

An *instance* is a graph with its propagation matrix ``P`` (and ``lambda``), input features
``X^(0)``, weights ``W^(0..L)`` of prescribed spectral norm ``s``, an activation, a loss with
its targets, drawn from the *settings* of a check.  Each setting is

* a single value (fixed), e.g. ``depth=8``;
* a pair ``(lo, hi)`` (uniform in the closed range; integers for integer settings);
* a list of choices, e.g. ``activation=["tanh", "sin"]``.

Settings: ``graph`` (a family -- ``er``, ``er_dense`` (average degree n/3 to n/2), ``sbm``,
``csbm``, ``regular``, ``cycle``, ``path``,
``complete``, ``star``, ``barbell`` (two cliques joined by one edge: lambda close to 1),
``karate``, ``les_miserables``, ``florentine``, ``davis``, ``flat`` (``P = J + lambda (I - J)``,
all non-trivial eigenvalues equal: the bounds are attained there) --, a full spec such as
``er:n=30,c=4`` (:func:`backsmooth.numeric.graph_specs.graph_by_name`), an edge-list file path,
or a networkx graph / adjacency matrix), ``n``, ``depth`` (L), ``width`` (hidden width;
input width ``d_0`` is drawn in ``1..width``), ``activation``, ``scale`` (see
:func:`resolve_scale`), ``loss`` (``mse``, ``cross_entropy``), ``propagation`` (``lazy``,
``metropolis``, ``gcn``, ``random_walk``) or ``P`` (an explicit propagation matrix), ``seed``
and ``start`` (index of the first instance).

Reproducibility: instance ``i`` draws its parameters from ``default_rng([seed, i, 0])`` and
its data (graph, weights, features, targets) from ``default_rng([seed, i, 1])``; so re-running
with the recorded parameters fixed, ``seed`` and ``start=i`` rebuilds the same instance.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from ._memo import graph_and_matrix, report
from backsmooth.numeric.graph_specs import graph_by_name
from backsmooth.numeric.graphs import adjacency_matrix
from backsmooth.numeric.initialisation import initial_weights

__all__ = [
    "COMMON_SETTINGS",
    "FAMILIES",
    "RERUN_KEYS",
    "Instance",
    "build_instance",
    "draw",
    "instances",
    "resolve_scale",
]

FAMILIES = (
    "er",
    "er_dense",
    "sbm",
    "csbm",
    "regular",
    "cycle",
    "path",
    "complete",
    "star",
    "barbell",
    "flat",
    "karate",
    "les_miserables",
    "florentine",
    "davis",
)

#: the parameters every instance records that rebuild it: the settings it draws, ``seed`` and its
#: index ``start`` (``check(name, trials=1, **rerun)`` with these recorded values re-runs it)
RERUN_KEYS = (
    "graph",
    "n",
    "depth",
    "width",
    "activation",
    "scale",
    "loss",
    "propagation",
    "seed",
    "start",
)

#: settings every check understands (besides its own)
COMMON_SETTINGS = RERUN_KEYS + ("P", "trials", "bound_override", "bound_scale")

_INT_SETTINGS = ("n", "depth", "width")


def draw(value, rng, name=""):
    """Draw one value from a setting: fixed value, ``(lo, hi)`` range or list of choices."""
    if isinstance(value, list):
        if not value:
            raise ValueError(f"setting {name!r} is an empty list of choices")
        return value[int(rng.integers(len(value)))]
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(v, (int, float, np.integer, np.floating)) for v in value)
    ):
        lo, hi = value
        if lo > hi:
            raise ValueError(f"setting {name!r}: range ({lo}, {hi}) has lo > hi")
        if name in _INT_SETTINGS:
            return int(rng.integers(int(lo), int(hi) + 1))
        return float(rng.uniform(lo, hi))
    return value


def resolve_scale(scale, lam, rng):
    """Return ``(s, alpha, mode)``: the spectral norm of every weight matrix.

    ``scale`` is a number (``s`` itself), a pair ``(lo, hi)`` (uniform ``s``), or a mode
    relative to ``lambda``: ``"contractive"`` (``lambda s`` uniform in [0.2, 0.999], ``s <= 50``),
    ``"boundary"`` (``s = lambda^(-alpha)`` exactly, ``alpha`` uniform in [0, 0.999]),
    ``"unit"`` (``s = 1``), ``"large"`` (``lambda s`` in [1.05, 3], ``s <= 50``: outside the regime
    ``lambda s < 1``), or ``"auto"`` (60% contractive, 25% boundary, 15% large).
    ``alpha = log s / log(1/lambda)`` (clipped below at 0) unless the mode fixes it.
    """
    mode = scale if isinstance(scale, str) else "fixed"
    lam_eff = min(max(lam, 1e-3), 1 - 1e-9)
    if mode == "auto":
        mode = ["contractive", "contractive", "contractive", "boundary", "large"][
            int(rng.integers(5))
        ]
    alpha = None
    if mode == "fixed":
        s = float(draw(scale, rng, "scale"))
    elif mode == "contractive":
        s = float(rng.uniform(0.2, 0.999)) / lam_eff
    elif mode == "boundary":
        alpha = float(rng.uniform(0.0, 0.999))
        s = lam_eff ** (-alpha)
    elif mode == "unit":
        s = 1.0
    elif mode == "large":
        s = float(rng.uniform(1.05, 3.0)) / lam_eff
    else:
        raise ValueError(
            f"unknown scale mode {scale!r}; use a number, a (lo, hi) pair or one of "
            "'auto', 'contractive', 'boundary', 'unit', 'large'"
        )
    if mode in ("contractive", "large"):
        s = min(
            s, 50.0
        )  # lambda ~ 0 (complete graphs) would ask for s ~ 1e3: overflow, not insight
    if not (s > 0 and math.isfinite(s)):
        raise ValueError(f"weight scale s must be positive and finite, got {s}")
    if alpha is None:
        if lam == 0:  # s <= 0^(-alpha) = inf for every alpha > 0
            alpha = 0.5
        else:
            alpha = max(0.0, math.log(s) / math.log(1 / lam)) if 0 < lam < 1 else math.inf
    return s, alpha, mode


#: draws of a sampled graph whose largest component has fewer than 2 nodes (then an error)
_REDRAWS = 20


def _family_spec(family, n, rng):
    if family == "er":
        c_hi = min(8.0, n - 1.0)
        c = float(rng.uniform(min(1.5, c_hi), c_hi))
        return f"er:n={n},c={c:.4f}"
    if family == "er_dense":  # average degree a third to a half of n: small lambda
        c = float(rng.uniform(0.3, 0.6)) * (n - 1)
        return f"er:n={n},c={c:.4f}"
    if family == "csbm" and n < 8:  # its largest component could be a single node
        family = "sbm"
    if family in ("sbm", "csbm"):
        c_hi = max(0.5, min(10.0, n / 2))
        c = float(rng.uniform(min(1.0, c_hi), c_hi))
        # p_in = (c + lg sqrt c)/n <= 1 and p_out >= 0
        lg = float(rng.uniform(0.0, max(0.0, min(2.0, math.sqrt(c), (n - c) / math.sqrt(c)))))
        if family == "sbm":
            return f"sbm:n={n},c={c:.4f},lg={lg:.4f}"
        return f"csbm:n={n},c={c:.4f},lg={lg:.4f},mu=1.0,p=4"
    if family == "regular":
        d = int(rng.integers(min(3, n - 1), min(5, n - 1) + 1)) if n > 2 else 1
        if (n * d) % 2:  # n d must be even; d = 2 would give a union of cycles (disconnected)
            d = d + 1 if d + 1 < n else d - 1
        return f"regular:n={n},d={d}"
    if family in ("cycle", "path", "complete", "star", "barbell"):
        return f"{family}:{n - 1 if family == 'star' else n}"
    return family


def _graph(spec, rng):
    """Adjacency, labels (or None), features (or None) of a graph setting."""
    if not isinstance(spec, (str, os.PathLike)):
        return adjacency_matrix(spec), None, None
    spec = os.fspath(spec)
    g = graph_by_name(spec, seed=rng)
    return g.adjacency, getattr(g, "labels", None), getattr(g, "features", None)


@dataclass(frozen=True)
class Instance:
    """One sampled instance (see the module docstring)."""

    params: dict
    P: np.ndarray
    lam: float
    ass_P: bool
    ass_P_plus: bool
    P_report: dict
    reference: np.ndarray | None
    X0: np.ndarray
    weights: tuple = field(repr=False)
    targets: np.ndarray = field(repr=False)
    labels: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return self.P.shape[0]

    @property
    def depth(self) -> int:
        return len(self.weights) - 1


def build_instance(settings, index, *, defaults_for=None):
    """Build instance ``index`` of a run with ``settings`` (see the module docstring)."""
    seed = int(settings.get("seed", 0))
    prng = np.random.default_rng([seed, index, 0])
    drng = np.random.default_rng([seed, index, 1])
    # separate streams, so that fixing a drawn parameter (a re-run) leaves the others unchanged
    srng, arng, wrng = (np.random.default_rng([seed, index, j]) for j in (2, 3, 4))
    graph = draw(settings.get("graph", "er"), prng, "graph")
    n = int(draw(settings.get("n", (6, 30)), prng, "n"))
    depth = int(draw(settings.get("depth", (1, 10)), prng, "depth"))
    width = int(draw(settings.get("width", (1, 5)), prng, "width"))
    act = draw(settings.get("activation", "tanh"), prng, "activation")
    loss = draw(settings.get("loss", "mse"), prng, "loss")
    kind = draw(settings.get("propagation", "lazy"), prng, "propagation")
    if n < 2 or depth < 0 or width < 1:
        raise ValueError(
            f"need n >= 2, depth >= 0, width >= 1; got n={n}, depth={depth}, width={width}"
        )
    if graph == "flat":
        # P = J + lambda (I - J): every non-trivial eigenvalue equals lambda, the adversarial P of
        # docs/theory.md on which Theorem 1 / Corollary 1 are attained for linear GNNs
        lam_flat = round(
            float(srng.uniform(0.05, 0.99)), 6
        )  # as written in the spec: re-runs match
        J = np.full((n, n), 1.0 / n)
        P = J + lam_flat * (np.eye(n) - J)
        spec, labels, feats, kind = f"flat:n={n},lambda={lam_flat:.6f}", None, None, "user"
    elif isinstance(graph, str) and graph.startswith("flat:"):
        opts = dict(item.split("=") for item in graph.split(":", 1)[1].split(","))
        n, lam_flat = int(opts["n"]), float(opts["lambda"])
        J = np.full((n, n), 1.0 / n)
        P = J + lam_flat * (np.eye(n) - J)
        spec, labels, feats, kind = graph, None, None, "user"
    elif settings.get("P") is not None:
        P = settings["P"]
        P = P.toarray() if hasattr(P, "toarray") else np.asarray(P, float)
        spec, labels, feats, kind = "user P", None, None, "user"
    else:
        if isinstance(graph, str) and graph in (
            "cycle",
            "path",
            "complete",
            "star",
            "er",
            "er_dense",
            "sbm",
            "csbm",
            "regular",
            "barbell",
        ):
            spec = _family_spec(graph, n, srng)
            sampled = True
        else:
            spec = graph if isinstance(graph, (str, os.PathLike)) else "user graph"
            sampled = False
        P, labels, feats = graph_and_matrix(graph if spec == "user graph" else spec, kind, drng,
                                            _graph)
        # a sampled csbm keeps its largest component, which can be one node (no edge drawn:
        # probability about exp(-c (n - 1)/2), 0.3% at n = 8, c = 1.6): draw the graph again from
        # the same spec (the next draws of this instance's generator, so a re-run matches);
        # a graph the user named is reported as it is (below)
        for _ in range(_REDRAWS):
            if not sampled or P.shape[0] >= 2:
                break
            P, labels, feats = graph_and_matrix(spec, kind, drng, _graph)
    n = P.shape[0]
    if n < 2:
        raise ValueError(f"graph {spec!r} has {n} node(s); the checks need n >= 2")
    rep, reference = report(P, reference=kind == "gcn")  # memoised by P (same numbers)
    lam = float(rep.lambda_)
    scale = settings.get("scale", "auto")
    if isinstance(scale, list):
        scale = draw(scale, prng, "scale")
    s, alpha, mode = resolve_scale(scale, lam, arng)
    d0 = feats.shape[1] if feats is not None else int(wrng.integers(1, width + 1))
    if loss == "mse":
        d_out = int(wrng.integers(1, 3))
    else:
        d_out = int(wrng.integers(2, 4)) if labels is None else int(labels.max()) + 1
    widths = [d0] + [width] * depth + [d_out]
    weights = tuple(initial_weights(widths, "spectral", scale=s, seed=drng))
    if feats is None:
        level = 10.0 ** drng.uniform(-1, 0.5)
        X0 = level * (drng.standard_normal((n, d0)) + drng.standard_normal(d0))
    else:
        X0 = np.asarray(feats, float)
    if loss == "mse":
        if labels is not None and d_out == 1:
            targets = (2.0 * labels - 1.0 + 0.5)[:, None]
        else:
            targets = drng.standard_normal((n, d_out)) + drng.standard_normal(d_out)
    else:
        if labels is None:
            labels_ = drng.integers(0, d_out, size=n)
            labels_[: min(n, d_out)] = np.arange(min(n, d_out))  # every class present
        else:
            labels_ = np.asarray(labels)
        targets = labels_.astype(np.int64)
    params = {
        "instance": int(index),
        "graph": str(spec),
        "n": int(n),
        "depth": depth,
        "width": width,
        "activation": getattr(act, "name", act),
        "scale": float(s),
        "scale_mode": mode,
        "alpha": float(alpha),
        "lambda": lam,
        "loss": loss,
        "propagation": kind,
        "seed": seed,
        "start": int(index),
    }
    return Instance(
        params,
        P,
        lam,
        bool(rep.satisfies_ass_P),
        bool(rep.satisfies_ass_P_plus),
        rep.to_dict(),
        reference,
        X0,
        weights,
        targets,
        None if loss == "mse" else targets,
    )


def instances(settings, progress=None):
    """Yield the ``trials`` instances of a run (``start``, ``start + 1``, ...)."""
    start = int(settings.get("start", 0))
    for i in range(start, start + int(settings.get("trials", 20))):
        inst = build_instance(settings, i)
        yield inst
        if progress is not None:
            progress(1)
