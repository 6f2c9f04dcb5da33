"""The kit's sparse convolution engine (issue 12): SparseTensor, kernel maps over 64-bit keys,
gather-GEMM-scatter convolutions (submanifold, regular, transposed, inverse) and max pooling,
with spconv 2.x-style modules. Shapes and the design: docs/sparse-engine.md.

    from ascend_ops import sparse
    x = sparse.SparseTensor(features, indices, spatial_shape=(41, 1600, 1408), batch_size=1)
    y = sparse.SubMConv3d(4, 16, 3, indice_key="subm1")(x)
"""
from . import functional, geometry, keys, weights
from .functional import (apply_kernel_map, conv3d, conv_transpose3d, get_kernel_map, inverse_conv3d, max_pool3d,
                         subm_conv3d)
from .kernel_map import KernelMap, build_kernel_map
from .modules import SparseConv3d, SparseConvTranspose3d, SparseInverseConv3d, SparseMaxPool3d, SubMConv3d
from .tensor import SparseTensor

__all__ = ["KernelMap", "SparseConv3d", "SparseConvTranspose3d", "SparseInverseConv3d", "SparseMaxPool3d",
           "SparseTensor", "SubMConv3d", "apply_kernel_map", "build_kernel_map", "conv3d", "conv_transpose3d",
           "functional", "geometry", "get_kernel_map", "inverse_conv3d", "keys", "max_pool3d", "subm_conv3d",
           "weights"]
