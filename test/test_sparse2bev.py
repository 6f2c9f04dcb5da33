"""sparse2bev: native kernels vs the reference and an independent loop, duplicates, index
dtypes, gradients, determinism of the CPU kernel, bad input at the API and at the raw op."""
import numpy as np
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import sparse2bev as case
from ascend_ops.ops.sparse2bev import sparse2bev, sparse2bev_reference

OP = torch.ops.ascend_ops.sparse2bev
OP_BACKWARD = torch.ops.ascend_ops.sparse2bev_backward
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]


def loop_bev(features, coors, spatial_shape, batch_size):
    """Independent float64 loop over the voxels -> (bev, mask) as numpy arrays."""
    _, Y, X = spatial_shape
    f, co = features.detach().cpu().double().numpy(), coors.cpu().numpy()
    bev = np.zeros((batch_size, f.shape[1], Y, X))
    mask = np.zeros((batch_size, Y, X), dtype=np.int32)
    for i in range(f.shape[0]):
        b, _, y, x = (int(v) for v in co[i])
        bev[b, :, y, x] += f[i]
        mask[b, y, x] = 1
    return bev, mask


def grad_for(bev, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(bev.shape, generator=g).to(bev.device, bev.dtype)


def forward_backward(fn, args, seed=1):
    features = args[0].detach().clone().requires_grad_(True)
    bev, mask = fn(features, *args[1:])
    grad_bev = grad_for(bev, seed)
    bev.backward(grad_bev)
    return bev.detach(), mask, features.grad, grad_bev


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_loop_and_reference(dtype, index_dtype, device, native_only):
    args = case.make_inputs(**case.SMALL, device=device, dtype=dtype, seed=4, unique=False, index_dtype=index_dtype)
    bev, mask, grad, grad_bev = forward_backward(sparse2bev, args)
    assert bev.dtype == dtype and mask.dtype == torch.int32 and grad.dtype == dtype
    want_bev, want_mask = loop_bev(*args)
    np.testing.assert_allclose(bev.cpu().double().numpy(), want_bev, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(mask.cpu().numpy(), want_mask)
    ref_bev, ref_mask, ref_grad, _ = forward_backward(sparse2bev_reference, args)
    atol, rtol = case.tolerance(dtype)
    torch.testing.assert_close(bev, ref_bev, atol=atol, rtol=rtol)
    assert torch.equal(mask, ref_mask)
    torch.testing.assert_close(grad, ref_grad, atol=0, rtol=0)   # a gather: exact
    # backward semantics: grad_features[i] = grad_bev[b_i, :, y_i, x_i]
    co = args[1].long().cpu()
    want_grad = grad_bev.cpu()[co[:, 0], :, co[:, 2], co[:, 3]]
    assert torch.equal(grad.cpu(), want_grad)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_types_match_reference(dtype, device, native_only):
    args = case.make_inputs(voxels=300, channels=20, batch=2, spatial_shape=(4, 6, 5), device=device, dtype=dtype,
                            seed=5, unique=False)
    bev, mask, grad, _ = forward_backward(sparse2bev, args)
    ref_bev, ref_mask, ref_grad, _ = forward_backward(sparse2bev_reference, args)
    atol, rtol = case.tolerance(dtype)
    assert bev.dtype == dtype and grad.dtype == dtype
    torch.testing.assert_close(bev, ref_bev, atol=atol, rtol=rtol)
    assert torch.equal(mask, ref_mask) and torch.equal(grad, ref_grad)


@pytest.mark.parametrize("device", DEVICES)
def test_duplicates_in_one_column_are_summed(device, native_only):
    """Five voxels in BEV column (1, 2, 3): three z levels and an exact duplicate cell."""
    Z, Y, X, B = 4, 3, 5, 2
    coors = torch.tensor([[1, 0, 2, 3], [1, 3, 2, 3], [0, 0, 2, 3], [1, 1, 2, 3], [1, 1, 2, 3], [1, 2, 2, 3]],
                         dtype=torch.int32, device=device)
    features = torch.arange(6 * 3, dtype=torch.float64, device=device).reshape(6, 3) + 1
    bev, mask = sparse2bev(features, coors, [Z, Y, X], B)
    rows = [0, 1, 3, 4, 5]
    assert torch.equal(bev[1, :, 2, 3], features[rows].sum(0))
    assert torch.equal(bev[0, :, 2, 3], features[2])
    assert int(mask.sum()) == 2 and mask[1, 2, 3] == 1 and mask[0, 2, 3] == 1
    bev[1, :, 2, 3] = 0
    bev[0, :, 2, 3] = 0
    assert int(torch.count_nonzero(bev)) == 0


@pytest.mark.parametrize("device", DEVICES)
def test_empty_and_zero_channels(device, native_only):
    f, co, shape, B = case.empty(device)
    bev, mask = sparse2bev(f, co, shape, B)
    assert bev.shape == (B, f.shape[1], shape[1], shape[2]) and not bev.any() and not mask.any()
    f, co, shape, B = case.small(device)
    bev, mask = sparse2bev(f[:, :0], co, shape, B)       # C = 0: the mask is still set
    assert bev.shape == (B, 0, shape[1], shape[2])
    assert torch.equal(mask, sparse2bev_reference(f, co, shape, B)[1])


def test_non_contiguous_inputs(native_only):
    f, co, shape, B = case.small("cpu", seed=2)
    f_nc = torch.stack([f, -f], 2)[..., 0]
    co_nc = co.t().contiguous().t()
    assert not f_nc.is_contiguous() and not co_nc.is_contiguous()
    got = sparse2bev(f_nc, co_nc, shape, B)
    want = sparse2bev_reference(f, co, shape, B)
    torch.testing.assert_close(got[0], want[0])
    assert torch.equal(got[1], want[1])


@pytest.mark.parametrize("fn", [sparse2bev, sparse2bev_reference], ids=["native", "reference"])
def test_gradcheck_float64(fn, native_only):
    f, co, shape, B = case.make_inputs(voxels=12, channels=3, batch=2, spatial_shape=(2, 3, 4), dtype=torch.float64,
                                       seed=7, unique=False)
    f.requires_grad_(True)
    assert torch.autograd.gradcheck(lambda x: fn(x, co, shape, B)[0], (f,))
    if fn is sparse2bev_reference:   # the native backward op has no derivative of its own
        assert torch.autograd.gradgradcheck(lambda x: fn(x, co, shape, B)[0], (f,))


def test_raw_backward_matches_gather(native_only):
    f, co, shape, B = case.small("cpu", dtype=torch.float64, seed=9)
    grad_bev = torch.randn(B, f.shape[1], shape[1], shape[2], dtype=torch.float64)
    got = OP_BACKWARD(grad_bev, f, co, shape, B)
    c = co.long()
    assert torch.equal(got, grad_bev[c[:, 0], :, c[:, 2], c[:, 3]])


def test_cpu_forward_is_deterministic_across_threads(native_only):
    """Many voxels per column: sums in input order, bitwise equal run to run and for 1 or 2 threads."""
    f, co, shape, B = case.make_inputs(voxels=5000, channels=40, batch=2, spatial_shape=(8, 6, 5), seed=3,
                                       unique=False)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = OP(f, co, shape, B)
        torch.set_num_threads(2)
        two, again = OP(f, co, shape, B), OP(f, co, shape, B)
    finally:
        torch.set_num_threads(threads)
    for a, b in ((one, two), (two, again)):
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    # and the same order as a sequential float32 loop over the voxels
    c = co.long()
    want = torch.zeros(B, shape[1], shape[2], f.shape[1])
    for i in range(f.shape[0]):
        want[c[i, 0], c[i, 2], c[i, 3]] += f[i]
    assert torch.equal(one[0], want.permute(0, 3, 1, 2))


def test_real_shape(native_only):
    args = case.real("cpu", quick=True)
    bev, mask, grad, _ = forward_backward(sparse2bev, args)
    ref_bev, ref_mask, ref_grad, _ = forward_backward(sparse2bev_reference, args)
    assert bev.shape == (2, 64, 200, 176) and mask.shape == (2, 200, 176)
    torch.testing.assert_close(bev, ref_bev, atol=1e-5, rtol=1e-5)
    assert torch.equal(mask, ref_mask) and torch.equal(grad, ref_grad)


def test_baseline_matches_reference():
    args = case.small("cpu", seed=1)
    got = case.baseline(*case.baseline_inputs(*args))
    want = sparse2bev_reference(*args)
    torch.testing.assert_close(got[0], want[0])
    assert torch.equal(got[1], want[1])


@pytest.mark.parametrize("args, exc, match", case.bad_inputs("cpu"))
def test_bad_input_at_the_api(args, exc, match):
    with pytest.raises(exc, match=match):
        sparse2bev(*args)


def _raw_bad_inputs():
    f, co, shape, B = case.make_inputs(**case.SMALL)
    out_z, neg_x, big_b = co.clone(), co.clone(), co.clone()
    out_z[2, 1] = shape[0]
    neg_x[4, 3] = -3
    big_b[7, 0] = B
    wide = co.long()
    wide[1, 3] = 2 ** 32 + 1          # would wrap to 1 if narrowed to int32
    return [
        ((f, out_z, shape, B), r"coors\[2, 1\] \(z\) = 3 must lie in \[0, spatial_shape\[0\]"),
        ((f, neg_x, shape, B), r"coors\[4, 3\] \(x\) = -3"),
        ((f, big_b, shape, B), r"coors\[7, 0\] \(batch index\) = 2 must lie in \[0, batch_size = 2\)"),
        ((f, wide, shape, B), r"coors\[1, 3\] \(x\) = 4294967297"),
        ((f, co.float(), shape, B), r"coors must be int32 or int64"),
        ((f.int(), co, shape, B), r"features must be float32"),
        ((f[0], co, shape, B), r"features must be \[M, C\]"),
        ((f, co[:, :3], shape, B), r"coors must be \[M, 4\]"),
        ((f, co[:-1], shape, B), r"coors.shape\[0\] = 39 must equal features.shape\[0\] = 40"),
        ((f, co, shape[:2], B), r"spatial_shape must have 3 entries"),
        ((f, co, [shape[0], -1, shape[2]], B), r"spatial_shape entries must be >= 1"),
        ((f, co, shape, 0), r"batch_size must be >= 1"),
        ((f, co, [1, 2 ** 40, 2 ** 40], B), r"overflows int64"),
    ]


@pytest.mark.parametrize("args, match", _raw_bad_inputs())
def test_bad_input_at_the_raw_op(args, match):
    with pytest.raises(RuntimeError, match=match):
        OP(*args)


def test_raw_backward_checks_grad_bev():
    f, co, shape, B = case.small("cpu")
    good = torch.zeros(B, f.shape[1], shape[1], shape[2])
    with pytest.raises(RuntimeError, match=r"grad_bev must be \[batch_size, C, Y, X\]"):
        OP_BACKWARD(good[:, :-1], f, co, shape, B)
    with pytest.raises(RuntimeError, match=r"grad_bev must have features' dtype"):
        OP_BACKWARD(good.double(), f, co, shape, B)
    bad = co.clone()
    bad[0, 2] = shape[1]
    with pytest.raises(RuntimeError, match=r"coors\[0, 2\] \(y\)"):
        OP_BACKWARD(good, f, bad, shape, B)


@pytest.mark.parametrize("device", [pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)])
@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
def test_device_kernels_refuse_bad_coordinates(device, index_dtype):
    """CUDA: the kernels skip the voxel and report it through a device flag; NPU: the binding
    checks on the host. Either way the raw op raises naming coors and its row."""
    f, co, shape, B = case.make_inputs(**case.SMALL, device=device, index_dtype=index_dtype)
    bad = co.clone()
    bad[6, 2] = shape[1] + 3
    with pytest.raises(RuntimeError, match=r"coors\[6, 2\] \(y\)"):
        OP(f, bad, shape, B)
    grad_bev = torch.zeros(B, f.shape[1], shape[1], shape[2], device=device)
    with pytest.raises(RuntimeError, match=r"coors\[6, 2\] \(y\)"):
        OP_BACKWARD(grad_bev, f, bad, shape, B)
