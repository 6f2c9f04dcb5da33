"""nn.Modules of the sparse engine, with spconv 2.x's constructor argument names (issue 12).

Parameters: weight [K, Cin, Cout] (K = kz*ky*kx, offset k = (iz*ky + iy)*kx + ix) and bias
[Cout]. spconv 2.x stores KRSC [Cout, kz, ky, kx, Cin]: load its state dict through
ascend_ops.sparse.weights.from_spconv2.

Initialisation as spconv 2.x (traveller59/spconv v2.3.6, spconv/pytorch/conv.py,
SparseConvolution.reset_parameters): kaiming-uniform with a = sqrt(5) and fan_in = Cin * K,
i.e. weight ~ U(-b, b) with b = 1 / sqrt(Cin * K), and bias ~ U(-b, b) with the same bound
(the torch.nn.Conv3d rule with spconv's fan).

Accepted for spconv compatibility (keyword only): groups (must be 1), algo, fp32_accum and name
(ignored: there is one algorithm, gather-GEMM-scatter, and float16 sums accumulate in float32).
"""
import math

import torch
from torch import nn

from . import functional as F
from . import geometry


class _SparseConvNd(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 indice_key=None, groups=1, algo=None, fp32_accum=None, name=None):
        super().__init__()
        if groups != 1:
            raise ValueError(f"{type(self).__name__}: groups must be 1 (grouped sparse conv is not supported), "
                             f"got {groups}")
        for n, v in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{type(self).__name__}: {n} must be an int >= 1, got {v!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = geometry.triple(kernel_size, "kernel_size")
        self.stride = geometry.triple(stride, "stride")
        self.padding = geometry.triple(padding, "padding")
        self.dilation = geometry.triple(dilation, "dilation")
        self.indice_key = indice_key
        self.name = name
        K = geometry.kernel_volume(self.kernel_size)
        self.weight = nn.Parameter(torch.empty(K, in_channels, out_channels))
        self.bias = nn.Parameter(torch.empty(out_channels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        """spconv's init: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = Cin * K."""
        bound = 1.0 / math.sqrt(self.in_channels * self.weight.shape[0])
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def _check_input(self, x):
        if x.num_channels != self.in_channels:
            raise ValueError(f"{type(self).__name__}: input features have {x.num_channels} channels, the layer "
                             f"takes in_channels = {self.in_channels}")

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, bias={self.bias is not None}, "
                f"indice_key={self.indice_key!r}")


class SubMConv3d(_SparseConvNd):
    """Submanifold conv: output sites = input sites (odd kernel, stride 1; padding is ignored as
    in spconv). SparseTensor [N, in_channels] -> [N, out_channels]."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, bias=True,
                 indice_key=None, **kwargs):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, bias, indice_key, **kwargs)
        if self.stride != (1, 1, 1):
            raise ValueError(f"SubMConv3d: stride must be 1, got {list(self.stride)}")
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"SubMConv3d: kernel_size must be odd on every axis, got {list(self.kernel_size)}")

    def forward(self, x):
        self._check_input(x)
        return F.subm_conv3d(x, self.weight, self.bias, self.kernel_size, self.dilation, self.indice_key)


class SparseConv3d(_SparseConvNd):
    """Regular (strided) sparse conv, = dense conv3d at the output sites.
    SparseTensor [N, in_channels] -> [M, out_channels] on the (S + 2p - d(K-1) - 1)//s + 1 grid."""

    def forward(self, x):
        self._check_input(x)
        return F.conv3d(x, self.weight, self.bias, self.kernel_size, self.stride, self.padding, self.dilation,
                        self.indice_key)


class SparseConvTranspose3d(_SparseConvNd):
    """Transposed sparse conv (new output sites o = i*s - p + k*d on the (S-1)s - 2p + d(K-1) + 1
    grid), = dense conv_transpose3d at the output sites (weight [K, Cin, Cout] <->
    conv_transpose3d's [Cin, Cout, kz, ky, kx] through ascend_ops.sparse.weights)."""

    def forward(self, x):
        self._check_input(x)
        return F.conv_transpose3d(x, self.weight, self.bias, self.kernel_size, self.stride, self.padding,
                                  self.dilation, self.indice_key)


class SparseInverseConv3d(_SparseConvNd):
    """Inverse conv: back to the input sites of the SparseConv3d run with the same indice_key,
    through its kernel map with inputs and outputs swapped (spconv SparseInverseConv3d)."""

    def __init__(self, in_channels, out_channels, kernel_size, indice_key, bias=True, **kwargs):
        if indice_key is None:
            raise ValueError("SparseInverseConv3d: indice_key must name the SparseConv3d to invert, got None")
        super().__init__(in_channels, out_channels, kernel_size, bias=bias, indice_key=indice_key, **kwargs)

    def forward(self, x):
        self._check_input(x)
        return F.inverse_conv3d(x, self.weight, self.bias, self.kernel_size, self.indice_key)


class SparseMaxPool3d(nn.Module):
    """Sparse max pool over existing sites (spconv SparseMaxPool3d): regular-map geometry, stride
    defaults to kernel_size. SparseTensor [N, C] -> [M, C]."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, indice_key=None, algo=None, name=None):
        super().__init__()
        self.kernel_size = geometry.triple(kernel_size, "kernel_size")
        self.stride = self.kernel_size if stride is None else geometry.triple(stride, "stride")
        self.padding = geometry.triple(padding, "padding")
        self.dilation = geometry.triple(dilation, "dilation")
        self.indice_key = indice_key
        self.name = name

    def forward(self, x):
        return F.max_pool3d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.indice_key)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, indice_key={self.indice_key!r}")
