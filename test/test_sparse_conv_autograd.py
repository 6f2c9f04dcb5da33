"""The sparse conv's autograd Function (ascend_ops.sparse.functional._GatherGemmScatter):
gradients equal the composition of the differentiable gather / scatter_add ops and torch.mm
(an independent autograd path), only the requested gradients are computed, and a second-order
gradient raises a clear error instead of returning zeros."""
import pytest
import torch

from ascend_ops import sparse
from ascend_ops.ops.sparse_gather import sparse_gather
from ascend_ops.ops.sparse_scatter_add import sparse_scatter_add
from ascend_ops.opcases._sparse_data import random_coords


def _composed(features, weight, kmap):
    """out = scatter_add(cat_k(gather(features)[k] @ W[k])) through the ops' own autograd."""
    gather_index, scatter_index, segments, centre = kmap.plan()
    out = features.new_zeros(kmap.num_out, weight.shape[2])
    if segments:
        g = sparse_gather(features, gather_index)
        values = torch.cat([g[s:e] @ weight[k] for k, s, e in segments])
        out = out + sparse_scatter_add(values, scatter_index, kmap.num_out)
    if centre is not None:
        out = out + features @ weight[centre]
    return out


@pytest.mark.parametrize("mode,kernel,stride,padding", [(0, 3, 1, 0), (1, 3, 2, 1), (1, 2, 2, 0), (2, 2, 2, 0)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_function_matches_composed_ops(mode, kernel, stride, padding, dtype):
    g = torch.Generator().manual_seed(mode * 7 + kernel)
    coords = random_coords(300, (9, 10, 11), 2, g)
    kmap = sparse.build_kernel_map(coords, (9, 10, 11), 2, kernel, stride, padding, 1, mode)
    f = torch.randn(coords.shape[0], 5, generator=g, dtype=dtype, requires_grad=True)
    w = torch.randn(kmap.kernel_volume, 5, 6, generator=g, dtype=dtype, requires_grad=True)
    out = sparse.functional.apply_kernel_map(f, w, kmap)
    grad = torch.randn(out.shape, generator=g, dtype=dtype)
    gf, gw = torch.autograd.grad(out, (f, w), grad)
    ref = _composed(f, w, kmap)
    rf, rw = torch.autograd.grad(ref, (f, w), grad)
    tol = dict(atol=1e-4, rtol=1e-4) if dtype == torch.float32 else dict(atol=1e-10, rtol=1e-10)
    torch.testing.assert_close(out, ref, **tol)
    torch.testing.assert_close(gf, rf, **tol)
    torch.testing.assert_close(gw, rw, **tol)


def test_only_requested_gradients():
    g = torch.Generator().manual_seed(1)
    coords = random_coords(200, (8, 8, 8), 1, g)
    kmap = sparse.build_kernel_map(coords, (8, 8, 8), 1, 3, 1, 0, 1, 0)
    f = torch.randn(coords.shape[0], 4, generator=g)
    w = torch.randn(27, 4, 3, generator=g, requires_grad=True)
    out = sparse.functional.apply_kernel_map(f, w, kmap)
    (gw,) = torch.autograd.grad(out.sum(), (w,))
    assert gw.shape == w.shape and f.grad is None


def test_second_order_gradient_raises():
    g = torch.Generator().manual_seed(2)
    coords = random_coords(100, (6, 6, 6), 1, g)
    kmap = sparse.build_kernel_map(coords, (6, 6, 6), 1, 3, 1, 0, 1, 0)
    f = torch.randn(coords.shape[0], 3, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(27, 3, 2, generator=g, dtype=torch.float64, requires_grad=True)
    out = sparse.functional.apply_kernel_map(f, w, kmap)
    (gf,) = torch.autograd.grad(out.pow(2).sum(), (f,), create_graph=True)
    with pytest.raises(RuntimeError, match="differentiable|twice|once"):
        gf.sum().backward()
