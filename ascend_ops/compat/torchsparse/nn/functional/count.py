"""torchsparse.nn.functional.spcount (torchsparse 2.1, nn/functional/count.py:8-16) on the kit's op
`spcount`: int32 [num] number of entries of idx equal to each row (negative entries skipped)."""
import torch

from ascend_ops.ops.spcount import spcount as _spcount

__all__ = ["spcount"]


def spcount(coords: torch.Tensor, num) -> torch.Tensor:
    """coords: the int idx [N] of each point's voxel (upstream's argument name); num: int (a
    0-dim tensor is read)."""
    return _spcount(coords, int(num))
