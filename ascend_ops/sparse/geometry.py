"""Geometry of sparse convolutions (issue 12): per-axis 3-tuples, kernel offsets and output
shapes. Per axis (S input extent, K kernel, s stride, p padding, d dilation):

    submanifold   O = S                                 (odd K, s = 1; padding unused)
    regular       O = (S + 2p - d(K-1) - 1)//s + 1      (= torch.nn.functional.conv3d)
    transposed    O = (S-1)s - 2p + d(K-1) + 1          (= conv_transpose3d, output_padding 0)

Offset k = (iz*KY + iy)*KX + ix (x fastest). The implementation lives in
ascend_ops/ops/_sparse_grid.py (shared with the ops)."""
from ..ops._sparse_grid import (MODE_NAMES, MODES, REGULAR, SUBM, TRANSPOSED, kernel_offsets, kernel_volume,
                                out_extent, out_spatial_shape, triple)


def conv_out_shape(spatial_shape, kernel_size, stride=1, padding=0, dilation=1):
    """(Z, Y, X) of a regular (strided) sparse conv or max pool; ints or 3-tuples."""
    return out_spatial_shape(REGULAR, triple(spatial_shape, "spatial_shape"), triple(kernel_size, "kernel_size"),
                             triple(stride, "stride"), triple(padding, "padding"), triple(dilation, "dilation"))


def transposed_out_shape(spatial_shape, kernel_size, stride=1, padding=0, dilation=1):
    """(Z, Y, X) of a transposed sparse conv (mode 2); ints or 3-tuples."""
    return out_spatial_shape(TRANSPOSED, triple(spatial_shape, "spatial_shape"), triple(kernel_size, "kernel_size"),
                             triple(stride, "stride"), triple(padding, "padding"), triple(dilation, "dilation"))


__all__ = ["MODES", "MODE_NAMES", "REGULAR", "SUBM", "TRANSPOSED", "conv_out_shape", "kernel_offsets",
           "kernel_volume", "out_extent", "out_spatial_shape", "transposed_out_shape", "triple"]
