"""Served as `pcdet.ops.roipoint_pool3d.roipoint_pool3d_cuda`: imports, every function raises NotImplementedError naming it (see _stubs.py)."""
from . import _stubs

_stubs.populate(globals(), "pcdet.ops.roipoint_pool3d.roipoint_pool3d_cuda")
