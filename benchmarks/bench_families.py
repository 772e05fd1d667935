"""backsmooth against torch autograd and a plain scipy implementation, on three graph families.

One command (from the repository root)::

    python benchmarks/bench_families.py                    # quiet, then under a concurrent load
    python benchmarks/bench_families.py --conditions quiet # one condition
    python benchmarks/bench_families.py --one-core         # this process on one core only

The problem is issue 16's: a tanh GNN of depth 40 and width 32 in float64 on ``n = 10^5``
nodes, lazy-walk propagation, 16 input features, 2 outputs, MSE, Gaussian weights
``N(0, 1/d_in)``, and one forward + backward (loss, every ``B^(k)``, every weight gradient).
Three graph families, all with average degree about 10 (plus the lazy walk's self-loops):

* ``csbm``: the Contextual SBM of the paper's experiments (two communities);
* ``random``: a uniformly random graph (Erdos-Renyi);
* ``grid``: a 2-D grid (4 neighbours, so about 5 non-zeros per row) with its nodes
  shuffled, the case node renumbering is for.

Three sides, timed alternately in one process (:func:`_timing.interleaved_times`, wall
and CPU clocks), so their ratios see the same machine load:

* ``ours``: :func:`backsmooth.numeric.gradients` (threads, column panels, renumbering, all
  as the engine chooses them; its timing probe runs in the warm-up, outside the timing, and
  its choice (threads, panels, row blocks, schedule) and the probe's timings are reported),
  on the compiled sparse kernel (:mod:`backsmooth.kernel`) where llvmlite is installed, as
  backsmooth itself runs, and then also on scipy's kernel (``--kernel`` chooses);
* ``torch``: torch CPU autograd on a CSR tensor, every CPU thread, ``P (X W)`` order;
* ``scipy``: what a user would write: ``F = P @ X; H = F @ W; X = tanh(H)`` per layer,
  keeping ``F`` and ``H``, then the backward recursion with ``P.T @``, no threads (BLAS
  limited to one), no panels.

Conditions: ``quiet`` (whatever else the machine runs: record ``uptime`` with the numbers)
and ``loaded``: the script starts a second process that streams large array copies
(``--load-mib`` per array, default 256) pinned to one core for the whole condition, and
stops it afterwards.  The rows (with each side's gradients checked against the others) are
printed and written into benchmarks/RESULTS.md between the ``bench_families`` markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp

from _timing import interleaved_times
from backsmooth import kernel
from backsmooth.numeric import gnn, gradients, initial_weights, set_sparse_kernel
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import contextual_sbm, erdos_renyi

HERE = os.path.dirname(os.path.abspath(__file__))
BEGIN, END = "<!-- bench_families: begin -->", "<!-- bench_families: end -->"
try:
    warnings.filterwarnings("ignore")
    import torch
except ImportError:  # the benchmark still runs without the torch column
    torch = None

_LOAD = """
import os, sys, numpy as np
os.sched_setaffinity(0, {int(sys.argv[1])})
a = np.ones(int(sys.argv[2]) * 2**17); b = np.empty_like(a)
while True:
    np.copyto(b, a); np.copyto(a, b)
"""


# ----------------------------------------------------------------------------- problem
def shuffled_grid(n, seed):
    side = int(round(np.sqrt(n)))
    g = sp.diags_array([np.ones(side - 1)] * 2, offsets=[-1, 1], shape=(side, side))
    I = sp.eye_array(side)
    A = sp.csr_array(sp.kron(g, I) + sp.kron(I, g))
    perm = np.random.default_rng(seed).permutation(A.shape[0])
    return sp.csr_array(A[perm][:, perm])


def problem(family, n, depth, width, seed=0):
    """Adjacency -> lazy-walk P, features X, targets Y, weights (the same for every side)."""
    rng = np.random.default_rng(seed)
    if family == "csbm":
        A = contextual_sbm(n, avg_degree=10.0, graph_signal=1.0, feature_signal=1.0,
                           num_features=16, seed=seed).adjacency
    elif family == "random":
        A = erdos_renyi(n, avg_degree=10.0, seed=seed).adjacency
    elif family == "grid":
        A = shuffled_grid(n, seed)
    else:
        raise ValueError(f"unknown family {family!r}")
    P = sp.csr_array(propagation_matrix(A, "lazy"), dtype=np.float64)
    n = P.shape[0]
    X = rng.standard_normal((n, 16))
    Y = rng.standard_normal((n, 2))
    W = initial_weights([16] + [width] * depth + [2], "he", scale=np.sqrt(0.5), seed=seed)
    return P, X, Y, W


# ----------------------------------------------------------------------------- the sides
def ours(net, X, Y, W):
    g = gradients(net, X, W, loss="mse", targets=Y)
    return g.weight_gradients


def with_kernel(factory, func, *args):
    """``func(*args)`` with the engine on the sparse kernel ``factory`` alone (None: scipy's
    kernel, numpy's gather and tanh signal), then every kernel as it was."""
    from backsmooth.numeric import _sparse

    before = (_sparse._kernel_factory, _sparse._gather_factory, _sparse._tanh_signal_factory)
    set_sparse_kernel(factory)
    try:
        return func(*args)
    finally:
        set_sparse_kernel(before[0], gather=before[1], tanh_signal=before[2])


def plain_scipy(P, X, Y, W):
    """The reference a user would write (MSE loss sum/(2n), as backsmooth's)."""
    Fs, Hs, h = [], [], X
    for k, w in enumerate(W):
        F = P @ h
        H = F @ w
        Fs.append(F)
        Hs.append(H)
        h = np.tanh(H) if k < len(W) - 1 else H
    n = X.shape[0]
    G = (h - Y) / n
    PT = P.T.tocsr()
    grads = [None] * len(W)
    for k in range(len(W) - 1, -1, -1):
        B = G if k == len(W) - 1 else G * (1.0 - np.tanh(Hs[k]) ** 2)
        grads[k] = Fs[k].T @ B
        if k:
            G = PT @ (B @ W[k].T)
    return grads


def one_thread(func, *args):
    """``func(*args)`` with BLAS on one thread (the plain reference runs no threads)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return func(*args)


class TorchSide:
    """``H^(k) = P (X^(k) W^(k))``, ``X^(k+1) = tanh(H^(k))``, MSE, autograd on CSR."""

    def __init__(self, P, X, Y, W):
        coo = P.tocoo()
        idx = torch.from_numpy(np.vstack([coo.row, coo.col]).astype(np.int64))
        self.P = torch.sparse_coo_tensor(idx, torch.from_numpy(coo.data),
                                         size=P.shape).coalesce().to_sparse_csr()
        self.X, self.Y = torch.from_numpy(X), torch.from_numpy(Y)
        self.W = [torch.from_numpy(w) for w in W]

    def __call__(self):
        Ws = [w.detach().clone().requires_grad_() for w in self.W]
        h = self.X
        for k, w in enumerate(Ws):
            z = self.P @ (h @ w) if w.shape[1] <= w.shape[0] else (self.P @ h) @ w
            h = torch.tanh(z) if k < len(Ws) - 1 else z
        loss = ((h - self.Y) ** 2).sum() / (2 * self.X.shape[0])
        loss.backward()
        return [w.grad.numpy() for w in Ws]


def rel_error(a, b):
    return max(float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-300)) for x, y in zip(a, b))


# ----------------------------------------------------------------------------- load
def start_load(mib, core):
    """A process streaming copies of two ``mib`` MiB arrays, pinned to ``core``."""
    return subprocess.Popen([sys.executable, "-c", _LOAD, str(core), str(mib)])


def stop_load(proc):
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def uptime():
    try:
        with open("/proc/loadavg") as fh:
            return "load average " + " ".join(fh.read().split()[:3])
    except OSError:
        return "load average unknown"


# ----------------------------------------------------------------------------- run
def run_condition(condition, families, args, log):
    from backsmooth.numeric import _tuning

    rows = []
    load = start_load(args.load_mib, args.load_core) if condition == "loaded" else None
    try:
        if load is not None:
            time.sleep(2.0)  # let it fill its arrays
        _tuning._CHOICES.clear()  # each condition probes under its own load
        for family in families:
            P, X, Y, W = problem(family, args.n, args.depth, args.width)
            t0 = time.perf_counter()
            net = gnn(P, args.depth, "tanh")
            op = net.operator
            setup = time.perf_counter() - t0
            t0 = time.perf_counter()
            g_ours = ours(net, X, Y, W)  # warm-up; the probe runs here
            first = time.perf_counter() - t0
            choice = op.choice(args.width, np.float64)
            calls = {"ours": lambda: ours(net, X, Y, W),
                     "scipy": lambda: one_thread(plain_scipy, P, X, Y, W)}
            g_scipy = one_thread(plain_scipy, P, X, Y, W)
            errs = {"scipy": rel_error(g_ours, g_scipy)}
            if args.compiled:  # the engine on scipy's kernel too: what the compiled one adds
                g_sk = with_kernel(None, ours, net, X, Y, W)  # its own probe runs here
                if not all(np.array_equal(a, b) for a, b in zip(g_ours, g_sk)):
                    raise AssertionError("the compiled kernel changed the engine's bits")
                calls["ours_scipy_kernel"] = lambda: with_kernel(None, ours, net, X, Y, W)
            if torch is not None and not args.no_torch:
                side = TorchSide(P, X, Y, W)
                errs["torch"] = rel_error(g_ours, side())
                calls["torch"] = side
            load_before = uptime()
            wall, cpu = interleaved_times(calls, args.repeats, (time.perf_counter, time.process_time))
            med = {k: float(np.median(v)) for k, v in wall.items()}
            cpu = {k: float(np.median(v)) for k, v in cpu.items()}
            row = {"condition": condition, "family": family, "n": P.shape[0], "nnz": P.nnz,
                   "ours": med["ours"], "scipy": med["scipy"], "torch": med.get("torch"),
                   "ours_scipy_kernel": med.get("ours_scipy_kernel"),
                   "cpu": cpu, "errs": errs, "choice": choice.describe(),
                   "probe": choice.describe_timings() if choice.timings else "",
                   "renumbered": op.order is not None, "setup": setup, "first": first,
                   "load": f"{load_before} -> {uptime()}"}
            rows.append(row)
            log(row)
    finally:
        stop_load(load)
    return rows


def _fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def markdown(rows, args):
    thr = torch.get_num_threads() if torch is not None else "-"
    head = (f"## Three graph families: backsmooth vs torch autograd vs plain scipy\n\n"
            f"Written by `python benchmarks/bench_families.py {' '.join(args.argv)}`".rstrip()
            + f" on {platform.machine()} with {os.cpu_count()} CPUs"
            f"{' (this process on one core)' if args.one_core else ''}, numpy {np.__version__}, "
            f"torch {getattr(torch, '__version__', 'not installed')} ({thr} threads). Depth "
            f"{args.depth}, width {args.width}, float64, tanh, MSE, lazy-walk P, N(0, 1/d) "
            f"weights; median of {args.repeats} interleaved repeats per side (wall time; the "
            f"process's CPU seconds, all threads, in their own column). `loaded`: a second "
            f"process streams {args.load_mib} MiB array copies on core {args.load_core}. Load "
            f"averages (1, 5, 15 min) before and after each row's timing are in its last column: "
            f"read the ratios, not the seconds. Sparse kernel: {args.kernel_status}"
            + (" (the column `ours, scipy kernel` is the same engine on scipy's `csr_matvecs`, "
               "timed in the same rounds; its gradients are checked bit-identical)"
               if args.compiled else "") + ".\n\n")
    lines = ["| condition | graph | n | nnz(P) | backsmooth (s) | torch (s) | plain scipy (s) | "
             "torch/ours | scipy/ours | CPU s (ours, torch, scipy) | "
             "max grad rel. err (vs scipy, torch) | engine choice | "
             "renumbered | setup + probe (s) | ours, scipy kernel (s) | load |",
             "|" + "---|" * 16]
    for r in rows:
        lines.append(
            f"| {r['condition']} | {r['family']} | {r['n']} | {r['nnz']} | {r['ours']:.3f} | "
            f"{_fmt(r['torch'], 3)} | {r['scipy']:.3f} | "
            f"{_fmt(r['torch'] / r['ours'] if r['torch'] else None)} | "
            f"{r['scipy'] / r['ours']:.2f} | "
            f"{', '.join(_fmt(r['cpu'].get(k)) for k in ('ours', 'torch', 'scipy'))} | "
            f"{', '.join(format(r['errs'][k], '.1e') for k in ('scipy', 'torch') if k in r['errs'])} | "
            f"{r['choice']} | {'yes' if r['renumbered'] else 'no'} | "
            f"{r['setup']:.2f} + {max(r['first'] - r['ours'], 0):.2f} | "
            f"{_fmt(r.get('ours_scipy_kernel'), 3)} | {r['load']} |")
    probes = [f"- {r['condition']}, {r['family']}: {r['probe']}" for r in rows if r.get("probe")]
    tail = ""
    if probes:
        tail = ("\nThe probe's median timings (one product over the first half of the rows, "
                "per configuration panel width/threads/row blocks; `*` marks the choice; the "
                "default is kept unless a candidate is more than 15% faster, confirmed):\n\n"
                + "\n".join(probes) + "\n")
    return head + "\n".join(lines) + "\n" + tail


def write_section(text, path, begin=BEGIN, end=END):
    """Replace the part of ``path`` between the markers ``begin`` and ``end`` (or append)."""
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    block = f"{begin}\n{text}{end}\n"
    if begin in old and end in old:
        new = old[: old.index(begin)] + block + old[old.index(end) + len(end) + 1:]
    else:
        new = old.rstrip("\n") + "\n\n" + block
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--families", nargs="+", default=["csbm", "random", "grid"],
                        choices=["csbm", "random", "grid"])
    parser.add_argument("--conditions", nargs="+", default=["quiet", "loaded"],
                        choices=["quiet", "loaded"])
    parser.add_argument("--load-mib", type=int, default=256, help="size of each copied array")
    parser.add_argument("--load-core", type=int, default=0, help="core the load is pinned to")
    parser.add_argument("--one-core", action="store_true",
                        help="run this process (and torch) on one core only (core 0)")
    parser.add_argument("--no-torch", action="store_true", help="leave torch out")
    parser.add_argument("--kernel", choices=["auto", "compiled", "scipy"], default="auto",
                        help="the engine's sparse kernel (default: compiled where llvmlite is "
                             "installed, as backsmooth itself does)")
    parser.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"),
                        help="markdown file whose bench_families section is rewritten "
                             "('-': print only)")
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.kernel == "scipy":
        kernel.disable()
    else:
        kernel.enable(required=args.kernel == "compiled")
    args.compiled = kernel.status().startswith("compiled")
    args.kernel_status = kernel.status()
    if args.one_core:
        os.sched_setaffinity(0, {0})
        if torch is not None:
            torch.set_num_threads(1)

    def log(r):
        ratio_t = f"{r['torch'] / r['ours']:.2f}x torch" if r["torch"] else "no torch"
        sk = f" (scipy kernel {r['ours_scipy_kernel']:.3f} s)" if r.get("ours_scipy_kernel") else ""
        print(f"{r['condition']:6s} {r['family']:6s} ours {r['ours']:.3f} s{sk}, {ratio_t}, "
              f"{r['scipy'] / r['ours']:.2f}x scipy; CPU s "
              f"{', '.join(f'{k} {v:.2f}' for k, v in r['cpu'].items())}; {r['choice']}; "
              f"{r['load']}", flush=True)
        if r.get("probe"):
            print(f"       probe timings: {r['probe']}", flush=True)

    rows = []
    for condition in args.conditions:
        rows += run_condition(condition, args.families, args, log)
    text = markdown(rows, args)
    if args.out != "-":
        write_section(text, args.out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
