"""Time and peak memory of one forward + backward pass of the numeric core (issue 2).

One command (from the repository root)::

    python benchmarks/bench_core.py [--n 100000] [--depth 40] [--width 32] [--repeats 3]

A tanh GNN of depth 40 and width 32 on a Contextual SBM graph with 10^5 nodes (average
degree 10, lazy-walk propagation), softmax cross-entropy on the two classes: the time of
:func:`backsmooth.numeric.gradients` (loss, every B^(k), every weight gradient; median of the
repeats; the engine's recycled buffers make repeats cheaper than a first pass, as in a training
loop) and its peak memory measured by tracemalloc (numpy and scipy allocate their arrays
through Python's tracked allocator), set against the memory floor: P in CSR plus one n x d_k
activation per layer.  The comparison with torch lives in bench_forward_backward.py.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc

import numpy as np

from backsmooth import kernel
from backsmooth.numeric import _buffers, gnn, gradients, initial_weights
from backsmooth.numeric.propagation import propagation_matrix
from backsmooth.numeric.samplers import contextual_sbm


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--depth", type=int, default=40)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--checkpoint", action="store_true", help="memory-lean mode (recompute)")
    parser.add_argument("--kernel", choices=["auto", "compiled", "scipy"], default="auto",
                        help="the engine's sparse kernel (default: compiled where llvmlite is "
                             "installed, as backsmooth itself does)")
    args = parser.parse_args(argv)
    if args.kernel == "scipy":
        kernel.disable()
    else:
        kernel.enable(required=args.kernel == "compiled")

    t0 = time.perf_counter()
    sample = contextual_sbm(args.n, avg_degree=10.0, graph_signal=1.0, feature_signal=1.0,
                            num_features=16, seed=0)
    P = propagation_matrix(sample.adjacency, "lazy")
    X, y = sample.features, sample.labels
    W = initial_weights([X.shape[1]] + [args.width] * args.depth + [2], "orthogonal", seed=0)
    net = gnn(P, args.depth, "tanh")
    setup = time.perf_counter() - t0

    gradients(net, X, W, loss="cross_entropy", targets=y)  # warm-up
    times = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        g = gradients(net, X, W, loss="cross_entropy", targets=y, checkpoint=args.checkpoint)
        times.append(time.perf_counter() - t0)
        del g
    # the engine recycles its large buffers (numeric._buffers): drop the free ones so that the
    # traced pass allocates what one pass needs, as a first pass in a fresh process does
    _buffers.release()
    tracemalloc.start()
    g = gradients(net, X, W, loss="cross_entropy", targets=y, checkpoint=args.checkpoint)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    n = X.shape[0]
    floor = P.data.nbytes + P.nnz * 4 + (n + 1) * 4 + sum(n * w.shape[0] * 8 for w in W) + n * 2 * 8
    print(f"n = {n}, nnz(P) = {P.nnz}, depth {args.depth}, width {args.width}, float64, "
          f"checkpoint={args.checkpoint} (setup {setup:.1f} s); sparse kernel: {kernel.status()}")
    print(f"forward + backward: median {np.median(times):.3f} s over {args.repeats} "
          f"(min {min(times):.3f}, max {max(times):.3f})")
    print(f"peak memory (tracemalloc, includes the returned B^(k)): {peak / 2**20:.0f} MiB; "
          f"floor (P + one activation per layer) {floor / 2**20:.0f} MiB; "
          f"returned B^(k) {sum(B.nbytes for B in g.B) / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
