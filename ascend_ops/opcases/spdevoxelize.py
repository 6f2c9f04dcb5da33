"""Op case of spdevoxelize (trilinear devoxelization; torchsparse / SPVNAS voxel_to_point)."""
import torch

from . import _torchsparse_points_data as data
from ..ops.point_voxel import calc_ti_weights

OP = "spdevoxelize"


def _inputs(scene, device, dtype, index_dtype=torch.int64):
    pc = scene["point_coords"]
    indices = data.corner_rows(pc, scene["voxels"])
    weights = calc_ti_weights(pc[:, 1:], indices)
    return (scene["voxel_feats"].to(device, dtype), indices.to(device, index_dtype), weights.to(device, dtype))


def small(device, dtype=torch.float32, seed=0, quick=False):
    """voxel feats [M ~ 30, 5], indices int64 [40, 8] (-1 for absent corners), weights [40, 8]."""
    return _inputs(data.small_scene(seed), device, dtype)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SPVNAS voxel_to_point at stride 1: 100k points (quick: 8k), ~82k voxels, C = 32, int32 indices."""
    return _inputs(data.real_scene(seed, quick), device, dtype, torch.int32)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    return (torch.zeros(4, 5, dtype=dtype, device=device), torch.zeros(0, 8, dtype=torch.int64, device=device),
            torch.zeros(0, 8, dtype=dtype, device=device))


def no_voxels(device, dtype=torch.float32, seed=0, quick=False):
    """M = 0: every corner missing."""
    return (torch.zeros(0, 5, dtype=dtype, device=device), torch.full((6, 8), -1, dtype=torch.int64, device=device),
            torch.rand(6, 8, generator=torch.Generator().manual_seed(seed)).to(device, dtype))


def cases():
    return {"small": small, "real": real, "empty": empty, "no_voxels": no_voxels}


def tolerance(dtype):
    return {torch.float16: (1e-2, 1e-2), torch.bfloat16: (2e-2, 2e-2), torch.float64: (1e-12, 1e-12)}.get(
        dtype, (1e-5, 1e-5))


def bad_inputs(device):
    f, idx, w = small(device)
    M = f.shape[0]
    big = idx.clone()
    big[4, 6] = M
    return [
        ((f, big, w), ValueError, rf"spdevoxelize: indices\[4, 6\] = {M} must be < feats.shape\[0\] \(M\) = {M}"),
        ((f, idx, w[:, :7]), ValueError, r"weights must have indices' shape \[N, K\] = \(40, 8\)"),
        ((f, idx.float(), w), TypeError, "indices must have dtype"),
        ((f.int(), idx, w), TypeError, "feats must have dtype"),
        ((f, idx, w.long()), TypeError, "weights must have dtype"),
        ((f, idx[0], w), ValueError, "indices must have 2 dims"),
    ]
