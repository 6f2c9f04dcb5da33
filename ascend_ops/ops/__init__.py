"""The kit's ops. Each op is one module: schema, checks, pure-PyTorch reference, dispatch."""
from .deformable_aggregation import deformable_aggregation, deformable_aggregation_reference
from .foreground_gather import foreground_gather, foreground_gather_reference
from .msmv_sampling import FlatMlvlFeats, flatten_mlvl_feats, msmv_sampling, msmv_sampling_reference
from . import kmeans_bounds_step as _kmeans_bounds_step, kmeanspp as _kmeanspp  # noqa: F401  (used by anchors.kmeans)

__all__ = ["deformable_aggregation", "deformable_aggregation_reference", "foreground_gather", "foreground_gather_reference",
           "FlatMlvlFeats", "flatten_mlvl_feats", "msmv_sampling", "msmv_sampling_reference"]
