"""Sparse convolutions and pooling on SparseTensors (issue 12).

Every convolution is gather-GEMM-scatter over a KernelMap:

    g   = sparse_gather(features, in_index)                   [P, Cin]
    v_k = torch.mm(g[pairs of offset k], W[k])                [P_k, Cout], per offset
    out = sparse_scatter_add(cat(v_k), out_index, M) + bias   [M, Cout]

The GEMMs go to torch (on the NPU: the cube unit); gather and scatter are the kit's ops (native
kernel of the device, or the pure-PyTorch reference), so gradients flow to features, weight and
bias, through one autograd Function (the backward gathers again instead of keeping the [P, Cin]
rows). In a submanifold map the centre offset pairs every site with itself in row order, so its
GEMM runs on the features directly (no gather, no scatter).

Weights are [K, Cin, Cout] (ascend_ops.sparse.weights converts spconv / torch layouts), bias
[Cout]. Kernel maps are cached on the tensors (SparseTensor.kmaps): see `get_kernel_map`.
"""
import torch
from torch.autograd.function import once_differentiable

from ..ops.sparse_gather import sparse_gather
from ..ops.sparse_max_pool import sparse_max_pool
from ..ops.sparse_scatter_add import sparse_scatter_add
from . import geometry
from .kernel_map import KernelMap, build_kernel_map
from .tensor import SparseTensor


def _geometry(kernel_size, stride, padding, dilation):
    return tuple(geometry.triple(v, n) for v, n in ((kernel_size, "kernel_size"), (stride, "stride"),
                                                      (padding, "padding"), (dilation, "dilation")))


def get_kernel_map(x, mode, kernel_size, stride=1, padding=0, dilation=1, indice_key=None):
    """The KernelMap of `x`'s sites for one convolution, from x.kmaps or built (and cached).

    Cache key: (indice_key, mode, kernel_size, stride, padding, dilation, spatial_shape); an
    entry is reused only when it was built from this very indices tensor (the tensors of one
    network share their sites' tensors, so a stack of submanifold layers builds one map), else it
    is rebuilt and replaced: a wrong map is never reused. Submanifold maps ignore padding."""
    ks, s, p, d = _geometry(kernel_size, stride, padding, dilation)
    if mode == geometry.SUBM:
        p = (0, 0, 0)
    key = (indice_key, mode, ks, s, p, d, tuple(x.spatial_shape))
    kmap = x.kmaps.get(key)
    if kmap is None or kmap.in_coords is not x.indices or kmap.batch_size != x.batch_size:
        kmap = build_kernel_map(x.indices, x.spatial_shape, x.batch_size, ks, s, p, d, mode)
        x.kmaps[key] = kmap
    return kmap


def find_inverse_map(x, indice_key):
    """The regular map cached under `indice_key` whose output sites are x's sites, inverted (for
    spconv's SparseInverseConv3d); ValueError naming indice_key when there is none."""
    if indice_key is None:
        raise ValueError("inverse sparse conv: indice_key must name the strided conv to invert, got None")
    for key, kmap in x.kmaps.items():
        if key[0] == indice_key and kmap.mode == geometry.REGULAR and kmap.out_coords is x.indices:
            return kmap.inverse()
    found = sorted({str(k[0]) for k in x.kmaps})
    raise ValueError(f"inverse sparse conv: no regular (strided) kernel map under indice_key {indice_key!r} whose "
                     f"output sites are this tensor's sites (cached keys: {found}); run the SparseConv3d with "
                     f"indice_key={indice_key!r} on this tensor's ancestor first")


def _autocast_enabled(device_type):
    """Whether torch.autocast is on for `device_type` (the GEMMs then cast their inputs)."""
    try:
        return torch.is_autocast_enabled(device_type)
    except TypeError:   # torch < 2.4: no device argument
        if device_type == "cpu":
            return torch.is_autocast_cpu_enabled()
        return torch.is_autocast_enabled()


def _check_weight(features, weight, bias, kmap):
    K = kmap.kernel_volume
    if not isinstance(weight, torch.Tensor) or weight.dim() != 3:
        raise ValueError(f"sparse conv: weight must be a [K, Cin, Cout] tensor, got "
                         f"{tuple(weight.shape) if isinstance(weight, torch.Tensor) else type(weight).__name__}")
    if weight.shape[0] != K:
        raise ValueError(f"sparse conv: weight.shape[0] must equal the kernel volume K = {K} "
                         f"(kernel_size {list(kmap.kernel_size)}), got weight shape {tuple(weight.shape)}")
    if weight.shape[1] != features.shape[1]:
        raise ValueError(f"sparse conv: weight.shape[1] (in channels) must equal features.shape[1] = "
                         f"{features.shape[1]}, got weight shape {tuple(weight.shape)}")
    if weight.dtype != features.dtype and not _autocast_enabled(features.device.type):
        raise TypeError(f"sparse conv: weight dtype {weight.dtype} differs from the features' {features.dtype}")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != weight.shape[2]):
        raise ValueError(f"sparse conv: bias must be [Cout] = [{weight.shape[2]}], got shape {tuple(bias.shape)}")


class _GatherGemmScatter(torch.autograd.Function):
    """out [M, Cout] = scatter_add over the plan's pairs of gather(features) @ W[k], plus the
    identity offset's features @ W[centre]. The gathered rows are not kept for the backward
    (they are gathered again there), so a network's activations cost no [P, Cin] buffers; the
    per-offset GEMMs write straight into one [P, C] buffer (no slicing in the autograd graph)."""

    @staticmethod
    def forward(ctx, features, weight, plan, num_out):
        gather_index, scatter_index, segments, centre = plan
        ctx.plan = plan
        ctx.save_for_backward(features, weight)
        out = None
        if segments:
            g = sparse_gather(features, gather_index)
            values = g.new_empty(g.shape[0], weight.shape[2])
            for k, s, e in segments:
                torch.mm(g[s:e], weight[k], out=values[s:e])
            del g
            out = sparse_scatter_add(values, scatter_index, num_out)
        if centre is not None:
            out = torch.mm(features, weight[centre]) if out is None else out.addmm_(features, weight[centre])
        if out is None:   # no pair, so no output site
            out = features.new_zeros(num_out, weight.shape[2])
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        features, weight = ctx.saved_tensors
        gather_index, scatter_index, segments, centre = ctx.plan
        need_f, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        grad_out = grad_out.contiguous()
        grad_f = grad_w = None
        if need_w:
            grad_w = torch.zeros_like(weight)
        if segments:
            gg = sparse_gather(grad_out, scatter_index)                       # [P, Cout]
            if need_w:
                g = sparse_gather(features, gather_index)                     # [P, Cin]
                for k, s, e in segments:
                    torch.mm(g[s:e].t(), gg[s:e], out=grad_w[k])
                del g
            if need_f:
                grad_g = gg.new_empty(gg.shape[0], weight.shape[1])
                for k, s, e in segments:
                    torch.mm(gg[s:e], weight[k].t(), out=grad_g[s:e])
                grad_f = sparse_scatter_add(grad_g, gather_index, features.shape[0])
        if centre is not None:
            if need_f:
                own = torch.mm(grad_out, weight[centre].t())
                grad_f = own if grad_f is None else grad_f.add_(own)
            if need_w:
                torch.mm(features.t(), grad_out, out=grad_w[centre])
        if need_f and grad_f is None:
            grad_f = torch.zeros_like(features)
        return grad_f, grad_w, None, None


def _autocast_dtype(device_type):
    """The dtype torch.autocast casts GEMM inputs to on `device_type`."""
    try:
        return torch.get_autocast_dtype(device_type)
    except (AttributeError, TypeError):   # torch < 2.4
        return torch.get_autocast_cpu_dtype() if device_type == "cpu" else torch.get_autocast_gpu_dtype()


def apply_kernel_map(features, weight, kmap, bias=None):
    """Gather-GEMM-scatter: features [N, Cin] (N = kmap.num_in), weight [K, Cin, Cout], optional
    bias [Cout] -> [M, Cout] (M = kmap.num_out), out[o] = sum over pairs (i, o, k) of
    features[i] @ weight[k] (+ bias). Differentiable w.r.t. features, weight and bias (once: a
    second-order gradient raises). Under torch.autocast the GEMM inputs are cast to the autocast
    dtype first, as torch.mm's would be."""
    if features.shape[0] != kmap.num_in:
        raise ValueError(f"sparse conv: features.shape[0] = {features.shape[0]} must equal the kernel map's "
                         f"number of input sites {kmap.num_in}")
    _check_weight(features, weight, bias, kmap)
    device_type = features.device.type
    if _autocast_enabled(device_type):
        dtype = _autocast_dtype(device_type)
        features, weight = features.to(dtype), weight.to(dtype)
    out = _GatherGemmScatter.apply(features, weight, kmap.plan(), kmap.num_out)
    if bias is not None:
        out = out + bias
    return out


def _output(x, features, kmap):
    return SparseTensor(features, kmap.out_coords, kmap.out_shape, x.batch_size, x.kmaps)


def subm_conv3d(x, weight, bias=None, kernel_size=3, dilation=1, indice_key=None):
    """Submanifold conv (spconv SubMConv3d): output sites = x's sites. kernel_size odd per axis.
    x SparseTensor [N, Cin]; weight [K, Cin, Cout] -> SparseTensor [N, Cout] (same indices)."""
    kmap = get_kernel_map(x, geometry.SUBM, kernel_size, 1, 0, dilation, indice_key)
    return _output(x, apply_kernel_map(x.features, weight, kmap, bias), kmap)


def conv3d(x, weight, bias=None, kernel_size=3, stride=1, padding=0, dilation=1, indice_key=None):
    """Regular (strided) sparse conv (spconv SparseConv3d): output sites = every o with a pair,
    O = (S + 2p - d(K-1) - 1)//s + 1 per axis, equal to torch.nn.functional.conv3d of the dense
    input at those sites. weight [K, Cin, Cout] -> SparseTensor [M, Cout]."""
    kmap = get_kernel_map(x, geometry.REGULAR, kernel_size, stride, padding, dilation, indice_key)
    return _output(x, apply_kernel_map(x.features, weight, kmap, bias), kmap)


def conv_transpose3d(x, weight, bias=None, kernel_size=3, stride=1, padding=0, dilation=1, indice_key=None):
    """Transposed sparse conv (spconv SparseConvTranspose3d; torchsparse transposed conv without a
    cached map): o = i*s - p + k*d, O = (S-1)s - 2p + d(K-1) + 1, equal to
    torch.nn.functional.conv_transpose3d at the output sites. weight [K, Cin, Cout]."""
    kmap = get_kernel_map(x, geometry.TRANSPOSED, kernel_size, stride, padding, dilation, indice_key)
    return _output(x, apply_kernel_map(x.features, weight, kmap, bias), kmap)


def inverse_conv3d(x, weight, bias=None, kernel_size=None, indice_key=None):
    """Inverse conv (spconv SparseInverseConv3d; torchsparse transposed conv with the cached map):
    the regular map cached under `indice_key` with inputs and outputs swapped; output sites and
    spatial shape = that conv's input. kernel_size, when given, must match the cached map's."""
    kmap = find_inverse_map(x, indice_key)
    if kernel_size is not None and geometry.triple(kernel_size, "kernel_size") != kmap.kernel_size:
        raise ValueError(f"inverse sparse conv: kernel_size {list(geometry.triple(kernel_size, 'kernel_size'))} "
                         f"differs from the kernel_size {list(kmap.kernel_size)} of the conv under indice_key "
                         f"{indice_key!r}")
    return _output(x, apply_kernel_map(x.features, weight, kmap, bias), kmap)


def max_pool3d(x, kernel_size, stride=None, padding=0, dilation=1, indice_key=None):
    """Sparse max pool (spconv SparseMaxPool3d): regular map geometry (stride defaults to
    kernel_size); each output is the max over its EXISTING input sites (absent sites are not
    zeros). SparseTensor [N, C] -> [M, C]; ties send the gradient to the first pair."""
    stride = kernel_size if stride is None else stride
    kmap = get_kernel_map(x, geometry.REGULAR, kernel_size, stride, padding, dilation, indice_key)
    out = sparse_max_pool(x.features, kmap.in_index, kmap.out_index, kmap.num_out)
    return _output(x, out, kmap)


__all__ = ["KernelMap", "apply_kernel_map", "conv3d", "conv_transpose3d", "find_inverse_map", "get_kernel_map",
           "inverse_conv3d", "max_pool3d", "subm_conv3d"]
