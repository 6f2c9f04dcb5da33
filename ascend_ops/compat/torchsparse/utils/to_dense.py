"""torchsparse.utils.to_dense (torchsparse 2.1, torchsparse/utils/to_dense.py:13-64 and the CUDA
kernel backend/voxelize/voxelize_cuda.cu:9-21): features on (b, x, y, z) rows -> a dense
[B, X, Y, Z, C] grid, spatial_range = (B, X, Y, Z).

Upstream runs on CUDA only (NotImplementedError elsewhere); here aten ops on any device,
differentiable w.r.t. feats. Rows outside spatial_range are a ValueError naming coords (upstream
writes out of bounds); duplicated rows are summed (upstream: one of them wins a race)."""
from typing import Tuple

import torch

__all__ = ["to_dense"]


def to_dense(feats: torch.Tensor, coords: torch.Tensor, spatial_range: Tuple[int, ...]) -> torch.Tensor:
    """feats [N, C], coords int [N, 4] (b, x, y, z), spatial_range (B, X, Y, Z) -> [B, X, Y, Z, C]."""
    spatial_range = tuple(int(v) for v in spatial_range)
    if len(spatial_range) != 4:
        raise ValueError(f"to_dense: spatial_range must be (B, X, Y, Z), got {spatial_range}")
    if coords.dim() != 2 or coords.shape[1] != 4 or coords.shape[0] != feats.shape[0]:
        raise ValueError(f"to_dense: coords must be [N, 4] with N = feats.shape[0] = {feats.shape[0]}, "
                         f"got {tuple(coords.shape)}")
    c = coords.long()
    if c.numel():
        hi = torch.tensor(spatial_range, device=c.device)
        bad = ((c < 0) | (c >= hi)).any(1)
        if bool(bad.any()):
            row = int(bad.nonzero()[0, 0])
            raise ValueError(f"to_dense: coords[{row}] = {c[row].tolist()} lies outside spatial_range "
                             f"{spatial_range}")
    B, X, Y, Z = spatial_range
    flat = ((c[:, 0] * X + c[:, 1]) * Y + c[:, 2]) * Z + c[:, 3]
    out = feats.new_zeros(B * X * Y * Z, feats.shape[1]).index_add(0, flat, feats)
    return out.view(B, X, Y, Z, feats.shape[1])
