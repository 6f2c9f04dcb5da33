"""Served as `pcdet.ops.ingroup_inds.ingroup_inds_cuda`: imports, every function raises NotImplementedError naming it (see _stubs.py)."""
from . import _stubs

_stubs.populate(globals(), "pcdet.ops.ingroup_inds.ingroup_inds_cuda")
