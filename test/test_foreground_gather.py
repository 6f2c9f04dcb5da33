"""foreground_gather: native kernels vs the pure-PyTorch reference and vs an independent
transcription of Ada3D's foreground_gather_pytorch; input order kept; edge cases; dtypes;
float64 gradcheck; bad input at the Python API and at torch.ops.ascend_ops directly."""
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.ops.foreground_gather import foreground_gather, foreground_gather_reference
from ascend_ops.opcases import foreground_gather as case

OPS = torch.ops.ascend_ops
MASK_DTYPES = (torch.int32, torch.int64, torch.uint8, torch.bool)
needs_cpu_kernel = pytest.mark.skipif(
    not torch._C._dispatch_has_kernel_for_dispatch_key("ascend_ops::foreground_gather", "CPU"),
    reason="CPU kernel not built (python setup.py build_ext --inplace)")


def ada3d_foreground_gather(features, coors, valid_mask):
    """Ada3D's foreground_gather_pytorch (SparseBEVTools/SparseBEVTools/functional.py:87-98 at
    A-suozhang/ada3d@9512743), written independently of the kit's reference: a boolean mask
    indexed with (b, y, x), then boolean row selection."""
    valid_ = valid_mask[coors[:, 0].long(), coors[:, 2].long(), coors[:, 3].long()].to(torch.bool)
    return features[valid_], coors[valid_]


def make(M=300, C=8, B=2, Z=3, Y=11, X=9, keep=0.4, coors_dtype=torch.int32, mask_dtype=torch.int32,
         dtype=torch.float32, seed=0):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(M, C, generator=g).to(dtype)
    coors = torch.stack([torch.randint(0, n, (M,), generator=g) for n in (B, Z, Y, X)], 1).to(coors_dtype)
    mask = (torch.rand(B, Y, X, generator=g) < keep).to(mask_dtype)
    return features, coors, mask


def check_against_ada3d(args, out):
    f, q, idx = out
    want_f, want_q = ada3d_foreground_gather(*args)
    assert torch.equal(f, want_f) and torch.equal(q, want_q)
    assert idx.dtype == torch.int64 and f.dtype == args[0].dtype and q.dtype == args[1].dtype
    assert torch.equal(args[0][idx], f)


@needs_cpu_kernel
@pytest.mark.parametrize("mask_dtype", MASK_DTYPES, ids=str)
@pytest.mark.parametrize("coors_dtype", (torch.int32, torch.int64), ids=str)
def test_native_matches_reference_and_ada3d(coors_dtype, mask_dtype):
    args = make(M=9000, coors_dtype=coors_dtype, mask_dtype=mask_dtype, seed=3)   # several CPU chunks
    out = OPS.foreground_gather(*args)
    ref = foreground_gather_reference(*args)
    for a, b in zip(out, ref):
        assert torch.equal(a, b)
    check_against_ada3d(args, out)
    assert 0 < out[2].numel() < args[0].shape[0]
    assert bool((out[2][1:] > out[2][:-1]).all()), "input order must be kept"


@needs_cpu_kernel
@pytest.mark.parametrize("name", ["small", "real", "empty", "all_dropped", "all_kept"])
def test_opcases_public_api(name):
    args = case.cases()[name]("cpu", quick=True)
    out = foreground_gather(*args)
    ref = foreground_gather_reference(*args)
    for a, b in zip(out, ref):
        assert torch.equal(a, b)
    check_against_ada3d(args, out)
    if name in ("empty", "all_dropped"):
        assert out[0].shape == (0, args[0].shape[1]) and out[1].shape == (0, 4) and out[2].shape == (0,)
    if name == "all_kept":
        assert torch.equal(out[2], torch.arange(args[0].shape[0]))


@needs_cpu_kernel
def test_mask_values_greater_than_zero_keep():
    """> 0 keeps (as the CUDA op's `valid_mask > 0`); negative int mask values drop."""
    features, coors, _ = make(M=50, B=1, Y=2, X=2, Z=1)
    mask = torch.tensor([[[3, -1], [0, 1]]], dtype=torch.int64)
    f, q, idx = OPS.foreground_gather(features, coors, mask)
    want = torch.tensor([mask[0, y, x] > 0 for y, x in coors[:, 2:].tolist()]).nonzero().reshape(-1)
    assert torch.equal(idx, want)


@needs_cpu_kernel
def test_float64_and_int64_kept():
    args = make(dtype=torch.float64, coors_dtype=torch.int64)
    args[1][0] = torch.tensor([1, 2**40, 3, 4])   # a z beyond int32: never narrowed
    args[2][1, 3, 4] = 1
    f, q, idx = foreground_gather(*args)
    assert f.dtype == torch.float64 and q.dtype == torch.int64
    assert q[0, 1].item() == 2**40 and idx[0].item() == 0


@needs_cpu_kernel
@pytest.mark.parametrize("dtype", (torch.float16, torch.bfloat16), ids=str)
def test_half_dtypes_bitwise(dtype):
    args = make(dtype=dtype)
    out = OPS.foreground_gather(*args)
    assert torch.equal(out[0], foreground_gather_reference(*args)[0])


@needs_cpu_kernel
def test_backward_native_vs_reference():
    args = make(M=500, C=6, seed=5)
    grads = []
    for fn in (foreground_gather, foreground_gather_reference):
        x = args[0].clone().requires_grad_(True)
        f, _, idx = fn(x, args[1], args[2])
        g = torch.randn(f.shape, generator=torch.Generator().manual_seed(1))
        f.backward(g)
        grads.append(x.grad)
        dropped = torch.ones(500, dtype=torch.bool)
        dropped[idx] = False
        assert not x.grad[dropped].any() and torch.equal(x.grad[idx], g)
    assert torch.equal(grads[0], grads[1])


@needs_cpu_kernel
def test_gradcheck_float64():
    f, q, m = make(M=40, C=3, dtype=torch.float64, seed=7)
    x = f.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda t: foreground_gather(t, q, m)[0], (x,))
    assert torch.autograd.gradcheck(lambda t: foreground_gather_reference(t, q, m)[0], (x,))


@needs_cpu_kernel
def test_backward_op_directly():
    f, q, m = make(M=20, C=2)
    _, _, idx = OPS.foreground_gather(f, q, m)
    g = torch.randn(idx.numel(), 2)
    grad = OPS.foreground_gather_backward(g, f, q, m, idx)
    want = torch.zeros_like(f).index_copy_(0, idx, g)
    assert torch.equal(grad, want)
    with pytest.raises(RuntimeError, match="index"):
        OPS.foreground_gather_backward(g, f, q, m, idx + 100)
    if idx.numel() > 1:
        with pytest.raises(RuntimeError, match="strictly increasing"):
            OPS.foreground_gather_backward(g, f, q, m, idx.flip(0))
    with pytest.raises(RuntimeError, match="grad_features"):
        OPS.foreground_gather_backward(g[:, :1], f, q, m, idx)
    with pytest.raises(RuntimeError, match="index must be int64"):
        OPS.foreground_gather_backward(g, f, q, m, idx.int())


def test_bad_inputs_python_api():
    for args, exc, pattern in case.bad_inputs("cpu"):
        with pytest.raises(exc, match=pattern):
            foreground_gather(*args)


BAD_KERNEL = [
    (lambda f, q, m: (f, q.float(), m), "coors must be int32 or int64"),
    (lambda f, q, m: (f, q[:, :3], m), r"coors must be \[M, 4\]"),
    (lambda f, q, m: (f[:-1], q, m), "coors.shape\\[0\\] must equal features.shape\\[0\\]"),
    (lambda f, q, m: (f, q, m[0]), r"valid_mask must be \[B, Y, X\]"),
    (lambda f, q, m: (f, q, m.float()), "valid_mask must be int32, int64, uint8 or bool"),
    (lambda f, q, m: (f.int(), q, m), "features must be float"),
    (lambda f, q, m: (f[0], q, m), r"features must be \[M, C\]"),
]
BAD_VALUES = [   # the kernels raise ValueError for coordinate values, as the Python API does
    (lambda f, q, m: (f, q.index_fill(1, torch.tensor([3]), 9), m), r"coors row 0 = .*x=9\) is outside valid_mask"),
    (lambda f, q, m: (f, q.index_fill(1, torch.tensor([2]), -1), m), "coors row 0 .*y=-1.*outside valid_mask"),
    (lambda f, q, m: (f, q.index_fill(1, torch.tensor([0]), 2), m), r"coors row 0 = \(b=2.*outside valid_mask"),
    (lambda f, q, m: (f, q.index_fill(1, torch.tensor([1]), -3), m), "coors row 0 .*z=-3.*outside valid_mask"),
]


@needs_cpu_kernel
@pytest.mark.parametrize("n", range(len(BAD_KERNEL)))
def test_bad_inputs_kernel_directly(n):
    f, q, m = make(M=30, B=2, Y=4, X=9)
    bad, pattern = BAD_KERNEL[n]
    with pytest.raises(RuntimeError, match=pattern):
        OPS.foreground_gather(*bad(f, q, m))


@needs_cpu_kernel
@pytest.mark.parametrize("n", range(len(BAD_VALUES)))
@pytest.mark.parametrize("mode", ["kernel", "public native", "public reference"])
def test_bad_coordinates_same_error_everywhere(n, mode, monkeypatch):
    f, q, m = make(M=30, B=2, Y=4, X=9)
    q[5:] = q[5:].clamp(max=1)   # only row 0 is bad
    bad, pattern = BAD_VALUES[n]
    args = bad(f, q, m)
    if mode != "kernel":
        monkeypatch.setenv("ASCEND_OPS_BACKEND", mode.split()[1])
    with pytest.raises(ValueError, match=pattern):
        (OPS.foreground_gather if mode == "kernel" else foreground_gather)(*args)


@needs_cpu_kernel
def test_deterministic_and_thread_independent():
    args = make(M=20000, C=4, seed=11)
    first = OPS.foreground_gather(*args)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        single = OPS.foreground_gather(*args)
    finally:
        torch.set_num_threads(threads)
    for a, b in zip(first, single):
        assert torch.equal(a, b)


ACCEL = [pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]


@pytest.mark.parametrize("device", ACCEL)
@pytest.mark.parametrize("coors_dtype", (torch.int32, torch.int64), ids=str)
@pytest.mark.parametrize("dtype", (torch.float32, torch.float16, torch.float64), ids=str)
def test_accelerator_native_vs_cpu_reference(device, coors_dtype, dtype):
    """CUDA / NPU kernels (forward and backward) against the reference on the CPU, bitwise."""
    args = case.make_inputs(**dict(case.REAL, M=20000), dtype=dtype, coors_dtype=coors_dtype, seed=12)
    want = foreground_gather_reference(*args)
    dev = [a.to(device) for a in args]
    got = OPS.foreground_gather(*dev)
    for a, b in zip(got, want):
        assert torch.equal(a.cpu(), b)
    g = torch.randn(want[0].shape, generator=torch.Generator().manual_seed(2)).to(dtype)
    grad = OPS.foreground_gather_backward(g.to(device), *dev, got[2])
    assert torch.equal(grad.cpu(), torch.zeros_like(args[0]).index_copy_(0, want[2], g))
    again = OPS.foreground_gather(*dev)
    assert all(torch.equal(a, b) for a, b in zip(got, again)), "deterministic"


@pytest.mark.parametrize("device", ACCEL)
def test_accelerator_bad_values_raise(device):
    f, q, m = (t.to(device) for t in make(M=30, B=2, Y=4, X=9))
    with pytest.raises(ValueError, match="coors row 0 .*outside valid_mask"):
        OPS.foreground_gather(f, q.index_fill(1, torch.tensor([2], device=device), 4), m)   # ValueError
    _, _, idx = OPS.foreground_gather(f, q, m)
    g = torch.ones(idx.numel(), f.shape[1], device=device)
    with pytest.raises(RuntimeError, match="index"):
        OPS.foreground_gather_backward(g, f, q, m, idx + 1000)
