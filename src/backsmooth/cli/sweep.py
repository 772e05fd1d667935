"""``backsmooth sweep CONFIG``: a resumable parallel grid (see :mod:`backsmooth.sweep`)."""

from __future__ import annotations

__all__ = ["register", "run"]


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep",
        help="run a grid of measurements/trainings/checks in parallel, resumable",
        description=(
            "Run every point of a grid (JSON, TOML or YAML config: task, fixed, grid) in parallel and "
            "append each result to a JSON Lines file as it finishes. Re-running the same command "
            "resumes: finished points are skipped. Example config: examples/sweep-example.json."
        ),
    )
    p.add_argument("config", help="sweep config file (.json, .toml, .yaml)")
    p.add_argument("--out", default="sweep-results.jsonl", help="JSON Lines results file (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, help="local worker processes (default: all cores)")
    p.add_argument("--scheduler", default=None, help="dask.distributed scheduler address, e.g. tcp://127.0.0.1:8786")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    from tqdm import tqdm

    from ..sweep import run_sweep

    bar = None if args.no_progress else tqdm(total=0, unit="point", desc="sweep")

    def progress(done, total):
        if bar is not None:
            bar.total = total
            bar.n = done
            bar.refresh()

    try:
        info = run_sweep(args.config, args.out, workers=args.workers, scheduler=args.scheduler, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    print(f"sweep: {info['total']} points, {info['skipped']} already finished, {info['ran']} run -> {info['out']}")
    from ..sweep import check_totals

    totals = check_totals(info["out"])
    for name, t in totals.items():
        print(f"  {name}: {t['instances']} instances in {t['chunks']} chunk(s), {t['violations']} violations, "
              f"{t['unresolved']} unresolved, {t['hypotheses_not_met']} hypotheses not met, "
              f"tightest ratio {t['tightest_ratio']}")
    return 1 if any(t["violations"] for t in totals.values()) else 0
