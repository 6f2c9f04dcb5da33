"""Point-cloud voxelization: hard (spconv 2.x PointToVoxel / OpenPCDet) and dynamic (mmcv).

Both ops put point i with coordinates (x, y, z) = points[i, :3] in the voxel

    c_a = floor((p_a - range_min_a) / voxel_size_a)      for a in x, y, z, in the points' dtype,

and drop it when c_a < 0 or c_a >= grid_a on any axis, with the grid size

    grid_a = round((range_max_a - range_min_a) / voxel_size_a)    in float32, half away from zero.

voxel_size and coors_range are rounded to float32 first (spconv and mmcv hold them as
`std::vector<float>`); for float64 points the subtraction and division then run in float64
(`points_rw(i, .) - coors_range[j]` promotes to the points' type).
Upstream, spconv v2.3.8 (traveller59/spconv@263d6b4): the grid size
spconv/csrc/sparse/pointops.py:70-74 (Point2VoxelCommon::calc_meta_data, `std::round(...)` on a
float; PointToVoxel gets it at spconv/pytorch/utils.py:36); the voxel index and the range
test pointops.py:630-631 (`c = floor(...)`, `if (c < 0 || c >= grid_size[j])`); mmcv
(open-mmlab/mmcv@6c2a6c9, mmcv/ops/csrc/pytorch/cpu/voxelization.cpp:19-24 and
voxelization.cpp:112-113) computes the same.

Consequences worth knowing (and tested):
- a point exactly on the lower bound is kept (c = 0); a point exactly on the upper bound
  range_max is dropped when (max - min) / voxel_size is a whole number (c = grid);
- the test is on c, not on p < range_max: when the grid size rounds up (e.g. range 0 .. 1.06,
  voxel 0.1 -> grid 11), points up to range_min + grid * voxel_size (1.1) are kept; when it
  rounds down (0 .. 1.04 -> grid 10), points in [1.0, 1.04] are dropped;
- a point with a NaN or infinite x, y or z is outside the range and dropped (spconv's
  float -> int conversion of such a c gives INT_MIN on x86, i.e. dropped as well). Features
  beyond z are copied as they are.

hard_voxelize (spconv's CPU path, Point2VoxelCPU::point_to_voxel_static,
pointops.py:589-664, which spconv.pytorch.utils.PointToVoxel calls at utils.py:147): points are
visited in input order; a point of a voxel not seen before opens the next voxel, unless
max_voxels voxels are open, then it is dropped (pointops.py:643-653); a point joins its voxel
in slot num_points[v] while that is < max_points, else it is dropped (pointops.py:656-663).
So voxels come in first-appearance order, and each holds its first max_points points in input
order. OpenPCDet's VoxelGeneratorWrapper (spconv 2.x) calls PointToVoxel with exactly these
arguments.

Shapes and dtypes:
    points          float32 | float64 [N, F], F >= 3, columns (x, y, z, features...)
    voxel_size      3 floats (x, y, z), each > 0
    coors_range     6 floats (x_min, y_min, z_min, x_max, y_max, z_max)
    max_points      int >= 1 (hard only)
    max_voxels      int >= 1 (hard only)
    hard_voxelize  -> voxels [V, max_points, F] (points' dtype, unused slots 0),
                      coordinates int32 [V, 3] (z, y, x), num_points int32 [V]; V <= max_voxels
                      is data-dependent
    dynamic_voxelize -> coordinates int32 [N, 3] (z, y, x) per point, the row (-1, -1, -1) for a
                      dropped point (mmcv's dynamic_voxelize, voxelization.cpp:28-32)
Not differentiable. The grid needs at least one voxel per axis, at most 2**24 per axis and
a volume below 2**62 (voxels are keyed by 64-bit integers, no dense table: any grid works).
"""
import math
import struct

import torch

from .. import _library
from . import _contract as c

HARD = "hard_voxelize"
DYNAMIC = "dynamic_voxelize"
_FLOAT32_MAX = 3.4028234663852886e38
_AXIS_LIMIT = 2 ** 24   # voxels per axis: every voxel index and grid size exact in float32
_LIMIT_MAX = 2 ** 31 - 1
_VOLUME_LIMIT = 2 ** 62


def _f32(op, name, value):
    """`value` rounded to float32 (as C++ `(float)value`), ValueError naming `name` on overflow."""
    if not abs(value) <= _FLOAT32_MAX:
        raise ValueError(f"{op}: {name} = {value} does not fit in float32")
    return struct.unpack("f", struct.pack("f", value))[0]


def voxel_grid(op, voxel_size, coors_range):
    """The grid of (voxel_size, coors_range) as the kernels compute it: (size, low, grid) per axis
    x, y, z, with size and low the float32-rounded values (Python floats) and grid the int
    number of voxels (float32 `(max - min) / size`, rounded half away from zero). Raises
    ValueError naming voxel_size / coors_range for a grid the ops cannot take."""
    voxel_size = [float(v) for v in voxel_size]
    coors_range = [float(v) for v in coors_range]
    size = [_f32(op, "voxel_size", v) for v in voxel_size]
    if not all(s > 0 for s in size):
        raise ValueError(f"{op}: every entry of voxel_size must be > 0, got {voxel_size}")
    low = [_f32(op, "coors_range", v) for v in coors_range[:3]]
    high = [_f32(op, "coors_range", v) for v in coors_range[3:]]
    grid = []
    for a in range(3):
        # float32 subtraction and division (double rounding through float64 is exact for + - * /)
        q = _f32(op, "coors_range", _f32(op, "coors_range", high[a] - low[a]) / size[a])
        n = math.floor(abs(q) + 0.5) * (1 if q >= 0 else -1)   # std::round: half away from zero
        if n < 1 or n > _AXIS_LIMIT:
            raise ValueError(f"{op}: coors_range / voxel_size give {n} voxels along {'xyz'[a]} "
                             f"(round((max - min) / size)); need 1 .. {_AXIS_LIMIT}; coors_range = "
                             f"{coors_range}, voxel_size = {voxel_size}")
        grid.append(n)
    if grid[0] * grid[1] * grid[2] >= _VOLUME_LIMIT:
        raise ValueError(f"{op}: the grid of coors_range / voxel_size has {grid[0] * grid[1] * grid[2]} voxels "
                         f"(x, y, z = {grid}), not below 2**62 (64-bit voxel keys)")
    return size, low, grid


def check_points(op, points):
    if points.shape[1] < 3:
        raise ValueError(f"{op}: points must be [N, F] with F >= 3 (x, y, z, ...), got shape {tuple(points.shape)}")


def check_hard(points, voxel_size, coors_range, max_points, max_voxels):
    """After the contract's generic checks (types, ranks, list lengths, max_* >= 1)."""
    check_points(HARD, points)
    voxel_grid(HARD, voxel_size, coors_range)
    for name, value in (("max_points", max_points), ("max_voxels", max_voxels)):
        if value > _LIMIT_MAX:
            raise ValueError(f"{HARD}: {name} must be at most {_LIMIT_MAX}, got {value}")


def check_dynamic(points, voxel_size, coors_range):
    check_points(DYNAMIC, points)
    voxel_grid(DYNAMIC, voxel_size, coors_range)


def point_voxel_coords(op, points, voxel_size, coors_range):
    """(c int64 [N, 3] in x, y, z order (0 where invalid), valid bool [N], grid [gx, gy, gz])."""
    size, low, grid = voxel_grid(op, voxel_size, coors_range)
    xyz = points[:, :3]
    s = torch.tensor(size, dtype=points.dtype, device=points.device)
    lo = torch.tensor(low, dtype=points.dtype, device=points.device)
    cf = torch.floor((xyz - lo) / s)
    g = torch.tensor(grid, dtype=points.dtype, device=points.device)
    valid = ((cf >= 0) & (cf < g)).all(1)            # NaN compares False: dropped
    cl = torch.where(valid[:, None], cf, torch.zeros_like(cf)).long()
    return cl, valid, grid


def dynamic_voxelize_reference(points, voxel_size, coors_range):
    """Pure-PyTorch ground truth (aten only, any device): per-point (z, y, x) or -1 rows."""
    cl, valid, _ = point_voxel_coords(DYNAMIC, points, voxel_size, coors_range)
    zyx = cl.flip(1).to(torch.int32)
    return torch.where(valid[:, None], zyx, torch.full_like(zyx, -1))


def hard_voxelize_reference(points, voxel_size, coors_range, max_points, max_voxels):
    """Pure-PyTorch ground truth (aten only, any device): 64-bit voxel keys, unique, the first
    point of each voxel (scatter_reduce amin) orders the voxels, a stable sort by voxel gives
    each point its slot, then the first max_voxels voxels and max_points slots are kept."""
    cl, valid, (gx, gy, gz) = point_voxel_coords(HARD, points, voxel_size, coors_range)
    dev = points.device
    rows = torch.nonzero(valid).reshape(-1)                       # valid points, input order
    c = cl.index_select(0, rows)
    key = (c[:, 2] * gy + c[:, 1]) * gx + c[:, 0]
    uniq, inverse = torch.unique(key, return_inverse=True)
    n = rows.numel()
    position = torch.arange(n, device=dev)
    first = torch.full((uniq.numel(),), n, dtype=torch.long, device=dev)
    first = first.scatter_reduce(0, inverse, position, reduce="amin")
    order = torch.argsort(first)                                  # voxels by first appearance
    voxel_of_uniq = torch.empty_like(order).scatter_(0, order, torch.arange(order.numel(), device=dev))
    vid = voxel_of_uniq.index_select(0, inverse)                  # voxel id of each valid point
    counts = torch.bincount(vid, minlength=uniq.numel())
    starts = torch.cumsum(counts, 0) - counts
    by_voxel = torch.sort(vid, stable=True).indices
    slot = torch.empty_like(vid).scatter_(0, by_voxel, position - starts.index_select(0, vid.index_select(0, by_voxel)))
    keep = (vid < max_voxels) & (slot < max_points)
    V = min(uniq.numel(), max_voxels)
    voxels = points.new_zeros(V, max_points, points.shape[1])
    voxels[vid[keep], slot[keep]] = points.index_select(0, rows[keep])
    vkey = uniq.index_select(0, order[:V])
    coords = torch.stack([vkey // (gy * gx), vkey // gx % gy, vkey % gx], 1).to(torch.int32)
    num = counts[:V].clamp(max=max_points).to(torch.int32)
    return voxels, coords, num


def _fake_hard(points, voxel_size, coors_range, max_points, max_voxels):
    v = _library.new_dynamic_size()
    return (points.new_empty(v, max_points, points.shape[1]), points.new_empty(v, 3, dtype=torch.int32),
            points.new_empty(v, dtype=torch.int32))


def _fake_dynamic(points, voxel_size, coors_range):
    return points.new_empty(points.shape[0], 3, dtype=torch.int32)


_GRID_ARGS = (c.FloatListArg("voxel_size", length=3), c.FloatListArg("coors_range", length=6))
_POINT_DTYPES = (torch.float32, torch.float64)

HARD_SPEC = c.OpSpec(
    name=HARD,
    inputs=(c.TensorArg("points", "float", rank=2), *_GRID_ARGS,
            c.IntArg("max_points", minimum=1), c.IntArg("max_voxels", minimum=1)),
    outputs=(c.Output("voxels", "float"), c.Output("coordinates", "int"), c.Output("num_points", "int")),
    check=check_hard, reference=hard_voxelize_reference, fake=_fake_hard,
    deterministic=True, ordered=True, float_dtypes=_POINT_DTYPES,
)
hard_voxelize = c.register(HARD_SPEC)

DYNAMIC_SPEC = c.OpSpec(
    name=DYNAMIC,
    inputs=(c.TensorArg("points", "float", rank=2), *_GRID_ARGS),
    outputs=(c.Output("coordinates", "int"),),
    check=check_dynamic, reference=dynamic_voxelize_reference, fake=_fake_dynamic,
    deterministic=True, ordered=True, float_dtypes=_POINT_DTYPES,
)
dynamic_voxelize = c.register(DYNAMIC_SPEC)

__all__ = ["hard_voxelize", "hard_voxelize_reference", "dynamic_voxelize", "dynamic_voxelize_reference",
           "voxel_grid"]
