"""torchsparse.nn.functional.spvoxelize (torchsparse 2.1, nn/functional/voxelize.py:11-59) on the
kit's op `spvoxelize`: out[m] = sum_{idx[i] = m} feats[i] / counts[m]; differentiable w.r.t. feats."""
import torch

from ascend_ops.ops.spvoxelize import spvoxelize as _spvoxelize

__all__ = ["spvoxelize"]


def spvoxelize(feats: torch.Tensor, coords: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    """feats [N, C], coords = idx int [N] (negative: no voxel), counts int [M] -> [M, C]."""
    return _spvoxelize(feats, coords, counts)
