"""``backsmooth check``: numeric checks of the claims against their symbolic bounds.

Usage::

    backsmooth check NAME [--graph FAMILY|SPEC|FILE] [--trials N] [--seed S] [--out DIR]
    backsmooth check --all [--trials N] [--seed S] [--out DIR [--resume]]
    backsmooth check --all --profile thorough     # >= 10^4 instances per check
    backsmooth check --list

Exit codes: 0 no violation (unresolved rows are reported, not failures), 1 some claim
violated, 2 bad usage.
"""

from __future__ import annotations

import os
import sys
import time
import warnings

__all__ = ["format_table", "register", "run"]


def register(subparsers):
    """Add the ``check`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "check",
        help="check claims numerically against their bounds",
        description=(
            "Sample instances (graph x n x depth x width x activation x weight scale x loss x "
            "seed), measure each claim's quantity and compare it with the bound lambdified from "
            "the symbolic registry. Verdicts: holds / violated / unresolved (round-off floor at or "
            "above the bound: nothing judged) / hypotheses not met. Exit code 0 when no claim "
            "is violated, 1 otherwise, 2 for bad usage."
        ),
    )
    p.add_argument("name", nargs="?", help="claim whose check to run (see --list); a claim "
                   "without a check of its own runs the check that covers it")
    p.add_argument("--all", action="store_true", help="run every check")
    p.add_argument("--list", action="store_true", help="list the checks and exit")
    p.add_argument(
        "--graph",
        help="graph family (er, sbm, csbm, regular, karate, ...), a spec "
        "such as er:n=30,c=4, or an edge-list file",
    )
    p.add_argument("--trials", type=int, help="number of sampled instances per check")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampler (default 0)")
    p.add_argument(
        "--profile",
        choices=("default", "thorough"),
        default="default",
        help="default: each check's own number of instances; thorough: 10^4 instances per "
        "check (--trials still overrides)",
    )
    p.add_argument(
        "--bound-scale",
        type=float,
        default=1.0,
        metavar="F",
        help="tighten every bound by the factor F in (0, 1] (upper bounds times F, lower "
        "bounds divided by F): shows that the checks can fail; default 1",
    )
    p.add_argument("--out", help="directory for NAME.json, NAME.csv and summary.json")
    p.add_argument(
        "--resume",
        action="store_true",
        help="with --out: reuse NAME.json already in DIR when its settings match",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --all: run the checks in N processes (one check per process, BLAS limited "
        "to one thread each); default 1",
    )
    p.set_defaults(func=run)
    return p


def _fmt(x, digits=4):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def format_table(results) -> str:
    """The readable summary table of a list of :class:`~backsmooth.checks.CheckResult`."""
    head = (
        "check",
        "provenance",
        "instances",
        "violations",
        "unresolved",
        "hyp. not met",
        "tightest ratio",
        "fitted / predicted rate",
    )
    rows = []
    for r in results:
        s = r.summary
        rate = s.get("rate")
        rows.append(
            (
                r.name,
                ", ".join(sorted(set(r.provenance.values()))),
                str(s["instances"]),
                str(s["violations"]),
                str(s.get("unresolved", 0)),
                str(s["hypotheses_not_met"]),
                f"{s['tightest_ratio']:.10f}"
                if s.get("tightest_ratio") is not None
                else (
                    f"dev {s['max_identity_deviation']:.2g}"
                    if "max_identity_deviation" in s
                    else "-"
                ),
                f"{rate['median_fitted']:.3g} / {rate['median_predicted']:.3g}" if rate else "-",
            )
        )
    widths = [
        max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(head, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(out)


def _graph_setting(value):
    from ..checks._instances import FAMILIES
    from backsmooth.numeric.graph_specs import GRAPH_SPECS

    if value in FAMILIES or value.split(":")[0] in GRAPH_SPECS or os.path.exists(value):
        return value
    raise ValueError(
        f"--graph {value!r} is neither a family ({', '.join(FAMILIES)}), a spec such as "
        "er:n=30,c=4, nor an existing edge-list file"
    )


def _one_unit(unit, own):
    """Run one unit (a check, or the checks of a shared pass) in a worker process (one BLAS
    thread)."""
    from ..checks._runner import check_many

    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - core dependency
        return check_many(unit, **own)
    with threadpool_limits(limits=1):
        return check_many(unit, **own)


def _work(unit, own, costs=None):
    """Rough CPU work of a unit (milliseconds): instances x cost per instance
    (:func:`backsmooth.costs.check_ms_per_instance`: measured by the last report, else the
    hand table).  Only used to start the longest work first and to split it."""
    from ..checks import CHECKS
    from ..costs import check_ms_per_instance, measured

    costs = measured() if costs is None else costs
    total = 0.0
    for name in unit:
        d = CHECKS[name].defaults
        total += int(own.get("trials", d.get("trials", 1))) * check_ms_per_instance(name, costs=costs)
    return total


def _units(pending):
    """Group ``(name, settings)`` pairs into run units (shared passes run as one unit)."""
    from ..checks._runner import shared_groups

    by_name = dict(pending)
    units = []
    for unit in shared_groups([name for name, _ in pending]):
        own = by_name[unit[0]]
        if all(by_name[n] == own for n in unit):
            units.append((unit, own))
        else:
            units += [((n,), by_name[n]) for n in unit]
    return units


def _tasks(units, workers):
    """Split the units into tasks for ``workers`` processes: a single check that can run in
    chunks (``CHUNK_MERGE``) and would take more than a quarter of one worker's share is cut
    into chunks of instances (``start``, ``trials``), so that the workers finish together."""
    from ..checks import CHECKS
    from ..checks._framework import CHUNK_MERGE

    share = sum(_work(*u) for u in units) / (2 * workers)
    tasks = []
    for unit, own in units:
        name = unit[0]
        trials = int(own.get("trials", CHECKS[name].defaults.get("trials", 1)))
        k = int(min(trials, -(-_work(unit, own) // share))) if share else 1
        if len(unit) > 1 or name not in CHUNK_MERGE or k <= 1:
            tasks.append((unit, own, None))
            continue
        start = int(own.get("start", 0))
        cuts = [start + trials * j // k for j in range(k + 1)]
        for a, b in zip(cuts, cuts[1:]):
            tasks.append((unit, dict(own, start=a, trials=b - a), own))
    return tasks


def _run_parallel(units, workers, record, bar):
    """Run ``(unit, settings)`` pairs in ``workers`` processes; ``record`` each result."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from ..checks._runner import merge_chunks

    bar.set_description(f"{sum(len(u) for u, _ in units)} checks on {workers} workers")
    # longest first: a long task started last would leave the other workers idle at the end
    tasks = sorted(_tasks(units, workers), key=lambda t: -_work(t[0], t[1]))
    chunks, expected = {}, {}
    for unit, _, whole in tasks:
        if whole is not None:
            expected[unit[0]] = expected.get(unit[0], 0) + 1
    with ProcessPoolExecutor(max_workers=workers) as ex:
        futures = {ex.submit(_one_unit, unit, own): (unit, whole) for unit, own, whole in tasks}
        for fut in as_completed(futures):
            unit, whole = futures[fut]
            for res in fut.result():
                bar.update(res.summary["instances"])
                if whole is None:
                    record(res)
                    continue
                done = chunks.setdefault(res.name, [])
                done.append(res)
                if len(done) == expected[res.name]:
                    record(merge_chunks(res.name, done, whole))


def run(args) -> int:
    """Run ``backsmooth check``; returns the exit code."""
    from ..checks import CHECKS, ORDER
    from ..checks._registry import DEPRECATED_ALIASES, resolve

    if args.list:
        for name in ORDER:
            spec = CHECKS[name]
            print(f"{name:16s} {spec.title}  [claims: {', '.join(spec.claims)}]")
        return 0
    if args.all == bool(args.name):
        print(
            "backsmooth check: error: give exactly one of NAME or --all (see --list)",
            file=sys.stderr,
        )
        return 2
    if args.name in DEPRECATED_ALIASES:
        print(f"backsmooth check: warning: {DEPRECATED_ALIASES[args.name][1]}", file=sys.stderr)
    try:
        names = list(ORDER) if args.all else [resolve(args.name, CHECKS, warn=False)]
    except ValueError as exc:
        print(f"backsmooth check: error: {exc}", file=sys.stderr)
        return 2
    if args.name and names[0] != args.name:
        print(f"backsmooth check: {args.name} is judged by the {names[0]!r} check",
              file=sys.stderr)
    if getattr(args, "workers", 1) < 1:
        print("backsmooth check: error: --workers must be >= 1", file=sys.stderr)
        return 2
    if args.trials is not None and args.trials < 1:
        print("backsmooth check: error: --trials must be >= 1", file=sys.stderr)
        return 2
    if not 0 < args.bound_scale <= 1:
        print("backsmooth check: error: --bound-scale must be in (0, 1]", file=sys.stderr)
        return 2
    from ..checks import PROFILES

    settings = {"seed": args.seed, **PROFILES[args.profile]}
    if args.trials is not None:
        settings["trials"] = args.trials
    if args.bound_scale != 1.0:
        settings["bound_scale"] = args.bound_scale
    try:
        if args.graph:
            settings["graph"] = _graph_setting(args.graph)
    except ValueError as exc:
        print(f"backsmooth check: error: {exc}", file=sys.stderr)
        return 2
    if args.out:
        os.makedirs(args.out, exist_ok=True)
    from tqdm import tqdm

    total = sum(settings.get("trials", CHECKS[n].defaults.get("trials", 1)) for n in names)
    bar = tqdm(
        total=total, desc="check", unit="instance", disable=args.no_progress, file=sys.stderr
    )
    results, t0 = [], time.perf_counter()
    summary = {}
    pending = []

    def record(res):
        results.append(res)
        summary[res.name] = {"provenance": res.provenance, **res.summary, "notes": list(res.notes)}
        if args.out:  # saved after each check: an interrupted --all keeps what it has
            res.to_json(os.path.join(args.out, f"{res.name}.json"))
            res.to_csv(os.path.join(args.out, f"{res.name}.csv"))
            import json

            from ..checks._framework import _jsonable

            with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as fh:
                json.dump(_jsonable(summary), fh, indent=1)

    try:
        for name in names:
            own = {
                k: v
                for k, v in settings.items()
                if k != "graph" or "graph" in CHECKS[name].defaults
            }
            saved = os.path.join(args.out, f"{name}.json") if args.out else None
            if args.resume and saved and os.path.exists(saved):
                from ..checks import CheckResult

                old = CheckResult.from_json(saved)
                if all(old.settings.get(k) == v for k, v in own.items()):
                    results.append(old)
                    summary[name] = {
                        "provenance": old.provenance,
                        **old.summary,
                        "notes": list(old.notes),
                    }
                    bar.update(old.summary["instances"])
                    continue
            pending.append((name, own))
        try:
            units = _units(pending)
            if args.workers > 1 and len(units) > 1:
                _run_parallel(units, args.workers, record, bar)
            else:
                from ..checks._runner import check_many

                for unit, own in units:
                    bar.set_description(", ".join(unit))
                    with warnings.catch_warnings():  # the deprecation was printed above
                        warnings.simplefilter("ignore", DeprecationWarning)
                        for res in check_many(unit, progress=bar.update, **own):
                            record(res)
        except (ValueError, TypeError) as exc:
            bar.close()
            print(f"backsmooth check: error: {exc}", file=sys.stderr)
            return 2
    finally:
        bar.close()
    results.sort(key=lambda r: names.index(r.name))
    elapsed = time.perf_counter() - t0
    print(format_table(results))
    for r in results:
        case = r.summary.get("tightest_case")
        if case:
            print(
                f"[{r.name}] tightest: {case['part']} (ratio {r.summary['tightest_ratio']:.10g}); "
                f"re-run: backsmooth.check({r.name!r}, trials=1, **{case['rerun']!r})"
            )
        for note in r.notes:
            print(f"[{r.name}] {note}")
        for part, lp in (r.summary.get("loose_parts") or {}).items():
            print(
                f"[{r.name}] {part}: tightest ratio {lp['max_ratio']:.3g} < 0.5 "
                f"(a halved bound would pass here): {lp['reason']}"
            )
        if r.violations:
            w = r.summary.get("worst_violation", {})
            print(f"[{r.name}] VIOLATED: {r.violations} row(s); worst {w}")
    bad = [r.name for r in results if r.violations]
    unresolved = sum(int(r.summary.get("unresolved", 0)) for r in results)
    print(
        f"{len(results)} check(s) in {elapsed:.1f} s: "
        + ("no violation" if not bad else f"VIOLATED: {', '.join(bad)}")
        + f"; {unresolved} row(s) unresolved (round-off floor at or above the bound)"
    )
    return 1 if bad else 0
