"""Op case of sparse_scatter_add (issue 12); protocol in ascend_ops.opcases.

Arguments: (values [P, C], index int32 [P], num_rows). "real": the out_index of the 3x3x3
submanifold kernel map of a ray-cast KITTI-like frame (~15k voxels, C=64): the scatter of
VoxelResBackBone8x's first layers.
"""
import torch

from .sparse_gather import REAL_CHANNELS, REAL_QUICK_VOXELS, REAL_VOXELS, real_kernel_map

OP = "sparse_scatter_add"


def small(device, dtype=torch.float32, seed=0, quick=False):
    """values [50, 5], index [50] in [0, 18) (repeats), num_rows 20 (rows 18, 19 stay 0)."""
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(50, 5, generator=g).to(device, dtype)
    return values, torch.randint(18, (50,), generator=g).to(device, torch.int32), 20


def small_int64(device, dtype=torch.float32, seed=0, quick=False):
    values, index, n = small(device, dtype, seed)
    return values, index.long(), n


def real(device, dtype=torch.float32, seed=0, quick=False):
    """KITTI-like frame: values [P ~ 4 N, 64], index = out_index of its 3x3x3 submanifold map,
    num_rows = N ~ 15000 (~4000 with quick=True)."""
    n, (_, _, out_index, _) = real_kernel_map(REAL_QUICK_VOXELS if quick else REAL_VOXELS, seed)
    g = torch.Generator().manual_seed(seed)
    values = torch.randn(out_index.shape[0], REAL_CHANNELS, generator=g).to(device, dtype)
    return values, out_index.to(device), n


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """values [0, 64], index [0], num_rows 0."""
    return torch.zeros(0, REAL_CHANNELS).to(device, dtype), torch.zeros(0, dtype=torch.int32, device=device), 0


def no_pairs(device, dtype=torch.float32, seed=0, quick=False):
    """values [0, 64], index [0], num_rows 7: an all-zero [7, 64]."""
    return torch.zeros(0, REAL_CHANNELS).to(device, dtype), torch.zeros(0, dtype=torch.int32, device=device), 7


def cases():
    return {"small": small, "small_int64": small_int64, "real": real, "empty": empty, "no_pairs": no_pairs}


def tolerance(dtype):
    return {torch.float16: (1e-3, 1e-3), torch.bfloat16: (8e-3, 8e-3),
            torch.float64: (1e-12, 1e-12)}.get(dtype, (1e-6, 1e-5))


def bad_inputs(device):
    v, index, n = small(device)
    high, low = index.clone(), index.clone()
    high[4] = n
    low[9] = -3
    return [
        ((v, high, n), ValueError, r"sparse_scatter_add: index\[4\] = 20 is outside \[0, num_rows = 20\)"),
        ((v, low, n), ValueError, r"index\[9\] = -3 is outside"),
        ((v, index[:-1], n), ValueError, r"index.shape\[0\] must equal values.shape\[0\] \(P\)"),
        ((v, index, -1), ValueError, r"num_rows must be >= 0"),
        ((v, index, 2.0), TypeError, r"num_rows must be an int"),
        ((v, index.float(), n), TypeError, r"index must have dtype"),
        ((v.int(), index, n), TypeError, r"values must have dtype"),
    ]


def baseline_inputs(values, index, num_rows):
    return values, index, num_rows


def baseline(values, index, num_rows):
    """index_add into zeros (what a pure-PyTorch sparse conv does)."""
    return values.new_zeros(num_rows, values.shape[1]).index_add(0, index.long(), values)
