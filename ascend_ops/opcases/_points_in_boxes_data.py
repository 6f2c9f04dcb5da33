"""Inputs shared by the points_in_boxes op cases: KITTI-like boxes and points, Ada3D's BEV grid,
and the shared baseline (a vectorised torch rotation test, what a user would write)."""
import math

import torch

# KITTI point-cloud range [x0, y0, z0, x1, y1, z1] and BEV grid (voxel 0.05 m, feature stride 8).
PC_RANGE = (0.0, -40.0, -3.0, 70.4, 40.0, 1.0)
GRID_STEP = 0.4
GRID = (176, 200)   # cells along x, y
# (dx, dy, dz) of KITTI's car, pedestrian and cyclist (mean sizes) and their z centres.
SIZES = torch.tensor([[3.9, 1.6, 1.56], [0.8, 0.6, 1.73], [1.76, 0.6, 1.73]])
Z_CENTRE = -1.0


def make_boxes(m, generator, extra_columns=0):
    """[m, 7 + extra_columns] float64 boxes inside PC_RANGE with random headings in [-pi, pi)."""
    g = generator
    kind = torch.randint(0, 3, (m,), generator=g)
    size = SIZES[kind].double() * (0.8 + 0.4 * torch.rand(m, 3, generator=g, dtype=torch.float64))
    x0, y0, _, x1, y1, _ = PC_RANGE
    cx = x0 + 2 + (x1 - x0 - 4) * torch.rand(m, generator=g, dtype=torch.float64)
    cy = y0 + 2 + (y1 - y0 - 4) * torch.rand(m, generator=g, dtype=torch.float64)
    cz = Z_CENTRE + 0.3 * torch.randn(m, generator=g, dtype=torch.float64)
    heading = (torch.rand(m, generator=g, dtype=torch.float64) * 2 - 1) * math.pi
    cols = [cx[:, None], cy[:, None], cz[:, None], size, heading[:, None]]
    if extra_columns:
        cols.append(torch.randint(1, 4, (m, extra_columns), generator=g).double())   # class label etc.
    return torch.cat(cols, 1)


def make_points(n, boxes, generator, near_fraction=0.3, extra_columns=0):
    """[n, 3 + extra_columns] float64 points in PC_RANGE, `near_fraction` of them in or near a box."""
    g = generator
    lo = torch.tensor(PC_RANGE[:3], dtype=torch.float64)
    hi = torch.tensor(PC_RANGE[3:], dtype=torch.float64)
    pts = lo + (hi - lo) * torch.rand(n, 3, generator=g, dtype=torch.float64)
    k = int(n * near_fraction) if len(boxes) else 0
    if k:
        which = torch.randint(0, len(boxes), (k,), generator=g)
        b = boxes[which]
        local = (torch.rand(k, 3, generator=g, dtype=torch.float64) - 0.5) * 1.2 * b[:, 3:6]
        c, s = torch.cos(b[:, 6]), torch.sin(b[:, 6])
        pts[:k, 0] = b[:, 0] + local[:, 0] * c - local[:, 1] * s
        pts[:k, 1] = b[:, 1] + local[:, 0] * s + local[:, 1] * c
        pts[:k, 2] = b[:, 2] + local[:, 2]
    if extra_columns:
        pts = torch.cat([pts, torch.rand(n, extra_columns, generator=g, dtype=torch.float64)], 1)
    return pts


def bev_grid():
    """Ada3D's BEV cell positions [200 * 176, 4] = (x, y, 0, 1), as drop_utils.py:35-38 builds them:
    cell index * feature_stride * voxel_size + point_cloud_range[:2] (the cells' lower corners)."""
    ix = torch.arange(GRID[0], dtype=torch.float64)
    iy = torch.arange(GRID[1], dtype=torch.float64)
    x, y = torch.meshgrid(ix * GRID_STEP + PC_RANGE[0], iy * GRID_STEP + PC_RANGE[1], indexing="ij")
    xy = torch.stack([x.flatten(), y.flatten()], 1)
    return torch.cat([xy, torch.zeros(len(xy), 1, dtype=torch.float64), torch.ones(len(xy), 1, dtype=torch.float64)], 1)


def generator(seed):
    return torch.Generator().manual_seed(seed)


def rotation_mask(points, boxes, margin, with_z):
    """The vectorised test a user would write: rotate every (point, box) pair into the box frame
    with broadcasting (no chunking, no native code) -> int32 [M, N]."""
    p, b = points[None, :, :3], boxes[:, None, :7]
    d = p - b[..., :3]
    c, s = torch.cos(-b[..., 6]), torch.sin(-b[..., 6])
    lx = d[..., 0] * c - d[..., 1] * s
    ly = d[..., 0] * s + d[..., 1] * c
    inside = (lx.abs() < b[..., 3] / 2 + margin) & (ly.abs() < b[..., 4] / 2 + margin)
    if with_z:
        inside &= d[..., 2].abs() <= b[..., 5] / 2
    return inside.int()
