"""The kit's ops. Each op is one module: schema, checks, pure-PyTorch reference, dispatch."""
from .deformable_aggregation import deformable_aggregation, deformable_aggregation_reference

__all__ = ["deformable_aggregation", "deformable_aggregation_reference"]
