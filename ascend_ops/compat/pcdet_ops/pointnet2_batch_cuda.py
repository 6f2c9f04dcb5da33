"""Served as `pcdet.ops.pointnet2.pointnet2_batch.pointnet2_batch_cuda`: imports, every function raises NotImplementedError naming it (see _stubs.py)."""
from . import _stubs

_stubs.populate(globals(), "pcdet.ops.pointnet2.pointnet2_batch.pointnet2_batch_cuda")
