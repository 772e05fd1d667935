"""Overhead of backsmooth.torch.Monitor on a PyG training step, measured as a ratio in one run.

One command (from the repository root, with ``pip install ".[torch]"``)::

    python benchmarks/bench_torch_monitor.py            # n = 1e4, depth 16, width 32, 20 rounds
    python benchmarks/bench_torch_monitor.py --quick    # 5 rounds

What is measured: one full-batch training step (forward, cross-entropy, backward, Adam) of a
PyG GCN of depth L = 16 (17 ``GCNConv`` layers, tanh, width 32, float32) on a Contextual SBM
graph of 10^4 nodes (average degree 10), in three settings timed alternately in the same
process (:func:`_timing.interleaved_times`, so all see the same machine load), by the wall
clock and by the process's CPU clock:

* ``plain``: the model without a monitor;
* ``off``: the same model with a Monitor attached and ``monitor.enabled = False``;
* ``on``: recording every step (E(X^(k)), E(B^(k)), norms, gradient and spectral norms).

The medians and the ratios ``off / plain`` and ``on / plain`` are printed with ``uptime``; the
time spent inside the monitor's own code per step (measures in the hooks, and ``step``) is
also accumulated and divided by the plain step: on a loaded machine the ratio of two medians
carries the neighbours' noise, the in-monitor time much less of it.  The one-time costs (rebuilding P with ``gcn_norm`` on the first call; the assumption report with
lambda in ``diagnose``) are timed once and reported apart.  Target: ``on / plain < 1.2``.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _timing import interleaved_times  # noqa: E402

BEGIN, END = "<!-- bench_torch_monitor: begin -->", "<!-- bench_torch_monitor: end -->"



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--depth", type=int, default=16)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1: shared machine)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=str(HERE / "RESULTS.md"),
                        help="file whose bench_torch_monitor section is rewritten ('-': print only)")
    args = parser.parse_args(argv)
    try:
        import torch
        from torch_geometric.nn import GCNConv
    except ImportError:
        print("torch / torch_geometric not installed: pip install \".[torch]\"")
        return 0
    from backsmooth import numeric as bn
    from backsmooth.torch import Monitor

    torch.set_num_threads(args.threads)
    repeats = 5 if args.quick else args.repeats
    s = bn.contextual_sbm(args.n, avg_degree=10, graph_signal=2, num_features=16, seed=0)
    A = s.adjacency.tocoo()
    ei = torch.tensor(np.vstack([A.row, A.col]), dtype=torch.int64)
    x, y = torch.tensor(s.features, dtype=torch.float32), torch.tensor(s.labels)

    class GCN(torch.nn.Module):
        def __init__(self):
            super().__init__()
            w = [16] + [args.width] * args.depth + [2]
            self.convs = torch.nn.ModuleList(GCNConv(a, b) for a, b in zip(w[:-1], w[1:]))

        def forward(self, h):
            for k, conv in enumerate(self.convs):
                h = conv(h, ei)
                h = torch.tanh(h) if k < len(self.convs) - 1 else h
            return h

    def make():
        torch.manual_seed(0)
        model = GCN()
        return model, torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(model, opt, mon=None):
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        if mon is not None:
            mon.step(loss)
        opt.step()

    plain, opt_p = make()
    model_off, opt_off = make()
    model_on, opt_on = make()
    mon_off = Monitor(model_off, edge_index=ei, num_nodes=s.n)
    mon_off.enabled = False
    t0 = time.perf_counter()
    mon_on = Monitor(model_on, edge_index=ei, num_nodes=s.n)
    t_build = time.perf_counter() - t0
    spent = [0.0]  # seconds inside the monitor (its measures in the hooks, and step)

    def timed(fn):
        def wrapper(*a, **k):
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t
        return wrapper

    mon_on._measure = timed(mon_on._measure)
    mon_on.step = timed(mon_on.step)
    for model, opt, mon in ((plain, opt_p, None), (model_off, opt_off, mon_off), (model_on, opt_on, mon_on)):
        step(model, opt, mon)  # warm-up
    calls = {
        "plain": lambda: step(plain, opt_p),
        "off": lambda: step(model_off, opt_off, mon_off),
        "on": lambda: step(model_on, opt_on, mon_on),
    }
    wall, cpu = interleaved_times(calls, repeats, clocks=(time.perf_counter, time.process_time))
    med = {name: float(np.median(t)) for name, t in wall.items()}
    med_cpu = {name: float(np.median(t)) for name, t in cpu.items()}

    def paired(times, name):  # per-round ratio to plain: median and quartiles
        r = np.array(times[name]) / np.array(times["plain"])
        q1, q2, q3 = np.percentile(r, [25, 50, 75])
        return f"{q2:.3f} (quartiles {q1:.3f}-{q3:.3f})"
    inside = spent[0] / (repeats + 1)
    t0 = time.perf_counter()
    d = mon_on.diagnose(activation="tanh")
    t_diag = time.perf_counter() - t0
    load = os.getloadavg()
    lines = [
        f"# backsmooth.torch.Monitor overhead (n = {s.n}, depth L = {args.depth}, width {args.width}, "
        f"float32, {args.threads} torch thread(s), {repeats} interleaved rounds)",
        f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores shared by other users)",
        f"plain step  {1e3 * med['plain']:9.1f} ms",
        f"monitor off {1e3 * med['off']:9.1f} ms   ratio off/plain = {med['off'] / med['plain']:.3f}",
        f"monitor on  {1e3 * med['on']:9.1f} ms   ratio on/plain  = {med['on'] / med['plain']:.3f}"
        f"   (target < 1.2)",
        f"CPU seconds (process_time, all threads; a neighbour's load changes them much less than "
        f"the wall time): plain {1e3 * med_cpu['plain']:.1f} ms, off/plain = {med_cpu['off'] / med_cpu['plain']:.3f}, "
        f"on/plain = {med_cpu['on'] / med_cpu['plain']:.3f}",
        f"per-round paired ratio on/plain: wall {paired(wall, 'on')}, CPU {paired(cpu, 'on')}; "
        f"off/plain: wall {paired(wall, 'off')}, CPU {paired(cpu, 'off')}",
        f"time inside the monitor (hook measures + step) {1e3 * inside:.1f} ms per step = "
        f"{inside / med['plain']:.3f} of a plain step (less sensitive to the neighbours' load than the ratio)",
        f"one-time: Monitor + gcn_norm P {1e3 * t_build:.0f} ms; diagnose (assumption report, lambda) "
        f"{1e3 * t_diag:.0f} ms; lambda = {d.lam:.4f}",
    ]
    print("\n".join(lines))
    if args.out != "-":
        from bench_families import write_section

        cmd = "python benchmarks/bench_torch_monitor.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_section("## backsmooth.torch.Monitor overhead\n\nWritten by `" + cmd.strip() + "`:\n\n```\n"
                      + "\n".join(lines) + "\n```\n", args.out, BEGIN, END)
        print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
