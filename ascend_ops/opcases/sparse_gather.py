"""Op case of sparse_gather (issue 12); protocol in ascend_ops.opcases.

Arguments: (features [N, C], index int32 [P]). "real": the in_index of the 3x3x3 submanifold
kernel map of a ray-cast KITTI-like frame (~15k voxels, C=64), i.e. the gather of
VoxelResBackBone8x's first layers.
"""
import functools

import torch

from ..ops.sparse_kernel_map import sparse_kernel_map_reference
from ._sparse_data import KITTI_SHAPE, lidar_batch_coords

OP = "sparse_gather"
REAL_VOXELS, REAL_QUICK_VOXELS, REAL_CHANNELS = 15000, 4000, 64


@functools.lru_cache(maxsize=4)
def real_kernel_map(voxels, seed, kernel=3, stride=1, padding=0, mode=0):
    """(N, the reference kernel map's outputs) of a KITTI-like frame of `voxels` sites."""
    coords = lidar_batch_coords(voxels, 1, seed)
    k, s, p = [kernel] * 3, [stride] * 3, [padding] * 3
    return coords.shape[0], sparse_kernel_map_reference(coords, list(KITTI_SHAPE), 1, k, s, p, [1, 1, 1], mode)


def _features(n, c, g, dtype, device):
    return torch.randn(n, c, generator=g).to(device, dtype)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """features [20, 5], index [50] (repeats, some rows never read)."""
    g = torch.Generator().manual_seed(seed)
    f = _features(20, 5, g, dtype, device)
    return f, torch.randint(18, (50,), generator=g).to(device, torch.int32)


def small_int64(device, dtype=torch.float32, seed=0, quick=False):
    """The small case with an int64 index."""
    f, index = small(device, dtype, seed)
    return f, index.long()


def real(device, dtype=torch.float32, seed=0, quick=False):
    """KITTI-like frame: features [N ~ 15000, 64] (N ~ 4000 with quick=True), index = in_index of
    its 3x3x3 submanifold map (P ~ 4 N)."""
    n, (_, in_index, _, _) = real_kernel_map(REAL_QUICK_VOXELS if quick else REAL_VOXELS, seed)
    g = torch.Generator().manual_seed(seed)
    return _features(n, REAL_CHANNELS, g, dtype, device), in_index.to(device)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No rows: features [0, 64], index [0]."""
    return torch.zeros(0, REAL_CHANNELS).to(device, dtype), torch.zeros(0, dtype=torch.int32, device=device)


def no_pairs(device, dtype=torch.float32, seed=0, quick=False):
    """features [10, 64], index [0]: out [0, 64], grad_features all zero."""
    g = torch.Generator().manual_seed(seed)
    return _features(10, REAL_CHANNELS, g, dtype, device), torch.zeros(0, dtype=torch.int32, device=device)


def cases():
    return {"small": small, "small_int64": small_int64, "real": real, "empty": empty, "no_pairs": no_pairs}


def tolerance(dtype):
    # forward: a copy (exact); backward: float16/bfloat16 sums accumulated in float32 (only the
    # order of the additions may differ)
    return {torch.float16: (1e-3, 1e-3), torch.bfloat16: (8e-3, 8e-3),
            torch.float64: (1e-12, 1e-12)}.get(dtype, (1e-6, 1e-5))


def bad_inputs(device):
    f, index = small(device)
    high, low = index.clone(), index.clone()
    high[4] = 20
    low[9] = -1
    return [
        ((f, high), ValueError, r"sparse_gather: index\[4\] = 20 is outside \[0, features.shape\[0\] \(N\) = 20\)"),
        ((f, low), ValueError, r"index\[9\] = -1 is outside"),
        ((f, high.long() + 2 ** 40), ValueError, r"index\[\d+\] = \d+ is outside"),
        ((f, index.float()), TypeError, r"index must have dtype"),
        ((f.int(), index), TypeError, r"features must have dtype"),
        ((f, index[:, None]), ValueError, r"index must have 1 dims"),
        ((f[0], index), ValueError, r"features must have 2 dims"),
    ]


def baseline_inputs(features, index):
    return features, index


def baseline(features, index):
    """Plain advanced indexing (what a pure-PyTorch sparse conv does)."""
    return features[index.long()]
