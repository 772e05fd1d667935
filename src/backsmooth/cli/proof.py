"""``backsmooth proof``: print a claim's machine-checked proof with each step's status.

``backsmooth proof NAME [--latex | --json]``, ``backsmooth proof --list``,
``backsmooth proof --all [--json]``, ``backsmooth proof NAME --mutants`` (or ``--all --mutants``).
Exit code 0 when every step passes (and every mutant is rejected), 1 when a step fails, a
chain is rejected or a mutant is accepted, 2 on bad usage.
"""

from __future__ import annotations

import json
import sys

__all__ = ["register", "run"]


def register(subparsers):
    """Add the ``proof`` subcommand to ``subparsers``."""
    parser = subparsers.add_parser(
        "proof", help="print a claim's machine-checked proof",
        description="Print the proof of a claim, each step with its status and kind of evidence: "
                    "all_sizes_identity and rule are proof; fixed_size_identity (one stated size) "
                    "and instances are not.  A proof's strength is its weakest step, cited claims "
                    "included.")
    parser.add_argument("name", nargs="?", help="claim name (see --list)")
    parser.add_argument("--latex", action="store_true", help="print a LaTeX proof environment")
    parser.add_argument("--list", action="store_true", help="list the claims with a proof")
    parser.add_argument("--all", action="store_true", help="verify and print every proof")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: per claim, each step's statement, rules, evidence kind and "
                             "the proof's strength")
    parser.add_argument("--mutants", action="store_true",
                        help="build altered chains (direction flipped, hypothesis removed, constant or "
                             "exponent perturbed, side condition dropped, stronger conclusion) and "
                             "print how many the checker rejected; all must be")
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
    from ..result_cache import cached

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
    if args.mutants:
        return _mutants(names, args.json, out)
    if args.json:
        docs = [proof_json(verify(proof(name))) for name in names]
        print(json.dumps(docs if args.all else docs[0], indent=1), file=out)
        return 0 if all(d["passed"] for d in docs) else 1
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


def proof_json(result) -> dict:
    """One verified proof as a JSON-ready dict (statement, rules and kind of every step)."""
    from backsmooth.proofs.citations import citation_summary

    steps = []
    for r in result.steps:
        st, ev = r.step, r.evidence
        steps.append({"label": st.label, "statement": st.asserts, "latex": st.latex or None,
                      "reason": st.reason, "uses": list(st.uses), "rules": list(ev.rules or st.rules),
                      "kind": ev.kind, "size": ev.size or None, "is_proof": ev.is_proof,
                      "passed": r.passed, "detail": ev.detail,
                      "also": [{"kind": e.kind, "size": e.size or None, "passed": e.passed,
                                "detail": e.detail} for e in r.also]})
    return {"claim": result.claim, "passed": result.passed, "strength": result.strength,
            "own_weakest": result.weakest, "is_proof": result.is_proof,
            "cited": {n: s for n, s in result.cited}, "chain_error": result.chain_error,
            "notes": list(result.proof.notes), "steps": steps,
            # citations compared with the cited statements, and those taken as given (trust points)
            "citations": citation_summary(result.proof)}


def _mutants(names, as_json, out) -> int:
    from backsmooth.proofs import proof
    from backsmooth.proofs.mutants import mutation_report

    reports = [mutation_report(proof(name)) for name in names]
    if as_json:
        print(json.dumps(reports, indent=1), file=out)
    else:
        for rep in reports:
            accepted = [(s["label"], m["mutant"]) for s in rep["steps"] for m in s["mutants"]
                        if not m["rejected"]]
            line = f"{rep['claim']}: {rep['rejected']} of {rep['mutants']} mutants rejected"
            if rep["not_mutated"]:
                line += f"; not mutated (not proof steps): {', '.join(rep['not_mutated'])}"
            print(line, file=out)
            for label, desc in accepted:
                print(f"  ACCEPTED: {label}: {desc}", file=out)
        tot = sum(r["mutants"] for r in reports)
        rej = sum(r["rejected"] for r in reports)
        print(f"total: {rej} of {tot} mutants rejected", file=out)
    return 0 if all(r["rejected"] == r["mutants"] for r in reports) else 1
