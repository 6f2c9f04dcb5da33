"""The kit's ops. Each op is one module: schema, checks, pure-PyTorch reference, dispatch."""
from .deformable_aggregation import deformable_aggregation, deformable_aggregation_reference
from .msmv_sampling import FlatMlvlFeats, flatten_mlvl_feats, msmv_sampling, msmv_sampling_reference
from .points_in_boxes import (points_in_boxes_3d, points_in_boxes_3d_reference, points_in_boxes_bev,
                              points_in_boxes_bev_reference, points_in_boxes_first, points_in_boxes_first_reference)
from . import kmeans_bounds_step as _kmeans_bounds_step, kmeanspp as _kmeanspp  # noqa: F401  (used by anchors.kmeans)

__all__ = ["deformable_aggregation", "deformable_aggregation_reference",
           "FlatMlvlFeats", "flatten_mlvl_feats", "msmv_sampling", "msmv_sampling_reference",
           "points_in_boxes_bev", "points_in_boxes_bev_reference", "points_in_boxes_3d",
           "points_in_boxes_3d_reference", "points_in_boxes_first", "points_in_boxes_first_reference"]
