"""``backsmooth derive``: print a claim's statement, hypotheses and sympy derivation.

``backsmooth derive NAME [--latex | --text]`` performs the derivation (sympy) and prints
the title, provenance, hypotheses, statement and every derivation step with its status,
its evidence kind (the proofs' kinds: ``all_sizes_identity`` and ``rule`` are proof,
``fixed_size_identity`` with its size and ``instances`` are not) and method, then the
derivation's strength (its weakest step).  ``--json`` prints the same as JSON (per step:
description, LaTeX, relation, kind, size, rules, passed, method; per derivation: strength,
kind counts); with ``--all``, one object ``{"derivations": {NAME: ...}}``.  ``--latex`` prints the statement and steps as LaTeX math
fragments, one per line, with everything else on ``%`` comment lines (so every
non-comment line is a math fragment that mathtext/LaTeX can typeset).
``backsmooth derive --list`` lists every claim with its provenance.
``backsmooth derive --all`` prints every derivation; ``backsmooth derive --all --markdown``
prints the theory document ``docs/theory.md`` generated from the registry
(:mod:`backsmooth.theory_doc`); ``--out FILE`` writes it to a file instead.

Exit codes: 0 when every step's check passed, 1 if some step failed, 2 for an unknown name.
"""

from __future__ import annotations

import sys

__all__ = ["register", "run"]


def register(subparsers):
    """Add the ``derive`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "derive",
        help="print a claim's statement and its sympy derivation",
        description="Print a claim's title, provenance, hypotheses, statement and the "
                    "derivation steps sympy performs, each with its status and evidence kind "
                    "(all_sizes_identity and rule are proof; fixed_size_identity, at one "
                    "stated size, and instances are not), and the derivation's strength "
                    "(its weakest step).",
    )
    parser.add_argument("name", nargs="?", help="claim name (see --list)")
    parser.add_argument("--list", action="store_true", help="list every claim with provenance")
    parser.add_argument("--all", action="store_true",
                        help="every claim and derivation (with --markdown: the theory document)")
    fmt = parser.add_mutually_exclusive_group()
    fmt.add_argument("--latex", action="store_true", help="LaTeX math fragments")
    fmt.add_argument("--text", action="store_true", help="plain text (default)")
    fmt.add_argument("--json", action="store_true",
                     help="JSON: each step's statement, evidence kind, size, rules and status, "
                          "and the derivation's strength")
    fmt.add_argument("--markdown", action="store_true",
                     help="with --all: docs/theory.md, generated from the registry")
    parser.add_argument("--out", metavar="FILE",
                        help="with --all --markdown: write to FILE instead of printing")
    parser.add_argument("--notebooks", metavar="DIR", default="notebooks",
                        help="with --markdown: the notebooks folder to link claims to "
                             "(default: ./notebooks)")
    parser.add_argument("--no-cache", action="store_true",
                        help="recompute instead of reading the result cache (see 'backsmooth "
                             "report --help')")
    parser.set_defaults(func=run)
    return parser


def _print_list(out):
    from backsmooth.symbolic import claim, claims
    from backsmooth.symbolic.derivations import EXTRA_DERIVATIONS

    for name in claims():
        c = claim(name)
        print(f"{name:18s} [{c.provenance}] {c.title}", file=out)
    for name, desc in EXTRA_DERIVATIONS.items():
        print(f"{name:18s} [derivation] {desc}", file=out)
    return 0


def _markdown(args, out):
    from pathlib import Path

    from ..theory_doc import render_theory_markdown

    text = render_theory_markdown(notebooks=args.notebooks)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        out.write(text)
    return 0


def _json_record(name, use_cache=True) -> dict:
    """The JSON record of one derivation (title and provenance for a claim), cached."""
    from backsmooth.symbolic import claim, claims

    from ..derivation_view import derivation_record
    from ..result_cache import cached

    def compute():
        d = derivation_record(name)
        if name in claims():
            c = claim(name)
            d = {"name": name, "title": c.title, "provenance": c.provenance,
                 **{k: v for k, v in d.items() if k != "name"}}
        return d

    return cached("derive", f"{name}.json", compute, use=use_cache)


def _json(args, out):
    import json

    from backsmooth.symbolic import derivations

    use = not getattr(args, "no_cache", False)
    if getattr(args, "all", False):
        records = {name: _json_record(name, use) for name in derivations()}
        out.write(json.dumps({"derivations": records}, indent=1) + "\n")
        return 0 if all(r["passed"] for r in records.values()) else 1
    if not args.name or args.name not in derivations():
        print(f"backsmooth derive: error: unknown name {args.name!r}; known names: "
              + ", ".join(derivations()), file=sys.stderr)
        return 2
    record = _json_record(args.name, use)
    out.write(json.dumps(record, indent=1) + "\n")
    return 0 if record["passed"] else 1


def _all(args, out):
    import argparse

    from backsmooth.symbolic import derivations

    worst = 0
    for name in derivations():
        one = argparse.Namespace(**{**vars(args), "name": name, "all": False})
        worst = max(worst, run(one, out))
        print(file=out)
    return worst


def run(args, out=None):
    """Run ``backsmooth derive`` with parsed ``args``; return the exit code.

    The printed derivation depends only on the sources, so it is taken from the result cache
    (:mod:`backsmooth.result_cache`) unless ``args.no_cache``.
    """
    import io

    from ..result_cache import cached
    from backsmooth.symbolic import derivations

    out = out or sys.stdout
    markdown, every = getattr(args, "markdown", False), getattr(args, "all", False)
    if markdown or getattr(args, "out", None):
        if not (markdown and every and not args.name):
            print("backsmooth derive: error: --markdown and --out go with --all and no NAME "
                  "(backsmooth derive --all --markdown [--out docs/theory.md])", file=sys.stderr)
            return 2
        return _markdown(args, out)
    if getattr(args, "json", False):
        if args.list or (every and args.name):
            print("backsmooth derive: error: --json goes with NAME or --all", file=sys.stderr)
            return 2
        return _json(args, out)
    if every:
        if args.name or args.list:
            print("backsmooth derive: error: give NAME, --list or --all, not several",
                  file=sys.stderr)
            return 2
        return _all(args, out)
    if args.list or not args.name or args.name not in derivations():
        return _run(args, out)

    def compute():
        buf = io.StringIO()
        code = _run(args, buf)
        return {"text": buf.getvalue(), "code": code}

    fmt = "latex" if args.latex else "text"
    result = cached("derive", f"{args.name}.{fmt}", compute,
                    use=not getattr(args, "no_cache", False))
    out.write(result["text"])
    return int(result["code"])


def _run(args, out):
    from backsmooth.symbolic import ROOT_CONVENTION, claim, claims, derivations
    from backsmooth.symbolic.derivations import EXTRA_DERIVATIONS
    from backsmooth.symbolic.render import latex_relation, text_relation

    from ..derivation_view import derivation_latex, derivation_record, derivation_text

    if args.list:
        return _print_list(out)
    if not args.name:
        print("backsmooth derive: error: give a NAME or --list; known names: "
              + ", ".join(derivations()), file=sys.stderr)
        return 2
    if args.name not in derivations():
        print(f"backsmooth derive: error: unknown name {args.name!r}; known names: "
              + ", ".join(derivations()), file=sys.stderr)
        return 2
    latex = bool(args.latex)
    com = "% " if latex else ""
    if args.name in claims():
        c = claim(args.name)
        print(f"{com}{c.name}: {c.title}", file=out)
        print(f"{com}provenance: [{c.provenance}] {c.provenance_note}", file=out)
        print(f"{com}hypotheses: {', '.join(c.hypotheses) or '(none)'}", file=out)
        print(f"{com}convention: {ROOT_CONVENTION}", file=out)
        print(f"{com}statement:", file=out)
        for rel in c.statement:
            print(latex_relation(rel) if latex else f"  {text_relation(rel)}", file=out)
        print(f"{com}bound variants: {', '.join(c.variants)}", file=out)
    else:
        print(f"{com}{args.name}: {EXTRA_DERIVATIONS[args.name]}", file=out)
    record = derivation_record(args.name)
    rows = record["steps"]
    print(f"{com}derivation ({len(rows)} steps):", file=out)
    print(derivation_latex(rows) if latex
          else derivation_text(rows, relations=True).partition("\n")[2], file=out)
    failed = sum(not r["passed"] for r in rows)
    print(f"{com}{len(rows) - failed}/{len(rows)} steps passed; strength: {record['strength']} "
          f"({'proof' if record['is_proof'] else 'not a proof'}: the weakest step)", file=out)
    return 1 if failed or not record["passed"] else 0
