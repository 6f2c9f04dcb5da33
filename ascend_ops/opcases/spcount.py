"""Op case of spcount (points per voxel; torchsparse / SPVNAS)."""
import torch

from . import _torchsparse_points_data as data

OP = "spcount"


def _with_misses(scene, seed):
    voxels, inverse = data.drop_voxels(scene["voxels"], scene["inverse"], 0.2, seed)
    return inverse, voxels.shape[0]


def small(device, dtype=torch.float32, seed=0, quick=False):
    """40 points' voxel rows int64 [N] (about a fifth -1) and num = M."""
    idx, num = _with_misses(data.small_scene(seed), seed)
    return idx.to(device), num


def real(device, dtype=torch.float32, seed=0, quick=False):
    """100k points (quick: 8k) of a SemanticKITTI-like scan, int32 rows as torchsparse passes them."""
    idx, num = _with_misses(data.real_scene(seed, quick), seed)
    return idx.to(device, torch.int32), num


def empty(device, dtype=torch.float32, seed=0, quick=False):
    return torch.zeros(0, dtype=torch.int64, device=device), 5


def no_voxels(device, dtype=torch.float32, seed=0, quick=False):
    """num = 0 and every entry negative."""
    return torch.full((7,), -1, dtype=torch.int64, device=device), 0


def cases():
    return {"small": small, "real": real, "empty": empty, "no_voxels": no_voxels}


def tolerance(dtype):
    return (0.0, 0.0)


def bad_inputs(device):
    idx, num = small(device)
    big = idx.clone()
    big[3] = num
    return [
        ((big, num), ValueError, rf"spcount: idx\[3\] = {num} must be < num = {num}"),
        ((idx, -1), ValueError, "num must be >= 0"),
        ((idx, 2.0), TypeError, "num must be an int"),
        ((idx.float(), num), TypeError, "idx must have dtype"),
        ((idx[None], num), ValueError, "idx must have 1 dims"),
    ]
