"""Served as `pcdet.ops.bev_pool.bev_pool_ext`: imports, every function raises NotImplementedError naming it (see _stubs.py)."""
from . import _stubs

_stubs.populate(globals(), "pcdet.ops.bev_pool.bev_pool_ext")
