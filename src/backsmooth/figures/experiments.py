"""Data runners of the figures: train on CSBM, return plain dicts of numpy arrays.

* :func:`figure1_data` -- paper Figure 1: per-layer gradient norms vs epochs for a deep GNN
  and a deep MLP, training loss of shallow/deep GNN/MLP; plus the theory (the epoch the output
  layer becomes stationary, the Theorem 3 delta);
* :func:`figure2_data` -- paper Figure 2: ``E(X^(k))`` and ``E(B^(k))`` vs ``k`` at
  initialisation, with the Theorem 1 / Corollary 1 / Theorem 2 lines;
* :func:`mechanism_data` -- extension: the mean output error ``||bbar^(L)||`` and the
  middle-layer gradient (with its Lemma 3 split) vs epochs, GNN vs MLP;
* :func:`phase_data` -- extension: the deep GNN's final loss / ``L_const`` over
  lambda (graph density) x depth, with the MLP as contrast.

``progress(advance)`` is called once per trained epoch (the CLI drives a tqdm bar with it);
``cache_dir`` stores every finished run so an interrupted command resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import pathlib

import numpy as np

from .settings import PROVENANCE, FigureSettings, csbm_problem
from .theory import (
    backward_rate_lines, fitted_rate, forward_rate_line, informative_fraction, stationary_epoch,
    theorem3_delta,
)

__all__ = ["figure1_data", "figure2_data", "mechanism_data", "phase_data", "train_run", "finish_run",
           "STATIONARY_THRESHOLD", "epochs_needed"]

#: the output layer is "stationary" once its gradient stays below this fraction of its initial value
STATIONARY_THRESHOLD = 1e-2

_HISTORY_FIELDS = ("loss", "train_accuracy", "test_accuracy", "gradient_norms", "mean_output_error",
                   "profile_epochs", "forward_energy", "backward_energy", "forward_mean_norm",
                   "backward_mean_norm", "spectral_norms", "output_error_row_norm")


def _init_seed(seed: int) -> int:
    return 10_000 + int(seed)


def train_run(settings: FigureSettings, model: str, depth: int, seed: int, *, problem=None, epochs=None,
              progress=None, cache_dir=None, certificate: bool = True, certificate_sink=None) -> dict:
    """Train one model (``"gnn"`` or ``"mlp"``) on the CSBM sample of ``seed``; return its history dict.

    The dict holds the :class:`~backsmooth.numeric.training.TrainingHistory` arrays plus ``n``,
    ``lam``, ``xi = ||X^(0)||_F``, ``L_const`` and ``c_rho``.  ``certificate=False`` skips the
    local certificate at the profile epochs (figures that do not draw it; the training itself
    is the same), but a cached run that has it is still reused.

    ``certificate_sink(inputs)``: the certificate's inputs of each profile epoch are handed to it
    instead of being evaluated here, and a run that needs them comes back as
    ``{"pending_certificate": ...}``; :func:`finish_run` with the epochs'
    :func:`~backsmooth.figures.certificate.certificate_record` completes it (same dict, same cache
    file contents as without the sink).
    """
    from backsmooth.numeric import activation, gnn, initial_weights, loss_function, mlp
    from backsmooth.numeric.training import train

    if model not in ("gnn", "mlp"):
        raise ValueError(f"model must be 'gnn' or 'mlp', got {model!r}")
    epochs = settings.epochs if epochs is None else int(epochs)
    key = {"settings": settings.to_dict(), "model": model, "depth": int(depth), "seed": int(seed),
           "epochs": epochs}
    from .certificate import certificate_hook, supports_certificate

    can_certify = model == "gnn" and supports_certificate(settings.activation)
    with_certificate = can_certify and certificate
    path = None
    if cache_dir is not None:
        def cached_path(with_cert):
            k = dict(key, certificate=1) if with_cert else key  # runs recorded with the local certificate
            digest = hashlib.sha1(json.dumps(k, sort_keys=True).encode()).hexdigest()[:16]
            return pathlib.Path(cache_dir) / f"{model}{depth}_seed{seed}_{digest}.npz"

        path = cached_path(with_certificate)
        if can_certify and not certificate and cached_path(True).exists():
            path = cached_path(True)  # the same run with the certificate recorded: reuse it
        if path.exists():
            with np.load(path, allow_pickle=False) as z:
                out = {name: z[name] for name in z.files}
            meta = json.loads(str(out.pop("meta")))
            out.update(meta)
            if progress is not None:
                progress(epochs + 1)
            return out
    sample, P, lam = csbm_problem(settings, seed) if problem is None else problem
    net = gnn(P, depth, settings.activation) if model == "gnn" else mlp(depth, settings.activation)
    widths = [settings.num_features] + [settings.width] * depth + [2]
    W0 = initial_weights(widths, settings.initialisation, seed=_init_seed(seed))
    cb = (lambda t, record: progress(1)) if progress is not None else None
    h = train(net, sample.features, W0, targets=sample.labels, loss=settings.loss, optimizer=settings.optimizer,
              learning_rate=settings.learning_rate, epochs=epochs, profile_every=settings.profile_every,
              callback=cb, seed=seed,
              profile_hook=certificate_hook(lam, settings.activation, deliver=certificate_sink)
              if with_certificate else None)
    out = {name: np.asarray(getattr(h, name)) for name in _HISTORY_FIELDS}
    out.update({f"cert_{name}": value for name, value in h.profile_extra.items()})
    meta = {"n": int(sample.n), "lam": float(lam) if model == "gnn" else 1.0, "graph_lambda": float(lam),
            "xi": float(np.linalg.norm(sample.features)),
            "L_const": float(loss_function(settings.loss).best_constant_loss(sample.labels)),
            "c_rho": float(activation(settings.activation).derivative_lipschitz),
            "model": model, "depth": int(depth), "seed": int(seed)}
    if with_certificate and certificate_sink is not None:
        return {"pending_certificate": {"out": out, "meta": meta, "path": path, "lam": float(lam),
                                        "epochs": len(h.profile_epochs)}}
    return _save_run(path, out, meta)


def _save_run(path, out, meta) -> dict:
    """Write the run to the cache file ``path`` (None: no cache); return ``out`` with ``meta``."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, meta=json.dumps(meta), **out)
        tmp.replace(path)
    out.update(meta)
    return out


def finish_run(pending: dict, records) -> dict:
    """Complete a run that :func:`train_run` returned with ``pending_certificate``.

    ``records``: :func:`~backsmooth.figures.certificate.certificate_record` of each profile
    epoch's inputs, in epoch order.  The result (and the cache file) is what ``train_run``
    without a sink gives: the trainer stacks the hook's records the same way.
    """
    from .certificate import CERT_FIELDS

    p = pending["pending_certificate"]
    records = list(records)
    if len(records) != p["epochs"]:
        raise ValueError(f"the run has {p['epochs']} profile epochs but {len(records)} certificate records were given")
    out = dict(p["out"])
    out.update({f"cert_{name}": np.stack([np.asarray(r[name], dtype=np.float64) for r in records])
                for name in CERT_FIELDS})
    return _save_run(p["path"], out, dict(p["meta"]))


def epochs_needed(figure: str, settings: FigureSettings, seeds, *, depths=None, degrees=None) -> int:
    """Total number of progress steps a runner will report (for a progress bar)."""
    S = len(list(seeds))
    e = settings.epochs + 1
    if figure == "1":
        return 4 * S * e
    if figure == "2":
        return 2 * S
    if figure == "mechanism":
        return 2 * S * e
    if figure == "2-scaled":
        return S * e
    if figure == "phase":
        return S * (len(degrees) + 1) * len(depths) * e
    raise ValueError(f"unknown figure {figure!r}")


def _train_task(settings, model, depth, seed, problem, cache_dir, tag=None):
    """One training run in a worker process (no progress callback across processes).

    In a pool set up by :func:`_init_streaming_worker` the local certificate's inputs are
    streamed to the parent process epoch by epoch (``tag`` names the run), which evaluates them while the
    workers go on training."""
    sink = None
    if _STREAM:
        queue = _STREAM[0]

        def sink(inputs, _count=[0]):
            queue.put((tag, _count[0], inputs))
            _count[0] += 1
    return train_run(settings, model, depth, seed, problem=problem, cache_dir=cache_dir, certificate_sink=sink)


#: in a worker set up by :func:`_init_streaming_worker`: the queue to the parent process
_STREAM: list = []


def _init_streaming_worker(queue):
    """Worker initialiser (after :func:`backsmooth.parallel.process_pool`'s BLAS limit): the
    certificate's inputs go to ``queue``."""
    # a worker never waits at exit for its queue to be read: on the normal path every record has
    # been collected before the pool shuts down; after an error nobody reads them any more
    queue.cancel_join_thread()
    _STREAM[:] = [queue]


class _CertificateStream:
    """The parent's side of the streamed certificates: a thread evaluates each epoch's inputs
    (:func:`~backsmooth.figures.certificate.certificate_record`, one BLAS thread as in the
    workers) as they arrive, while the workers train."""

    def __init__(self, queue, lams):
        import threading

        self.queue, self.lams = queue, lams
        self.records: dict = {}
        self.error = None
        self.ready = threading.Condition()
        self.thread = threading.Thread(target=self._work, name="certificate-stream", daemon=True)
        self.thread.start()

    def _work(self):
        from .certificate import certificate_record

        while True:
            item = self.queue.get()
            if item is None:
                return
            tag, index, inputs = item
            try:
                record = certificate_record(inputs, self.lams[tag])
            except BaseException as exc:  # handed to the waiting thread
                record, self.error = None, exc
            with self.ready:
                self.records.setdefault(tag, {})[index] = record
                self.ready.notify_all()

    def collect(self, tag, count):
        """The ``count`` records of run ``tag`` in epoch order (waits for them)."""
        with self.ready:
            while self.error is None and len(self.records.get(tag, ())) < count:
                if not self.thread.is_alive():
                    raise RuntimeError("the certificate stream stopped before every epoch arrived")
                self.ready.wait(timeout=1.0)
            if self.error is not None:
                raise self.error
            got = self.records.pop(tag)
        return [got[i] for i in range(count)]

    def close(self):
        self.queue.put(None)
        self.thread.join()


def _runs(settings, seeds, specs, progress, cache_dir, jobs=1, meanwhile=None):
    """Every (model, depth) of ``specs`` on every seed; the independent runs go to ``jobs``
    worker processes (whichever is free takes the next run), with the same results as the
    serial loop (each run is the same code on one BLAS thread).  With workers, the local
    certificate of a run is evaluated in this process from the inputs its worker streams
    (:func:`_train_task`), so that the worker with the deep GNN is not the last to finish.
    ``meanwhile()`` runs in this process while the workers train (after the runs when ``jobs``
    is 1)."""
    runs = {f"{m}{d}": [] for m, d in specs}
    if jobs <= 1:
        for seed in seeds:
            problem = csbm_problem(settings, seed)
            for m, d in specs:
                runs[f"{m}{d}"].append(train_run(settings, m, d, seed, problem=problem, progress=progress,
                                                 cache_dir=cache_dir))
        if meanwhile is not None:
            meanwhile()
        return runs
    import concurrent.futures as cf
    import multiprocessing

    from ..parallel import one_blas_thread, process_pool

    tasks, lams = [], {}
    for seed in seeds:
        problem = csbm_problem(settings, seed)
        for m, d in specs:
            lams[len(tasks)] = float(problem[2])
            tasks.append((settings, m, d, seed, problem, cache_dir, len(tasks)))
    results = [None] * len(tasks)
    queue = multiprocessing.get_context().Queue()
    stream = None
    with one_blas_thread(), process_pool(min(jobs, len(tasks)), initializer=_init_streaming_worker,
                                          initargs=(queue,)) as pool:
        try:
            futures = {pool.submit(_train_task, *t): i for i, t in enumerate(tasks)}
            stream = _CertificateStream(queue, lams)  # started after the workers are forked
            if meanwhile is not None:
                meanwhile()
            for fut in cf.as_completed(futures):
                i = futures[fut]
                run = fut.result()
                if "pending_certificate" in run:
                    run = finish_run(run, stream.collect(i, run["pending_certificate"]["epochs"]))
                results[i] = run
                if progress is not None:
                    progress(settings.epochs + 1)
        finally:
            if stream is not None:
                stream.close()
    for (_, m, d, *_rest), run in zip(tasks, results):
        runs[f"{m}{d}"].append(run)
    return runs


def _delta_summary(run):
    delta = theorem3_delta(_AsHistory(run), n=run["n"], xi=run["xi"], lam=run["lam"], c_rho=run["c_rho"])
    return delta


class _AsHistory:
    """Attribute view of a run dict (what theorem3_delta reads)."""

    def __init__(self, run):
        self.__dict__.update(run)


def figure1_data(settings: FigureSettings, seeds=(0,), *, progress=None, cache_dir=None, jobs=1,
                 meanwhile=None) -> dict:
    """Paper Figure 1 on CSBM: deep/shallow GNN and MLP trained by Adam (our settings).

    Returns a dict with ``runs`` (``"gnn40"``, ``"mlp40"``, ``"gnn5"``, ``"mlp5"``: one history
    dict per seed), the output layer's stationary epoch, and the Theorem 3 delta (per layer and
    max over layers) of the deep GNN at the profile epochs.  ``meanwhile()`` is called in this
    process while the ``jobs`` worker processes train (e.g. the plotting's imports).
    """
    L, l = settings.deep_depth, settings.shallow_depth
    specs = [("gnn", L), ("mlp", L), ("gnn", l), ("mlp", l)]
    runs = _runs(settings, seeds, specs, progress, cache_dir, jobs, meanwhile)
    theory = {"stationary_threshold_relative": STATIONARY_THRESHOLD, "stationary_epoch": [],
              "delta_epochs": [], "delta_max": [], "delta_per_layer": [], "delta_informative_fraction": [],
              "max_ratio_gradient_over_delta": [], "certificate": [],
              "theorem3_delta_max": [], "theorem3_delta_per_layer": [], "theorem3_delta_informative_fraction": [],
              "theorem3_max_ratio_gradient_over_delta": []}
    from .certificate import certificate_theory

    for run in runs[f"gnn{L}"]:
        g_out = run["gradient_norms"][:, -1]
        start = stationary_epoch(g_out, STATIONARY_THRESHOLD * g_out[0])
        theory["stationary_epoch"].append(start)
        ep = run["profile_epochs"]
        theory["delta_epochs"].append(ep)
        reference = float(run["gradient_norms"][0].max())
        # the old a-posteriori bound (Theorem 3 (a), global constants), kept under theorem3_*
        old = _delta_summary(run)
        theory["theorem3_delta_per_layer"].append(old)
        theory["theorem3_delta_max"].append(old.max(axis=1))
        theory["theorem3_delta_informative_fraction"].append(informative_fraction(old.max(axis=1), reference))
        theory["theorem3_max_ratio_gradient_over_delta"].append(float(np.max(run["gradient_norms"][ep] / old)))
        if "cert_delta" in run:          # delta: the local certificate (claim local_certificate)
            cert = certificate_theory(run, start)
            delta = cert["delta_per_layer"]
            theory["certificate"].append(cert)
        else:                            # activation without Lipschitz rho' (ReLU): Theorem 3 only
            delta = old
            theory["certificate"].append(None)
        theory["delta_per_layer"].append(delta)
        theory["delta_max"].append(delta.max(axis=1))
        theory["delta_informative_fraction"].append(informative_fraction(delta.max(axis=1), reference))
        theory["max_ratio_gradient_over_delta"].append(float(np.max(run["gradient_norms"][ep] / delta)))
    return {"figure": "1", "provenance": PROVENANCE["figure1"], "settings": settings.to_dict(),
            "seeds": list(seeds), "depths": {"deep": L, "shallow": l}, "runs": runs, "theory": theory,
            "notes": [
                "delta (delta_max, delta_per_layer): the local stationarity certificate (extension, claim "
                "local_certificate of docs/theory.md): delta_k = n ||xbar^(k)|| m_k + lambda n E(X^(k)) e_k, where "
                "m_k >= ||bbar^(k)|| and e_k >= E(B^(k)) come from the mean output error bbar^(L) carried along the "
                "linearised mean path and the local-constant recursion from E(B^(L)); only forward quantities, the "
                "weights and the output error enter (no hidden backward signal, no gradient).",
                "theorem3_delta: the previous a posteriori per-layer bound delta_k = min(T1_k, T2_k) of docs/theory.md "
                "section 7 (a), evaluated with the measured s_i, E(X^(j)), E(B^(L)), ||bbar^(L)||, "
                "||B^(L)||_row; it is called vacuous at an epoch where max_k delta_k is not below the "
                "largest gradient norm at initialisation (see delta_informative_fraction).",
                "Stationary epoch: first epoch from which the output layer's gradient stays below "
                f"{STATIONARY_THRESHOLD:g} x its initial value (null: never).",
            ]}


def figure2_data(settings: FigureSettings, seeds=(0,), *, progress=None) -> dict:
    """Paper Figure 2: ``E(X^(k))`` and ``E(B^(k))`` vs ``k`` at initialisation, GNN and MLP (depth L).

    Includes the theory lines (Theorem 1 forward, Corollary 1 and Theorem 2 backward, from the
    symbolic registry, at the measured lambda and s = max_k s_k) and the fitted rates.
    """
    L = settings.deep_depth
    out = {"figure": "2", "provenance": PROVENANCE["figure2"], "settings": settings.to_dict(),
           "seeds": list(seeds), "depth": L, "k": np.arange(L + 1), "gnn": [], "mlp": []}
    for seed in seeds:
        problem = csbm_problem(settings, seed)
        for model in ("gnn", "mlp"):
            run = train_run(settings, model, L, seed, problem=problem, epochs=0, certificate=False)
            if progress is not None:
                progress(1)
            lam, s = run["lam"], float(run["spectral_norms"][0].max())
            EX, EB = run["forward_energy"][0], run["backward_energy"][0]
            half = np.arange(L // 2, L + 1)
            entry = {"lam": lam, "s": s, "lambda_s": lam * s, "E_X": EX, "E_B": EB,
                     "forward_rate_fitted": fitted_rate(EX),
                     # backward: rate per layer from the output (k = L) towards the input, over the output half
                     "backward_rate_fitted_output_half": fitted_rate(EB[half][::-1]),
                     "backward_argmin_k": int(np.argmin(EB)),
                     "forward_bound": forward_rate_line(lam, s, L, EX[0])}
            entry.update(backward_rate_lines(lam, s, L, EB[L], EX[0], float(run["output_error_row_norm"][0]),
                                             run["c_rho"]))
            out[model].append(entry)
    out["notes"] = [
        "E is the root convention E(X) = ||(I - 11^T/n) X||_F / sqrt(n).",
        "Forward line: Theorem 1 (uniform) (lambda s)^k E(X^(0)); backward lines: Corollary 1 "
        "(lambda s)^(L-k) E(B^(L)) is the rate of a LINEAR GNN (tanh re-injects fluctuations, so the data "
        "may cross it near the input), Theorem 2 (unrolled) is the bound that holds for tanh.",
        "Fitted rates: exp of the least-squares slope of log E against the layer index; backward over "
        "the output half k = L/2..L, counted from the output.",
    ]
    return out


def mechanism_data(settings: FigureSettings, seeds=(0,), *, progress=None, cache_dir=None, jobs=1) -> dict:
    """Extension: ``||bbar^(L)||`` and the middle layer's gradient vs epochs, deep GNN vs deep MLP.

    For the middle layer ``k = L/2`` also the two parts of Lemma 3 at the profile epochs:
    the mean part ``n ||xbar^(k)|| ||bbar^(k)||`` and the fluctuation bound
    ``lambda n E(X^(k)) E(B^(k))`` (``||grad_k|| <=`` their sum).
    """
    L = settings.deep_depth
    runs = _runs(settings, seeds, [("gnn", L), ("mlp", L)], progress, cache_dir, jobs)
    k = L // 2
    parts = {}
    for name, rs in runs.items():
        parts[name] = [{"mean_part": r["n"] * r["forward_mean_norm"][:, k] * r["backward_mean_norm"][:, k],
                        "fluctuation_bound": r["lam"] * r["n"] * r["forward_energy"][:, k] * r["backward_energy"][:, k],
                        "profile_epochs": r["profile_epochs"],
                        # local certificate delta_k at the middle layer (extension; GNN runs with rho' Lipschitz)
                        **({"certificate": r["cert_delta"][:, k]} if "cert_delta" in r else {})} for r in rs]
    return {"figure": "mechanism", "provenance": PROVENANCE["mechanism"], "settings": settings.to_dict(),
            "seeds": list(seeds), "depth": L, "middle_layer": k, "runs": runs, "lemma3_parts": parts,
            "notes": ["Lemma 3 (docs/theory.md): grad_k = n xbar^(k) bbar^(k)T + ((I-J)X^(k))^T P (I-J)B^(k), so "
                      "||grad_k|| <= n||xbar^(k)|| ||bbar^(k)|| + lambda n E(X^(k)) E(B^(k)) (lambda = 1 for the MLP)."]}


def phase_data(settings: FigureSettings, seeds=(0,), *, degrees=(5, 10, 20, 50), depths=(2, 8, 16, 32),
               progress=None, cache_dir=None) -> dict:
    """Extension: final loss / ``L_const`` of the GNN over (average degree -> lambda) x depth, and the MLP.

    Returns ``ratio_gnn`` (len(degrees) x len(depths), mean over seeds), ``lam`` (mean lambda per
    degree), ``ratio_mlp`` (len(depths)), and the per-seed values.
    """
    degrees, depths = [float(c) for c in degrees], [int(d) for d in depths]
    S = len(list(seeds))
    per_seed = np.full((S, len(degrees), len(depths)), np.nan)
    lams = np.full((S, len(degrees)), np.nan)
    mlp_seed = np.full((S, len(depths)), np.nan)
    for a, seed in enumerate(seeds):
        for i, c in enumerate(degrees):
            st = settings.with_(avg_degree=c, graph_signal=min(settings.graph_signal, math.sqrt(c)))
            problem = csbm_problem(st, seed)
            lams[a, i] = problem[2]
            for j, d in enumerate(depths):  # only the final loss is drawn: no certificate
                run = train_run(st, "gnn", d, seed, problem=problem, progress=progress, cache_dir=cache_dir,
                                certificate=False)
                per_seed[a, i, j] = run["loss"][-1] / run["L_const"]
            if i == len(degrees) - 1:
                for j, d in enumerate(depths):
                    run = train_run(st, "mlp", d, seed, problem=problem, progress=progress, cache_dir=cache_dir)
                    mlp_seed[a, j] = run["loss"][-1] / run["L_const"]
    return {"figure": "phase", "provenance": PROVENANCE["phase"], "settings": settings.to_dict(),
            "seeds": list(seeds), "degrees": degrees, "depths": depths, "lam": lams.mean(axis=0),
            "ratio_gnn": per_seed.mean(axis=0), "ratio_mlp": mlp_seed.mean(axis=0),
            "ratio_gnn_per_seed": per_seed, "ratio_mlp_per_seed": mlp_seed, "lam_per_seed": lams,
            "notes": ["ratio = final training loss / L_const (best constant predictor, log 2 for balanced "
                      "classes): ~1 means stuck at the plateau, << 1 means the model trained.",
                      "The MLP ignores the graph; it is trained on the densest degree's sample.",
                      "graph_signal is capped at sqrt(c) so that p_out >= 0."]}
