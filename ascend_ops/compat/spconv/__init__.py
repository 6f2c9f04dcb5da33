"""spconv served by the kit (issue 13; docs/compat-spconv.md): the 1.x namespace at top level
(`import spconv`) and the 2.x namespace under `spconv.pytorch`, on the kit's sparse engine
(ascend_ops.sparse). Importable directly as `ascend_ops.compat.spconv`, or as `spconv` once the
front end is installed (`ascend-kit compat install spconv`) or activated
(`ascend_ops.compat.activate(["spconv"])`).

1.x names (traveller59/spconv v1.2.1 spconv/__init__.py:21-127): SparseConvTensor, SubMConv3d,
SparseConv3d, SparseInverseConv3d, SparseConvTranspose3d (weights RSCK [kz, ky, kx, Cin, Cout]),
SparseMaxPool3d (stride defaults to kernel_size), SparseSequential (non-sparse modules assign
`x.features` in place), SparseModule, ToDense, RemoveGrid, Identity, AddTable, ConcatTable,
JoinTable, ConvAlgo, scatter_nd, and the submodules conv (SparseConvolution), pool, modules, ops,
tables, identity, utils (VoxelGeneratorV2, VoxelGenerator; 2.x's Point2VoxelCPU3d). 3D only.

`__version__` is "2.3.8" (the 2.x API level served under spconv.pytorch; OpenPCDet's
spconv_utils parses it), `constants` and `core` carry the 2.x names model code sets or imports.
Checkpoints: `convert_checkpoint(state_dict, from_version, to_version)` (checkpoint.py).
"""
from ._conv import ConvAlgo, SparseModule
from ._tensor import SparseConvTensor, scatter_nd
from . import checkpoint, constants, conv, core, identity, modules, ops, pool, tables, utils
from .checkpoint import convert_checkpoint, convert_weight
from .conv import SparseConv3d, SparseConvTranspose3d, SparseInverseConv3d, SubMConv3d
from .identity import Identity
from .modules import SparseSequential
from .pool import SparseMaxPool3d
from .tables import AddTable, ConcatTable, JoinTable

__version__ = "2.3.8"
SPCONV_VERSION_NUMBERS = [2, 3, 8]
ASCEND_KIT_FRONT_END = True


class ToDense(SparseModule):
    """SparseConvTensor -> dense [B, C, Z, Y, X] (v1.2.1 spconv/__init__.py:115-119)."""

    def forward(self, x):
        return x.dense()


class RemoveGrid(SparseModule):
    def forward(self, x):
        x.grid = None
        return x


from . import pytorch  # noqa: E402  (the 2.x namespace; imports this package's modules)

__all__ = ["AddTable", "ConcatTable", "ConvAlgo", "Identity", "JoinTable", "RemoveGrid", "SparseConv3d",
           "SparseConvTensor", "SparseConvTranspose3d", "SparseInverseConv3d", "SparseMaxPool3d", "SparseModule",
           "SparseSequential", "SubMConv3d", "ToDense", "__version__", "checkpoint", "constants", "conv",
           "convert_checkpoint", "convert_weight", "core", "identity", "modules", "ops", "pool", "pytorch", "scatter_nd",
           "tables", "utils"]
