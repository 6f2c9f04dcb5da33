"""spconv 2.x namespace `spconv.pytorch` served by the kit (issue 13; docs/compat-spconv.md).

Names as spconv 2.3.8 spconv/pytorch/__init__.py: SparseConvTensor, SubMConv3d, SparseConv3d,
SparseConvTranspose3d, SparseInverseConv3d, SparseMaxPool3d, SparseModule, SparseSequential,
SparseBatchNorm, SparseReLU, SparseIdentity, assign_name_for_sparse_modules, Identity,
AddTable, ConcatTable, JoinTable, ToDense, RemoveGrid, ConvAlgo, and the submodules conv,
pool, modules, core, ops, tables, utils (PointToVoxel). 3D only. Weights KRSC
[Cout, kz, ky, kx, Cin] as spconv 2.x: state_dicts load into the real package and back as
they are.
"""
from .._conv import ConvAlgo, SparseModule
from .._tensor import SparseConvTensor
from . import conv, core, identity, modules, ops, pool, tables, utils
from .conv import SparseConv3d, SparseConvolution, SparseConvTranspose3d, SparseInverseConv3d, SubMConv3d
from .identity import Identity
from .modules import (SparseBatchNorm, SparseIdentity, SparseReLU, SparseSequential, SparseSyncBatchNorm,
                      assign_name_for_sparse_modules)
from .pool import SparseMaxPool3d
from .tables import AddTable, ConcatTable, JoinTable


class ToDense(SparseModule):
    """SparseConvTensor -> dense [B, C, Z, Y, X] (spconv/pytorch/__init__.py:31-35)."""

    def forward(self, x):
        return x.dense()


class RemoveGrid(SparseModule):
    def forward(self, x):
        x.grid = None
        return x


__all__ = ["AddTable", "ConcatTable", "ConvAlgo", "Identity", "JoinTable", "RemoveGrid", "SparseBatchNorm",
           "SparseConv3d", "SparseConvTensor", "SparseConvTranspose3d", "SparseConvolution", "SparseIdentity",
           "SparseInverseConv3d", "SparseMaxPool3d", "SparseModule", "SparseReLU", "SparseSequential",
           "SparseSyncBatchNorm", "SubMConv3d", "ToDense", "assign_name_for_sparse_modules", "conv", "core",
           "identity", "modules", "ops", "pool", "tables", "utils"]
