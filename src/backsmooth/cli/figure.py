"""``backsmooth figure {1,2,mechanism,phase,2-scaled}``: reproduce a figure with the theory drawn over it.

Writes ``<out>/<name>.png``, ``.pdf``, ``.json`` (data, settings, provenance) and one CSV per
panel.  Finished training runs are cached in ``<out>/cache`` so an interrupted command resumes.
"""

from __future__ import annotations

from ..parallel import one_blas_thread

__all__ = ["register", "run"]

_FIGURES = ("1", "2", "mechanism", "phase", "2-scaled", "remedies")
_PHASE_GRID = {True: {"degrees": (5, 10, 20, 50), "depths": (2, 8, 16, 32)},
               False: {"degrees": (5, 10, 20, 35, 50), "depths": (2, 5, 10, 20, 40)}}


def register(subparsers) -> None:
    """Add the ``figure`` subcommand to ``subparsers``."""
    p = subparsers.add_parser(
        "figure",
        help="reproduce Figure 1 or 2 of the paper (our settings) or an extension figure",
        description=("Train on CSBM data and draw a figure with the theory over the data. "
                     "1, 2: the paper's figures with OUR calibrated settings (the paper's are unknown); "
                     "mechanism, phase: extensions; 2-scaled: Figure 2 with orthogonal weights x 2 "
                     "(lambda s > 1) and the local-constant bounds (extension). "
                     "Writes PNG, PDF, CSV per panel and JSON."),
    )
    p.add_argument("which", choices=_FIGURES, help="figure to draw")
    p.add_argument("--out", default="figures", help="output directory (default: ./figures)")
    p.add_argument("--seeds", type=int, default=1, help="number of seeds (mean and a band over seeds)")
    p.add_argument("--seed", type=int, default=0, help="first seed (seeds are seed, seed+1, ...)")
    p.add_argument("--quick", action="store_true", help="n = 500 and 200 epochs instead of n = 1000, 1000 epochs")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--epochs", type=int, default=None, help="remedies only: number of epochs (default: Figure 1's)")
    p.add_argument("--n", type=int, default=None, help="remedies only: number of CSBM nodes (default: Figure 1's)")
    p.add_argument("--activation", choices=("tanh", "relu"), default="tanh",
                   help="figure 2 only: relu draws the ReLU variant [extension] (He-normal "
                        "initialisation, margin bound of theorem2_relu); default tanh")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="figures 1 and mechanism: worker processes for the independent training "
                        "runs (default: $BACKSMOOTH_JOBS, else the CPUs available; 1 = serial). "
                        "The output is the same for every N")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run the figure command; returns the exit code."""
    import pathlib
    import time

    from tqdm import tqdm

    from .. import figures as F

    if args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {args.seeds}")
    if getattr(args, "activation", "tanh") == "relu":
        return _run_relu(args)
    if args.which == "remedies":
        return _run_remedies(args)
    settings = F.default_settings(quick=args.quick)
    seeds = list(range(args.seed, args.seed + args.seeds))
    out = pathlib.Path(args.out)
    cache = out / "cache"
    grid = _PHASE_GRID[bool(args.quick)]
    total = F.epochs_needed(args.which, settings, seeds, **(grid if args.which == "phase" else {}))
    from ..parallel import worker_count

    jobs = worker_count(getattr(args, "jobs", None), tasks=(4 if args.which == "1" else 2) * len(seeds))
    start = time.perf_counter()
    with one_blas_thread(), tqdm(total=total, desc=f"figure {args.which}", unit="epoch", disable=args.no_progress,
              mininterval=0.5) as bar:
        progress = bar.update
        if args.which == "1":
            # the plotting's imports (pyplot) happen while the workers train, not after them
            from ..figures.plotting import _plt

            paths = F.plot_figure1(F.figure1_data(settings, seeds, progress=progress, cache_dir=cache, jobs=jobs,
                                                  meanwhile=_plt), out)
        elif args.which == "2":
            paths = F.plot_figure2(F.figure2_data(settings, seeds, progress=progress), out)
        elif args.which == "2-scaled":
            from ..figures.certificate import plot_scaled_figure2, scaled_figure2_data

            paths = plot_scaled_figure2(scaled_figure2_data(settings, seeds, progress=progress), out)
        elif args.which == "mechanism":
            paths = F.plot_mechanism(F.mechanism_data(settings, seeds, progress=progress, cache_dir=cache, jobs=jobs), out)
        else:
            paths = F.plot_phase(F.phase_data(settings, seeds, progress=progress, cache_dir=cache, **grid), out)
    workers = f" ({jobs} worker processes)" if jobs > 1 and args.which in ("1", "mechanism") else ""
    print(f"figure {args.which} ({F.PROVENANCE['figure' + args.which if args.which in '12' else args.which]}) "
          f"written in {time.perf_counter() - start:.1f} s{workers}:")
    for path in paths.values():
        print(f"  {path}")
    return 0


def _run_relu(args) -> int:
    """``figure 2 --activation relu``: the ReLU variant of Figure 2 [extension]."""
    import pathlib
    import time

    from tqdm import tqdm

    from .. import figures as F
    from ..figures.relu import PROVENANCE_RELU, figure2_relu_data, plot_figure2_relu

    if args.which != "2":
        raise ValueError(f"--activation relu is available for figure 2 only, not {args.which!r}")
    settings = F.default_settings(quick=args.quick)
    seeds = list(range(args.seed, args.seed + args.seeds))
    start = time.perf_counter()
    with one_blas_thread(), tqdm(total=len(seeds), desc="figure 2 (relu)", unit="seed",
                                       disable=args.no_progress) as bar:
        data = figure2_relu_data(settings, seeds, progress=bar.update)
    paths = plot_figure2_relu(data, pathlib.Path(args.out))
    print(f"figure 2 for ReLU ({PROVENANCE_RELU}) written in {time.perf_counter() - start:.1f} s:")
    for path in paths.values():
        print(f"  {path}")
    viol = sum(e["violations"] for e in data["gnn"])
    tight = max((e["tightest_ratio"] or 0.0) for e in data["gnn"])
    print(f"  margin bound: {viol} violations, tightest ratio measured/bound {tight:.4f}")
    return 0


def _run_remedies(args) -> int:
    """``backsmooth figure remedies``: vanilla GNN and each remedy on the Figure 1 problem [extension]."""
    import os
    import pathlib
    import time

    from tqdm import tqdm

    from ..figures import remedies as R

    changes = {k: v for k, v in (("epochs", getattr(args, "epochs", None)), ("n", getattr(args, "n", None)))
               if v is not None}
    for k, v in changes.items():
        if v < (0 if k == "epochs" else 10):
            raise ValueError(f"--{k} must be {'>= 0' if k == 'epochs' else '>= 10'}, got {v}")
    settings = R.remedy_settings(quick=args.quick, **changes)
    seeds = list(range(args.seed, args.seed + args.seeds))
    out = pathlib.Path(args.out)
    start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with one_blas_thread(), tqdm(total=R.epochs_needed_remedies(settings, seeds), desc="figure remedies",
                                       unit="epoch", disable=args.no_progress, mininterval=0.5) as bar:
        data = R.remedies_data(settings, seeds, progress=bar.update, cache_dir=out / "cache")
        data["load_average_at_start"] = load
        paths = R.plot_remedies(data, out)
    print(f"figure remedies (extension) written in {time.perf_counter() - start:.1f} s "
          f"(1-min load average at start: {load:.1f}):")
    print(f"  {'remedy':<18} {'prediction':<10} {'observed':<8} seeds escaping / agreeing")
    for row in data["table"]:
        agree = "-" if row["seeds_agreeing"] is None else row["seeds_agreeing"]
        print(f"  {row['remedy']:<18} {row['prediction']:<10} {row['observed']:<8} "
              f"{row['seeds_escaping']}/{row['seeds']} / {agree}")
    for path in paths.values():
        print(f"  {path}")
    return 0
