"""Op case of hard_voxelize (spconv 2.x PointToVoxel, OpenPCDet's KITTI voxelization); protocol
in ascend_ops.opcases. No baseline: the upstream formulation is spconv's own CPU op, compared
in test/test_voxelize.py when spconv 2.3.8 is installed."""
import torch

from ._voxel_data import KITTI_MAX_POINTS, KITTI_MAX_VOXELS, KITTI_RANGE, KITTI_VOXEL, lidar_sweep

OP = "hard_voxelize"
# torch.compile(fullgraph) of this op needs dynamo >= 2.2: the float32 rounding of voxel_size /
# coors_range (struct.pack, as the kernels' `(float)` casts) is not traceable by dynamo 2.1.
COMPILE_MIN_TORCH = (2, 2)
COMPILE_SKIP_REASON = "dynamo < 2.2 cannot trace struct.pack (float32 rounding of voxel_size / coors_range)"
QUICK_POINTS = 12000
SMALL_RANGE = (0.0, 0.0, -1.0, 4.0, 4.0, 1.0)
SMALL_VOXEL = (0.5, 0.5, 0.5)


def small_points(n, generator, dtype):
    """[n, 4] points around the small range (some outside it), a few exactly on its bounds and on
    voxel faces, each of those voxels hit twice more later (at least 3 points per voxel)."""
    g = generator
    lo = torch.tensor(SMALL_RANGE[:3], dtype=torch.float64)
    hi = torch.tensor(SMALL_RANGE[3:], dtype=torch.float64)
    pts = lo - 0.5 + (hi - lo + 1.0) * torch.rand(n, 3, generator=g, dtype=torch.float64)
    pts[: n // 8] = torch.round(pts[: n // 8] * 2) / 2          # on voxel faces (and on the bounds)
    pts[n // 8: n // 4] = pts[: n // 8]                          # the same voxels twice again, later
    pts[n // 4: 3 * n // 8] = pts[: n // 8] + 0.01
    pts[-2] = hi                                                # exactly the upper corner: dropped
    pts[-1] = lo                                                # exactly the lower corner: kept
    feats = torch.rand(n, 1, generator=g, dtype=torch.float64)
    return torch.cat([pts, feats], 1).to(dtype)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """96 points [96, 4] on an 8 x 8 x 4 grid (voxel 0.5 m), max_points 3, max_voxels 30 (both
    limits bite)."""
    g = torch.Generator().manual_seed(seed)
    return small_points(96, g, dtype).to(device), list(SMALL_VOXEL), list(SMALL_RANGE), 3, 30


def real(device, dtype=torch.float32, seed=0, quick=False):
    """OpenPCDet KITTI: a ray-cast 360-degree 64-beam sweep in scan order [~110k, 4] (seed 0:
    110,665 points), voxel (0.05, 0.05, 0.1) m on [0, -40, -3, 70.4, 40, 1] (grid 1408 x 1600 x
    40), max_points 5, max_voxels 16000 (quick=True: its forward wedge of 12k points)."""
    pts = lidar_sweep(seed, QUICK_POINTS if quick else None).to(dtype)
    return pts.to(device), list(KITTI_VOXEL), list(KITTI_RANGE), KITTI_MAX_POINTS, KITTI_MAX_VOXELS


def dense(device, dtype=torch.float32, seed=0, quick=False):
    """20000 points [20000, 4] in a 2 m cube, voxel 0.5 m (64 voxels, ~300 points each),
    max_points 5, max_voxels 40."""
    g = torch.Generator().manual_seed(seed)
    pts = torch.rand(20000, 4, generator=g, dtype=torch.float64) * 2
    return pts.to(device, dtype), [0.5, 0.5, 0.5], [0.0, 0.0, 0.0, 2.0, 2.0, 2.0], 5, 40


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No points: [0, 4] on the KITTI grid."""
    return (torch.zeros(0, 4, dtype=dtype, device=device), list(KITTI_VOXEL), list(KITTI_RANGE),
            KITTI_MAX_POINTS, KITTI_MAX_VOXELS)


def cases():
    return {"small": small, "real": real, "dense": dense, "empty": empty}


def tolerance(dtype):
    return (0.0, 0.0)   # point rows are copied: exact


def bad_inputs(device):
    """(args, exception type, message regex) that the Python API must reject."""
    p, vs, cr, mp, mv = small(device)
    return [
        ((p.half(), vs, cr, mp, mv), TypeError, r"points must have dtype in \(float32, float64\)"),
        ((p[:, :2], vs, cr, mp, mv), ValueError, "points must be .* F >= 3"),
        ((p[None], vs, cr, mp, mv), ValueError, "points must have 2 dims"),
        ((p, [0.5, 0.0, 0.5], cr, mp, mv), ValueError, "voxel_size must be > 0"),
        ((p, [0.5, -0.5, 0.5], cr, mp, mv), ValueError, "voxel_size must be > 0"),
        ((p, [0.5, 0.5], cr, mp, mv), ValueError, "voxel_size must have 3 entries"),
        ((p, [0.5, float("nan"), 0.5], cr, mp, mv), ValueError, "voxel_size must be finite"),
        ((p, torch.tensor(vs), cr, mp, mv), TypeError, "voxel_size must be a list of floats"),
        ((p, vs, [0, 0, 0, 4, 4], mp, mv), ValueError, "coors_range must have 6 entries"),
        ((p, vs, [0, 0, 0, 4, -4, 4], mp, mv), ValueError, "coors_range / voxel_size give -8 voxels along y"),
        ((p, vs, [0, 0, 0, 4, 4, 0.2], mp, mv), ValueError, "coors_range / voxel_size give 0 voxels along z"),
        ((p, vs, [0, 0, 0, 1e39, 4, 4], mp, mv), ValueError, "coors_range = 1e\\+39 does not fit in float32"),
        ((p, [1e-6] * 3, [-1e6, -1e6, -1e6, 1e6, 1e6, 1e6], mp, mv), ValueError,
         r"coors_range / voxel_size give \d+ voxels along x .*need 1 .. 16777216"),
        ((p, [1.0] * 3, [-1e6, -1e6, -1e6, 1e6, 1e6, 1e6], mp, mv), ValueError,
         r"grid of coors_range / voxel_size has \d+ voxels .* not below 2\*\*62"),
        ((p, vs, cr, 0, mv), ValueError, "max_points must be >= 1"),
        ((p, vs, cr, mp, 0), ValueError, "max_voxels must be >= 1"),
        ((p, vs, cr, 2 ** 31, mv), ValueError, "max_points must be at most 2147483647"),
        ((p, vs, cr, mp, 2.0), TypeError, "max_voxels must be an int"),
    ]
