"""Op case of sphash (torchsparse 2.1's FNV-1a coordinate hash; SPVNAS)."""
import torch

from . import _torchsparse_points_data as data

OP = "sphash"


def _coords(scene, device):
    return scene["voxels"].to(device)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """~30 voxel coords int32 [M, 4] (b, x, y, z), negative x / y included."""
    return (_coords(data.small_scene(seed), device),)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SPVNAS SemanticKITTI: ~82k voxel coords int32 [M, 4] of a 100k-point scan (quick: 8k points)."""
    return (_coords(data.real_scene(seed, quick), device),)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    return (torch.zeros(0, 4, dtype=torch.int32, device=device),)


def extremes(device, dtype=torch.float32, seed=0, quick=False):
    """int32 limits and -1 in every column (the uint32 reinterpretation of negative words)."""
    v = [-2**31, -1, 0, 1, 2**31 - 1]
    rows = [[a, b, c, d] for a in v for b in v for c in (v[0], v[2], v[4]) for d in (v[1], v[3])]
    return (torch.tensor(rows, dtype=torch.int32, device=device),)


def cases():
    return {"small": small, "real": real, "empty": empty, "extremes": extremes}


def tolerance(dtype):
    return (0.0, 0.0)   # integer output: exact


def bad_inputs(device):
    (c,) = small(device)
    return [
        ((c[:, :3],), ValueError, r"coords.shape\[1\] must equal 4"),
        ((c.float(),), TypeError, "coords must have dtype"),
        ((c.to(torch.int16),), TypeError, "coords must have dtype"),
        ((c.long() + 2**31,), ValueError, "coords holds values in .* outside the int32 range"),
        ((c[None],), ValueError, "coords must have 2 dims"),
    ]
