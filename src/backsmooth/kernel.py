"""Compiled kernels for the engine's sparse products (optional, through llvmlite).

Every propagation ``P X`` of the forward and backward passes runs in
:mod:`backsmooth.numeric._sparse`, on scipy's ``csr_matvecs`` unless a faster kernel is
installed there.  This module makes that faster kernel: LLVM IR generated for one column
width, value type and index type, compiled for the host CPU by llvmlite (numba's LLVM
binding, a small wheel), and called through ctypes, which releases the GIL, so the engine's
threads run it concurrently.

**The same bits as scipy.**  ``csr_matvecs`` computes, for each row ``i`` and each non-zero
``p`` of the row in storage order, ``y[i, k] = y[i, k] + a_p * x[j_p, k]``: one rounded
multiply, then one rounded add.  The compiled kernel does exactly those operations in exactly
that order, starting from ``+0.0``; it only does eight (or sixteen) columns in one vector
instruction, keeps the row of ``y`` in registers, and asks for the rows of ``X`` it will
need a few non-zeros ahead (a software prefetch: a product reads one row of ``X`` per
non-zero at scattered places, which the hardware cannot predict).  It never fuses a multiply
and an add (no ``contract`` or fast-math flag), so every output is bit-identical to scipy's
(signed zeros, infinities and overflow included), which the tests check on random and
adversarial matrices.  One exception, of bits only: where two NaNs meet in one addition, x86
keeps the payload of the first operand, and the compilers order the operands as they like,
so such an output is NaN in both but its payload may differ.

The kernel assumes scipy's own x86-64 build, which has no fused multiply-add; where scipy's
build fuses (possible on some ARM builds) the two would differ in the last bit, so
:func:`enable` first compares them on a case a fused multiply-add changes and keeps scipy's
kernel if they differ.

Two smaller kernels go with it, on the same terms: the row gather of a renumbered operator
(:func:`gather_ir`: rows moved as integers, every bit kept, prefetched) and a tanh layer's
backward signal ``(1 - y*y) * g`` (:func:`tanh_signal_ir`: numpy's three roundings, one pass).

Why a compiled kernel at all: scipy's loop is built for the x86-64 baseline (two doubles per
instruction) and has no prefetch; on a 2-core host a product spends about two thirds of its
time waiting for rows of ``X``.  See ``benchmarks/RESULTS.md``.

The layers stay as they are: :mod:`backsmooth.numeric` imports numpy and scipy only, and
offers :func:`backsmooth.numeric.set_sparse_kernel`; this module (of the edge) installs
itself there through :func:`enable`; importing the checks, figures and sweeps (so the command
line, :func:`backsmooth.check` and the report) calls :func:`enable_default`, which leaves a
user's own choice alone.  ``BACKSMOOTH_KERNEL=scipy`` keeps scipy's kernel;
``BACKSMOOTH_KERNEL=compiled`` makes a missing llvmlite an error instead of a fallback.

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> from backsmooth import kernel
>>> P = sp.random_array((50, 50), density=0.1, format="csr", rng=0)
>>> X = np.random.default_rng(0).standard_normal((50, 8))
>>> if kernel.available():
...     Y = np.empty((50, 8))
...     kernel.csr_times_dense(50, P.indptr, P.indices, P.data, X, Y)
...     assert np.array_equal(Y, P @ X)
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading

import numpy as np

__all__ = ["available", "csr_times_dense", "disable", "enable", "gather_for", "gather_ir", "kernel_ir",
           "enable_default", "product_for", "status", "tanh_signal_for", "tanh_signal_ir"]

#: non-zeros ahead whose row of ``X`` is prefetched.  Measured at n = 1e5, width 32 (one
#: product, 15 repeats): random graph 17.3 ms without prefetch, 16.5 ms at 8, 15.4-15.6 ms at
#: 16 to 48; a banded matrix (neighbours close, rows of ``X`` in cache) 3.6-4.0 ms at every
#: distance.  The engine's other costs make it a few per cent of a pass.
PREFETCH_DISTANCE = 16
#: columns kept in registers per walk over a row's non-zeros (wider blocks walk it again)
_BLOCK_COLUMNS = 32
_CACHE_LINE = 64
_VALUE_TYPES = {np.dtype(np.float64): "double", np.dtype(np.float32): "float"}
_VALUE_BYTES = {"double": 8, "float": 4}  # an IR value type's size
_INDEX_TYPES = {np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}

_lock = threading.Lock()  # one compile at a time; held across fork() so none is half-done


def _llvmlite_lock():
    """llvmlite's own lock around its C library (None if llvmlite is not imported yet)."""
    ffi = sys.modules.get("llvmlite.binding.ffi")
    return getattr(getattr(getattr(ffi, "lib", None), "_lock", None), "_lock", None)


def _before_fork():
    # ours first, then llvmlite's: the order _compile takes them in.  A child forked while
    # another thread held llvmlite's lock (compiling, or freeing an LLVM object) would wait
    # for it forever: the report and sweeps fork workers.
    _lock.acquire()
    inner = _llvmlite_lock()
    if inner is not None:
        inner.acquire()
    _held.append(inner)


def _after_fork():
    inner = _held.pop() if _held else None
    if inner is not None:
        inner.release()
    _lock.release()


_held: list = []
if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_parent=_after_fork, after_in_child=_after_fork)
_compiled: dict = {}  # (kind, width, value dtype, index dtype) -> ctypes function
_engine = []  # [llvmlite execution engine, target machine], made on first use
_unavailable: list = []  # the ImportError, once llvmlite was found missing


def _pieces(width: int, lanes: int):
    """Split ``width`` columns into vector pieces ``(offset, lanes)``, widest first."""
    out, c = [], 0
    while c < width:
        w = lanes
        while w > width - c:
            w //= 2
        out.append((c, w))
        c += w
    return out


#: the end of a loop over rows ``%i`` (``%i.next`` computed): the next row, or return
_NEXT_ROW = ("  %more = icmp slt i64 %i.next, %n_row", "  br i1 %more, label %row, label %done",
             "done:", "  ret void", "}")


def _widen(index: str):
    """``(op, suffix)`` turning an index value into i64: ``sext`` from i32; i64 kept (LLVM has
    no i64 -> i64 sext)."""
    return (f"sext {index}", " to i64") if index != "i64" else ("add i64", ", 0")


def _prefetch_row(tag: str, index_array: str, position: str, index: str, row_bytes: int) -> list:
    """IR lines prefetching the row of ``%X`` named by ``index_array[position]``: every cache
    line of its ``row_bytes`` (a prefetch never faults; the position must be in bounds)."""
    widen, to = _widen(index)
    L = [f"  %{tag}.ptr = getelementptr {index}, ptr {index_array}, i64 {position}",
         f"  %{tag}.raw = load {index}, ptr %{tag}.ptr",
         f"  %{tag}.row = {widen} %{tag}.raw{to}",
         f"  %{tag}.off = mul i64 %{tag}.row, {row_bytes}",
         f"  %{tag}.at = getelementptr i8, ptr %X, i64 %{tag}.off"]
    for line in range(-(-row_bytes // _CACHE_LINE)):
        L += [f"  %{tag}.line{line} = getelementptr i8, ptr %{tag}.at, i64 {line * _CACHE_LINE}",
              f"  call void @llvm.prefetch.p0(ptr %{tag}.line{line}, i32 0, i32 3, i32 1)"]
    return L


def kernel_ir(width: int, value: str, index: str, distance: int = PREFETCH_DISTANCE) -> str:
    """LLVM IR of ``y = A x`` for a CSR ``A`` and ``width`` columns, as scipy computes it.

    ``void kernel(i64 n_row, index* indptr, index* indices, value* data, value* X, value* Y)``
    overwrites ``Y`` (``n_row x width``, C order) with ``A X``: for each row, accumulators
    start at ``+0.0`` and each non-zero adds ``a * x`` (a rounded product, then a rounded
    sum), in storage order.  ``indptr[0]`` need not be 0.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    size = _VALUE_BYTES[value]
    lanes = 64 // size  # one 512-bit vector; LLVM splits it where vectors are narrower
    I = index
    widen, to = _widen(I)
    L = [f"declare void @llvm.prefetch.p0(ptr, i32, i32, i32)",
         "",
         f"define void @kernel(i64 %n_row, ptr noalias readonly %indptr, ptr noalias readonly %indices,"
         f" ptr noalias readonly %data, ptr noalias readonly %X, ptr noalias %Y) nounwind {{",
         "entry:",
         f"  %p_end.ptr = getelementptr {I}, ptr %indptr, i64 %n_row",
         f"  %p_end.raw = load {I}, ptr %p_end.ptr",
         f"  %p_end = {widen} %p_end.raw{to}",
         "  %any = icmp sgt i64 %n_row, 0",
         "  br i1 %any, label %row, label %done",
         "row:",
         "  %i = phi i64 [ 0, %entry ], [ %i.next, %row.end ]",
         f"  %p0.ptr = getelementptr {I}, ptr %indptr, i64 %i",
         f"  %p0.raw = load {I}, ptr %p0.ptr",
         f"  %p0 = {widen} %p0.raw{to}",
         "  %i.next = add i64 %i, 1",
         f"  %p1.ptr = getelementptr {I}, ptr %indptr, i64 %i.next",
         f"  %p1.raw = load {I}, ptr %p1.ptr",
         f"  %p1 = {widen} %p1.raw{to}",
         "  %nonempty = icmp slt i64 %p0, %p1",
         f"  %y.off = mul i64 %i, {width}",
         f"  %y.row = getelementptr {value}, ptr %Y, i64 %y.off",
         "  br label %b0.head"]
    blocks = [(c0, min(width, c0 + _BLOCK_COLUMNS)) for c0 in range(0, width, _BLOCK_COLUMNS)]
    for b, (c0, c1) in enumerate(blocks):
        pieces = [(c0 + off, w) for off, w in _pieces(c1 - c0, lanes)]
        nxt = f"b{b + 1}.head" if b + 1 < len(blocks) else "row.end"
        vt = {w: (f"<{w} x {value}>" if w > 1 else value) for _, w in pieces}
        L += [f"b{b}.head:",
              f"  br i1 %nonempty, label %b{b}.loop, label %b{b}.store",
              f"b{b}.loop:",
              f"  %b{b}.p = phi i64 [ %p0, %b{b}.head ], [ %b{b}.p.next, %b{b}.loop ]"]
        for k, (off, w) in enumerate(pieces):
            zero = "zeroinitializer" if w > 1 else "0.0"
            L.append(f"  %b{b}.acc{k} = phi {vt[w]} [ {zero}, %b{b}.head ], [ %b{b}.new{k}, %b{b}.loop ]")
        if b == 0 and distance > 0:  # prefetch the row of X that non-zero p + distance reads
            L += [f"  %b{b}.pd = add i64 %b{b}.p, {distance}",
                  f"  %b{b}.pin = icmp slt i64 %b{b}.pd, %p_end",
                  f"  %b{b}.pq = select i1 %b{b}.pin, i64 %b{b}.pd, i64 %b{b}.p"]
            L += _prefetch_row(f"b{b}.q", "%indices", f"%b{b}.pq", I, width * size)
        L += [f"  %b{b}.a.ptr = getelementptr {value}, ptr %data, i64 %b{b}.p",
              f"  %b{b}.a = load {value}, ptr %b{b}.a.ptr",
              f"  %b{b}.j.ptr = getelementptr {I}, ptr %indices, i64 %b{b}.p",
              f"  %b{b}.j.raw = load {I}, ptr %b{b}.j.ptr",
              f"  %b{b}.j = {widen} %b{b}.j.raw{to}",
              f"  %b{b}.x.off = mul i64 %b{b}.j, {width}",
              f"  %b{b}.x.row = getelementptr {value}, ptr %X, i64 %b{b}.x.off"]
        splats = set()
        for k, (off, w) in enumerate(pieces):
            if w > 1 and w not in splats:
                splats.add(w)
                L += [f"  %b{b}.a{w}.1 = insertelement <{w} x {value}> poison, {value} %b{b}.a, i64 0",
                      f"  %b{b}.a{w} = shufflevector <{w} x {value}> %b{b}.a{w}.1, <{w} x {value}> poison,"
                      f" <{w} x i32> zeroinitializer"]
            a = f"%b{b}.a{w}" if w > 1 else f"%b{b}.a"
            L += [f"  %b{b}.x{k}.ptr = getelementptr {value}, ptr %b{b}.x.row, i64 {off}",
                  f"  %b{b}.x{k} = load {vt[w]}, ptr %b{b}.x{k}.ptr, align {size}",
                  f"  %b{b}.m{k} = fmul {vt[w]} {a}, %b{b}.x{k}",
                  f"  %b{b}.new{k} = fadd {vt[w]} %b{b}.acc{k}, %b{b}.m{k}"]
        L += [f"  %b{b}.p.next = add i64 %b{b}.p, 1",
              f"  %b{b}.more = icmp slt i64 %b{b}.p.next, %p1",
              f"  br i1 %b{b}.more, label %b{b}.loop, label %b{b}.store",
              f"b{b}.store:"]
        for k, (off, w) in enumerate(pieces):  # the phis first, then the stores
            zero = "zeroinitializer" if w > 1 else "0.0"
            L.append(f"  %b{b}.out{k} = phi {vt[w]} [ {zero}, %b{b}.head ], [ %b{b}.new{k}, %b{b}.loop ]")
        for k, (off, w) in enumerate(pieces):
            L += [f"  %b{b}.y{k}.ptr = getelementptr {value}, ptr %y.row, i64 {off}",
                  f"  store {vt[w]} %b{b}.out{k}, ptr %b{b}.y{k}.ptr, align {size}"]
        L.append(f"  br label %{nxt}")
    L += ["row.end:", *_NEXT_ROW]
    return "\n".join(L) + "\n"


def gather_ir(width: int, value: str, index: str, distance: int = PREFETCH_DISTANCE) -> str:
    """LLVM IR of the row gather ``Y[i] = X[rows[i]]`` for ``width`` columns (a copy).

    ``void gather(i64 n_row, index* rows, value* X, value* Y)``.  The rows are moved as
    integers of the value's size, so every bit (a NaN's payload, a zero's sign) arrives as it
    was; the row ``distance`` rows ahead is prefetched.
    """
    if width < 1:
        raise ValueError(f"width must be at least 1, got {width}")
    size = _VALUE_BYTES[value]
    lane = f"i{8 * size}"  # bits moved as integers: nothing can change them
    I = index
    widen, to = _widen(I)
    lanes = 64 // size
    pieces = _pieces(width, lanes)
    vt = {w: (f"<{w} x {lane}>" if w > 1 else lane) for _, w in pieces}
    L = ["declare void @llvm.prefetch.p0(ptr, i32, i32, i32)",
         "",
         "define void @kernel(i64 %n_row, ptr noalias readonly %rows, ptr noalias readonly %X,"
         " ptr noalias %Y) nounwind {",
         "entry:",
         "  %any = icmp sgt i64 %n_row, 0",
         "  br i1 %any, label %row, label %done",
         "row:",
         "  %i = phi i64 [ 0, %entry ], [ %i.next, %row ]",
         f"  %id = add i64 %i, {distance}",
         "  %in = icmp slt i64 %id, %n_row",
         "  %iq = select i1 %in, i64 %id, i64 %i"]
    if distance > 0:
        L += _prefetch_row("q", "%rows", "%iq", I, width * size)
    L += [f"  %r.ptr = getelementptr {I}, ptr %rows, i64 %i",
          f"  %r.raw = load {I}, ptr %r.ptr",
          f"  %r = {widen} %r.raw{to}",
          f"  %src.off = mul i64 %r, {width * size}",
          "  %src = getelementptr i8, ptr %X, i64 %src.off",
          f"  %dst.off = mul i64 %i, {width * size}",
          "  %dst = getelementptr i8, ptr %Y, i64 %dst.off"]
    for k, (off, w) in enumerate(pieces):
        L += [f"  %s{k} = getelementptr i8, ptr %src, i64 {off * size}",
              f"  %v{k} = load {vt[w]}, ptr %s{k}, align {size}",
              f"  %d{k} = getelementptr i8, ptr %dst, i64 {off * size}",
              f"  store {vt[w]} %v{k}, ptr %d{k}, align {size}"]
    L += ["  %i.next = add i64 %i, 1", *_NEXT_ROW]
    return "\n".join(L) + "\n"


def tanh_signal_ir(value: str) -> str:
    """LLVM IR of ``out = (1 - y * y) * g`` over ``n`` entries, numpy's three roundings in order.

    ``void tanh_signal(i64 n, value* y, value* g, value* out)``: the backward signal
    ``B = tanh'(H) * G`` from the layer's output ``y = tanh(H)``, which numpy computes in three
    passes (``y * y``, ``1 - .``, ``. * g``); here one pass, the same rounded operations, no
    fused ones.  ``out`` may be ``y`` or ``g`` itself (each entry is read before it is written).
    """
    size = _VALUE_BYTES[value]
    lanes = 64 // size  # one 512-bit vector, as in the other kernels
    vec = f"<{lanes} x {value}>"
    one = "<" + ", ".join([f"{value} 1.0"] * lanes) + ">"
    L = ["define void @kernel(i64 %n, ptr %y, ptr %g, ptr %out) nounwind {",
         "entry:",
         f"  %nv = and i64 %n, -{lanes}",
         "  %anyv = icmp sgt i64 %nv, 0",
         "  br i1 %anyv, label %vloop, label %tail.head",
         "vloop:",
         "  %i = phi i64 [ 0, %entry ], [ %i.next, %vloop ]",
         f"  %yp = getelementptr {value}, ptr %y, i64 %i",
         f"  %gp = getelementptr {value}, ptr %g, i64 %i",
         f"  %op = getelementptr {value}, ptr %out, i64 %i",
         f"  %yv = load {vec}, ptr %yp, align {size}",
         f"  %gv = load {vec}, ptr %gp, align {size}",
         f"  %sq = fmul {vec} %yv, %yv",
         f"  %d = fsub {vec} {one}, %sq",
         f"  %r = fmul {vec} %d, %gv",
         f"  store {vec} %r, ptr %op, align {size}",
         f"  %i.next = add i64 %i, {lanes}",
         "  %morev = icmp slt i64 %i.next, %nv",
         "  br i1 %morev, label %vloop, label %tail.head",
         "tail.head:",
         "  %anyt = icmp slt i64 %nv, %n",
         "  br i1 %anyt, label %tloop, label %done",
         "tloop:",
         "  %t = phi i64 [ %nv, %tail.head ], [ %t.next, %tloop ]",
         f"  %typ = getelementptr {value}, ptr %y, i64 %t",
         f"  %tgp = getelementptr {value}, ptr %g, i64 %t",
         f"  %top = getelementptr {value}, ptr %out, i64 %t",
         f"  %ty = load {value}, ptr %typ",
         f"  %tg = load {value}, ptr %tgp",
         f"  %tsq = fmul {value} %ty, %ty",
         f"  %td = fsub {value} 1.0, %tsq",
         f"  %tr = fmul {value} %td, %tg",
         f"  store {value} %tr, ptr %top",
         "  %t.next = add i64 %t, 1",
         "  %moret = icmp slt i64 %t.next, %n",
         "  br i1 %moret, label %tloop, label %done",
         "done:",
         "  ret void",
         "}"]
    return "\n".join(L) + "\n"


# ------------------------------------------------------------------------------- compiling
def _llvm():
    """llvmlite's binding, or raise ImportError (remembered: the import is tried once)."""
    if _unavailable:
        raise _unavailable[0]
    try:
        import llvmlite.binding as llvm
    except ImportError as exc:  # the optional extra is not installed
        _unavailable.append(ImportError(
            "the compiled kernel needs llvmlite: pip install 'backsmooth[fast]' "
            f"(or set BACKSMOOTH_KERNEL=scipy); {exc}"))
        raise _unavailable[0] from None
    return llvm


def _host_engine(llvm):
    """The process's MCJIT engine and a target machine for this CPU (made once)."""
    if not _engine:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        target = llvm.Target.from_triple(llvm.get_process_triple())
        try:
            cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
        except RuntimeError:  # a host LLVM cannot describe: the generic baseline
            cpu, features = "", ""
        machine = target.create_target_machine(cpu=cpu, features=features, opt=3, jit=True)
        empty = llvm.parse_assembly("")
        empty.triple = llvm.get_process_triple()
        _engine.extend([llvm.create_mcjit_compiler(empty, machine), machine])
    return _engine


def _compile(width: int, value_dtype, index_dtype, kind: str = "product"):
    """The ctypes function of :func:`kernel_ir` (``kind="product"``), :func:`gather_ir`
    (``"gather"``) or :func:`tanh_signal_ir` (``"tanh_signal"``) for one width and types
    (compiled once)."""
    key = (kind, width, value_dtype, index_dtype)
    found = _compiled.get(key)
    if found is not None:
        return found
    with _lock:
        found = _compiled.get(key)
        if found is not None:
            return found
        llvm = _llvm()
        engine, machine = _host_engine(llvm)
        value = _VALUE_TYPES[value_dtype]
        if kind == "tanh_signal":  # elementwise: width and index type play no part
            name, arguments = f"tanh_signal_{value}", 3
            ir = tanh_signal_ir(value).replace("@kernel(", f"@{name}(")
        else:
            make, arguments = {"product": (kernel_ir, 5), "gather": (gather_ir, 3)}[kind]
            name = f"{kind}_{width}_{value}_{_INDEX_TYPES[index_dtype]}"
            ir = make(width, value, _INDEX_TYPES[index_dtype]).replace("@kernel(", f"@{name}(")
        module = llvm.parse_assembly(ir)
        module.triple = llvm.get_process_triple()
        module.verify()
        tuning = llvm.PipelineTuningOptions(speed_level=3)
        passes = llvm.create_pass_builder(machine, tuning)
        manager = passes.getModulePassManager()
        manager.run(module, passes)
        engine.add_module(module)
        engine.finalize_object()
        address = engine.get_function_address(name)
        # free the LLVM objects while the lock is held (their disposal takes llvmlite's lock,
        # which a fork must not catch half-way; see _before_fork)
        del manager, passes, tuning, module
        vp = ctypes.c_void_p
        found = ctypes.CFUNCTYPE(None, ctypes.c_int64, *[vp] * arguments)(address)
        _compiled[key] = found
        return found


def available() -> bool:
    """Whether the compiled kernel can be used here (llvmlite importable and compiling)."""
    try:
        _compile(1, np.dtype(np.float64), np.dtype(np.int32))
    except (ImportError, RuntimeError):  # no llvmlite, or LLVM refused this host
        return False
    return True


def csr_times_dense(n_row: int, indptr, indices, data, X, Y) -> None:
    """Write ``A X`` into ``Y``, for the CSR rows ``A`` given by ``indptr, indices, data``.

    Parameters
    ----------
    n_row : int
        Rows of ``A`` (``indptr`` has at least ``n_row + 1`` entries; ``indptr[0]`` may be
        positive, as in a row block of a larger matrix).
    indptr, indices : ndarray of int32 or int64 (the same type)
        CSR structure; every index must be a row of ``X``.
    data : ndarray of float64 or float32
        The non-zeros.
    X : ndarray, C-contiguous, shape ``(m, width)``, of ``data``'s type
    Y : ndarray, C-contiguous, shape ``(n_row, width)``, of ``data``'s type
        Overwritten with ``A X``, bit for bit what ``Y[:] = 0`` then scipy's ``csr_matvecs``
        would write.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> A = sp.csr_array(np.array([[1.0, 2.0], [0.0, 3.0]]))
    >>> Y = np.empty((2, 1))
    >>> if available():
    ...     csr_times_dense(2, A.indptr, A.indices, A.data, np.array([[1.0], [1.0]]), Y)
    ...     print(Y.ravel())
    [3. 3.]
    """
    function = _checked(n_row, indptr, indices, data, X, Y)
    function(int(n_row), indptr.ctypes.data, indices.ctypes.data, data.ctypes.data,
             X.ctypes.data, Y.ctypes.data)


def _checked(n_row, indptr, indices, data, X, Y):
    """The compiled function for these arrays, after the checks that keep it in bounds."""
    for name, a in (("indptr", indptr), ("indices", indices), ("data", data), ("X", X), ("Y", Y)):
        if not isinstance(a, np.ndarray):
            raise TypeError(f"{name} must be a numpy array, got {type(a).__name__}")
        if not a.flags.c_contiguous:
            raise ValueError(f"{name} must be C-contiguous")
    if not Y.flags.writeable:
        raise ValueError("Y must be writeable")
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[1] or Y.shape[0] != n_row:
        raise ValueError(f"X must be (m, width) and Y (n_row={n_row}, width); got {X.shape} and {Y.shape}")
    if indptr.dtype != indices.dtype or indptr.dtype not in _INDEX_TYPES:
        raise TypeError(f"indptr and indices must both be int32 or int64, got {indptr.dtype} and {indices.dtype}")
    if not data.dtype == X.dtype == Y.dtype or data.dtype not in _VALUE_TYPES:
        raise TypeError(f"data, X and Y must all be float64 or float32, got {data.dtype}, {X.dtype}, {Y.dtype}")
    if indptr.ndim != 1 or len(indptr) < n_row + 1 or n_row < 0:
        raise ValueError(f"indptr must have at least n_row + 1 = {n_row + 1} entries")
    if n_row and (indptr[0] < 0 or indptr[n_row] > min(len(indices), len(data))):
        raise ValueError("indptr points outside indices or data")
    if X.shape[1] == 0:
        raise ValueError("X has no columns")
    if n_row:  # the compiled code trusts the structure: every read must be in bounds
        bounds = indptr[:n_row + 1]
        if np.any(bounds[1:] < bounds[:-1]):
            raise ValueError("indptr must be non-decreasing")
        used = indices[indptr[0]:indptr[n_row]]
        if used.size and (used.min() < 0 or used.max() >= X.shape[0]):
            raise ValueError(f"column indices must lie in [0, {X.shape[0]}) (the rows of X)")
    for name, a in (("X", X), ("data", data), ("indices", indices), ("indptr", indptr)):
        if np.may_share_memory(a, Y):
            raise ValueError(f"{name} and Y must not overlap (Y is written while {name} is read)")
    return _compile(X.shape[1], data.dtype, indptr.dtype)


# ------------------------------------------------------------------------------- the engine
_mode = ["auto"]  # what enable() was asked for: "auto" falls back to scipy, "compiled" raises


def product_for(width: int, value_dtype, index_dtype):
    """The function :func:`backsmooth.numeric.set_sparse_kernel` asks for: the compiled kernel
    for ``width`` columns of ``value_dtype`` with ``index_dtype`` indices, or None where it
    has none (other types, or, unless ``BACKSMOOTH_KERNEL=compiled``, a kernel that did not
    compile: :func:`status` says why), so that scipy's kernel runs.  The engine passes only
    arrays it made, so the returned function does not repeat :func:`csr_times_dense`'s checks.
    """
    function = _compiled_or_none("product", width, value_dtype, index_dtype)
    if function is None:
        return None

    def compiled_csr_times_dense(n_row, indptr, indices, data, X, Y):
        function(n_row, indptr.ctypes.data, indices.ctypes.data, data.ctypes.data,
                 X.ctypes.data, Y.ctypes.data)

    return compiled_csr_times_dense


_failures: list = []  # kernels that did not compile (auto mode ran scipy's instead)


def _compiled_or_none(kind, width, value_dtype, index_dtype):
    """:func:`_compile`'s function, or None for types it has no kernel for or (unless
    ``BACKSMOOTH_KERNEL=compiled``, which raises) a kernel that did not compile."""
    value_dtype, index_dtype = np.dtype(value_dtype), np.dtype(index_dtype)
    if value_dtype not in _VALUE_TYPES or index_dtype not in _INDEX_TYPES or width < 1:
        return None
    try:
        return _compile(int(width), value_dtype, index_dtype, kind=kind)
    except (ImportError, RuntimeError) as exc:  # no llvmlite, or LLVM refused this host
        if _mode[0] == "compiled":
            raise
        _failures.append(f"{kind}, width {width}, {value_dtype}: {exc}")
        return None


def gather_for(width: int, value_dtype, index_dtype):
    """The row gather :func:`backsmooth.numeric.set_sparse_kernel` asks for (``gather=``):
    ``g(rows, X, Y)`` writes ``Y[i] = X[rows[i]]`` (every bit copied, rows ahead prefetched),
    for ``width`` columns; None where it has none (``np.take`` runs).  Unchecked, as
    :func:`product_for`'s: the engine passes its own permutations and arrays.
    """
    function = _compiled_or_none("gather", width, value_dtype, index_dtype)
    if function is None:
        return None

    def compiled_gather(rows, X, Y):
        function(rows.size, rows.ctypes.data, X.ctypes.data, Y.ctypes.data)

    return compiled_gather


def tanh_signal_for(value_dtype):
    """The fused backward signal :func:`backsmooth.numeric.set_sparse_kernel` asks for
    (``tanh_signal=``): ``f(y, g, out)`` writes ``out = (1 - y * y) * g`` for C-contiguous
    arrays of one shape and ``value_dtype`` (numpy's three roundings, one pass); None where it
    has none.  Unchecked: the engine passes its own row chunks.
    """
    function = _compiled_or_none("tanh_signal", 1, value_dtype, np.int64)
    if function is None:
        return None

    def compiled_tanh_signal(y, g, out):
        function(y.size, y.ctypes.data, g.ctypes.data, out.ctypes.data)

    return compiled_tanh_signal


def enable(required: bool | None = None) -> bool:
    """Install the compiled kernel in the engine when llvmlite is there; return whether it is.

    Cheap: kernels compile on first use, one per column width (about 10-40 ms each).
    ``BACKSMOOTH_KERNEL`` decides: ``scipy`` keeps scipy's kernel (returns False);
    ``compiled`` makes a missing llvmlite an ``ImportError`` (and a kernel that does not
    compile an error); unset or ``auto``, the compiled kernel is used where it can be.
    ``required=True`` asks for ``compiled`` whatever the variable says.
    """
    from backsmooth.numeric import set_sparse_kernel, sparse_kernel_name

    wish = os.environ.get("BACKSMOOTH_KERNEL", "auto").strip().lower() or "auto"
    if wish not in ("auto", "scipy", "compiled"):
        raise ValueError(f"BACKSMOOTH_KERNEL must be auto, scipy or compiled, got {wish!r}")
    if required:
        wish = "compiled"
    if wish == "scipy":
        if sparse_kernel_name() == product_for.__qualname__:
            set_sparse_kernel(None)  # an earlier enable() installed it
        return False
    if _unavailable or importlib.util.find_spec("llvmlite") is None:
        if wish == "compiled":
            _llvm()  # raises the ImportError that says what to install
        return False
    _user_choice[0] = None
    if not _agrees_with_scipy():
        if wish == "compiled":
            raise RuntimeError(f"the compiled kernel does not give scipy's bits here: {_failures[-1]}")
        return False
    _mode[0] = wish
    set_sparse_kernel(product_for, gather=gather_for, tanh_signal=tanh_signal_for)
    return True


def _agrees_with_scipy() -> bool:
    """Once per process: the compiled product against scipy's on a case where a fused
    multiply-add would differ (``a x - a x``: exactly 0 unfused, the rounding error of ``a x``
    fused) and on random rows.  Where scipy's own build fuses (some non-x86 builds) they
    disagree, and the engine keeps scipy's kernel (:func:`status` says why)."""
    if _agreement:
        return _agreement[0]
    try:
        from scipy.sparse._sparsetools import csr_matvecs
    except ImportError:  # pragma: no cover - no reference to agree with: keep scipy's path
        _agreement.append(False)
        return False
    rng = np.random.default_rng(0)
    a, x = 0.1, 1.0 / 3.0
    indptr = np.array([0, 2, 7], np.int32)
    indices = np.array([0, 1, 2, 3, 4, 5, 6], np.int32)
    data = np.concatenate([[a, -a], rng.standard_normal(5)])
    X = np.vstack([np.full((2, 3), x), rng.standard_normal((5, 3))])
    want = np.zeros((2, 3))
    csr_matvecs(2, 7, 3, indptr, indices, data, X.ravel(), want.ravel())
    try:
        got = np.empty((2, 3))
        _compile(3, np.dtype(np.float64), np.dtype(np.int32))(
            2, indptr.ctypes.data, indices.ctypes.data, data.ctypes.data, X.ctypes.data, got.ctypes.data)
    except (ImportError, RuntimeError) as exc:
        _failures.append(f"self-check: {exc}")
        _agreement.append(False)
        return False
    same = bool(np.array_equal(got.view(np.uint64), want.view(np.uint64)))
    if not same:
        _failures.append("self-check: its bits differ from scipy's csr_matvecs on this platform "
                         "(scipy's build fuses multiply-adds?)")
    _agreement.append(same)
    return same


_agreement: list = []  # the self-check's result, once per process


def disable() -> None:
    """Give the engine scipy's kernel (and numpy's gather and tanh signal) back.  The imports
    of the checks, figures and sweeps then leave it so (:func:`enable_default`)."""
    from backsmooth.numeric import set_sparse_kernel

    set_sparse_kernel(None)
    _mode[0] = "auto"
    _user_choice[0] = "disabled"


_user_choice = [None]  # "disabled" after disable(): the imports' enable_default() keeps out


def enable_default() -> bool:
    """What importing the checks, figures and sweeps calls: :func:`enable`, unless the user
    already chose (called :func:`disable`, or installed a kernel of their own with
    :func:`backsmooth.numeric.set_sparse_kernel`), which an import must not undo."""
    from backsmooth.numeric import sparse_kernel_name

    if _user_choice[0] == "disabled" or sparse_kernel_name() not in ("scipy", product_for.__qualname__):
        return False
    return enable()


def status() -> str:
    """One line for reports: the kernel the engine uses, and why not the compiled one."""
    from backsmooth.numeric import sparse_kernel_name

    name = sparse_kernel_name()
    if name not in ("scipy", product_for.__qualname__):
        return f"a kernel installed by set_sparse_kernel ({name})"
    if name == "scipy":
        if os.environ.get("BACKSMOOTH_KERNEL", "").strip().lower() == "scipy":
            return "scipy's csr_matvecs (BACKSMOOTH_KERNEL=scipy)"
        if _agreement and not _agreement[0]:
            return f"scipy's csr_matvecs ({_failures[-1]})"
        if _unavailable or importlib.util.find_spec("llvmlite") is None:
            return "scipy's csr_matvecs (llvmlite is not installed: pip install 'backsmooth[fast]')"
        return "scipy's csr_matvecs"
    note = f"; scipy's for {len(_failures)} that did not compile: {_failures[0]}" if _failures else ""
    return f"compiled (llvmlite, prefetch distance {PREFETCH_DISTANCE}){note}"
