"""Op case of scatter_mean (torch_scatter's scatter_mean, dim 0); protocol in ascend_ops.opcases.

Baseline: torch_scatter's own formulation (rusty1s/pytorch_scatter@0cd6dfe,
torch_scatter/scatter.py:35-54) in plain torch: scatter_add_ of the rows, scatter_add_ of ones
as the count, count clamped to 1, one division.
"""
import torch

from ._voxel_data import KITTI_POINTS, KITTI_RANGE, KITTI_VOXEL, lidar_sweep

OP = "scatter_mean"
REAL_CHANNELS = 32
QUICK_POINTS = 12000


def make_inputs(n, c, dim_size, device, dtype, seed, index_dtype=torch.int64):
    """src [n, c] (dtype), index [n] random in [0, dim_size) (index_dtype)."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randn(n, c, generator=g, dtype=torch.float64)
    index = torch.randint(0, max(dim_size, 1), (n,), generator=g).to(index_dtype)
    return src.to(device, dtype), index.to(device), dim_size


def small(device, dtype=torch.float32, seed=0, quick=False):
    """src [40, 3], index int64 [40] in [0, 12) (some rows empty), dim_size 16."""
    src, index, _ = make_inputs(40, 3, 12, device, dtype, seed)
    return src, index, 16


def real(device, dtype=torch.float32, seed=0, quick=False):
    """Point features averaged per voxel (SPVNAS / torchsparse point-to-voxel, DV's mean VFE): a
    KITTI-like 120k-point sweep, the points inside OpenPCDet's KITTI range (~70k), index = their
    voxel (0.05, 0.05, 0.1 m) as int64, src [n, 32], dim_size = the number of voxels
    (quick=True: a 12k-point sweep)."""
    from ..ops.voxelize import dynamic_voxelize_reference
    g = torch.Generator().manual_seed(seed)
    pts = lidar_sweep(QUICK_POINTS if quick else KITTI_POINTS, g).float()
    coords = dynamic_voxelize_reference(pts, list(KITTI_VOXEL), list(KITTI_RANGE))
    inside = coords[:, 0] >= 0
    key = coords[inside].long() @ torch.tensor([1 << 40, 1 << 20, 1])
    uniq, index = torch.unique(key, return_inverse=True)
    src = torch.randn(int(inside.sum()), REAL_CHANNELS, generator=g, dtype=torch.float64)
    return src.to(device, dtype), index.to(device), uniq.numel()


def dense(device, dtype=torch.float32, seed=0, quick=False):
    """Long sums: src [20000, 8] into 50 rows (~400 each), int32 index."""
    return make_inputs(20000, 8, 50, device, dtype, seed, torch.int32)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No rows: src [0, 4], index [0]; dim_size 5 (out is zeros)."""
    src, index, _ = make_inputs(0, 4, 5, device, dtype, seed)
    return src, index, 5


def gradcheck_case(device):
    """float64 small case."""
    return small(device, torch.float64)


def cases():
    return {"small": small, "real": real, "dense": dense, "empty": empty}


def tolerance(dtype):
    if dtype in (torch.float16, torch.bfloat16):
        return (1e-2, 1e-2)
    return (1e-6, 1e-6) if dtype == torch.float32 else (1e-12, 1e-12)


def baseline_inputs(src, index, dim_size):
    return src, index.long(), dim_size


def baseline(src, index, dim_size):
    """torch_scatter.scatter_mean(src, index, 0, dim_size=dim_size) in plain torch."""
    out = src.new_zeros(dim_size, src.shape[1]).scatter_add_(0, index[:, None].expand_as(src), src)
    count = src.new_zeros(dim_size).scatter_add_(0, index, torch.ones_like(index, dtype=src.dtype))
    count[count < 1] = 1
    return out / count[:, None]


def bad_inputs(device):
    """(args, exception type, message regex) that the Python API must reject."""
    src, index, n = small(device)
    bad = index.clone()
    bad[5] = n
    neg = index.clone()
    neg[0] = -1
    return [
        ((src, bad, n), ValueError, r"index\[5\] = 16 is outside \[0, dim_size = 16\)"),
        ((src, neg, n), ValueError, r"index\[0\] = -1 is outside \[0, dim_size = 16\)"),
        ((src, index, 3), ValueError, r"is outside \[0, dim_size = 3\)"),
        ((src, index[:-1], n), ValueError, r"index.shape\[0\] must equal src.shape\[0\]"),
        ((src, index.float(), n), TypeError, "index must have dtype"),
        ((src.int(), index, n), TypeError, "src must have dtype"),
        ((src, index, -1), ValueError, "dim_size must be >= 0"),
        ((src, index[:, None], n), ValueError, "index must have 1 dims"),
        ((src, index, 2.0), TypeError, "dim_size must be an int"),
    ]
