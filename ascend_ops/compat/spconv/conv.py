"""spconv 1.x convolutions (`spconv.conv`), transcribing the signatures and defaults of
traveller59/spconv v1.2.1 spconv/conv.py: SparseConvolution (lines 52-217), SparseConv3d
(247-271), SparseConvTranspose3d (329-354), SparseInverseConv3d (375-390), SubMConv3d (420-446).
Weights are stored RSCK [kz, ky, kx, Cin, Cout] as in 1.x (line 110-111); 3D only.
`use_hash`, `algo` and `fused_bn` are accepted and ignored (one algorithm; a fused-BN conv is a
conv with bias)."""
import math

from torch.nn import init

from ._conv import ConvAlgo, ConvBase


def _fan_in_hwio(weight):
    """spconv 1.x _calculate_fan_in_and_fan_out_hwio (conv.py:30-49): fan_in = Cin * K."""
    return weight.size(-2) * weight[..., 0, 0].numel()


class SparseConvolution(ConvBase):
    """spconv 1.x's base class (isinstance target of OpenPCDet's find_all_spconv_keys)."""

    LAYOUT = "RSCK"
    __constants__ = ["stride", "padding", "dilation", "groups", "bias", "subm", "inverse", "transposed",
                     "output_padding", "fused_bn"]

    def __init__(self, ndim, in_channels, out_channels, kernel_size=3, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, subm=False, output_padding=0, transposed=False, inverse=False, indice_key=None,
                 fused_bn=False, use_hash=False, algo=ConvAlgo.Native):
        super().__init__()
        self.fused_bn = fused_bn
        self.use_hash = use_hash
        self._setup(ndim, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, subm,
                    output_padding, transposed, inverse, indice_key, getattr(algo, "value", algo))

    def reset_parameters(self):
        """spconv 1.x's init (conv.py:118-124): torch's kaiming_uniform_(a=sqrt(5)) on the RSCK
        tensor (torch's fan of a 5-D tensor: size(1) * prod(sizes[2:])), bias U(+-1/sqrt(Cin*K))."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(_fan_in_hwio(self.weight))
            init.uniform_(self.bias, -bound, bound)


class SparseConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, use_hash=False, algo=ConvAlgo.Native):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         indice_key=indice_key, use_hash=use_hash, algo=algo)


class SparseConvTranspose3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, use_hash=False, algo=ConvAlgo.Native):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         transposed=True, indice_key=indice_key, use_hash=use_hash, algo=algo)


class SparseInverseConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, indice_key, bias=True, algo=ConvAlgo.Native):
        super().__init__(3, in_channels, out_channels, kernel_size, bias=bias, inverse=True, indice_key=indice_key,
                         algo=algo)


class SubMConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, use_hash=False, algo=ConvAlgo.Native):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, True,
                         indice_key=indice_key, use_hash=use_hash, algo=algo)


__all__ = ["SparseConv3d", "SparseConvTranspose3d", "SparseConvolution", "SparseInverseConv3d", "SubMConv3d"]
