"""scatter_mean: native kernel vs reference vs an explicit loop of torch_scatter's formula,
summation order, index dtypes, gradients (float64 gradcheck), thread-count determinism, bad
input at the API and at the raw op."""
import numpy as np
import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import scatter_mean as case
from ascend_ops.ops import scatter_mean, scatter_mean_reference

OP = torch.ops.ascend_ops.scatter_mean
OP_BACKWARD = torch.ops.ascend_ops.scatter_mean_backward


def loop_scatter_mean(src, index, dim_size, grad_out):
    """torch_scatter.scatter_mean(src, index, dim=0, dim_size=dim_size) and its gradient, written
    out element by element in float64 (torch_scatter/scatter.py:35-54: sum, count of ones,
    count < 1 -> 1, divide; the gradient of out[r] w.r.t. src[i] is 1 / count[r] where
    index[i] == r)."""
    s, idx, g = src.double().numpy(), index.long().numpy(), grad_out.double().numpy()
    n, c = s.shape
    out = np.zeros((dim_size, c))
    count = np.zeros(dim_size)
    for i in range(n):
        count[idx[i]] += 1
        for k in range(c):
            out[idx[i], k] += s[i, k]
    count[count < 1] = 1
    for r in range(dim_size):
        for k in range(c):
            out[r, k] /= count[r]
    grad_src = np.zeros((n, c))
    for i in range(n):
        for k in range(c):
            grad_src[i, k] = g[idx[i], k] / count[idx[i]]
    return out, grad_src


def forward_backward(fn, src, index, dim_size, seed=1):
    leaf = src.detach().clone().requires_grad_(True)
    out = fn(leaf, index, dim_size)
    grad_out = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    grad_out = grad_out.to(out.device, out.dtype)
    out.backward(grad_out)
    return out.detach(), leaf.grad, grad_out


@pytest.mark.parametrize("index_dtype", [torch.int32, torch.int64])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_matches_loop_formula_and_reference(dtype, index_dtype, native_only):
    src, index, dim_size = case.small("cpu", dtype=dtype, seed=3)
    index = index.to(index_dtype)
    out, grad, grad_out = forward_backward(scatter_mean, src, index, dim_size)
    assert out.dtype == dtype and grad.dtype == dtype and out.shape == (dim_size, src.shape[1])
    want, want_grad = loop_scatter_mean(src, index, dim_size, grad_out)
    tol = 1e-6 if dtype == torch.float32 else 1e-13
    np.testing.assert_allclose(out.double().numpy(), want, rtol=tol, atol=tol)
    np.testing.assert_allclose(grad.double().numpy(), want_grad, rtol=tol, atol=tol)
    assert (out[12:] == 0).all()                               # rows no index points at
    ref_out, ref_grad, _ = forward_backward(scatter_mean_reference, src, index, dim_size)
    assert torch.equal(out, ref_out) and torch.equal(grad, ref_grad)


def test_sums_in_input_order_in_float32(native_only):
    """Each mean is the float32 sum in input order, then one division: compared bit for bit with a
    sequential numpy float32 loop (a different order would differ in the last bits)."""
    src, index, dim_size = case.dense("cpu", seed=5)
    out = scatter_mean(src, index, dim_size)
    s, idx = src.numpy(), index.long().numpy()
    acc = np.zeros((dim_size, s.shape[1]), dtype=np.float32)
    count = np.zeros(dim_size, dtype=np.int64)
    for i in range(s.shape[0]):
        acc[idx[i]] += s[i]
        count[idx[i]] += 1
    want = acc / np.maximum(count, 1).astype(np.float32)[:, None]
    np.testing.assert_array_equal(out.numpy(), want)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_types_sum_in_float32(dtype, native_only):
    src, index, dim_size = case.dense("cpu", dtype=dtype)
    out, grad, _ = forward_backward(scatter_mean, src, index, dim_size)
    ref_out, ref_grad, _ = forward_backward(scatter_mean_reference, src, index, dim_size)
    assert torch.equal(out, ref_out) and torch.equal(grad, ref_grad)
    exact = scatter_mean_reference(src.double(), index, dim_size)
    torch.testing.assert_close(out.double(), exact, atol=1e-2, rtol=1e-2)


def test_gradcheck_float64_native(native_only):
    src, index, dim_size = case.gradcheck_case("cpu")
    src = src.requires_grad_()
    assert torch.autograd.gradcheck(lambda s: scatter_mean(s, index, dim_size), (src,), eps=1e-6, atol=1e-7)


@pytest.mark.parametrize("threads", [2, 4])
def test_same_bits_for_any_thread_count(threads, native_only):
    src, index, dim_size = case.real("cpu")
    saved = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = forward_backward(scatter_mean, src, index, dim_size)
        torch.set_num_threads(threads)
        many = forward_backward(scatter_mean, src, index, dim_size)
    finally:
        torch.set_num_threads(saved)
    for a, b in zip(one, many):
        assert torch.equal(a, b)


def test_matches_torch_scatter_formulation_on_real_case(native_only):
    """The case module's baseline (torch_scatter's formulation in plain torch) agrees."""
    src, index, dim_size = case.real("cpu", quick=True)
    torch.testing.assert_close(scatter_mean(src, index, dim_size), case.baseline(src, index, dim_size),
                               atol=1e-6, rtol=1e-6)


def test_matches_torch_scatter_package_when_installed(native_only):
    torch_scatter = pytest.importorskip("torch_scatter", reason="pip install torch-scatter to enable")
    src, index, dim_size = case.real("cpu", quick=True)
    want = torch_scatter.scatter_mean(src, index, dim=0, dim_size=dim_size)
    torch.testing.assert_close(scatter_mean(src, index, dim_size), want, atol=1e-6, rtol=1e-6)


def test_raw_op_refuses_bad_arguments():
    src, index, dim_size = case.small("cpu")
    bad = index.clone()
    bad[7] = dim_size
    cases = [
        ((src, bad, dim_size), r"index\[7\] = 16 is outside \[0, dim_size = 16\)"),
        ((src, -index - 1, dim_size), r"index\[0\] = -\d+ is outside"),
        ((src, index, -1), "dim_size must be >= 0"),
        ((src, index[:-1], dim_size), r"index.shape\[0\] = 39 must equal src.shape\[0\] = 40"),
        ((src, index.float(), dim_size), "index must be int32 or int64"),
        ((src.int(), index, dim_size), "src must be float32"),
        ((src[0], index, dim_size), r"src must be \[N, C\]"),
    ]
    for args, match in cases:
        with pytest.raises((RuntimeError, ValueError), match=match):
            OP(*args)
    grad = torch.zeros(dim_size, src.shape[1])
    with pytest.raises((RuntimeError, ValueError), match=r"index\[7\] = 16 is outside"):
        OP_BACKWARD(grad, src, bad, dim_size)
    with pytest.raises(RuntimeError, match=r"grad_out must be \[dim_size, C\]"):
        OP_BACKWARD(grad[:-1], src, index, dim_size)
    with pytest.raises(RuntimeError, match="grad_out must have src's dtype"):
        OP_BACKWARD(grad.double(), src, index, dim_size)


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", ["small", "real", "dense", "empty"])
def test_cuda_matches_cpu_bit_for_bit(name, dtype, native_only):
    """The CUDA kernels (compile-checked in CI; this runs only where a GPU is present) sum in input
    order with IEEE division: the CPU kernel's bits, forward and backward."""
    src, index, dim_size = case.cases()[name]("cpu", dtype=dtype)
    cpu = forward_backward(scatter_mean, src, index, dim_size)
    gpu = forward_backward(scatter_mean, src.cuda(), index.cuda(), dim_size)
    for a, b in zip(cpu, gpu):
        assert torch.equal(a, b.cpu())
