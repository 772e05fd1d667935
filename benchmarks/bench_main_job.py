"""Wall and CPU time of the main job: ``report --quick`` cold and warm, ``figure 1 --quick``.

One command (from the repository root, with backsmooth installed)::

    python benchmarks/bench_main_job.py                       # quiet, then under the load
    python benchmarks/bench_main_job.py --conditions quiet

Per condition it runs, each in a fresh subprocess and a fresh output folder:

1. ``backsmooth report --quick`` with an empty result cache (``BACKSMOOTH_CACHE_DIR`` set to
   a new folder): the cold time;
2. the same again with the cache the first run filled: the warm time (every section comes
   from the cache: derivations and proofs by the source hash, checks and figures by the
   source hash, their settings, the seed and the machine's fingerprint);
3. ``backsmooth figure 1 --quick`` (no result cache involved; its training runs start cold,
   in worker processes: ``$BACKSMOOTH_JOBS`` or the CPUs available).

Issue 16's targets: report --quick under 60 s cold and 30 s warm, figure 1 --quick under
30 s.  Each row gives the wall time, the CPU seconds of the subprocess and its children (a
figure that does not depend on the load: on an idle 2-core machine the wall time of the
report is about its CPU seconds over 2), and the load average before and after.  ``loaded``
runs the concurrent memory-bound load of bench_families.py (a process streaming large array
copies on one core).  Rows are printed and written into benchmarks/RESULTS.md between the
``bench_main_job`` markers.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

from bench_families import start_load, stop_load, uptime, write_section

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- bench_main_job: begin -->", "<!-- bench_main_job: end -->"
_TARGETS = {"report --quick (cold cache)": 60.0, "report --quick (warm cache)": 30.0,
            "figure 1 --quick": 30.0}


def timed(cmd, env):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = uptime()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "code": proc.returncode, "load": f"{load} -> {uptime()}",
            "tail": (proc.stdout.strip().splitlines() or [""])[-1][:200]}


def section_cpu(out, total=None):
    """CPU seconds per kind of section and the three longest sections, from a report's results.json
    ("" for a figure command); with ``total`` (the run's CPU seconds) also the CPU outside the
    sections (start-up, the formulas typeset for the page, the page itself)."""
    import json

    path = os.path.join(out, "results.json")
    if not os.path.exists(path):
        return ""
    with open(path) as fh:
        sections = json.load(fh).get("sections", {})
    kinds, longest = {}, []
    for key, rec in sections.items():
        cpu = float(rec.get("cpu_seconds") or 0.0)
        kinds[key.split("/")[0]] = kinds.get(key.split("/")[0], 0.0) + cpu
        longest.append((cpu, key))
    top = ", ".join(f"{k} {c:.1f}" for c, k in sorted(longest, reverse=True)[:3])
    hits = sum(1 for rec in sections.values() if rec.get("cached"))
    outside = f"; outside the sections {total - sum(kinds.values()):.1f}" if total is not None else ""
    return (" ".join(f"{k} {v:.1f}" for k, v in sorted(kinds.items())) + f" (longest: {top}); "
            f"{hits}/{len(sections)} sections from the cache{outside}")


def run_condition(condition, args):
    cli = [sys.executable, "-m", "backsmooth.cli"]
    work = tempfile.mkdtemp(prefix=f"bench-main-{condition}-")
    env = dict(os.environ, BACKSMOOTH_CACHE_DIR=os.path.join(work, "cache"))
    env.pop("BACKSMOOTH_NO_CACHE", None)
    load = start_load(args.load_mib, args.load_core) if condition == "loaded" else None
    rows = []
    try:
        if load is not None:
            time.sleep(2.0)
        for name, cmd in (
                ("report --quick (cold cache)", cli + ["report", "--quick", "--no-progress",
                                                       "--out", os.path.join(work, "cold")]),
                ("report --quick (warm cache)", cli + ["report", "--quick", "--no-progress",
                                                       "--out", os.path.join(work, "warm")]),
                ("figure 1 --quick", cli + ["figure", "1", "--quick", "--no-progress",
                                            "--out", os.path.join(work, "figure1")])):
            r = timed(cmd, env)
            r.update(condition=condition, name=name, sections=section_cpu(cmd[cmd.index("--out") + 1], r["cpu"]))
            rows.append(r)
            print(f"{condition:6s} {name:28s} wall {r['wall']:.1f} s, cpu {r['cpu']:.1f} s, "
                  f"exit {r['code']}; {r['load']}" + (f"; {r['sections']}" if r["sections"] else ""),
                  flush=True)
    finally:
        stop_load(load)
    return rows


def markdown(rows, args):
    head = (f"## The main job: report --quick (cold, warm cache) and figure 1 --quick\n\n"
            f"Written by `python benchmarks/bench_main_job.py {' '.join(args.argv)}`".rstrip()
            + f" on {os.cpu_count()} CPUs. CPU = seconds of the subprocess and its workers.\n\n")
    lines = ["| condition | command | wall (s) | target (s) | CPU (s) | exit | load | CPU s per kind of section |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['condition']} | {r['name']} | {r['wall']:.1f} | "
                     f"{_TARGETS[r['name']]:.0f} | {r['cpu']:.1f} | {r['code']} | {r['load']} | "
                     f"{r['sections'] or '-'} |")
    return head + "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conditions", nargs="+", default=["quiet", "loaded"],
                        choices=["quiet", "loaded"])
    parser.add_argument("--load-mib", type=int, default=256)
    parser.add_argument("--load-core", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"),
                        help="markdown file whose bench_main_job section is rewritten ('-': print)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    rows = []
    for condition in args.conditions:
        rows += run_condition(condition, args)
    text = markdown(rows, args)
    if args.out != "-":
        write_section(text, args.out, BEGIN, END)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
