"""The compiled CSR x dense kernel (:mod:`backsmooth.kernel`) and the engine's kernel hook
(:func:`backsmooth.numeric.set_sparse_kernel`).

The central promise: :func:`~backsmooth.kernel.csr_times_dense` writes, bit for bit, what
scipy's ``csr_matvecs`` writes into a zeroed output (for each row, for each non-zero in storage
order, ``y = y + a * x``: a rounded product, then a rounded sum, from ``+0.0``).  The property
tests compare the raw bits (so ``-0.0`` against ``+0.0`` counts) on random and adversarial
matrices; further tests compile deliberately wrong variants of the kernel's IR (a fused
multiply-add, accumulating onto ``Y``) and show that the same checks reject them.  The rest
guards the checked entry point's errors, the engine's use of an installed kernel (the same
gradients as with scipy, on threads, row blocks and column panels), ``enable``/``status``,
and compiling and running after ``fork`` and on concurrent threads.

NaN payloads: where two NaNs meet in one operation, x86 keeps the payload of the *first*
operand, and LLVM (whose IR leaves NaN payloads unspecified) orders the operands of ``fmul``
and ``fadd`` differently from the compiler of scipy's kernel.  The bit comparison therefore
asks, at NaN outputs, only that both kernels give a NaN (:func:`assert_same_bits`); a NaN
coming from a single input keeps its payload and sign in both
(:func:`test_a_single_nan_keeps_its_bits`).
"""

import ctypes
import itertools
import os
import re
import signal
import threading
import time
from collections import namedtuple
from fractions import Fraction

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

pytest.importorskip("llvmlite")

import llvmlite.binding as llvm  # noqa: E402
from scipy.sparse._sparsetools import csr_matvecs  # noqa: E402

from backsmooth import kernel  # noqa: E402
from backsmooth.numeric import (  # noqa: E402
    _sparse, _tuning, gnn, gradients, initial_weights, set_sparse_kernel, sparse_kernel_name)
from backsmooth.numeric._sparse import PropagationOperator  # noqa: E402

#: every block/piece boundary of the IR: blocks of 32 columns, vector pieces of 8 (float64) or
#: 16 (float32) lanes, then 4, 2, 1
BOUNDARY_WIDTHS = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65]
VALUES = [np.float64, np.float32]
INDICES = [np.int32, np.int64]
BITS = {np.dtype(np.float64): np.uint64, np.dtype(np.float32): np.uint32}
IR_TYPES = {np.dtype(np.float64): "double", np.dtype(np.float32): "float",
            np.dtype(np.int32): "i32", np.dtype(np.int64): "i64"}
ENGINE_VARS = ("BACKSMOOTH_NUM_THREADS", "BACKSMOOTH_PANEL_COLUMNS", "BACKSMOOTH_ROW_BLOCKS",
               "BACKSMOOTH_PROBE", "BACKSMOOTH_KERNEL")


@pytest.fixture(autouse=True)
def scipy_kernel_installed(monkeypatch):
    """Every test starts on scipy's kernel, with no kernel-related environment and the
    module's remembered state (missing llvmlite, mode, failures) fresh; all is restored after,
    whatever another module of the suite installed before."""
    for var in ENGINE_VARS:
        monkeypatch.delenv(var, raising=False)
    before = (_sparse._kernel_factory, _sparse._gather_factory, _sparse._tanh_signal_factory)
    monkeypatch.setattr(kernel, "_unavailable", [])
    for name, fresh in (("_mode", ["auto"]), ("_failures", []), ("_user_choice", [None])):
        monkeypatch.setattr(kernel, name, fresh)
    set_sparse_kernel(None)
    yield
    set_sparse_kernel(before[0], gather=before[1], tanh_signal=before[2])


# ------------------------------------------------------------------------------- helpers
def scipy_product(n_row, indptr, indices, data, X):
    """The reference: scipy's ``csr_matvecs`` accumulating into a zeroed ``Y``."""
    Y = np.zeros((n_row, X.shape[1]), X.dtype)
    csr_matvecs(n_row, X.shape[0], X.shape[1], indptr, indices, data, X.ravel(), Y.ravel())
    return Y


class NotScipyBits(AssertionError):
    """A kernel's output is not scipy's, bit for bit."""


def assert_same_bits(got, want):
    """``got`` is ``want`` bit for bit (``-0.0`` is not ``+0.0``); at NaN outputs both are NaN
    (payloads: see the module docstring)."""
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape)
    nan = np.isnan(want)
    if not np.array_equal(np.isnan(got), nan):
        raise NotScipyBits("NaN in other places than scipy's")
    bits = BITS[want.dtype]
    differ = (got.view(bits) != want.view(bits)) & ~nan
    if differ.any():
        at = tuple(np.argwhere(differ)[0])
        raise NotScipyBits(f"{int(differ.sum())} entries differ from scipy's bits, first at "
                             f"{at}: {got[at]!r} against {want[at]!r}")


def garbage(shape, dtype, rng):
    """An array of random bit patterns (NaNs, infinities, -0.0 included): a ``Y`` to overwrite."""
    bits = BITS[np.dtype(dtype)]
    return rng.integers(0, np.iinfo(bits).max, size=shape, dtype=bits, endpoint=True).view(dtype)


def specials(dtype):
    """Adversarial values: signed zeros, infinities, NaN, subnormals, values near overflow."""
    f = np.finfo(dtype)
    return np.array([0.0, -0.0, np.inf, -np.inf, np.nan, f.smallest_subnormal,
                     -f.smallest_subnormal, f.smallest_normal, f.smallest_normal / 3, f.max,
                     -f.max, np.sqrt(f.max) * 4, -np.sqrt(f.max) * 4, np.sqrt(f.tiny) / 4, 1.0,
                     -1.0, 3.0], dtype=dtype)


def fma_sensitive(dtype, rng, count):
    """``count`` pairs ``(a, x)`` whose product is inexact: ``a * x - fl(a * x) != 0``, the
    rounding error a fused multiply-add would keep."""
    eps = np.finfo(dtype).eps
    a = (1 + eps * rng.integers(1, 2**10, count)).astype(dtype)
    x = (1 + eps * rng.integers(1, 2**10, count)).astype(dtype) * dtype(3)
    return a, x


Case = namedtuple("Case", "n_row indptr indices data X")


def make_case(rng, *, value, index, width, n_col, lengths, special=0.1, cancel=0.3,
              scale=1.0, start=0, stop=None, trailing=False):
    """A CSR row block built by hand: rows of the given ``lengths`` (empty rows, repeated and
    unsorted column indices as drawn), values mixing scaled normals, :func:`specials`
    (fraction ``special``) and cancelling pairs (fraction ``cancel``: a non-zero followed by
    its negation on the same column, where a fused multiply-add would keep the product's
    rounding error); ``scale`` multiplies the non-zeros (towards overflow or underflow).
    Rows ``start:stop`` are passed as ``indptr[start:stop + 1]`` *unshifted*
    (``indptr[0] > 0``) with the whole ``indices`` and ``data`` (``trailing``: ``indptr``
    runs on to the end, longer than ``n_row + 1``)."""
    with np.errstate(all="ignore"):
        return _make_case(rng, value, index, width, n_col, lengths, special, cancel, scale,
                          start, stop, trailing)


def _make_case(rng, value, index, width, n_col, lengths, special, cancel, scale, start, stop,
               trailing):
    value, index = np.dtype(value), np.dtype(index)
    lengths = np.asarray(lengths, dtype=np.int64) if n_col else np.zeros(len(lengths), np.int64)
    cols, vals = [], []
    pool = specials(value)
    for length in lengths:
        j = rng.integers(0, n_col, length) if n_col else np.zeros(0, np.int64)
        a = (rng.standard_normal(length) * np.exp2(rng.integers(-6, 7, length))).astype(value)
        odd = rng.random(length) < special
        a[odd] = rng.choice(pool, odd.sum())
        pair = np.flatnonzero(rng.random(length) < cancel)
        pair = pair[pair > 0]
        j[pair], a[pair] = j[pair - 1], -a[pair - 1]
        cols.append(j)
        vals.append(a * value.type(scale))
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(index)
    indices = np.concatenate(cols + [np.zeros(0, np.int64)]).astype(index)
    data = np.concatenate(vals + [np.zeros(0, value)]).astype(value)
    X = (rng.standard_normal((n_col, width)) * np.exp2(rng.integers(-6, 7, (n_col, width))))
    X = X.astype(value)
    odd = rng.random(X.shape) < special
    X[odd] = rng.choice(pool, odd.sum())
    stop = len(lengths) if stop is None else stop
    return Case(stop - start, indptr[start:] if trailing else indptr[start:stop + 1],
                indices, data, X)


def run_kernel(product, case, rng):
    """``product`` on ``case`` with a ``Y`` of garbage; checks that no input changed."""
    copies = [a.copy() for a in case[1:]]
    Y = garbage((case.n_row, case.X.shape[1]), case.X.dtype, rng)
    product(case.n_row, case.indptr, case.indices, case.data, case.X, Y)
    for before, after in zip(copies, case[1:]):
        assert before.tobytes() == after.tobytes(), "an input changed"
    return Y


def check_case(product, case, rng):
    """The property: ``product`` writes scipy's bits."""
    assert_same_bits(run_kernel(product, case, rng),
                     scipy_product(case.n_row, case.indptr, case.indices, case.data, case.X))


@st.composite
def csr_cases(draw, indices=tuple(INDICES)):
    """A random :func:`make_case`: shapes 0..60, widths 1..70 (boundaries favoured), both
    value types, the given index types, a row block of a larger matrix."""
    value = draw(st.sampled_from(VALUES))
    index = draw(st.sampled_from(indices))
    width = draw(st.one_of(st.sampled_from(BOUNDARY_WIDTHS), st.integers(1, 70)))
    n_col = draw(st.integers(0, 60))
    lengths = draw(st.lists(st.one_of(st.just(0), st.integers(0, 14)), max_size=60))
    start = draw(st.integers(0, len(lengths)))
    stop = draw(st.integers(start, len(lengths)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    finfo = np.finfo(value)
    case = make_case(rng, value=value, index=index, width=width, n_col=n_col, lengths=lengths,
                     special=draw(st.sampled_from([0.0, 0.02, 0.2, 0.6])),
                     cancel=draw(st.sampled_from([0.0, 0.3, 0.8])),
                     scale=draw(st.sampled_from([1.0, np.sqrt(finfo.max), np.sqrt(finfo.tiny)])),
                     start=start, stop=stop, trailing=draw(st.booleans()))
    return case, rng


# ------------------------------------------------------------------------ 1. scipy's bits
@settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=csr_cases())
def test_bit_identical_to_scipy(drawn):
    """Random and adversarial CSR row blocks (both value and index types, widths across every
    block and piece boundary, empty rows, unsorted and repeated columns, cancellations,
    ``indptr[0] > 0``, specials, overflow and underflow): scipy's bits, into a ``Y`` of
    garbage, without touching the inputs."""
    case, rng = drawn
    check_case(kernel.csr_times_dense, case, rng)


@pytest.mark.parametrize("index", INDICES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_bit_identical_at_every_boundary_width(value, index):
    """Every block/piece boundary width, for sure (the property may miss some): a 45-row
    block starting at row 7 of a matrix with empty rows, repeats and cancellations."""
    rng = np.random.default_rng(11)
    lengths = rng.integers(0, 15, 60)
    lengths[::7] = 0
    for width in BOUNDARY_WIDTHS + [70]:
        case = make_case(rng, value=value, index=index, width=width, n_col=40, lengths=lengths,
                         special=0.05, cancel=0.3, start=7, stop=52)
        assert case.indptr[0] > 0
        check_case(kernel.csr_times_dense, case, rng)


@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_cancellations_are_not_fused(value):
    """``a x - a x`` on one column is exactly ``+0.0`` with a rounded product; a fused
    multiply-add would leave the product's rounding error (non-zero here)."""
    rng = np.random.default_rng(0)
    a, x = fma_sensitive(value, rng, 1)
    assert Fraction(float(a[0] * x[0])) != Fraction(float(a[0])) * Fraction(float(x[0]))
    for width in (1, 8, 16, 33):
        X = np.full((1, width), x[0], dtype=value)
        case = Case(1, np.array([0, 2], np.int32), np.array([0, 0], np.int32),
                    np.array([a[0], -a[0]], value), X)
        Y = run_kernel(kernel.csr_times_dense, case, rng)
        assert Y.tobytes() == np.zeros_like(Y).tobytes(), width  # +0.0 everywhere


@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_signed_zeros_and_empty_rows(value):
    """Empty rows are ``+0.0`` (whatever ``Y`` held); ``-0.0`` products summed from ``+0.0``
    give ``+0.0``; ``-0.0`` stays only where scipy's sum gives it (never here)."""
    rng = np.random.default_rng(1)
    X = np.array([[-0.0, 0.0, 1.0, -1.0]], value)
    case = Case(3, np.array([0, 0, 1, 3], np.int32), np.array([0, 0, 0], np.int32),
                np.array([2.0, -0.0, -1.0], value), X)
    Y = run_kernel(kernel.csr_times_dense, case, rng)
    assert_same_bits(Y, scipy_product(*case))
    bits = BITS[np.dtype(value)]
    assert np.array_equal(Y[0].view(bits), np.zeros(4, value).view(bits))  # the empty row
    assert not np.signbit(Y[:, :2]).any()


@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_overflow_and_underflow(value):
    """Products that overflow to infinity, sums that overflow, ``inf - inf`` (NaN), products
    that underflow to subnormals or to zero: as scipy."""
    f = np.finfo(value)
    big, tiny = np.sqrt(f.max) * 2, np.sqrt(f.smallest_subnormal)
    X = np.array([[big, f.max, tiny, f.smallest_normal],
                  [-big, f.max, -tiny, f.smallest_subnormal]], value)
    rows = [([0], [big]), ([0, 1], [big, big]), ([1, 1], [1.0, 1.0]), ([0, 0], [0.5, 0.5]),
            ([1, 0], [-big, big]), ([0], [np.inf]), ([0, 1], [np.inf, np.inf]), ([0], [tiny]),
            ([1, 0], [f.smallest_normal, -f.smallest_normal])]
    indptr = np.cumsum([0] + [len(j) for j, _ in rows]).astype(np.int32)
    indices = np.concatenate([j for j, _ in rows]).astype(np.int32)
    data = np.concatenate([a for _, a in rows]).astype(value)
    case = Case(len(rows), indptr, indices, data, X)
    Y = run_kernel(kernel.csr_times_dense, case, np.random.default_rng(2))
    assert_same_bits(Y, scipy_product(*case))
    assert np.isinf(Y).any() and np.isnan(Y).any() and (Y[:, 2:] == 0).any()
    assert ((Y != 0) & (np.abs(Y) < f.smallest_normal)).any()  # a subnormal result


def nan_with(payload, dtype, negative=False):
    """A quiet NaN of ``dtype`` with the given payload (and sign)."""
    bits = BITS[np.dtype(dtype)]
    n = np.iinfo(bits).bits
    quiet = (1 << (n - 1)) - (1 << (np.finfo(dtype).nmant - 1))  # exponent all ones, quiet bit
    return np.array([(negative << (n - 1)) | quiet | payload], bits).view(dtype)[0]


@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_a_single_nan_keeps_its_bits(value):
    """A NaN from one input (in ``data`` or in ``X``, either sign, any payload) reaches ``Y``
    with scipy's bits, at every vector piece; NaNs made by ``inf * 0`` too."""
    rng = np.random.default_rng(3)
    bits = BITS[np.dtype(value)]
    for width in (1, 3, 8, 17, 33):
        X = rng.standard_normal((3, width)).astype(value)
        X[1] = nan_with(5, value, negative=True)
        X[2, ::2] = np.inf
        data = np.array([nan_with(9, value), 2.0, 1.0, 3.0, 0.0, 1.0], value)
        case = Case(4, np.array([0, 2, 3, 5, 6], np.int32), np.array([0, 0, 1, 0, 2, 0], np.int32),
                    data, X)
        Y = run_kernel(kernel.csr_times_dense, case, rng)
        want = scipy_product(*case)
        assert np.array_equal(Y.view(bits), want.view(bits)), width


# ---------------------------------------------------- 2. the identity check has teeth
_variants: dict = {}
_names = itertools.count()


def compile_variant(ir: str):
    """Compile IR text of a ``@kernel`` with the kernel module's engine (under its lock, with
    its optimisation pipeline and host target) as a ``csr_times_dense``-like function."""
    kernel.available()
    name = f"test_variant_{os.getpid()}_{next(_names)}"
    with kernel._lock:
        engine, machine = kernel._host_engine(llvm)
        module = llvm.parse_assembly(ir.replace("@kernel(", f"@{name}("))
        module.triple = llvm.get_process_triple()
        module.verify()
        passes = llvm.create_pass_builder(machine, llvm.PipelineTuningOptions(speed_level=3))
        passes.getModulePassManager().run(module, passes)
        engine.add_module(module)
        engine.finalize_object()
        address = engine.get_function_address(name)
    vp = ctypes.c_void_p
    function = ctypes.CFUNCTYPE(None, ctypes.c_int64, vp, vp, vp, vp, vp)(address)

    def product(n_row, indptr, indices, data, X, Y):
        function(n_row, indptr.ctypes.data, indices.ctypes.data, data.ctypes.data,
                 X.ctypes.data, Y.ctypes.data)

    product.function = function  # kept alive with the wrapper
    return product


def fused(ir: str) -> str:
    """The kernel with its multiply and add allowed to fuse (an FMA: one rounding)."""
    return ir.replace("= fmul ", "= fmul contract ").replace("= fadd ", "= fadd contract ")


def onto_y(ir: str) -> str:
    """The kernel adding its sums onto ``Y`` instead of overwriting it (accumulators "from Y")."""
    out = []
    for line in ir.splitlines():
        m = re.fullmatch(r"  store (.+) (%\S+), ptr (%\S+), align (\d+)", line)
        if m:
            t, v, p, al = m.groups()
            out += [f"  {v}.old = load {t}, ptr {p}, align {al}",
                    f"  {v}.sum = fadd {t} {v}.old, {v}",
                    f"  store {t} {v}.sum, ptr {p}, align {al}"]
        else:
            out.append(line)
    return "\n".join(out) + "\n"


def variant_product(change):
    """A ``csr_times_dense``-like function running the ``change``d IR for the case's types."""

    def product(n_row, indptr, indices, data, X, Y):
        key = (change, X.shape[1], X.dtype, indptr.dtype)
        if key not in _variants:
            _variants[key] = compile_variant(change(kernel.kernel_ir(
                X.shape[1], IR_TYPES[X.dtype], IR_TYPES[indptr.dtype])))
        _variants[key](n_row, indptr, indices, data, X, Y)

    return product


def host_has_fma() -> bool:
    kernel.available()
    return bool(llvm.get_host_cpu_features().get("fma", False))


needs_fma = pytest.mark.skipif(not host_has_fma(), reason="the host CPU has no FMA instruction")


def property_fails_for(product, **strategy):
    """Run the bit-identity property against ``product``; return the error it raised."""

    @settings(deadline=None, max_examples=300, phases=[Phase.generate], database=None,
              report_multiple_bugs=False, suppress_health_check=list(HealthCheck))
    @given(drawn=csr_cases(**strategy))
    def prop(drawn):
        case, rng = drawn
        check_case(product, case, rng)

    with pytest.raises(NotScipyBits) as caught:
        prop()
    return caught.value


@needs_fma
@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_a_fused_kernel_is_caught(value):
    """The kernel's IR with ``contract`` flags (LLVM then emits FMAs on this host) differs
    from scipy on a cancellation ``a x - a x``, where the real kernel passes."""
    rng = np.random.default_rng(4)
    a, x = fma_sensitive(value, rng, 1)
    X = np.full((1, 9), x[0], dtype=value)
    case = Case(1, np.array([0, 2], np.int32), np.array([0, 0], np.int32),
                np.array([a[0], -a[0]], value), X)
    with pytest.raises(NotScipyBits, match="differ from scipy"):
        check_case(variant_product(fused), case, rng)
    check_case(kernel.csr_times_dense, case, rng)  # the real kernel passes the same check


@needs_fma
def test_the_property_catches_a_fused_kernel():
    """The bit-identity property, run against the fused kernel, finds a difference on its own
    (within a few dozen examples: cancelling pairs are frequent in :func:`make_case`)."""
    property_fails_for(variant_product(fused), indices=(np.int32,))


def test_a_kernel_adding_onto_y_is_caught():
    """Accumulating onto ``Y`` (forgetting to start from ``+0.0``) is caught on a ``Y`` of
    garbage, by a fixed case and by the property."""
    rng = np.random.default_rng(5)
    case = make_case(rng, value=np.float64, index=np.int32, width=9, n_col=5, lengths=[2, 0, 3])
    with pytest.raises(NotScipyBits):
        check_case(variant_product(onto_y), case, rng)
    check_case(kernel.csr_times_dense, case, rng)
    property_fails_for(variant_product(onto_y), indices=(np.int32,))


# -------------------------------------------------------------------------- 3. the IR text
@pytest.mark.parametrize("index", ["i32", "i64"])
@pytest.mark.parametrize("value", ["double", "float"])
def test_ir_never_fuses(value, index):
    """No fast-math flag, no fused intrinsic in the IR; exactly one ``fmul`` and one ``fadd``
    per vector piece; and no FMA instruction in the machine code LLVM makes of it."""
    lanes = 64 // (8 if value == "double" else 4)
    for width in (1, 7, 8, 9, 16, 17, 33, 65):
        ir = kernel.kernel_ir(width, value, index)
        assert not re.search(r"\b(contract|fast|reassoc|nnan|ninf|nsz|arcp|afn)\b", ir)
        assert not re.search(r"fmuladd|llvm\.fma|fneg", ir)
        pieces = sum(len(kernel._pieces(min(32, width - c0), lanes)) for c0 in range(0, width, 32))
        assert len(re.findall(r"= fmul ", ir)) == len(re.findall(r"= fadd ", ir)) == pieces
        assert not FMA_INSTRUCTION.search(assembly(ir)), width


FMA_INSTRUCTION = re.compile(r"\b(v?fn?m(add|sub)\w*|fml[as]\w*)\b", re.IGNORECASE)


def assembly(ir: str) -> str:
    """The host machine code LLVM makes of ``ir`` with the kernel's target and pipeline."""
    kernel.available()
    _, machine = kernel._host_engine(llvm)
    module = llvm.parse_assembly(ir)
    module.triple = llvm.get_process_triple()
    passes = llvm.create_pass_builder(machine, llvm.PipelineTuningOptions(speed_level=3))
    passes.getModulePassManager().run(module, passes)
    return machine.emit_assembly(module)


@needs_fma
def test_the_machine_code_check_can_fail():
    """The FMA pattern of :func:`test_ir_never_fuses` does find the fused kernel's FMAs."""
    assert FMA_INSTRUCTION.search(assembly(fused(kernel.kernel_ir(9, "double", "i32"))))


@pytest.mark.parametrize("width", [0, -1])
def test_ir_of_no_columns_is_refused(width):
    """No kernel for zero (or fewer) columns: a clear error, not an empty loop."""
    with pytest.raises(ValueError, match="width"):
        kernel.kernel_ir(width, "double", "i32")


@settings(deadline=None, max_examples=100)
@given(width=st.integers(1, 300), lanes=st.sampled_from([8, 16]))
def test_pieces_cover_the_columns_once(width, lanes):
    """Vector pieces tile ``0..width`` in order, widest first, each a power of two <= lanes."""
    pieces = kernel._pieces(width, lanes)
    widths = [w for _, w in pieces]
    assert [off for off, _ in pieces] == list(itertools.accumulate([0] + widths))[:-1]
    assert sum(w for _, w in pieces) == width
    assert all(w & (w - 1) == 0 and w <= lanes for _, w in pieces)
    assert [w for _, w in pieces] == sorted((w for _, w in pieces), reverse=True)


# ------------------------------------------------------------------- 4. checked arguments
def _valid():
    indptr = np.array([0, 2, 3], np.int32)
    indices = np.array([0, 1, 1], np.int32)
    data = np.array([1.0, 2.0, 3.0])
    X = np.arange(8.0).reshape(2, 4)
    Y = np.zeros((2, 4))
    return {"n_row": 2, "indptr": indptr, "indices": indices, "data": data, "X": X, "Y": Y}


def _read_only(a):
    a = a.copy()
    a.flags.writeable = False
    return a


BAD = [
    ("list X", {"X": [[0.0] * 4] * 2}, TypeError, "X must be a numpy array"),
    ("list indptr", {"indptr": [0, 2, 3]}, TypeError, "indptr must be a numpy array"),
    ("strided X", {"X": np.zeros((2, 8))[:, ::2]}, ValueError, "X must be C-contiguous"),
    ("Fortran X", {"X": np.asfortranarray(np.zeros((2, 4)))}, ValueError, "C-contiguous"),
    ("strided Y", {"Y": np.zeros((2, 8))[:, ::2]}, ValueError, "Y must be C-contiguous"),
    ("strided data", {"data": np.zeros(6)[::2]}, ValueError, "data must be C-contiguous"),
    ("float32 X", {"X": np.zeros((2, 4), np.float32)}, TypeError, "float64 or float32"),
    ("float32 Y", {"Y": np.zeros((2, 4), np.float32)}, TypeError, "float64 or float32"),
    ("float16 all", {"data": np.ones(3, np.float16), "X": np.zeros((2, 4), np.float16),
                     "Y": np.zeros((2, 4), np.float16)}, TypeError, "float64 or float32"),
    ("big-endian", {"data": np.ones(3, ">f8"), "X": np.zeros((2, 4), ">f8"),
                    "Y": np.zeros((2, 4), ">f8")}, TypeError, "float64 or float32"),
    ("int16 indices", {"indptr": np.array([0, 2, 3], np.int16),
                       "indices": np.array([0, 1, 1], np.int16)}, TypeError, "int32 or int64"),
    ("mixed index types", {"indices": np.array([0, 1, 1], np.int64)}, TypeError, "int32 or int64"),
    ("indptr too short", {"indptr": np.array([0, 2], np.int32)}, ValueError, "indptr"),
    ("indptr past indices", {"indptr": np.array([0, 2, 4], np.int32)}, ValueError, "outside"),
    ("negative indptr", {"indptr": np.array([-1, 2, 3], np.int32)}, ValueError, "outside"),
    ("data too short", {"data": np.array([1.0, 2.0])}, ValueError, "outside"),
    ("Y too few rows", {"Y": np.zeros((1, 4))}, ValueError, "n_row=2"),
    ("Y other width", {"Y": np.zeros((2, 3))}, ValueError, "width"),
    ("X one-dimensional", {"X": np.zeros(8)}, ValueError, "X must be"),
    ("negative n_row", {"n_row": -1, "Y": np.zeros((0, 4))}, ValueError, "n_row"),
    ("read-only Y", {"Y": _read_only(np.zeros((2, 4)))}, ValueError, "writeable"),
    ("no columns", {"X": np.zeros((2, 0)), "Y": np.zeros((2, 0))}, ValueError, "no columns"),
    # the structure the compiled loop trusts: each of these read out of bounds (a segfault)
    ("index past X", {"indices": np.array([0, 2**30, 1], np.int32)}, ValueError, "column indices"),
    ("negative index", {"indices": np.array([0, -1, 1], np.int32)}, ValueError, "column indices"),
    ("indptr decreasing", {"indptr": np.array([0, 10**8, 3], np.int32)}, ValueError, "non-decreasing"),
    ("Y overlaps X", "overlap", ValueError, "overlap"),
]


@pytest.mark.parametrize("change,error,match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_arguments_are_refused(change, error, match):
    """Each bad argument gets a clear error, before anything is written."""
    if change == "overlap":  # X and Y views of one buffer
        base = np.zeros((4, 4))
        change = {"X": base[:2], "Y": base[1:3]}
    args = {**_valid(), **change}
    Y = args["Y"]
    before = np.asarray(Y).tobytes()
    with pytest.raises(error, match=match):
        kernel.csr_times_dense(**args)
    assert np.asarray(Y).tobytes() == before


def test_the_valid_arguments_of_the_bad_cases_work():
    """The baseline the bad cases change is itself accepted (so each error is the change's)."""
    args = _valid()
    kernel.csr_times_dense(**args)
    assert np.array_equal(args["Y"], [[8.0, 11.0, 14.0, 17.0], [12.0, 15.0, 18.0, 21.0]])


# ------------------------------------------------------------------------ 5. the engine
def random_graph(n, seed, degree=8, symmetric=True):
    """A lazy-walk-like ``P`` on a random graph (non-symmetric: columns rescaled)."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(0, n, n * degree // 2), rng.integers(0, n, n * degree // 2)
    A = sp.coo_array((np.ones(rows.size), (rows, cols)), shape=(n, n)).tocsr()
    A = ((A + A.T) > 0).astype(float)
    A.setdiag(0)
    A.eliminate_zeros()
    deg = np.asarray(A.sum(axis=1)).ravel()
    P = sp.csr_array(sp.eye_array(n) - (sp.diags_array(deg) - A) / (deg.max() + 1))
    if not symmetric:
        P = sp.csr_array(P @ sp.diags_array(np.linspace(0.5, 1.5, n)))
    P.sort_indices()  # as the engine stores it: its products then sum in scipy's order
    return P


def engine_run(P, dtype, depth=3, width=32):
    """Loss, signals and gradients of a tanh GNN on ``P`` (MSE loss, He initialisation)."""
    rng = np.random.default_rng(6)
    n = P.shape[0]
    X = rng.standard_normal((n, 16)).astype(dtype)
    Y = rng.standard_normal((n, 2)).astype(dtype)
    W = [w.astype(dtype) for w in initial_weights([16] + [width] * depth + [2], "he",
                                                  scale=np.sqrt(0.5), seed=7)]
    return gradients(gnn(P, depth, "tanh", dtype=dtype), X, W, loss="mse", targets=Y)


def assert_same_gradients(g, ref):
    """The same loss, forward signals, output, backward signals and weight gradients (bits)."""
    assert np.float64(g.loss).tobytes() == np.float64(ref.loss).tobytes()
    for name in ("X", "B", "weight_gradients"):
        got = list(g.forward.X) if name == "X" else getattr(g, name)
        want = list(ref.forward.X) if name == "X" else getattr(ref, name)
        assert len(got) == len(want)
        for k, (a, b) in enumerate(zip(got, want)):
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (name, k)
    assert g.forward.output.tobytes() == ref.forward.output.tobytes()


class CompiledCalls:
    """Wraps :func:`kernel._compile` so each call of a compiled kernel is recorded (its width
    and the calling thread)."""

    def __init__(self, monkeypatch):
        self.calls, self.lock = [], threading.Lock()
        real = kernel._compile

        def spy(width, value_dtype, index_dtype, kind="product"):
            function = real(width, value_dtype, index_dtype, kind=kind)
            if kind != "product":
                return function

            def recorded(n_row, indptr, *rest):
                with self.lock:
                    self.calls.append((width, threading.get_ident()))
                return function(n_row, indptr, *rest)

            return recorded

        monkeypatch.setattr(kernel, "_compile", spy)


@pytest.mark.parametrize("symmetric", [True, False], ids=["symmetric", "transpose"])
@pytest.mark.parametrize("dtype", VALUES, ids=lambda t: np.dtype(t).name)
def test_engine_gives_scipy_bits_on_threads_blocks_and_panels(monkeypatch, dtype, symmetric):
    """Forward signals, backward signals, weight gradients and loss: the same bits with the
    compiled kernel as with scipy's, with two threads, row blocks and panels of 8 columns
    (so some products write column slices of their output)."""
    monkeypatch.setenv("BACKSMOOTH_NUM_THREADS", "2")
    monkeypatch.setenv("BACKSMOOTH_PANEL_COLUMNS", "8")
    monkeypatch.setenv("BACKSMOOTH_ROW_BLOCKS", "5")
    monkeypatch.setattr(_tuning, "_CHOICES", {})
    monkeypatch.setattr(_sparse, "_CHUNK_ROWS", 512)
    P = random_graph(15000, 8, symmetric=symmetric)
    assert P.nnz * 8 >= _sparse._PARALLEL_MIN_WORK  # large enough for threads, even per panel
    schedules = []
    real = _sparse.run_dynamic
    monkeypatch.setattr(_sparse, "run_dynamic", lambda task, count, threads: (
        schedules.append((count, threads)), real(task, count, threads)))
    calls = CompiledCalls(monkeypatch)

    ref = engine_run(P, dtype)
    assert not calls.calls and sparse_kernel_name() == "scipy"
    set_sparse_kernel(kernel.product_for)
    assert sparse_kernel_name() == "product_for"
    got = engine_run(P, dtype)
    assert_same_gradients(got, ref)
    assert {w for w, _ in calls.calls} >= {8}  # the compiled kernel ran, on panels of 8
    assert (5, 2) in schedules  # five row blocks on two threads


@pytest.mark.parametrize("dtype", VALUES, ids=lambda t: np.dtype(t).name)
def test_engine_small_graph_one_call_per_product(monkeypatch, dtype):
    """A small graph (one chunk: the engine's single-call path, ``_whole_pass``) gives the
    same bits with either kernel."""
    monkeypatch.setattr(_tuning, "_CHOICES", {})
    whole = []
    real = _sparse._whole_pass
    monkeypatch.setattr(_sparse, "_whole_pass", lambda *a: (whole.append(1), real(*a))[1])
    P = random_graph(300, 9, symmetric=False)
    ref = engine_run(P, dtype, width=17)
    set_sparse_kernel(kernel.product_for)
    calls = CompiledCalls(monkeypatch)
    assert_same_gradients(engine_run(P, dtype, width=17), ref)
    assert whole and calls.calls


# --------------------------------------------------------------------- 6. the engine hook
def test_a_factory_must_be_callable():
    """A non-callable factory is refused and leaves the installed kernel (scipy's)."""
    with pytest.raises(TypeError, match="callable"):
        set_sparse_kernel(42)
    assert sparse_kernel_name() == "scipy"


def _product_check(P, widths=(3, 5)):
    """Products of the operator at ``widths`` against scipy's public product (same bits)."""
    op = PropagationOperator(P, threads=1, panel_columns=0, row_blocks=2)
    rng = np.random.default_rng(10)
    for width in widths:
        X = rng.standard_normal((P.shape[0], width))
        assert np.array_equal(op.apply(X), P @ X)
        assert np.array_equal(op.apply_transpose(X), P.T @ X)


def test_a_factory_returning_none_leaves_scipy(monkeypatch):
    """The factory is asked once per (width, value type, index type); None: scipy runs."""
    asked, ran = [], []
    real = _sparse._csr_matvecs
    monkeypatch.setattr(_sparse, "_csr_matvecs", lambda *a: (ran.append(1), real(*a))[1])

    def nothing(width, value_dtype, index_dtype):
        asked.append((width, np.dtype(value_dtype), np.dtype(index_dtype)))

    set_sparse_kernel(nothing)
    assert sparse_kernel_name() == nothing.__qualname__
    P = random_graph(200, 1, symmetric=False)
    _product_check(P)
    _product_check(P)
    assert sorted(asked) == [(3, np.dtype(np.float64), np.dtype(np.int32)),
                             (5, np.dtype(np.float64), np.dtype(np.int32))]
    assert ran


def test_an_installed_kernel_is_what_runs():
    """The engine calls the factory's function with C-contiguous ``n_row x width`` outputs,
    and uses what it writes (a wrong kernel shows in the products)."""
    seen = []

    class Scaled:  # a callable object: its name is its type's
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, width, value_dtype, index_dtype):
            def product(n_row, indptr, indices, data, X, Y):
                assert Y.flags.c_contiguous and Y.shape == (n_row, width) and Y.dtype == value_dtype
                assert X.flags.c_contiguous and X.shape[1] == width and len(indptr) >= n_row + 1
                seen.append(width)
                Y[...] = scipy_product(n_row, indptr, indices, data, X) * self.factor

            return product

    P = random_graph(200, 2)
    set_sparse_kernel(Scaled(1.0))
    assert sparse_kernel_name() == "Scaled"
    _product_check(P)
    assert set(seen) == {3, 5}
    set_sparse_kernel(Scaled(2.0))  # a new factory: the products of the old one are dropped
    with pytest.raises(AssertionError):
        _product_check(P)
    set_sparse_kernel(None)
    _product_check(P)


def test_probe_choices_are_kept_per_kernel(monkeypatch):
    """The engine's measured choices are keyed by the kernel: installing another kernel
    probes again, and each kernel's choice is kept."""
    monkeypatch.setattr(_tuning, "_CHOICES", {})
    monkeypatch.setattr(_tuning, "_PROBE_MIN_WORK", 0)
    probed = []
    real = _tuning.probe_product
    monkeypatch.setattr(_tuning, "probe_product", lambda *a: (
        probed.append(sparse_kernel_name()), real(*a))[1])
    op = PropagationOperator(random_graph(400, 3))
    scipy_choice = op.choice(16, np.float64)
    assert scipy_choice.source == "probe" and set(probed) == {"scipy"}
    set_sparse_kernel(kernel.product_for)
    compiled_choice = op.choice(16, np.float64)
    assert compiled_choice.source == "probe" and set(probed) == {"scipy", "product_for"}
    keys = list(_tuning._CHOICES)
    assert len(keys) == 2
    assert sorted(k for key in keys for k in key if k in ("scipy", "product_for")) == [
        "product_for", "scipy"]
    set_sparse_kernel(None)
    n = len(probed)
    assert op.choice(16, np.float64) is scipy_choice and len(probed) == n  # kept, not re-probed


# ----------------------------------------------------------------------- 7. enable/status
def test_enable_auto_installs_the_compiled_kernel(monkeypatch):
    """Unset, empty or ``auto`` (any case, spaces): the compiled kernel is installed, once."""
    for wish in (None, "", "auto", " AUTO "):
        set_sparse_kernel(None)
        if wish is None:
            monkeypatch.delenv("BACKSMOOTH_KERNEL", raising=False)
        else:
            monkeypatch.setenv("BACKSMOOTH_KERNEL", wish)
        assert kernel.enable() is True, wish
        assert sparse_kernel_name() == "product_for"
        assert kernel.enable() is True  # again: nothing changes
    assert kernel.status().startswith("compiled")
    kernel.disable()
    assert sparse_kernel_name() == "scipy" and kernel.status().startswith("scipy")


def test_enable_with_scipy_requested(monkeypatch):
    """``BACKSMOOTH_KERNEL=scipy``: nothing installed (an installed compiled kernel removed),
    and the status says why."""
    kernel.enable(required=True)
    assert sparse_kernel_name() == "product_for"
    monkeypatch.setenv("BACKSMOOTH_KERNEL", "scipy")
    assert kernel.enable() is False
    assert sparse_kernel_name() == "scipy"
    assert kernel.status().startswith("scipy") and "BACKSMOOTH_KERNEL=scipy" in kernel.status()


@pytest.mark.parametrize("wish", ["numba", "yes", "1"])
def test_enable_refuses_an_unknown_wish(monkeypatch, wish):
    """A typo in ``BACKSMOOTH_KERNEL`` is an error, not a silent fallback."""
    monkeypatch.setenv("BACKSMOOTH_KERNEL", wish)
    with pytest.raises(ValueError, match="BACKSMOOTH_KERNEL"):
        kernel.enable()
    assert sparse_kernel_name() == "scipy"


def test_enable_without_llvmlite(monkeypatch):
    """llvmlite missing: ``auto`` falls back to scipy, ``compiled`` (or ``required=True``)
    raises the ImportError that says what to install."""
    monkeypatch.setattr(kernel, "_unavailable", [ImportError("llvmlite is gone")])
    monkeypatch.setattr(kernel, "_compiled", {})  # as without llvmlite: nothing compiled
    assert kernel.available() is False
    monkeypatch.setenv("BACKSMOOTH_KERNEL", "auto")
    assert kernel.enable() is False and sparse_kernel_name() == "scipy"
    assert kernel.status().startswith("scipy") and "llvmlite" in kernel.status()
    with pytest.raises(ImportError, match="llvmlite"):
        kernel.enable(required=True)
    monkeypatch.setenv("BACKSMOOTH_KERNEL", "compiled")
    with pytest.raises(ImportError, match="llvmlite"):
        kernel.enable()
    assert sparse_kernel_name() == "scipy"


def test_a_kernel_that_does_not_compile_falls_back_in_auto_mode(monkeypatch):
    """LLVM refusing one kernel: in ``auto`` mode that width runs on scipy (and the status
    says so); in ``compiled`` mode it is an error."""
    assert kernel.enable() is True

    def refuse(width, value_dtype, index_dtype, kind="product"):
        raise RuntimeError("LLVM refused")

    monkeypatch.setattr(kernel, "_compile", refuse)
    _product_check(random_graph(100, 4), widths=(6,))
    assert "did not compile" in kernel.status()
    monkeypatch.setenv("BACKSMOOTH_KERNEL", "compiled")
    assert kernel.enable() is True
    with pytest.raises(RuntimeError, match="LLVM refused"):
        _product_check(random_graph(100, 4), widths=(7,))


# ------------------------------------------------------------------ 8. fork, 9. threads
def fresh_widths(count, value=np.float32, index=np.int32):
    """Widths with no compiled kernel yet (this process), from 71 up."""
    done = {w for (kind, w, v, i) in kernel._compiled
            if kind == "product" and v == np.dtype(value) and i == np.dtype(index)}
    return list(itertools.islice((w for w in itertools.count(71) if w not in done), count))


def check_width(width, value=np.float32, seed=0):
    """One product of ``width`` columns through :func:`kernel.csr_times_dense`, checked."""
    rng = np.random.default_rng(seed)
    case = make_case(rng, value=value, index=np.int32, width=width, n_col=20,
                     lengths=rng.integers(0, 6, 30), special=0.05, start=3)
    check_case(kernel.csr_times_dense, case, rng)


def in_child(work, timeout=20.0):
    """Run ``work()`` in a forked child; fail unless it returns within ``timeout`` seconds."""
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            work()
            code = 0
        except BaseException:  # noqa: BLE001 - any failure is the exit code
            import traceback

            traceback.print_exc()
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail(f"the forked child was still running after {timeout} s (deadlock?)")
        time.sleep(0.01)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"child failed: status {status}"


needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() here")


@needs_fork
def test_a_forked_child_runs_and_compiles():
    """A forked child runs a kernel its parent compiled and compiles a width of its own."""
    check_width(8)  # compiled in the parent
    new = fresh_widths(1)[0]
    in_child(lambda: (check_width(8), check_width(new, seed=1)))
    assert ("product", new, np.dtype(np.float32), np.dtype(np.int32)) not in kernel._compiled


@needs_fork
def test_fork_while_another_thread_compiles():
    """Forks while a thread of the parent compiles kernel after kernel: each child can still
    compile (no lock of the kernel module or of llvmlite is inherited held).  Eight forks:
    a fork landing inside a compile is then all but certain."""
    stop, widths = threading.Event(), fresh_widths(150, value=np.float64)
    compiled = []

    def compile_loop():
        for w in widths:
            if stop.is_set():
                return
            kernel._compile(w, np.dtype(np.float64), np.dtype(np.int32))
            compiled.append(w)

    thread = threading.Thread(target=compile_loop)
    thread.start()
    mine = fresh_widths(8)  # float32: not what the thread compiles
    try:
        while not compiled and thread.is_alive():
            time.sleep(0.001)
        for w in mine:
            in_child(lambda: (check_width(w), check_width(5, value=np.float64)))
    finally:
        stop.set()
        thread.join(30)
    assert compiled and not thread.is_alive()


def test_threads_compile_and_run_concurrently():
    """Threads compiling new widths while others run compiled ones: every result is right."""
    widths = fresh_widths(8)
    check_width(16)
    start, errors = threading.Barrier(5), []

    def worker(mine):
        try:
            start.wait()
            for repeat in range(3):
                for w in mine:
                    check_width(w, seed=repeat)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(widths[k::4],)) for k in range(4)]
    threads.append(threading.Thread(target=worker, args=([16] * 20,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]
    assert all(("product", w, np.dtype(np.float32), np.dtype(np.int32)) in kernel._compiled for w in widths)


def test_status_names_a_kernel_installed_by_hand():
    """A kernel installed with set_sparse_kernel is named as such, not as scipy's."""
    def my_factory(width, value_dtype, index_dtype):
        return None

    set_sparse_kernel(my_factory)
    try:
        assert "my_factory" in kernel.status() and not kernel.status().startswith("scipy")
    finally:
        set_sparse_kernel(None)


# ------------------------------------------------------------------------ 10. the row gather
def _gather(width, value, index):
    return kernel.gather_for(width, value, index)


@pytest.mark.parametrize("index", INDICES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_gather_copies_every_bit(value, index):
    """``Y[i] = X[rows[i]]`` exactly, NaN payloads and signed zeros included (bits compared as
    integers, no NaN exception), at every piece boundary, repeated rows allowed."""
    rng = np.random.default_rng(11)
    bits = BITS[np.dtype(value)]
    for width in BOUNDARY_WIDTHS:
        raw = rng.integers(0, np.iinfo(bits).max, size=(40, width), dtype=bits, endpoint=True)
        X = raw.view(value)  # every bit pattern: NaNs with payloads, subnormals, -0.0
        rows = rng.integers(0, 40, size=57).astype(index)
        Y = garbage((57, width), value, rng)
        _gather(width, value, index)(rows, X, Y)
        assert np.array_equal(Y.view(bits), X[rows].view(bits)), width


def test_gather_of_no_rows_writes_nothing():
    """No rows: nothing written, not even the row after an empty output view."""
    X = np.ones((3, 4))
    base = np.full((2, 4), 7.0)
    _gather(4, np.float64, np.int64)(np.empty(0, np.int64), X, base[:0])
    assert np.all(base == 7.0)


def test_the_engine_refuses_a_gather_of_the_wrong_size():
    """A renumbered operator moves exactly one row per node: fewer rows is an error (np.take
    said IndexError; the compiled gather would read past the end)."""
    op = gnn(shuffled_grid_P(190, 3), 1, "tanh").operator
    assert op.order is not None
    set_sparse_kernel(kernel.product_for, gather=kernel.gather_for)
    try:
        with pytest.raises(ValueError, match="one per node"):
            op.to_internal(np.ones((3, 8)))
        with pytest.raises(ValueError, match="one per node"):
            op.to_external(np.ones((op.shape[0] + 1, 8)))
    finally:
        set_sparse_kernel(None)


def test_gather_ir_refuses_no_columns():
    with pytest.raises(ValueError, match="width"):
        kernel.gather_ir(0, "double", "i64")


def test_a_gather_factory_must_be_callable():
    with pytest.raises(TypeError, match="gather factory"):
        set_sparse_kernel(None, gather=3)


def shuffled_grid_P(side, seed):
    """Lazy walk on a ``side x side`` grid with its nodes shuffled: the engine renumbers it."""
    g = sp.diags_array([np.ones(side - 1)] * 2, offsets=[-1, 1], shape=(side, side))
    A = sp.csr_array(sp.kron(g, sp.eye_array(side)) + sp.kron(sp.eye_array(side), g))
    perm = np.random.default_rng(seed).permutation(A.shape[0])
    A = sp.csr_array(A[perm][:, perm])
    deg = np.asarray(A.sum(axis=1)).ravel()
    P = sp.csr_array((sp.eye_array(A.shape[0]) + sp.diags_array(1 / deg) @ A) / 2)
    P.sort_indices()
    return P


def test_engine_on_a_renumbered_graph_gives_the_same_bits_with_the_compiled_gather():
    """A shuffled grid is renumbered, so its signals go through the gather both ways: the
    compiled kernel and gather give exactly what scipy's kernel and np.take give, and the
    gather did run."""
    P = shuffled_grid_P(190, 3)  # 36,100 nodes: above the renumbering threshold
    assert gnn(P, 2, "tanh").operator.order is not None, "the test needs a renumbered operator"
    ref = engine_run(P, np.float64, depth=2, width=8)
    calls = []

    def counting_gather(width, value_dtype, index_dtype):
        g = kernel.gather_for(width, value_dtype, index_dtype)

        def counted(rows, X, Y):  # the compiled gather itself, counted when it runs
            calls.append(width)
            g(rows, X, Y)
        return counted

    set_sparse_kernel(kernel.product_for, gather=counting_gather)
    try:
        got = engine_run(P, np.float64, depth=2, width=8)
    finally:
        set_sparse_kernel(None)
    assert calls, "the compiled gather never ran"
    assert_same_gradients(got, ref)


# ------------------------------------------------------------------------ 11. the fused tanh signal
@pytest.mark.parametrize("value", VALUES, ids=lambda t: np.dtype(t).name)
def test_tanh_signal_is_numpys_three_roundings(value):
    """``(1 - y*y) * g`` in one pass gives numpy's bits (``y*y``, ``1 - .``, ``. * g``), at
    every length around the vector width, on special values too, also written over ``y`` or
    ``g`` themselves."""
    with np.errstate(all="ignore"):  # the specials overflow and make NaN, in numpy as in the kernel
        _tanh_signal_cases(value)


def _tanh_signal_cases(value):
    rng = np.random.default_rng(5)
    specials = np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, 1e-300, 1e300, 0.5]).astype(value)
    fused = kernel.tanh_signal_for(value)
    for n in [0, 1, 7, 8, 9, 15, 16, 17, 33, 1000]:
        y = np.tanh(rng.standard_normal(n)).astype(value)
        g = rng.standard_normal(n).astype(value)
        y[: min(n, specials.size)] = specials[: min(n, specials.size)]
        g[::3] = specials[rng.integers(0, specials.size, g[::3].size)]
        want = np.empty_like(y)
        np.multiply(y, y, out=want)
        np.subtract(1.0, want, out=want)
        want *= g
        for target in ("new", "y", "g"):
            yy, gg = y.copy(), g.copy()
            out = {"new": np.full_like(y, 7.0), "y": yy, "g": gg}[target]
            fused(yy, gg, out)
            assert_same_bits(out, want)


def test_a_wrong_tanh_signal_is_caught():
    """The comparison has teeth: (1 - y) * (1 + y) * g, the same value in exact arithmetic,
    differs from numpy's bits."""
    rng = np.random.default_rng(1)
    y, g = np.tanh(rng.standard_normal(1000)), rng.standard_normal(1000)
    want = (1.0 - y * y) * g
    with pytest.raises(NotScipyBits):
        assert_same_bits((1.0 - y) * (1.0 + y) * g, want)


def test_engine_with_every_compiled_kernel_gives_the_same_bits():
    """enable() installs the product, the gather and the fused tanh signal: the engine's
    results are scipy's and numpy's bit for bit, and the fused signal did run."""
    P = random_graph(12_000, 4)
    ref = engine_run(P, np.float64)
    calls = []

    def counting_signal(value_dtype):
        calls.append(value_dtype)
        return kernel.tanh_signal_for(value_dtype)

    set_sparse_kernel(kernel.product_for, gather=kernel.gather_for, tanh_signal=counting_signal)
    try:
        got = engine_run(P, np.float64)
    finally:
        set_sparse_kernel(None)
    assert calls, "the fused tanh signal was never asked for"
    assert_same_gradients(got, ref)


def test_a_tanh_signal_factory_must_be_callable():
    with pytest.raises(TypeError, match="tanh signal factory"):
        set_sparse_kernel(None, tanh_signal="no")


# ------------------------------------------------------------------------ 12. who decides
def test_an_import_does_not_undo_the_users_choice():
    """enable_default (what importing the checks, figures and sweeps calls) installs the
    compiled kernel, but not after disable() and not over a kernel the user installed; an
    explicit enable() still does."""
    assert kernel.enable_default() is True and sparse_kernel_name() == "product_for"
    kernel.disable()
    assert kernel.enable_default() is False and sparse_kernel_name() == "scipy"
    assert kernel.enable() is True and sparse_kernel_name() == "product_for"

    def users_own(width, value_dtype, index_dtype):
        return None

    set_sparse_kernel(users_own)
    assert kernel.enable_default() is False and sparse_kernel_name().endswith("users_own")


def test_enable_refuses_a_kernel_that_disagrees_with_scipy(monkeypatch):
    """Where the self-check finds other bits than scipy's (a scipy build that fuses), auto
    keeps scipy's kernel and says why; compiled is an error."""
    monkeypatch.setattr(kernel, "_agreement", [False])
    monkeypatch.setattr(kernel, "_failures", ["self-check: its bits differ"])
    assert kernel.enable() is False and sparse_kernel_name() == "scipy"
    assert "differ" in kernel.status()
    with pytest.raises(RuntimeError, match="scipy's bits"):
        kernel.enable(required=True)


def test_the_self_check_catches_a_fused_kernel(monkeypatch):
    """The self-check has teeth: with a fused multiply-add compiled in its place it fails."""
    if "fma" not in llvm.get_host_cpu_features().flatten():
        pytest.skip("no FMA on this host")
    fused_ir = kernel.kernel_ir
    monkeypatch.setattr(kernel, "kernel_ir", lambda *a, **k: fused_ir(*a, **k).replace(
        "fmul <", "fmul contract <").replace("fadd <", "fadd contract <").replace(
        "fmul double", "fmul contract double").replace("fadd double", "fadd contract double"))
    monkeypatch.setattr(kernel, "_compiled", {})
    monkeypatch.setattr(kernel, "_agreement", [])
    assert kernel._agrees_with_scipy() is False


def test_a_swapped_kernel_leaves_no_function_behind():
    """A factory that is replaced while it is being asked (another thread's disable()) must not
    leave its function in the engine's cache."""
    ran = []

    def swapped(width, value_dtype, index_dtype):
        set_sparse_kernel(None)  # what a concurrent disable() does mid-lookup
        f = kernel.product_for(width, value_dtype, index_dtype)

        def g(*args):
            ran.append(width)
            f(*args)
        return g

    set_sparse_kernel(swapped)
    product = _sparse._overwriting_product(5, np.float64, np.int32)
    assert (5, np.dtype(np.float64), np.dtype(np.int32)) not in _sparse._kernel_products
    Y = np.empty((1, 5))
    product(1, 1, np.array([0, 1], np.int32), np.array([0], np.int32), np.ones(1), np.ones((1, 5)), Y)
    again = _sparse._overwriting_product(5, np.float64, np.int32)
    again(1, 1, np.array([0, 1], np.int32), np.array([0], np.int32), np.ones(1), np.ones((1, 5)), Y)
    assert ran == [5], "the removed kernel ran again after the swap"
