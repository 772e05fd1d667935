"""``backsmooth proof``: print a claim's machine-checked proof with each step's status.

``backsmooth proof NAME [--latex]``, ``backsmooth proof --list``, ``backsmooth proof --all``.
Exit code 0 when every step passes, 1 when a step fails or a chain is rejected, 2 on bad usage.
"""

from __future__ import annotations

import sys

__all__ = ["register", "run"]


def register(subparsers):
    """Add the ``proof`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "proof", help="print a claim's machine-checked proof",
        description="Print the proof of a claim, each step with its status and kind of evidence "
                    "(proved symbolically / checked on instances, not a proof).")
    parser.add_argument("name", nargs="?", help="claim name (see --list)")
    parser.add_argument("--latex", action="store_true", help="print a LaTeX proof environment")
    parser.add_argument("--list", action="store_true", help="list the claims with a proof")
    parser.add_argument("--all", action="store_true", help="verify and print every proof")
    parser.add_argument("--no-cache", action="store_true",
                        help="verify again instead of reading the result cache (see 'backsmooth "
                             "report --help')")
    parser.set_defaults(func=run)
    return parser


def run(args) -> int:
    """Run ``backsmooth proof``; return the exit code.

    A verified proof depends only on the sources, so its rendering is taken from the result
    cache (:mod:`backsmooth.result_cache`) unless ``args.no_cache``.
    """
    from backsmooth.proofs import proof, proofs, render_latex, render_text, verify
    from backsmooth.result_cache import cached

    out = sys.stdout
    if args.list:
        for name in proofs():
            print(name, file=out)
        return 0
    if args.all == bool(args.name):
        print("backsmooth proof: give exactly one of NAME, --all or --list "
              f"(known claims: {', '.join(proofs())})", file=sys.stderr)
        return 2
    names = proofs() if args.all else (args.name,)
    if args.name and args.name not in proofs():
        print(f"backsmooth proof: unknown claim {args.name!r}; known claims: {', '.join(proofs())}",
              file=sys.stderr)
        return 2
    render = render_latex if args.latex else render_text
    ok = True
    use = not getattr(args, "no_cache", False)
    for name in names:
        def compute(name=name):
            result = verify(proof(name))
            return {"text": render(result), "passed": bool(result.passed)}

        fmt = "latex" if args.latex else "text"
        entry = cached("proof", f"{name}.{fmt}", compute, use=use)
        ok = ok and entry["passed"]
        print(entry["text"], file=out)
        print(file=out)
    return 0 if ok else 1
