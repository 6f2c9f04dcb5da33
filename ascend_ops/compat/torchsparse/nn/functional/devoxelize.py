"""torchsparse.nn.functional.devoxelize: spdevoxelize and calc_ti_weights (torchsparse 2.1,
nn/functional/devoxelize.py:11-101) on the kit's op `spdevoxelize` and
ascend_ops.ops.point_voxel.calc_ti_weights.

spdevoxelize(feats [M, C], coords = indices int [N, 8] (-1 = missing corner), weights [N, 8])
-> [N, C] = sum_k weights[n, k] * feats[indices[n, k]]; differentiable w.r.t. feats AND weights
(upstream: feats only). calc_ti_weights(coords [N, 3] float, idx_query [N, 8], scale=1) -> [N, 8]
trilinear weights, corner k = 4 dx + 2 dy + dz, missing corners 0, normalised (no gradient)."""
import torch

from ascend_ops.ops.point_voxel import calc_ti_weights as _calc_ti_weights
from ascend_ops.ops.spdevoxelize import spdevoxelize as _spdevoxelize

__all__ = ["spdevoxelize", "calc_ti_weights"]


def calc_ti_weights(coords: torch.Tensor, idx_query: torch.Tensor, scale: float = 1) -> torch.Tensor:
    return _calc_ti_weights(coords, idx_query, scale)


def spdevoxelize(feats: torch.Tensor, coords: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return _spdevoxelize(feats, coords, weights)
