"""Forward + backward of a deep tanh GNN: backsmooth against torch autograd, in one run.

One command (from the repository root)::

    python benchmarks/bench_forward_backward.py            # n = 1e3..1e6, float32 and float64
    python benchmarks/bench_forward_backward.py --quick    # n = 1e3..1e5, fewer repeats

What is measured, for a GNN of depth L = 40 and width 32 (tanh, softmax cross-entropy on the
two CSBM classes, lazy-walk propagation of a Contextual SBM graph with average degree 10):

* time of forward + backward (the loss, every backward signal B^(k) = dLoss/dH^(k) and every
  weight gradient) for backsmooth (:func:`backsmooth.numeric.gradients`) and for torch CPU
  autograd (``torch.sparse`` propagation, every CPU thread, the faster of COO and CSR formats
  picked per size, the same product order P (X W)); the two are timed alternately in the same
  process, ``--repeats`` times each, and the medians are reported with their ratio;
* agreement: max over layers of ||grad_ours - grad_torch||_F / ||grad_torch||_F;
* peak memory of each, measured in a fresh subprocess per implementation as the rise of the
  resident set size during one forward + backward (Linux: VmHWM after resetting it through
  /proc/self/clear_refs, minus VmRSS before; elsewhere ru_maxrss minus VmRSS, an upper bound);
* the memory floor (what the backward pass must keep: P in CSR plus one n x d_k activation per
  layer) and the bandwidth floor per layer (bytes a forward + backward layer must move: two
  passes over P plus seven n x d blocks, divided by the copy bandwidth measured in this run);
* fitted exponents of time against n (sizes >= 1e4) and against depth;
* a memory-lean run: n = 1e6, depth 64, width 32, with checkpointing, its peak memory set
  against the floor.

The one-time preparation of P by each side is not in the timed forward + backward: torch's
sparse tensor construction, and backsmooth's operator (int32 CSR, and for n >= 32768 the
reverse Cuthill-McKee renumbering of the nodes); backsmooth's is timed and reported as "setup".

At n >= 1e6 neither side keeps the B^(k) (backsmooth records E(B^(k)) instead; torch does not
retain them), and torch is skipped when its estimated memory exceeds half of what is free.
Results are printed and written to benchmarks/RESULTS.md.  Without torch the script says so
and times backsmooth alone.  Timings on a shared machine are noisy: read the ratios, which
are measured side by side.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np

from _memory import available_memory, peak_rise
from _timing import interleaved_medians
from backsmooth import kernel
from backsmooth.numeric import gnn, gradients, initial_weights
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import contextual_sbm

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    warnings.filterwarnings("ignore")
    import torch
except ImportError:  # the benchmark still runs backsmooth alone
    torch = None


# ----------------------------------------------------------------------------- problem
def problem(n, depth, width, dtype, seed=0):
    """CSBM graph, lazy-walk P, features, labels and orthogonal weights (same for both sides)."""
    sample = contextual_sbm(n, avg_degree=10.0, graph_signal=1.0, feature_signal=1.0,
                            num_features=16, seed=seed)
    P = propagation_matrix(sample.adjacency, "lazy").astype(dtype)
    X = sample.features.astype(dtype)
    W = initial_weights([X.shape[1]] + [width] * depth + [2], "orthogonal", seed=seed, dtype=dtype)
    return P, X, sample.labels, W


def floors(P, X, W, copy_bandwidth):
    """Memory floor (bytes) and per-layer bandwidth floor (bytes, seconds)."""
    n, item = X.shape[0], X.dtype.itemsize
    p_bytes = P.data.nbytes + P.nnz * 4 + (n + 1) * 4  # CSR with int32 indices
    memory = p_bytes + sum(n * w.shape[0] * item for w in W) + n * W[-1].shape[1] * item
    d = max(w.shape[1] for w in W[:-1])
    layer = 2 * p_bytes + 7 * n * d * item
    return memory, layer, layer / copy_bandwidth


def copy_bandwidth():
    """Bytes per second of a large array copy (read + write), the memory-traffic yardstick."""
    a = np.ones(2**25)
    b = np.empty_like(a)
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        np.copyto(b, a)
        times.append(time.perf_counter() - t0)
    return 2 * a.nbytes / np.median(times)


# ----------------------------------------------------------------------------- the two sides
def ours(net, X, y, W, keep):
    g = gradients(net, X, W, loss="cross_entropy", targets=y, keep_signals=keep, dtype=X.dtype)
    return g.loss, g.weight_gradients, g.B


class TorchSide:
    """The same network in torch: H^(k) = P (X^(k) W^(k)), X^(k+1) = tanh(H^(k))."""

    def __init__(self, P, X, y, W):
        coo = P.tocoo()
        idx = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
        self.coo = torch.sparse_coo_tensor(idx, torch.from_numpy(coo.data), size=P.shape).coalesce()
        self.csr = self.coo.to_sparse_csr()
        self.X, self.y = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
        self.W = [torch.from_numpy(w) for w in W]
        self.P = self.coo
        self.format = "coo"

    def pick_format(self, keep):
        best = None
        for fmt, mat in (("coo", self.coo), ("csr", self.csr)):
            self.P = mat
            self.run(keep)  # warm-up
            t0 = time.perf_counter()
            self.run(keep)
            t = time.perf_counter() - t0
            if best is None or t < best[0]:
                best = (t, fmt, mat)
        _, self.format, self.P = best

    def run(self, keep):
        Ws = [w.detach().clone().requires_grad_() for w in self.W]
        h, Hs = self.X, []
        for k, w in enumerate(Ws):
            z = self.P @ (h @ w) if w.shape[1] <= w.shape[0] else (self.P @ h) @ w
            if keep:
                z.retain_grad()
                Hs.append(z)
            h = torch.tanh(z) if k < len(Ws) - 1 else z
        loss = torch.nn.functional.cross_entropy(h, self.y)
        loss.backward()
        return float(loss), [w.grad.numpy() for w in Ws], [z.grad.numpy() for z in Hs] if keep else None


# ----------------------------------------------------------------------------- memory (subprocess)
def child_peak(args):
    """Run one forward + backward in this (fresh) process and print its peak RSS rise."""
    impl, n, dtype, depth, width, keep, checkpoint = args
    P, X, y, W = problem(n, depth, width, np.dtype(dtype))
    if impl == "torch":
        side = TorchSide(P, X, y, W)
        if os.environ.get("BENCH_TORCH_FORMAT") == "csr":
            side.P, side.coo = side.csr, None
        else:
            side.P, side.csr = side.coo, None
        P = None
    else:
        net = gnn(P, depth, "tanh", dtype=np.dtype(dtype))
        _ = net.operator  # prepared P belongs to the setup, like torch's tensor
    gc.collect()

    def work():
        t0 = time.perf_counter()
        if impl == "torch":
            side.run(keep)
        else:
            gradients(net, X, W, loss="cross_entropy", targets=y, keep_signals=keep,
                      checkpoint=checkpoint, dtype=X.dtype)
        return time.perf_counter() - t0

    elapsed, peak, method = peak_rise(work)
    print(json.dumps({"peak": peak, "method": method, "time": elapsed}))


def measure_peak(impl, n, dtype, depth, width, keep, checkpoint=False, torch_format="coo"):
    env = dict(os.environ, BENCH_TORCH_FORMAT=torch_format)
    cmd = [sys.executable, os.path.abspath(__file__), "--_child",
           json.dumps([impl, n, dtype, depth, width, keep, checkpoint])]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        return {"peak": float("nan"), "method": f"failed: {out.stderr.strip()[-200:]}", "time": float("nan")}
    return json.loads(out.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- the runs
def relative_error(ours_list, ref_list):
    return max(float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))
               for a, b in zip(ours_list, ref_list))


def compare(n, dtype, depth, width, repeats, memory, bandwidth, log):
    P, X, y, W = problem(n, depth, width, dtype)
    keep = n < 10**6
    net = gnn(P, depth, "tanh", dtype=dtype)
    t0 = time.perf_counter()
    _ = net.operator  # prepared once per network (node order, CSR), like torch's sparse tensor
    row = {"n": X.shape[0], "dtype": np.dtype(dtype).name, "depth": depth, "width": width,
           "nnz": P.nnz, "keep_B": keep, "setup_ours": time.perf_counter() - t0}
    row["floor_memory"], row["floor_layer_bytes"], row["floor_layer_time"] = floors(P, X, W, bandwidth)
    ours(net, X, y, W, keep)  # warm-up (thread pool, BLAS)
    item = np.dtype(dtype).itemsize
    torch_estimate = 2 * (depth + 2) * X.shape[0] * width * item * (2 if keep else 1)
    side = None
    if torch is not None and torch_estimate < 0.5 * available_memory():
        side = TorchSide(P, X, y, W)
        side.pick_format(keep)
        row["torch_format"] = side.format
        lo, go, bo = ours(net, X, y, W, keep)
        lt, gt, bt = side.run(keep)
        row["grad_rel_err"] = relative_error(go, gt)
        row["B_rel_err"] = relative_error(bo, bt) if keep else float("nan")
        row["loss_diff"] = abs(lo - lt)
        del go, bo, gt, bt
    elif torch is not None:
        row["torch_skipped"] = f"estimated {torch_estimate / 2**30:.1f} GiB > half of free memory"
    calls = {"ours": lambda net=net: ours(net, X, y, W, keep)}  # bound now: both are freed below
    if side is not None:
        calls["torch"] = lambda side=side: side.run(keep)
    medians = interleaved_medians(calls, repeats)
    del calls
    row["time_ours"] = medians["ours"]
    row["time_torch"] = medians.get("torch", float("nan"))
    row["ratio"] = row["time_torch"] / row["time_ours"]
    del side, net, P
    gc.collect()
    if memory:
        row["peak_ours"] = measure_peak("ours", n, row["dtype"], depth, width, keep)["peak"]
        if torch is not None and "torch_skipped" not in row:
            m = measure_peak("torch", n, row["dtype"], depth, width, keep,
                             torch_format=row.get("torch_format", "coo"))
            row["peak_torch"], row["memory_method"] = m["peak"], m["method"]
    log(row)
    return row


def depth_scaling(n, dtype, depths, width, repeats):
    out = []
    for depth in depths:
        P, X, y, W = problem(n, depth, width, dtype)
        net = gnn(P, depth, "tanh", dtype=dtype)
        ours(net, X, y, W, True)
        calls = {"ours": lambda: ours(net, X, y, W, True)}
        if torch is not None:
            side = TorchSide(P, X, y, W)
            calls["torch"] = lambda: side.run(True)
        medians = interleaved_medians(calls, repeats)
        out.append((depth, medians["ours"], medians.get("torch", float("nan"))))
    return out


def exponent(xs, ts):
    xs, ts = np.asarray(xs, float), np.asarray(ts, float)
    ok = np.isfinite(ts) & (ts > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(xs[ok]), np.log(ts[ok]), 1)[0])


def gib(b):
    return f"{b / 2**30:.2f}" if np.isfinite(b) else "-"


def markdown(rows, depth_rows, lean, bandwidth, args):
    lines = [
        "# Forward + backward benchmark: backsmooth vs torch autograd",
        "",
        f"Written by `python benchmarks/bench_forward_backward.py{' --quick' if args.quick else ''}` "
        f"on {platform.machine()} with {os.cpu_count()} CPUs, numpy {np.__version__}, "
        f"torch {torch.__version__ if torch else 'absent'} ({torch.get_num_threads() if torch else 0} threads). "
        f"tanh GNN, width {args.width}, CSBM graphs (average degree 10), lazy-walk P, cross-entropy. "
        f"Times: median of {args.repeats} interleaved repeats in one process; peak memory: rise of "
        "resident memory in a fresh subprocess (VmHWM after clear_refs). Copy bandwidth measured "
        f"in the same run: {bandwidth / 1e9:.1f} GB/s. Sparse kernel: {kernel.status()}.",
        "",
        "| n | dtype | depth | backsmooth (s) | torch (s) | ratio torch/ours | grad rel. err | "
        "peak ours (GiB) | peak torch (GiB) | memory floor (GiB) | bandwidth floor (s) | setup ours (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['n']} | {r['dtype']} | {r['depth']} | {r['time_ours']:.4f} | {r['time_torch']:.4f} | "
            f"{r['ratio']:.2f} | {r.get('grad_rel_err', float('nan')):.1e} | {gib(r.get('peak_ours', np.nan))} | "
            f"{gib(r.get('peak_torch', np.nan))} | {gib(r['floor_memory'])} | "
            f"{r['floor_layer_time'] * (r['depth'] + 1):.4f} | {r['setup_ours']:.3f} |")
    lines.append("")
    for dt in sorted({r["dtype"] for r in rows}):
        sel = [r for r in rows if r["dtype"] == dt and r["n"] >= 5000]
        lines.append(f"- time ~ n^a ({dt}, n >= 1e4): backsmooth a = "
                     f"{exponent([r['n'] for r in sel], [r['time_ours'] for r in sel]):.2f}, torch a = "
                     f"{exponent([r['n'] for r in sel], [r['time_torch'] for r in sel]):.2f}")
    if depth_rows:
        n_d, rows_d = depth_rows
        lines.append(f"- time ~ depth^b (n = {n_d}, float64, depths {[d for d, _, _ in rows_d]}): "
                     f"backsmooth b = {exponent(*zip(*[(d, t) for d, t, _ in rows_d])):.2f}, torch b = "
                     f"{exponent(*zip(*[(d, t) for d, _, t in rows_d])):.2f}")
    for r in rows:
        if "torch_skipped" in r:
            lines.append(f"- torch skipped at n = {r['n']} {r['dtype']}: {r['torch_skipped']}")
    if any(not r["keep_B"] for r in rows):
        lines.append("- at n >= 1e6 neither side keeps the B^(k) (backsmooth records E(B^(k)) instead).")
    if lean:
        lines += ["", "## Memory-lean run", "",
                  "| n | depth | dtype | checkpoint | time (s) | peak (GiB) | floor (GiB) | peak / floor |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in lean:
            lines.append(f"| {r['n']} | {r['depth']} | {r['dtype']} | {r['checkpoint']} | {r['time']:.1f} | "
                         f"{gib(r['peak'])} | {gib(r['floor'])} | {r['peak'] / r['floor']:.2f} |")
        lines.append("")
        lines.append("Peak includes the returned weight gradients and the recorded E(B^(k)); the B^(k) "
                     "themselves are not kept in this run (`keep_signals=False`).")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="n = 1e3..1e5, 3 repeats, no lean run")
    parser.add_argument("--sizes", type=float, nargs="+", help="node counts (default 1e3 1e4 1e5 1e6)")
    parser.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--no-memory", action="store_true", help="skip the subprocess memory runs")
    parser.add_argument("--lean", choices=["auto", "yes", "no"], default="auto",
                        help="memory-lean run at n = 1e6, depth 64 (auto: not with --quick)")
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    parser.add_argument("--_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    kernel.enable()  # the engine as backsmooth runs it: the compiled kernel where llvmlite is
    if args._child:
        child_peak(json.loads(args._child))
        return 0
    sizes = [int(s) for s in (args.sizes or ([1e3, 1e4, 1e5] if args.quick else [1e3, 1e4, 1e5, 1e6]))]
    args.repeats = args.repeats or (3 if args.quick else 5)
    if torch is None:
        print("torch is not installed (pip install torch==2.13.0): timing backsmooth alone")
    bandwidth = copy_bandwidth()
    print(f"copy bandwidth {bandwidth / 1e9:.1f} GB/s; repeats {args.repeats}; "
          f"torch threads {torch.get_num_threads() if torch else '-'}")

    def log(r):
        print(f"n={r['n']:>8} {r['dtype']:>7}  ours {r['time_ours']:.4f}s  torch {r['time_torch']:.4f}s "
              f"({r.get('torch_format', '-')})  ratio {r['ratio']:.2f}  grad err {r.get('grad_rel_err', np.nan):.1e}  "
              f"peak ours {gib(r.get('peak_ours', np.nan))} torch {gib(r.get('peak_torch', np.nan))} "
              f"floor {gib(r['floor_memory'])} GiB  bw floor {r['floor_layer_time'] * (r['depth'] + 1):.4f}s",
              flush=True)

    rows = [compare(n, np.dtype(dt), args.depth, args.width, args.repeats if n < 10**6 else 2,
                    not args.no_memory, bandwidth, log)
            for n in sizes for dt in args.dtypes]
    n_depth = 10**4 if args.quick else 10**5
    depth_rows = (n_depth, depth_scaling(n_depth, np.float64, [10, 20, 40, 80], args.width,
                                         max(2, args.repeats // 2)))
    print("depth scaling (depth, ours s, torch s):", depth_rows[1], flush=True)
    lean = []
    if args.lean == "yes" or (args.lean == "auto" and not args.quick):
        for dtype, checkpoint in (("float64", True), ("float32", False), ("float32", True)):
            P, X, _, W = problem(10**6, 64, args.width, np.dtype(dtype))
            floor = floors(P, X, W, bandwidth)[0]
            del P, X, W
            gc.collect()
            m = measure_peak("ours", 10**6, dtype, 64, args.width, False, checkpoint)
            lean.append({"n": 10**6, "depth": 64, "dtype": dtype, "checkpoint": checkpoint,
                         "time": m["time"], "peak": m["peak"], "floor": floor})
            print(f"lean run {dtype} checkpoint={checkpoint}: {m['time']:.1f}s peak {gib(m['peak'])} GiB, "
                  f"floor {gib(floor)} GiB ({m['method']})", flush=True)
    text = markdown(rows, depth_rows, lean, bandwidth, args)
    with open(args.out, "w") as fh:
        fh.write(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
