"""Op case of spvoxelize (mean of the points' features per voxel; torchsparse / SPVNAS)."""
import torch

from . import _torchsparse_points_data as data

OP = "spvoxelize"


def _inputs(scene, device, dtype, seed, index_dtype=torch.int64):
    voxels, idx = data.drop_voxels(scene["voxels"], scene["inverse"], 0.2, seed)
    M = voxels.shape[0]
    counts = torch.zeros(M, dtype=torch.int64).index_add_(0, idx.clamp(min=0), (idx >= 0).long()) if M else \
        torch.zeros(0, dtype=torch.int64)
    return scene["feats"].to(device, dtype), idx.to(device, index_dtype), counts.to(device, index_dtype)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """feats [40, 5], idx int64 [40] (about a fifth -1), counts int64 [M ~ 25]."""
    return _inputs(data.small_scene(seed), device, dtype, seed)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SPVNAS stem: 100k points (quick: 8k), C = 32, ~65k voxels, int32 idx / counts."""
    return _inputs(data.real_scene(seed, quick), device, dtype, seed, torch.int32)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    return (torch.zeros(0, 5, dtype=dtype, device=device), torch.zeros(0, dtype=torch.int64, device=device),
            torch.zeros(3, dtype=torch.int64, device=device))


def stale_counts(device, dtype=torch.float32, seed=0, quick=False):
    """counts that are not the point counts (zeros included): the formula still holds (shares
    feats / counts, voxels of count 0 skipped)."""
    f, idx, counts = small(device, dtype, seed)
    g = torch.Generator().manual_seed(seed + 3)
    return f, idx, torch.randint(0, 4, counts.shape, generator=g).to(device)


def cases():
    return {"small": small, "real": real, "empty": empty, "stale_counts": stale_counts}


def tolerance(dtype):
    return {torch.float16: (1e-2, 1e-2), torch.bfloat16: (2e-2, 2e-2), torch.float64: (1e-12, 1e-12)}.get(
        dtype, (1e-5, 1e-5))


def bad_inputs(device):
    f, idx, counts = small(device)
    M = counts.shape[0]
    big = idx.clone()
    big[2] = M
    neg = counts.clone()
    neg[1] = -3
    return [
        ((f, big, counts), ValueError, rf"spvoxelize: idx\[2\] = {M} must be < counts.shape\[0\] \(M\) = {M}"),
        ((f, idx, neg), ValueError, r"spvoxelize: counts\[1\] = -3 must be >= 0"),
        ((f[:-1], idx, counts), ValueError, r"idx.shape\[0\] must equal feats.shape\[0\]"),
        ((f.int(), idx, counts), TypeError, "feats must have dtype"),
        ((f, idx.float(), counts), TypeError, "idx must have dtype"),
        ((f, idx, counts.float()), TypeError, "counts must have dtype"),
        ((f, idx[:, None], counts), ValueError, "idx must have 1 dims"),
    ]
