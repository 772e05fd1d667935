"""``backsmooth report``: every derivation, proof, numeric check and figure on one offline page.

:func:`build_report` runs, for every claim of the symbolic registry (in paper order), its
registry entry, its sympy derivation, its machine-checked proof and the numeric checks that
cover it, then the figures (1, 2, the mechanism and the phase diagram) and the environment.
Each finished section is saved at once in ``OUT/results.json`` (so an interrupted run loses
at most the sections in flight; ``resume=True`` reuses every finished section computed with
the same profile and seed).  At the end it writes ``OUT/index.html``: one self-contained
page (formulas typeset offline by matplotlib's mathtext, images embedded as base64; no
network, no CDN) built from ``results.json`` alone, next to the JSON/CSV/PNG/PDF behind it.

Profiles (settings of the components; the page states which one was used):

* ``"full"``: the checks' and figures' default settings; the phase diagram on the quick
  training settings (its full grid alone would exceed the 5-minute budget);
* ``"quick"``: checks with at most 30 trials (about half their defaults; the page says so
  per check), the figures on their quick settings (n = 500, 200 epochs), a 2 x 2 phase
  grid: about 45-65 s on 2 cores the first time (a cold cache; it depends on the
  machine), seconds once its sections are cached;
* ``"tiny"``: TEST ONLY, to exercise the whole pipeline fast: 3 trials per check, 10
  training epochs, no phase diagram.  Its numbers say nothing about the paper.

Sections run in ``jobs`` worker processes (default: this machine's cores, plus one when the
workers are measured to get less than 80% of a core each: :class:`backsmooth.parallel.CoreShare`),
longest first
(:mod:`backsmooth.costs`); the page's formulas are typeset in the same workers as the claim,
derivation and proof sections arrive, so that the page itself is assembled in about a second.

Examples
--------
>>> PROFILES["tiny"]["checks"]["*"]
{'trials': 3}
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime
import pathlib
import time
import traceback
from concurrent.futures.process import BrokenProcessPool

from .data import (
    exit_code, jsonable, load, new_document, save, section, summarise, summary_line,
)

__all__ = ["PROFILES", "ReportOutcome", "plan", "build_report", "write_page"]

_QUICK_FIG = {"quick": True}
PROFILES = {
    "full": {
        "checks": {},
        "figures": {"1": {}, "2": {}, "mechanism": {},
                    "phase": {"quick": True, "note": "phase diagram on the quick training "
                              "settings (n = 500, 200 epochs) to fit the 5-minute budget"},
                    "2-relu": {},
                    "remedies": {"quick": True, "note": "remedies on the quick settings (n = 200, 60 epochs, "
                                 "Adam 1e-2); `backsmooth figure remedies` runs Figure 1's"}},
    },
    "quick": {
        "checks": {"*": {"trials": 30}},
        "figures": {"1": dict(_QUICK_FIG), "2": dict(_QUICK_FIG), "mechanism": dict(_QUICK_FIG),
                    "phase": {"quick": True, "grid": ((5.0, 50.0), (2, 16)),
                              "note": "quick profile: 2 x 2 grid (degrees 5, 50; depths 2, 16), "
                                      "n = 500, 200 epochs"},
                    "2-relu": dict(_QUICK_FIG)},
    },
    "tiny": {
        "checks": {"*": {"trials": 3}},
        "figures": {"1": {"quick": True, "epochs": 10, "note": "TEST profile: 10 epochs"},
                    "2": {"quick": True},
                    "mechanism": {"quick": True, "epochs": 10, "note": "TEST profile: 10 epochs"}},
    },
}

#: a section that must wait for another (the mechanism reuses Figure 1's cached training runs)
_AFTER = {"figure/mechanism": "figure/1"}


class ReportOutcome:
    """What :func:`build_report` returns: the page path, the summary and the exit code."""

    def __init__(self, path, summary, code, seconds, line):
        self.path, self.summary, self.exit_code, self.seconds, self.line = (
            path, summary, code, seconds, line)

    def __repr__(self):
        return f"ReportOutcome({self.line!r})"


def plan(profile: str, claims) -> list:
    """Section keys ``"kind/name"`` in page order: per claim, then checks, figures, environment.

    Derivations of the symbolic registry that are not claims (e.g. the backward recursion,
    ReLU) follow the claims.
    """
    from .sections import check_names, derivation_names, figure_names

    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    keys = []
    for c in claims:
        keys += [f"claim/{c}", f"derivation/{c}", f"proof/{c}"]
    keys += [f"derivation/{d}" for d in derivation_names() if d not in claims]
    keys += [f"check/{n}" for n in check_names()]
    keys += [f"figure/{n}" for n in figure_names() if n in PROFILES[profile]["figures"]]
    keys.append("environment/environment")
    return keys


def _run_one(key, out, seed, profile, use_cache=True):
    """Run one section (in a worker process); return its record (never raises)."""
    from ..parallel import one_blas_thread

    with one_blas_thread():
        return _run_section(key, out, seed, profile, use_cache)


def _seeded(kind, name, ctx, profile, use_cache=True):
    """A check or figure section through the result cache, with the files it writes.

    The cached value is the section's record and the bytes of every file it names (JSON,
    CSV, PNG, PDF); a hit writes those files back into the output folder.  The key holds the
    profile's settings of this section, the seed and the machine (``seeded_context``).
    """
    import base64

    from ..result_cache import cached, seeded_context
    from .sections import RUNNERS

    p = PROFILES[profile]
    settings = {"profile": profile,
                "settings": p["checks"] if kind == "check" else p["figures"].get(name)}

    def compute():
        status, data, message = RUNNERS[kind](name, ctx)
        data = jsonable(data)
        files = {rel: base64.b64encode((ctx.out / rel).read_bytes()).decode("ascii")
                 for rel in dict.fromkeys(list(data.get("files", [])) + list(data.get("images", [])))}
        return {"record": [status, data, message], "files": files}

    info = {}
    value = cached(f"report-{kind}", name, compute, use=use_cache, info=info,
                   context=seeded_context(settings, ctx.seed))
    if info.get("hit"):
        for rel, text in value["files"].items():
            path = ctx.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(text))
    return value["record"], info


def _run_section(key, out, seed, profile, use_cache=True):
    from .sections import CACHED_KINDS, RUNNERS, SEEDED_KINDS, SectionContext

    kind, name = key.split("/", 1)
    p = PROFILES[profile]
    ctx = SectionContext(out=pathlib.Path(out), seed=seed, check_settings=p["checks"],
                         figures=p["figures"])
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        info = {}
        if kind in CACHED_KINDS:  # machine- and seed-independent: from the result cache
            from ..result_cache import cached

            status, data, message = cached(
                f"report-{kind}", name, lambda: jsonable(list(RUNNERS[kind](name, ctx))),
                use=use_cache, info=info)
        elif kind in SEEDED_KINDS:  # seed-determined: keyed by settings, seed and machine
            (status, data, message), info = _seeded(kind, name, ctx, profile, use_cache)
        else:
            status, data, message = RUNNERS[kind](name, ctx)
        rec = section(kind, name, status, time.perf_counter() - t0, data, message)
        rec["cached"] = bool(info.get("hit"))
        if rec["cached"]:
            rec["computed"] = info.get("computed")
            rec["compute_seconds"] = info.get("compute_seconds")
    except Exception as exc:  # a crashing component is reported on the page, not hidden
        tb = traceback.format_exc(limit=6)
        rec = section(kind, name, "error", time.perf_counter() - t0, {},
                      f"{type(exc).__name__}: {exc}\n{tb}")
    rec["cpu_seconds"] = time.process_time() - c0
    return rec


def _cost(key, profile="quick", costs=None):
    """Expected CPU seconds of a section (:func:`backsmooth.costs.section_cost`: measured in
    the previous run, else the hand table), to start the long sections first."""
    from ..costs import section_cost

    return section_cost(key, profile, costs=costs)


def _execute(todo, doc, out, seed, profile, jobs, bar, results_path, use_cache=True,
             adaptive=False):
    from ..parallel import CoreShare

    # ``adaptive``: one worker more than ``jobs`` once the finished sections show the workers
    # do not get their cores (another process shares them); the results do not change
    share, limit = CoreShare(), jobs

    def note_workers():  # the share measured until a worker was added (or so far)
        added = limit - jobs
        doc["workers"] = {"started": jobs, "added": added, "share": round(share.share, 3),
                          "after_seconds": round(share.wall, 1) if added else None}

    def record(key, rec):
        nonlocal limit
        doc["sections"][key] = rec
        if adaptive and not rec.get("cached") and limit == jobs:
            share.add(rec.get("cpu_seconds", 0.0), rec["seconds"])  # until one is added
            if share.contended():
                limit = jobs + 1
                note_workers()
        save(doc, results_path, compact=True)
        if bar is not None:
            bar.set_postfix_str(f"{key} {rec['status']} {rec['seconds']:.1f}s", refresh=False)
            bar.update(1)

    from ..costs import measured

    costs = measured() if use_cache else {}
    if jobs <= 1:
        for key in sorted(todo, key=lambda k: -_cost(k, profile, costs)):
            record(key, _run_one(key, out, seed, profile, use_cache))
        return
    # the proofs run as one task in one worker: verifying a proof verifies the proofs it cites,
    # once per process (the proofs registry keeps the results), so spread over two workers
    # the cited proofs were verified twice (34 CPU s in one process, 48.5 spread over two)
    tasks = _tasks(todo)
    pending = sorted(tasks, key=lambda t: -sum(_cost(k, profile, costs) for k in t))
    broken = False
    from ..parallel import process_pool
    from .html import preset_formulas, typeset_formulas
    from .page import section_formulas

    # the page's formulas (typeset by mathtext: about 0.06 CPU s each, some 240 of them) are
    # typeset in the workers too, in batches queued behind the sections as the claim,
    # derivation and proof sections arrive: they fill the workers' tail instead of running
    # one after the other in this process once every section is done (the same pictures:
    # ``math_image`` of the same fragment, wherever it runs)
    typeset, queued = [], set()

    def queue_formulas(rec):
        try:
            found = [f for f in section_formulas(rec) if f not in queued]
        except Exception:  # noqa: BLE001 - the page typesets what is not listed: time, not results
            return
        queued.update(found)
        for i in range(0, len(found), _FORMULA_BATCH):
            typeset.append(tuple(found[i:i + _FORMULA_BATCH]))

    def blocked(task):
        waits = {_AFTER.get(k) for k in task} - {None}
        busy = {k for t in list(running.values()) + pending for k in t}
        return bool(waits & busy)

    _preload()
    with process_pool(jobs + 1 if adaptive else jobs) as pool:
        running = {}
        while (pending and not broken) or running or (typeset and not broken):
            ready = [t for t in pending if not blocked(t)]
            for task in ready[: max(limit - len(running), 0)] if not broken else ():
                pending.remove(task)
                running[pool.submit(_run_many, task, str(out), seed, profile, use_cache)] = task
            while typeset and not broken and len(running) < limit:
                batch = typeset.pop(0)
                running[pool.submit(typeset_formulas, batch)] = batch
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for fut in done:
                task = running.pop(fut)
                if task and isinstance(task[0], tuple):  # a batch of formulas
                    try:
                        preset_formulas(task, fut.result())
                    except BrokenProcessPool:  # the sections left run in this process
                        broken = True
                    except Exception:  # noqa: BLE001 - this process typesets them for the page
                        pass
                    continue
                try:
                    recs = fut.result()
                except BrokenProcessPool as exc:  # a worker died (killed, out of memory)
                    broken = True
                    recs = [section(*key.split("/", 1), "error", 0.0, {},
                                    f"the worker process running this section died: {exc}")
                            for key in task]
                for key, rec in zip(task, recs):
                    record(key, rec)
                    if not broken:
                        queue_formulas(rec)
    for task in pending:  # after a worker died: the rest in this process
        for key in task:
            record(key, _run_one(key, out, seed, profile, use_cache))
    if adaptive and "workers" not in doc:
        note_workers()


#: what every worker imports, imported once here before the workers start: forked workers
#: share it instead of importing it each (about 2 CPU s per process); not matplotlib's pyplot,
#: which would choose a backend for the calling process (a notebook's inline plots)
_PRELOAD = ("backsmooth.symbolic", "backsmooth.proofs", "backsmooth.checks", "backsmooth.figures",
            "matplotlib")


def _preload():
    """Import :data:`_PRELOAD` in this process when workers are forked from it."""
    import importlib
    import multiprocessing

    if multiprocessing.get_start_method(allow_none=False) != "fork":
        return  # spawned or forkserver workers import for themselves
    for name in _PRELOAD:
        importlib.import_module(name)


#: formulas per typesetting task of a worker (about 0.06 CPU s each)
_FORMULA_BATCH = 16


#: section kinds run together as one task in one worker (they share per-process results)
_BATCHED = ("proof",)
#: sections run together as one task, in this order: derivations that share memoised builders
#: within a process (theorem2 and proposition1 the recursion instances, backprop and corollary1
#: the true backward signals), so that one worker builds them once
_TOGETHER = (("derivation/theorem2", "derivation/proposition1"),
             ("derivation/backprop", "derivation/corollary1"))


def _tasks(todo) -> list:
    """The worker tasks (tuples of section keys run one after the other in one worker) for the
    sections ``todo``: every proof section in one task (:data:`_BATCHED`), the groups of
    :data:`_TOGETHER` each in one, every other section alone.

    Examples
    --------
    >>> _tasks(["claim/lemma1", "proof/lemma1", "derivation/backprop", "proof/theorem1",
    ...         "derivation/corollary1"])
    [('claim/lemma1',), ('derivation/backprop', 'derivation/corollary1'), ('proof/lemma1', 'proof/theorem1')]
    """
    batched = tuple(k for k in todo if k.split("/", 1)[0] in _BATCHED)
    grouped = [tuple(k for k in group if k in todo) for group in _TOGETHER]
    grouped = [g for g in grouped if g]
    inside = set(batched).union(*grouped)
    return ([(k,) for k in todo if k not in inside] + grouped + ([batched] if batched else []))


def _run_many(keys, out, seed, profile, use_cache=True):
    """Run the sections ``keys`` one after the other in this (worker) process."""
    return [_run_one(key, out, seed, profile, use_cache) for key in keys]


def write_page(doc, out) -> pathlib.Path:
    """Render ``index.html`` from the results document ``doc`` into ``out``."""
    from .page import render_page

    out = pathlib.Path(out)
    path = out / "index.html"
    tmp = out / "index.html.tmp"
    tmp.write_text(render_page(doc, out), encoding="utf-8")
    tmp.replace(path)
    return path


def _files(out):
    skip = {"index.html", "results.json"}
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if p.is_file() and "cache" not in p.relative_to(out).parts
                  and p.name not in skip and not p.name.endswith(".tmp"))


def build_report(out="backsmooth-report", *, profile="full", seed=0, resume=False, jobs=None,
                 progress=True, cache=True) -> ReportOutcome:
    """Run every section and write ``out/index.html`` and ``out/results.json``.

    Parameters
    ----------
    out : path
        Output folder (created).
    profile : {"full", "quick", "tiny"}
        Settings of the components (module docstring); ``"tiny"`` is for tests only.
    seed : int
        Seed of every random component.
    resume : bool
        Reuse the finished sections of ``out/results.json`` if its profile and seed match.
    jobs : int, optional
        Worker processes (1 runs everything in this process).  Default: ``$BACKSMOOTH_JOBS``
        if set, else the CPUs this process may run on, plus one worker once the finished
        sections show that the workers get less than 80% of a core each (another process
        shares the cores: :class:`backsmooth.parallel.CoreShare`); a given ``jobs`` (or
        ``$BACKSMOOTH_JOBS``) is used as it is.  The results do not depend on it.
    progress : bool
        Show a tqdm progress bar on stderr.
    cache : bool
        Take the claim, derivation and proof sections (which depend on neither the machine
        nor the seed) and the check and figure sections (keyed also by their settings, the
        seed and the machine) from the user's result cache, and store them there
        (:mod:`backsmooth.result_cache`); False recomputes them and leaves the cache alone.

    Returns
    -------
    ReportOutcome
        ``exit_code`` is 1 if a claim is violated, a proof or derivation step fails or a
        section crashed, else 0.
    """
    from backsmooth.symbolic import claims

    if int(seed) != seed or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    from ..parallel import count_is_pinned, worker_count

    adaptive = not count_is_pinned(jobs)
    if jobs is not None and (isinstance(jobs, bool) or int(jobs) != jobs or jobs < 1):
        raise ValueError(f"jobs must be a positive integer, got {jobs!r}")
    jobs = worker_count(jobs)
    t0 = time.perf_counter()
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.json"
    settings = {"profile": profile, "seed": int(seed), "jobs": int(jobs), "cache": bool(cache)}
    if profile == "tiny":
        settings["note"] = ("TEST profile 'tiny': 3 trials per check and 10 training epochs, only "
                            "to exercise the pipeline; its numbers say nothing about the paper.")
    names = list(claims())
    keys = plan(profile, names)
    doc = new_document(settings)
    old = load(results_path) if resume else None
    same = old is not None and all(old.get("settings", {}).get(k) == settings[k]
                                   for k in ("profile", "seed"))
    if same:
        doc["sections"] = {k: s for k, s in old["sections"].items()
                           if k in keys and s["status"] != "error"}
    doc["claims"] = names
    doc["started"] = datetime.datetime.now().isoformat(timespec="seconds")
    save(doc, results_path)
    todo = [k for k in keys if k not in doc["sections"]]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(keys), initial=len(keys) - len(todo), desc="backsmooth report",
                   unit="section")
    try:
        _execute(todo, doc, out, int(seed), profile, int(jobs), bar, results_path, bool(cache),
                 adaptive=adaptive and jobs >= 2)
    finally:
        if bar is not None:
            bar.close()
        # order the sections as on the page, stamp the end, and write the page even if
        # interrupted (a partial page of the finished sections)
        doc["sections"] = {k: doc["sections"][k] for k in keys if k in doc["sections"]}
        doc["finished"] = datetime.datetime.now().isoformat(timespec="seconds")
        doc["wall_seconds"] = time.perf_counter() - t0
        doc["files"] = _files(out)
        save(doc, results_path)
        from .html import clear_preset_formulas

        try:
            path = write_page(doc, out)
        finally:
            clear_preset_formulas()
    if cache:
        from ..costs import record

        record(doc)  # measured costs order the next run's sections
    summ = summarise(doc)
    seconds = time.perf_counter() - t0
    return ReportOutcome(path, summ, exit_code(summ), seconds,
                         summary_line(summ, seconds, path) + _cache_line(doc, todo))


def _cache_line(doc, ran) -> str:
    """The CLI's statement of which sections this run served from the result cache."""
    hits = [k for k in ran if doc["sections"].get(k, {}).get("cached")]
    if not hits:
        return ""
    kinds = {}
    for k in hits:
        kinds[k.split("/", 1)[0]] = kinds.get(k.split("/", 1)[0], 0) + 1
    when = sorted(str(doc["sections"][k].get("computed")) for k in hits)
    seeded = [k for k in hits if k.startswith(("check/", "figure/"))]
    return ("\n  from the result cache (--no-cache recomputes): "
            + ", ".join(f"{n} {kind}" for kind, n in kinds.items())
            + f" section(s), computed {when[0]} .. {when[-1]}"
            + (f"; seed-determined: {', '.join(seeded)}" if seeded else ""))
