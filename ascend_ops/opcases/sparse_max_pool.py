"""Op case of sparse_max_pool (issue 12); protocol in ascend_ops.opcases.

Arguments: (features [N, C], in_index int32 [P], out_index int32 [P], num_out), index pairs from
the reference kernel map. "small" has integer-valued features, so ties are frequent and the
first-argmax rule of the backward is exercised; "real": a ray-cast KITTI-like frame (~15k
voxels, C=64) under max pool kernel 4 stride 4.
"""
import torch

from ..ops.sparse_kernel_map import sparse_kernel_map_reference
from ._sparse_data import random_coords
from .sparse_gather import REAL_CHANNELS, REAL_QUICK_VOXELS, REAL_VOXELS, real_kernel_map

OP = "sparse_max_pool"


def _small_map(seed):
    """A regular 3x3x3 stride-2 padding-1 map (overlapping windows) of 40 sites on [5, 6, 7], batch 2."""
    g = torch.Generator().manual_seed(seed)
    coords = random_coords(40, (5, 6, 7), 2, g)
    out_coords, in_index, out_index, _ = sparse_kernel_map_reference(coords, [5, 6, 7], 2, [3] * 3, [2] * 3, [1] * 3,
                                                                    [1] * 3, 1)
    return coords.shape[0], in_index, out_index, out_coords.shape[0], g


def small(device, dtype=torch.float32, seed=0, quick=False):
    """features [40, 5] integer-valued in [-3, 3] (many ties), pairs of a 3x3x3 stride-2 map."""
    n, in_index, out_index, m, g = _small_map(seed)
    features = torch.randint(-3, 4, (n, 5), generator=g).to(device, dtype)
    return features, in_index.to(device), out_index.to(device), m


def gradcheck_case(device):
    """Tie-free float64 inputs for gradcheck (a max is not differentiable at a tie)."""
    n, in_index, out_index, m, g = _small_map(0)
    features = torch.randn(n, 3, generator=g, dtype=torch.float64)
    return features.to(device), in_index.to(device), out_index.to(device), m


def unused_outputs(device, dtype=torch.float32, seed=0, quick=False):
    """The small case with num_out 3 beyond the map's outputs: those rows are 0."""
    f, i, o, m = small(device, dtype, seed)
    return f, i, o, m + 3


def real(device, dtype=torch.float32, seed=0, quick=False):
    """KITTI-like frame: features [N ~ 15000, 64] (N ~ 4000 with quick=True), pairs of max pool
    kernel 4 stride 4 (regular map)."""
    n, (out_coords, in_index, out_index, _) = real_kernel_map(REAL_QUICK_VOXELS if quick else REAL_VOXELS, seed,
                                                               kernel=4, stride=4, mode=1)
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(n, REAL_CHANNELS, generator=g).to(device, dtype)
    return features, in_index.to(device), out_index.to(device), out_coords.shape[0]


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """features [0, 64], no pairs, num_out 0."""
    i = torch.zeros(0, dtype=torch.int32, device=device)
    return torch.zeros(0, REAL_CHANNELS).to(device, dtype), i, i.clone(), 0


def cases():
    return {"small": small, "unused_outputs": unused_outputs, "real": real, "empty": empty}


def tolerance(dtype):
    # forward: exact (a max); backward: an input that is the max of several outputs gets a sum
    return {torch.float16: (1e-3, 1e-3), torch.bfloat16: (8e-3, 8e-3),
            torch.float64: (1e-12, 1e-12)}.get(dtype, (1e-6, 1e-5))


def bad_inputs(device):
    f, i, o, m = small(device)
    bad_in, bad_out = i.clone(), o.clone()
    bad_in[2] = f.shape[0]
    bad_out[5] = m
    return [
        ((f, bad_in, o, m), ValueError, r"sparse_max_pool: in_index\[2\] = 40 is outside \[0, features.shape\[0\]"),
        ((f, i, bad_out, m), ValueError, rf"out_index\[5\] = {m} is outside \[0, num_out = {m}\)"),
        ((f, i, o[:-1], m), ValueError, r"out_index.shape\[0\] must equal in_index.shape\[0\]"),
        ((f, i, o, -1), ValueError, r"num_out must be >= 0"),
        ((f, i.float(), o, m), TypeError, r"in_index must have dtype"),
        ((f, i, o.float(), m), TypeError, r"out_index must have dtype"),
        ((f.int(), i, o, m), TypeError, r"features must have dtype"),
    ]
