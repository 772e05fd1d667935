"""Draw where each remedy escapes over depth and lambda, from a remedies sweep [extension].

Run the sweep, then draw it::

    backsmooth sweep examples/remedies-sweep.json --out remedies.jsonl
    python examples/remedies_sweep.py remedies.jsonl --out remedies-sweep.png

One panel per architecture: depth (x) against the measured lambda of the graph (y); a filled
marker where the final training loss is below half the best-constant loss (escaped), an open
one where it is not.  ``run(config, out)`` does both steps (the tests call it on a tiny grid).
"""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np


def escape_table(results_path) -> list:
    """Rows ``(architecture, depth, lambda, loss_ratio, escaped)`` of a sweep's JSON Lines file."""
    rows = []
    for line in pathlib.Path(results_path).read_text().splitlines():
        rec = json.loads(line)
        p, r = rec["params"], rec["result"]
        ratio = r.get("loss_ratio")
        rows.append((p["architecture"], int(p["depth"]), r.get("lambda"), ratio,
                     bool(ratio is not None and ratio < 0.5)))
    return rows


def draw(rows, out):
    """One panel per architecture: depth x lambda, filled = escaped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    archs = sorted({r[0] for r in rows})
    fig, axes = plt.subplots(1, len(archs), figsize=(3.2 * len(archs), 3.2), squeeze=False, sharey=True)
    for ax, arch in zip(axes[0], archs):
        pts = [r for r in rows if r[0] == arch and r[2] is not None]
        for esc in (True, False):
            sel = [r for r in pts if r[4] == esc]
            ax.scatter([r[1] for r in sel], [r[2] for r in sel], s=60,
                       facecolors="tab:green" if esc else "none", edgecolors="tab:green" if esc else "tab:red",
                       label="escaped" if esc else "stalled")
        ax.set(xscale="log", xlabel="depth L", title=arch)
    axes[0][0].set_ylabel("lambda (measured)")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("final loss < L_const / 2 (filled) [extension]")
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return out


def run(config, out_dir, *, workers=1):
    """Run (or resume) the sweep ``config`` into ``out_dir`` and draw it; return the table."""
    from backsmooth.sweep import run_sweep

    out_dir = pathlib.Path(out_dir)
    results = out_dir / "remedies.jsonl"
    run_sweep(config, results, workers=workers)
    rows = escape_table(results)
    draw(rows, out_dir / "remedies-sweep.png")
    return rows


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results", help="JSON Lines file written by `backsmooth sweep`")
    ap.add_argument("--out", default="remedies-sweep.png")
    args = ap.parse_args(argv)
    rows = escape_table(args.results)
    print(draw(rows, args.out))
    for arch in sorted({r[0] for r in rows}):
        esc = [r for r in rows if r[0] == arch]
        print(f"{arch:<18} escaped {sum(r[4] for r in esc)}/{len(esc)}; "
              f"loss ratio median {np.median([r[3] for r in esc if r[3] is not None]):.3f}")


if __name__ == "__main__":
    main()
