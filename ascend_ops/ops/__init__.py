"""The kit's ops. Each op is one module: its contract (ascend_ops/ops/_contract.py OpSpec),
checks, pure-PyTorch reference and public function. Registering an op is one import line here."""
from .deformable_aggregation import deformable_aggregation, deformable_aggregation_reference
from .foreground_gather import foreground_gather, foreground_gather_reference
from .msmv_sampling import FlatMlvlFeats, flatten_mlvl_feats, msmv_sampling, msmv_sampling_reference
from .points_in_boxes import (points_in_boxes_3d, points_in_boxes_3d_reference, points_in_boxes_bev,
                              points_in_boxes_bev_reference, points_in_boxes_first, points_in_boxes_first_reference)
from .scatter_mean import scatter_mean, scatter_mean_reference
from .sparse2bev import sparse2bev, sparse2bev_reference
from .sparse_gather import sparse_gather, sparse_gather_reference
from .sparse_kernel_map import sparse_kernel_map, sparse_kernel_map_reference
from .sparse_max_pool import sparse_max_pool, sparse_max_pool_reference
from .sparse_scatter_add import sparse_scatter_add, sparse_scatter_add_reference
from .sphash import fold60, sphash, sphash_kernel, sphash_kernel_reference, sphash_reference
from .sphashquery import sphashquery, sphashquery_reference
from .spcount import spcount, spcount_reference
from .spvoxelize import spvoxelize, spvoxelize_reference
from .spdevoxelize import spdevoxelize, spdevoxelize_reference
from .voxelize import dynamic_voxelize, dynamic_voxelize_reference, hard_voxelize, hard_voxelize_reference
from . import kmeans_bounds_step as _kmeans_bounds_step, kmeanspp as _kmeanspp  # noqa: F401  (used by anchors.kmeans)

import types as _types  # noqa: E402

from .. import _ext as _ext_libraries  # noqa: E402  (the schemas above exist before the libraries register kernels)

_ext_libraries.load()

__all__ = [name for name, value in dict(globals()).items()
           if not name.startswith("_") and not isinstance(value, _types.ModuleType)]
