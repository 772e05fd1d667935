"""The ``backsmooth`` command line.

Each subcommand lives in its own module ``backsmooth.cli.<name>`` exposing
``register(subparsers)``; this module only assembles the parser and dispatches.
Subcommand modules import their heavy dependencies lazily, inside ``run``.

Exit codes: 0 success (and, for ``check``/``report``, no violated claim); 1 a claim was
violated; 2 bad usage or bad input (the message says what is wrong and how to fix it).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

__all__ = ["main", "build_parser"]

#: entries of sympy's result cache in a ``backsmooth`` process (sympy's default: 1000), set
#: here because sympy reads ``SYMPY_CACHE_SIZE`` once, when it is first imported.  The proofs
#: and derivations meet the same sub-expressions again and again; with the larger cache a cold
#: run of every proof and derivation takes about 10% less CPU (measured: 20.1 -> 18.0 CPU s for
#: the proofs), for about 30 MB, and gives the same results.  A value the user sets wins.
SYMPY_CACHE_SIZE = "100000"
os.environ.setdefault("SYMPY_CACHE_SIZE", SYMPY_CACHE_SIZE)

#: subcommands in the order ``--help`` lists them
_COMMANDS = (
    "graph_info",
    "derive",
    "proof",
    "check",
    "figure",
    "report",
    "sweep",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level argument parser with every subcommand registered."""
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="backsmooth",
        description=(
            "Executable companion to 'Backward Oversmoothing: why is it hard to train deep "
            "Graph Neural Networks?' (N. Keriven, 2025, arXiv 2505.16736). Every claim "
            "carries its provenance: [paper] stated in the paper, [reconstruction] our "
            "corrected/precise version, [extension] beyond the paper."
        ),
        epilog="Run 'backsmooth report' for the full report; 'backsmooth COMMAND --help' for details.",
    )
    parser.add_argument("--version", action="version", version=f"backsmooth {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"backsmooth.cli.{name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``backsmooth`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        code = args.func(args)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"backsmooth {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. `backsmooth graph-info karate | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("interrupted; partial results (if any) were saved", file=sys.stderr)
        return 130
    return int(code or 0)


