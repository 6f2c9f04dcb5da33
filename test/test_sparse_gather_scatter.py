"""sparse_gather / sparse_scatter_add / sparse_max_pool native kernels (issue 12, ops 2-4):
native vs the pure-PyTorch references forward and backward (case modules' cases, random inputs
with many blocks), an independent Python loop for the max pool's first-winner rule, bitwise
equality for 1 and 2 threads, float64 gradcheck of the native path, bad input at
torch.ops.ascend_ops directly (the dispatcher-level checks)."""
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops import _dispatch
from ascend_ops.opcases import sparse_gather as gather_case
from ascend_ops.opcases import sparse_max_pool as pool_case
from ascend_ops.opcases import sparse_scatter_add as scatter_case
from ascend_ops.ops.sparse_gather import sparse_gather, sparse_gather_reference
from ascend_ops.ops.sparse_max_pool import sparse_max_pool, sparse_max_pool_reference
from ascend_ops.ops.sparse_scatter_add import sparse_scatter_add, sparse_scatter_add_reference

OPS = torch.ops.ascend_ops
NAMES = ("sparse_gather", "sparse_scatter_add", "sparse_max_pool")
pytestmark = pytest.mark.skipif(
    not all(_dispatch.has_native_kernel(n, "cpu") for n in NAMES),
    reason="CPU kernels not built (python setup.py build_ext --inplace)")

PUBLIC = {"sparse_gather": (sparse_gather, sparse_gather_reference, gather_case),
          "sparse_scatter_add": (sparse_scatter_add, sparse_scatter_add_reference, scatter_case),
          "sparse_max_pool": (sparse_max_pool, sparse_max_pool_reference, pool_case)}
DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _forward_backward(fn, args, seed=1):
    """out, grad of the first (float) argument for a seeded random upstream gradient."""
    x = args[0].detach().clone().requires_grad_()
    out = fn(x, *args[1:])
    if not out.requires_grad:   # e.g. the reference max pool of an empty features tensor
        return out.detach(), torch.zeros_like(x)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed)).to(out.dtype)
    (grad,) = torch.autograd.grad(out, x, g, allow_unused=True)
    return out.detach(), (torch.zeros_like(x) if grad is None else grad)


def _assert_close(a, b, dtype, tol):
    atol, rtol = tol(dtype)
    scale = max(1.0, float(b.abs().max())) if b.numel() else 1.0
    torch.testing.assert_close(a, b, atol=atol * scale, rtol=rtol)


def random_pairs(N, M, P, C, dtype, seed, int64=False):
    """Random (features [N, C], in_index [P], out_index [P]) with repeats on both sides."""
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(N, C, generator=g).to(dtype)
    it = torch.int64 if int64 else torch.int32
    return f, torch.randint(N, (P,), generator=g).to(it), torch.randint(M, (P,), generator=g).to(it)


def random_args(name, dtype, seed=0, N=3000, M=2500, P=20000, C=37, int64=False):
    f, i, o = random_pairs(N, M, P, C, dtype, seed, int64)
    if name == "sparse_gather":
        return f, i
    if name == "sparse_scatter_add":
        return f.index_select(0, i.long()) * 0.5, o, M
    return f, i, o, M


# ---- native vs reference ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_native_matches_reference_on_every_case(name, dtype):
    fn, ref, case = PUBLIC[name]
    for cname, build in case.cases().items():
        args = build("cpu", dtype=dtype, quick=dtype != torch.float32)
        out, grad = _forward_backward(fn, args)
        want, want_grad = _forward_backward(ref, args)
        if name == "sparse_scatter_add":
            _assert_close(out, want, dtype, case.tolerance)
        else:   # a copy / a max: exact
            assert torch.equal(out, want), cname
        _assert_close(grad, want_grad, dtype, case.tolerance)


@pytest.mark.parametrize("int64", [False, True], ids=["int32", "int64"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_raw_op_matches_reference_random(name, dtype, int64):
    """Direct torch.ops calls (int32 and int64 index), odd C, many row blocks and index chunks."""
    args = random_args(name, dtype, seed=5, int64=int64)
    _, ref, case = PUBLIC[name]
    out = getattr(OPS, name)(*args)
    want = ref(*args)
    if name == "sparse_scatter_add" and dtype in (torch.float32, torch.float64):
        assert torch.equal(out, want)   # both sum in pair order, starting from 0
    elif name == "sparse_scatter_add":
        _assert_close(out, want, dtype, case.tolerance)
    else:
        assert torch.equal(out, want)
    grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(2)).to(dtype)
    got = getattr(OPS, name + "_backward")(grad, *args)
    x = args[0].detach().requires_grad_()
    (expect,) = torch.autograd.grad(ref(x, *args[1:]), x, grad)
    _assert_close(got, expect, dtype, case.tolerance)


def test_scatter_add_sums_in_pair_order_in_float32_for_half():
    """float16 sums run in float32 and are rounded once: 2048 + 1 + 1 ... (pair order) is exact
    in float32 but stays 2048 when summed in float16."""
    values = torch.tensor([[2048.0]] + [[1.0]] * 8, dtype=torch.float16)
    index = torch.zeros(9, dtype=torch.int32)
    assert OPS.sparse_scatter_add(values, index, 1).item() == 2056.0


def _pool_loop(features, in_index, out_index, num_out, grad):
    """Independent transcription of the contract's max pool (Python loops): per (o, c) the first
    pair attaining the max wins; returns (out, grad_features) in float64."""
    N, C = features.shape
    f = features.double().tolist()
    g = grad.double().tolist()
    out = [[0.0] * C for _ in range(num_out)]
    win = [[None] * C for _ in range(num_out)]
    for p, (i, o) in enumerate(zip(in_index.tolist(), out_index.tolist())):
        for c in range(C):
            if win[o][c] is None or f[i][c] > out[o][c]:
                out[o][c], win[o][c] = f[i][c], p
    gf = [[0.0] * C for _ in range(N)]
    inn = in_index.tolist()
    for o in range(num_out):
        for c in range(C):
            if win[o][c] is not None:
                gf[inn[win[o][c]]][c] += g[o][c]
    return torch.tensor(out, dtype=torch.float64).reshape(num_out, C), torch.tensor(gf, dtype=torch.float64)


@pytest.mark.parametrize("dtype", (torch.float32, torch.float64, torch.bfloat16), ids=str)
def test_max_pool_first_winner_against_python_loop(dtype):
    """Integer-valued features: ties everywhere, so the winner rule decides every gradient."""
    g = torch.Generator().manual_seed(3)
    N, M, P, C = 60, 25, 400, 6
    f = torch.randint(-2, 3, (N, C), generator=g).to(dtype)
    i = torch.randint(N, (P,), generator=g, dtype=torch.int32)
    o = torch.randint(M - 3, (P,), generator=g, dtype=torch.int32)   # the last 3 outputs have no pair
    grad = torch.randint(-4, 5, (M, C), generator=g).to(dtype)
    want_out, want_grad = _pool_loop(f, i, o, M, grad)
    assert torch.equal(OPS.sparse_max_pool(f, i, o, M).double(), want_out)
    assert torch.equal(OPS.sparse_max_pool_backward(grad, f, i, o, M).double(), want_grad)


def test_max_pool_nan_propagates_to_first_nan():
    f = torch.tensor([[1.0], [float("nan")], [5.0], [float("nan")]])
    i = torch.tensor([0, 1, 2, 3], dtype=torch.int32)
    o = torch.zeros(4, dtype=torch.int32)
    assert torch.isnan(OPS.sparse_max_pool(f, i, o, 1)).all()
    grad = OPS.sparse_max_pool_backward(torch.ones(1, 1), f, i, o, 1)
    assert grad.reshape(-1).tolist() == [0.0, 1.0, 0.0, 0.0]
    x = f.clone().requires_grad_()
    (want,) = torch.autograd.grad(sparse_max_pool_reference(x, i, o, 1), x, torch.ones(1, 1))
    assert torch.equal(grad, want)


# ---- determinism ------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", (torch.float32, torch.float16), ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_bitwise_same_for_1_and_2_threads(name, dtype):
    _, ref, case = PUBLIC[name]
    fn = PUBLIC[name][0]
    threads = torch.get_num_threads()
    runs = []
    try:
        for n in (1, 2, 2):
            torch.set_num_threads(n)
            runs.append(_forward_backward(fn, random_args(name, dtype, seed=9, P=60000, C=16)))
            runs.append(_forward_backward(fn, case.cases()["real"]("cpu", dtype=dtype, quick=True)))
    finally:
        torch.set_num_threads(threads)
    for k in range(2, len(runs)):
        base = runs[k % 2]
        assert torch.equal(runs[k][0], base[0]) and torch.equal(runs[k][1], base[1])


@pytest.mark.parametrize("dtype", (torch.float32, torch.float16), ids=str)
def test_run_shaped_index_across_row_blocks(dtype):
    """A kernel map's index shape (27 strictly increasing runs) over 5000 rows at C = 64: the
    run path's tasks own blocks of 256 rows and find each run's pairs by binary search; bitwise
    the reference (pair-order sums) at 1 and 2 threads."""
    g = torch.Generator().manual_seed(11)
    index = torch.cat([torch.randperm(5000, generator=g)[:1500].sort().values for _ in range(27)]).to(torch.int32)
    values = torch.randn(index.shape[0], 64, generator=g).to(dtype)
    want = sparse_scatter_add_reference(values, index, 5003)
    threads = torch.get_num_threads()
    try:
        for n in (1, 2):
            torch.set_num_threads(n)
            assert torch.equal(OPS.sparse_scatter_add(values, index, 5003), want)
    finally:
        torch.set_num_threads(threads)


# ---- float64 gradcheck of the native path ---------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_gradcheck_native_float64(name, monkeypatch):
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "native")
    fn, _, case = PUBLIC[name]
    if name == "sparse_max_pool":
        args = pool_case.gradcheck_case("cpu")
    else:
        args = random_args(name, torch.float64, seed=4, N=30, M=20, P=90, C=3)
    x = args[0].detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda t: fn(t, *args[1:]), (x,), eps=1e-6, atol=1e-6)


# ---- bad input at the dispatcher --------------------------------------------------------------
def _bad_calls():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(10, 4, generator=g)
    i = torch.randint(10, (30,), generator=g, dtype=torch.int32)
    o = torch.randint(8, (30,), generator=g, dtype=torch.int32)
    v = torch.randn(30, 4, generator=g)
    hi, lo = i.clone(), i.clone()
    hi[7], lo[3] = 10, -1
    ohi = o.clone()
    ohi[5] = 8
    g_gather, g_scatter = torch.randn(30, 4, generator=g), torch.randn(8, 4, generator=g)
    big = i.long()
    big[2] = 2 ** 40
    return [
        (OPS.sparse_gather, (f, hi), r"sparse_gather: index\[7\] = 10 is outside \[0, features.shape\[0\] \(N\) = 10\)"),
        (OPS.sparse_gather, (f, lo), r"index\[3\] = -1 is outside"),
        (OPS.sparse_gather, (f, big), r"index\[2\] = 1099511627776 is outside"),
        (OPS.sparse_gather, (f, i.float()), r"index must be int32 or int64"),
        (OPS.sparse_gather, (f, i[:, None]), r"index must be \[P\]"),
        (OPS.sparse_gather, (f[0], i), r"features must be \[rows, C\]"),
        (OPS.sparse_gather, (f.int(), i), r"features must be float32"),
        (OPS.sparse_gather_backward, (g_gather[:29], f, i), r"grad_out must be \[30, 4\]"),
        (OPS.sparse_gather_backward, (g_gather, f, hi), r"index\[7\] = 10 is outside"),
        (OPS.sparse_scatter_add, (v, o, 7), r"sparse_scatter_add: index\[\d+\] = 7 is outside \[0, num_rows = 7\)"),
        (OPS.sparse_scatter_add, (v, o, -1), r"num_rows must be >= 0"),
        (OPS.sparse_scatter_add, (v[:29], o, 8), r"index.shape\[0\] = 30 must equal values.shape\[0\] = 29"),
        (OPS.sparse_scatter_add, (v, ohi, 8), r"index\[5\] = 8 is outside"),
        (OPS.sparse_scatter_add_backward, (g_scatter[:, :3], v, o, 8), r"grad_out must be \[8, 4\]"),
        (OPS.sparse_scatter_add_backward, (g_scatter[:7], v, ohi, 7), r"index\[\d+\] = [78] is outside \[0, num_rows = 7\)"),
        (OPS.sparse_scatter_add_backward, (g_scatter, v, ohi, 8), r"index\[5\] = 8 is outside"),
        (OPS.sparse_max_pool, (f, hi, o, 8), r"sparse_max_pool: in_index\[7\] = 10 is outside"),
        (OPS.sparse_max_pool, (f, i, ohi, 8), r"out_index\[5\] = 8 is outside \[0, num_out = 8\)"),
        (OPS.sparse_max_pool, (f, i, o[:29], 8), r"out_index.shape\[0\] = 29 must equal in_index.shape\[0\] = 30"),
        (OPS.sparse_max_pool, (f, i, o.long(), 8), r"in_index and out_index must have one dtype"),
        (OPS.sparse_max_pool, (f, i, o, -2), r"num_out must be >= 0"),
        (OPS.sparse_max_pool_backward, (g_scatter[:6], f, i, o, 8), r"grad_out must be \[8, 4\]"),
        (OPS.sparse_max_pool_backward, (g_scatter, f, i, ohi, 8), r"out_index\[5\] = 8 is outside"),
        (OPS.sparse_max_pool_backward, (g_scatter.int(), f, i, o, 8), r"grad_out must be a float tensor"),
    ]


@pytest.mark.parametrize("k", range(len(_bad_calls())))
def test_bad_input_at_dispatcher(k):
    fn, args, match = _bad_calls()[k]
    with pytest.raises((RuntimeError, ValueError), match=match):
        fn(*args)


def test_empty_and_zero_channel_inputs():
    f = torch.randn(5, 0)
    i = torch.tensor([0, 4, 4], dtype=torch.int32)
    assert OPS.sparse_gather(f, i).shape == (3, 0)
    assert OPS.sparse_scatter_add(torch.randn(0, 3), i[:0], 4).eq(0).all()
    assert OPS.sparse_scatter_add(torch.randn(0, 3), i[:0], 4).shape == (4, 3)
    assert OPS.sparse_max_pool(torch.randn(5, 3), i[:0], i[:0], 2).eq(0).all()
    assert OPS.sparse_max_pool_backward(torch.ones(2, 3), torch.randn(5, 3), i[:0], i[:0], 2).eq(0).all()
    assert OPS.sparse_gather_backward(torch.randn(0, 3), torch.randn(5, 3), i[:0]).eq(0).all()


# ---- device kernels (run where a CUDA device / an NPU is present) -----------------------------
DEVICES = [pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_device_kernels_match_reference(name, dtype, device):
    """The raw op on the device vs the reference on the CPU (random pairs and the real case)."""
    _, ref, case = PUBLIC[name]
    for args in (random_args(name, dtype, seed=6), case.cases()["real"]("cpu", dtype=dtype, quick=True)):
        dev = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
        out = getattr(OPS, name)(*dev).cpu()
        want = ref(*args)
        _assert_close(out, want, dtype, case.tolerance)
        if name != "sparse_scatter_add":
            assert torch.equal(out, want)
        grad = torch.randn(out.shape, generator=torch.Generator().manual_seed(2)).to(dtype)
        got = getattr(OPS, name + "_backward")(grad.to(device), *dev).cpu()
        x = args[0].detach().requires_grad_()
        (expect,) = torch.autograd.grad(ref(x, *args[1:]), x, grad)
        _assert_close(got, expect, dtype, case.tolerance)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("k", range(len(_bad_calls())))
def test_device_kernels_refuse_bad_input(device, k):
    fn, args, match = _bad_calls()[k]
    dev = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in args)
    with pytest.raises((RuntimeError, ValueError), match=match):
        fn(*dev)
