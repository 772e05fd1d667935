"""``backsmooth report [--quick] [--out DIR] [--seed S] [--resume]``: the main job.

Runs every derivation, proof, numeric check and figure and writes one self-contained HTML
page ``DIR/index.html`` (readable offline) with the JSON/CSV/PNG behind it; see
:mod:`backsmooth.report`.  Exit code 1 if a claim is violated, a proof or derivation step
fails or a section crashed; 0 otherwise.
"""

from __future__ import annotations

import sys

__all__ = ["register", "run"]


def register(subparsers) -> None:
    """Add the ``report`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "report",
        help="run everything and write one offline HTML report (the main job)",
        description=(
            "Run every claim's derivation (sympy), machine-checked proof and numeric check, "
            "reproduce Figures 1 and 2 (and the mechanism and phase-diagram extensions), and "
            "write DIR/index.html: one self-contained page readable offline (formulas typeset "
            "by matplotlib mathtext, images embedded), with results.json and the CSV/JSON/PNG "
            "behind it. Every claim shows its provenance: [paper], [reconstruction] or "
            "[extension]. results.json is saved after each section; --resume reuses them."
        ),
        epilog="Exit code: 0 all claims hold and every proof step passes; 1 a claim is "
               "violated, a proof/derivation step fails or a section crashed; 2 bad usage.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="quick profile: fewer check trials, quick figure settings "
                             "(about 45-65 s on 2 cores the first time, depending on the "
                             "machine; seconds once cached)")
    parser.add_argument("--tiny", action="store_true",
                        help="TEST ONLY: the smallest settings (3 trials per check, 10 "
                             "training epochs, no phase diagram) to exercise the pipeline in "
                             "seconds; its numbers say nothing about the paper")
    parser.add_argument("--out", default="backsmooth-report", metavar="DIR",
                        help="output folder (default: backsmooth-report)")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seed of every random component (default 0)")
    parser.add_argument("--resume", action="store_true",
                        help="reuse the finished sections of DIR/results.json (same profile "
                             "and seed) and run only the rest")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes (1 runs in this process). Default: "
                             "$BACKSMOOTH_JOBS, else the CPUs this process may use, plus one "
                             "worker when the workers are measured to get less than 80%% of a "
                             "core each (another process shares the cores); the results do not "
                             "depend on it")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute every section instead of taking it from the result "
                             "cache (user cache folder, $BACKSMOOTH_CACHE_DIR to relocate). "
                             "Derivations and proofs are keyed by a hash of the sources that "
                             "make them; checks and figures also by their settings, the seed "
                             "and a fingerprint of the machine (CPU, numpy/scipy/BLAS build), "
                             "so a cached result is never stale; the page says which sections "
                             "came from the cache and when they were computed")
    parser.set_defaults(func=run)


def run(args) -> int:
    """Build the report; print the one-line summary; return its exit code."""
    from ..report import build_report

    if args.quick and args.tiny:
        raise ValueError("choose at most one of --quick and --tiny")
    profile = "tiny" if args.tiny else ("quick" if args.quick else "full")
    outcome = build_report(args.out, profile=profile, seed=args.seed, resume=args.resume,
                           jobs=args.jobs, progress=not args.no_progress,
                           cache=not args.no_cache)
    print(outcome.line)
    sys.stdout.flush()
    return outcome.exit_code
