"""The convolution and max-pool machinery shared by the spconv 1.x and 2.x front ends.

A front-end conv keeps spconv's parameters in the layout of its version (so state_dicts load
into the real package and back as they are) and converts them in forward to the engine's
[K, Cin, Cout] (a reshape, or a permute + reshape: cheap, differentiable):

    1.x (v1.2.1 spconv/conv.py:110-111)          weight [kz, ky, kx, Cin, Cout]  (RSCK)
    2.x (2.3.8 spconv/pytorch/conv.py:129-138,   weight [Cout, kz, ky, kx, Cin]  (KRSC,
         constants.py ALL_WEIGHT_IS_KRSC = True)                                  ALL_WEIGHT_IS_KRSC)

A conv of kernel volume 1 that keeps its sites (submanifold, or stride 1: spconv's `conv1x1`,
2.x conv.py:95-102 and 225-241; 1.x conv.py:96 and 146-157) is `features @ W` on the same
sites, with W read from the weight's memory as [Cin, Cout] (`weight.view(Cin, Cout)`) in BOTH
versions, as spconv does; for a 2.x KRSC weight [Cout, 1, 1, 1, Cin] that is not the KRSC
reading (a quirk of spconv 2.x kept here, so its checkpoints mean the same thing).
Every other conv goes to the engine (ascend_ops.sparse.functional): submanifold, regular,
transposed, inverse (through the map cached under indice_key).
"""
import enum
import math

import torch
from torch import nn

from ascend_ops.sparse import functional as F

from ._tensor import SparseConvTensor, expand_nd


class ConvAlgo(enum.Enum):
    """Accepted and ignored (the kit has one algorithm: gather-GEMM-scatter). Members of 2.x
    (spconv/core.py:25-28: Native, MaskImplicitGemm, MaskSplitImplicitGemm) and of 1.x
    (v1.2.1 spconv/ops.py:22-25: Native, Batch, BatchGemmGather)."""
    Native = 0
    MaskImplicitGemm = 1
    MaskSplitImplicitGemm = 2
    Batch = 3
    BatchGemmGather = 4


class SparseModule(nn.Module):
    """spconv's SparseModule (2.x modules.py:50-56; 1.x modules.py:49-52): a module that takes
    the sparse tensor itself inside SparseSequential. One class serves both namespaces."""

    def __init__(self, name=None):
        super().__init__()
        self.name = name
        self._sparse_unique_name = ""


def get_conv_output_size(input_size, kernel_size, stride, padding, dilation):
    """spconv ops.get_conv_output_size (2.x ops.py:73-83, 1.x ops.py:28-38)."""
    return [(i + 2 * p - d * (k - 1) - 1) // s + 1 if k != -1 else 1
            for i, k, s, p, d in zip(input_size, kernel_size, stride, padding, dilation)]


def get_deconv_output_size(input_size, kernel_size, stride, padding, dilation, output_padding):
    """spconv ops.get_deconv_output_size (2.x ops.py:86-96): (S-1)s - 2p + k + output_padding
    (dilation is not used there)."""
    return [(i - 1) * s - 2 * p + k + op for i, k, s, p, op in zip(input_size, kernel_size, stride, padding,
                                                                     output_padding)]


class ConvBase(SparseModule):
    """One spconv sparse convolution of either version. Subclasses set LAYOUT ("RSCK" for 1.x,
    "KRSC" for 2.x) and call `_setup` with spconv's constructor arguments."""

    LAYOUT = None

    def _setup(self, ndim, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, subm,
               output_padding, transposed, inverse, indice_key, algo, device=None, dtype=None):
        cls = type(self).__name__
        if ndim != 3:
            raise NotImplementedError(f"{cls}: the kit's spconv front end supports 3D sparse convolutions only, "
                                      f"got ndim={ndim}")
        if groups != 1:
            raise ValueError(f"{cls}: groups must be 1 (as in spconv), got {groups}")
        self.ndim = ndim
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = expand_nd(kernel_size, "kernel_size")
        self.stride = expand_nd(stride, "stride")
        self.padding = expand_nd(padding, "padding")
        self.dilation = expand_nd(dilation, "dilation")
        self.output_padding = expand_nd(output_padding, "output_padding")
        if any(self.output_padding):
            raise NotImplementedError(f"{cls}: output_padding is not supported by the kit's engine, got "
                                      f"{self.output_padding}")
        self.groups = groups
        self.subm, self.transposed, self.inverse = bool(subm), bool(transposed), bool(inverse)
        self.indice_key = indice_key
        self.algo = algo
        kv = math.prod(self.kernel_size)
        # spconv 2.x conv.py:95-102: kernel volume 1 and (submanifold or stride 1) -> a plain GEMM
        self.conv1x1 = kv == 1 and (self.subm or math.prod(self.stride) == 1) and not self.inverse
        if self.conv1x1 and not self.subm and any(self.padding):
            raise ValueError(f"{cls}: padding must be zero for a 1x1x1 conv with stride 1 (as in spconv), got "
                             f"{self.padding}")
        if self.subm and (self.stride != [1, 1, 1] or any(k % 2 == 0 for k in self.kernel_size)):
            raise ValueError(f"{cls}: a submanifold conv needs stride 1 and odd kernel sizes, got stride "
                             f"{self.stride}, kernel_size {self.kernel_size}")
        if self.inverse and indice_key is None:
            raise ValueError(f"{cls}: indice_key must name the SparseConv3d to invert, got None")
        shape = ([*self.kernel_size, self.in_channels, self.out_channels] if self.LAYOUT == "RSCK"
                 else [self.out_channels, *self.kernel_size, self.in_channels])
        self.weight = nn.Parameter(torch.empty(*shape, device=device, dtype=dtype))
        if bias:
            self.bias = nn.Parameter(torch.empty(self.out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    # -- parameters ----------------------------------------------------------------------------
    def _fan_in(self):
        return self.in_channels * math.prod(self.kernel_size)

    def reset_parameters(self):
        """spconv 2.x's init (conv.py:705-750): weight and bias ~ U(+-1/sqrt(Cin*K)) (kaiming
        uniform, a = sqrt(5), fan_in = Cin*K). The 1.x class overrides it with 1.x's."""
        bound = 1.0 / math.sqrt(self._fan_in())
        with torch.no_grad():
            self.weight.uniform_(-bound, bound)
            if self.bias is not None:
                self.bias.uniform_(-bound, bound)

    def engine_weight(self):
        """The weight as the engine's [K, Cin, Cout] (a view for RSCK and for conv1x1)."""
        w = self.weight
        if self.LAYOUT == "RSCK" or self.conv1x1:
            return w.reshape(-1, self.in_channels, self.out_channels)
        return w.permute(1, 2, 3, 4, 0).reshape(-1, self.in_channels, self.out_channels)

    # -- forward -------------------------------------------------------------------------------
    def forward(self, input):
        x = SparseConvTensor._of(input)
        if x.features.shape[1] != self.in_channels:
            raise ValueError(f"{type(self).__name__}: input features have {x.features.shape[1]} channels, the layer "
                             f"takes in_channels = {self.in_channels}")
        w = self.engine_weight()
        if self.conv1x1:   # spconv: torch.mm(features, weight.view(Cin, Cout)) (+ bias), same sites
            out = x.replace_feature(torch.mm(x.features, w[0]) + self.bias if self.bias is not None
                                    else torch.mm(x.features, w[0]))
            if not self.subm:
                out.spatial_shape = get_conv_output_size(x.spatial_shape, self.kernel_size, self.stride,
                                                         self.padding, self.dilation)
            return out
        if self.subm:
            y = F.subm_conv3d(x, w, self.bias, self.kernel_size, self.dilation, self.indice_key)
        elif self.inverse:
            y = F.inverse_conv3d(x, w, self.bias, self.kernel_size, self.indice_key)
        elif self.transposed:
            y = F.conv_transpose3d(x, w, self.bias, self.kernel_size, self.stride, self.padding, self.dilation,
                                   self.indice_key)
        else:
            y = F.conv3d(x, w, self.bias, self.kernel_size, self.stride, self.padding, self.dilation,
                         self.indice_key)
        return SparseConvTensor._adopt(y, x)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if any(self.padding):
            s += f", padding={self.padding}"
        if self.dilation != [1, 1, 1]:
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        if self.indice_key is not None:
            s += f", indice_key={self.indice_key!r}"
        return s


class MaxPoolBase(SparseModule):
    """spconv's sparse max pool over the regular map of (kernel_size, stride, padding, dilation).
    As spconv (2.x ops.py indice_maxpool and 1.x src/spconv/pool_ops.cc:12 start every output from
    zero), the result is max(0, max over the existing input sites) = relu of the engine's max."""

    def _setup(self, ndim, kernel_size, stride, padding, dilation, indice_key, subm, algo):
        if ndim != 3:
            raise NotImplementedError(f"{type(self).__name__}: the kit's spconv front end supports 3D only, got "
                                      f"ndim={ndim}")
        if subm:
            raise NotImplementedError(f"{type(self).__name__}: submanifold max pool is not supported")
        self.ndim = ndim
        self.kernel_size = expand_nd(kernel_size, "kernel_size")
        self.stride = list(self.kernel_size) if stride is None else expand_nd(stride, "stride")
        self.padding = expand_nd(padding, "padding")
        self.dilation = expand_nd(dilation, "dilation")
        self.subm = subm
        self.indice_key = indice_key
        self.algo = algo

    def forward(self, input):
        x = SparseConvTensor._of(input)
        y = F.max_pool3d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.indice_key)
        out = SparseConvTensor._adopt(y, x)
        out.features = torch.relu(out.features)
        return out

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, dilation={self.dilation}"


__all__ = ["ConvAlgo", "ConvBase", "MaxPoolBase", "SparseModule", "get_conv_output_size", "get_deconv_output_size"]
