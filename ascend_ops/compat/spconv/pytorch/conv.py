"""spconv 2.x convolutions (`spconv.pytorch.conv`), transcribing the signatures and defaults of
spconv 2.3.8 spconv/pytorch/conv.py: SparseConvolution (lines 563-764), SparseConv3d (837-869),
SparseConvTranspose3d (979-1012), SparseInverseConv3d (1103-1126), SubMConv3d (1223-1254).
Weights are stored KRSC [Cout, kz, ky, kx, Cin] (conv.py:136-138 with ALL_WEIGHT_IS_KRSC);
3D only. algo, fp32_accum, record_voxel_count, large_kernel_fast_algo and name are accepted
(record_voxel_count keeps spconv's buffer `max_num_voxels_during_training`, conv.py:619-624, so
state_dicts match); act_type / act_alpha / act_beta must be the identity (fused activations are
spconv's inference-only int8 path)."""
import torch

from .._conv import ConvAlgo, ConvBase

_MAX_NUM_VOXELS_DURING_TRAINING = "max_num_voxels_during_training"


class SparseConvolution(ConvBase):
    """spconv 2.x's base class (isinstance target, e.g. OpenPCDet's find_all_spconv_keys)."""

    LAYOUT = "KRSC"
    __constants__ = ["stride", "padding", "dilation", "groups", "bias", "subm", "inverse", "transposed",
                     "output_padding"]

    def __init__(self, ndim, in_channels, out_channels, kernel_size=3, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, subm=False, output_padding=0, transposed=False, inverse=False, indice_key=None,
                 algo=None, fp32_accum=None, record_voxel_count=False, act_type=None, act_alpha=0, act_beta=0,
                 large_kernel_fast_algo=False, name=None, device=None, dtype=None):
        super().__init__(name=name)
        if act_type is not None and "none" not in str(act_type).lower():
            raise NotImplementedError(f"{type(self).__name__}: fused activations (act_type={act_type}) are not "
                                      f"supported by the kit's front end")
        self.fp32_accum = fp32_accum
        self.record_voxel_count = record_voxel_count
        self.act_type, self.act_alpha, self.act_beta = act_type, act_alpha, act_beta
        self._setup(ndim, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, subm,
                    output_padding, transposed, inverse, indice_key, ConvAlgo.Native if algo is None else algo,
                    device=device, dtype=dtype)
        if record_voxel_count and not self.subm and not self.inverse:
            self.register_buffer(_MAX_NUM_VOXELS_DURING_TRAINING, torch.zeros(1, dtype=torch.int32, device=device))

    def is_inverseable(self):
        return self.indice_key is not None and not self.subm

    def get_max_num_voxels(self):
        return getattr(self, _MAX_NUM_VOXELS_DURING_TRAINING, None)

    def forward(self, input, add_input=None):
        out = super().forward(input)
        if self.record_voxel_count and not self.subm and not self.inverse:
            buf = getattr(self, _MAX_NUM_VOXELS_DURING_TRAINING)
            buf.fill_(max(int(buf.item()), out.indices.shape[0]))
        if add_input is not None:   # spconv conv.py:511-515 (identity activation)
            out = out.replace_feature(out.features + add_input.features)
        return out


class SparseConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, algo=None, fp32_accum=None, record_voxel_count=False,
                 large_kernel_fast_algo=False, name=None):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         indice_key=indice_key, algo=algo, fp32_accum=fp32_accum,
                         large_kernel_fast_algo=large_kernel_fast_algo, record_voxel_count=record_voxel_count,
                         name=name)


class SparseConvTranspose3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, algo=None, fp32_accum=None, record_voxel_count=False,
                 large_kernel_fast_algo=False, name=None):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         transposed=True, indice_key=indice_key, algo=algo, fp32_accum=fp32_accum,
                         large_kernel_fast_algo=large_kernel_fast_algo, record_voxel_count=record_voxel_count,
                         name=name)


class SparseInverseConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, indice_key, bias=True, algo=None, fp32_accum=None,
                 large_kernel_fast_algo=False, name=None):
        super().__init__(3, in_channels, out_channels, kernel_size, bias=bias, inverse=True, indice_key=indice_key,
                         algo=algo, fp32_accum=fp32_accum, large_kernel_fast_algo=large_kernel_fast_algo, name=name)


class SubMConv3d(SparseConvolution):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 indice_key=None, algo=None, fp32_accum=None, large_kernel_fast_algo=False, name=None):
        super().__init__(3, in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, True,
                         indice_key=indice_key, algo=algo, fp32_accum=fp32_accum,
                         large_kernel_fast_algo=large_kernel_fast_algo, name=name)


__all__ = ["SparseConv3d", "SparseConvTranspose3d", "SparseConvolution", "SparseInverseConv3d", "SubMConv3d"]
