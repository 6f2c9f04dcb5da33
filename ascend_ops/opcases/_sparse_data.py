"""Sparse voxel frames for the sparse-engine op cases (issue 12).

`lidar_frame_coords` ray-casts a 64-beam LiDAR over a ground plane with box-shaped obstacles
(cars, walls) and voxelizes the hits on the KITTI SECOND grid [41, 1600, 1408] (z, y, x;
0.1 / 0.05 / 0.05 m over z [-3, 1], y [-40, 40], x [0, 70.4]): the voxels lie on surfaces, so a
3x3x3 submanifold map has a KITTI-like number of neighbours per site (unlike uniform noise).
`random_coords` draws unique sites uniformly (tiny cases).
"""
import math

import torch

KITTI_SHAPE = (41, 1600, 1408)                 # (Z, Y, X) voxels
KITTI_VOXEL = (0.1, 0.05, 0.05)                # (z, y, x) metres
KITTI_LOW = (-3.0, -40.0, 0.0)                 # (z, y, x) of the grid's corner


def random_coords(n, spatial_shape, batch_size, generator, unique=True):
    """int32 [n, 4] (b, z, y, x) uniform on the grid; distinct sites when `unique` (n must not
    exceed the grid's volume), in random order."""
    Z, Y, X = spatial_shape
    total = batch_size * Z * Y * X
    if unique:
        cells = torch.randperm(total, generator=generator)[:n]
    else:
        cells = torch.randint(total, (n,), generator=generator)
    return torch.stack([cells // (Z * Y * X), cells // (Y * X) % Z, cells // X % Y, cells % X], 1).to(torch.int32)


def _boxes(generator, count):
    """[count, 6] axis-aligned boxes (x0, y0, z0, x1, y1, z1) in metres: cars and a few walls."""
    r = lambda *s: torch.rand(*s, generator=generator, dtype=torch.float64)   # noqa: E731
    cx, cy = 4 + 60 * r(count), -35 + 70 * r(count)
    length, width, height = 3.5 + r(count), 1.6 + 0.3 * r(count), 1.4 + 0.4 * r(count)
    wall = r(count) < 0.15
    length = torch.where(wall, 0.4 + 0 * length, length)
    width = torch.where(wall, 8 + 10 * r(count), width)
    height = torch.where(wall, 2.5 + 0 * height, height)
    ground = -1.73
    return torch.stack([cx - length / 2, cy - width / 2, torch.full_like(cx, ground),
                        cx + length / 2, cy + width / 2, ground + height], 1)


def lidar_frame_coords(target, batch_index=0, seed=0, azimuth_steps=400, objects=40):
    """int32 [n, 4] (b, z, y, x), n <= target unique voxels of one ray-cast frame on the KITTI
    grid, sorted by (z, y, x) key; with more voxels than `target`, a seeded random subset."""
    g = torch.Generator().manual_seed(seed)
    elev = torch.linspace(math.radians(-24.8), math.radians(2.0), 64, dtype=torch.float64)
    az = torch.linspace(-math.pi / 4, math.pi / 4, azimuth_steps, dtype=torch.float64)
    az = az + (torch.rand(azimuth_steps, generator=g, dtype=torch.float64) - 0.5) * (az[1] - az[0])
    e, a = torch.meshgrid(elev, az, indexing="ij")
    d = torch.stack([torch.cos(e) * torch.cos(a), torch.cos(e) * torch.sin(a), torch.sin(e)], -1).reshape(-1, 3)
    t = torch.full((d.shape[0],), math.inf, dtype=torch.float64)
    down = d[:, 2] < 0
    t[down] = -1.73 / d[down, 2]                                     # ground plane z = -1.73 m
    boxes = _boxes(g, objects)
    inv = 1.0 / torch.where(d == 0, torch.full_like(d, 1e-12), d)
    t0 = boxes[None, :, :3] * inv[:, None, :]
    t1 = boxes[None, :, 3:] * inv[:, None, :]
    near = torch.minimum(t0, t1).amax(-1)
    far = torch.maximum(t0, t1).amin(-1)
    hit = (near <= far) & (near > 0)
    t = torch.minimum(t, torch.where(hit, near, torch.full_like(near, math.inf)).amin(1))
    t = t * (1 + 0.002 * torch.randn(t.shape, generator=g, dtype=torch.float64))   # range noise
    pts = d * t[:, None]
    zyx = torch.stack([pts[:, 2], pts[:, 1], pts[:, 0]], 1)
    vox = torch.floor((zyx - torch.tensor(KITTI_LOW, dtype=torch.float64)) / torch.tensor(KITTI_VOXEL,
                                                                                        dtype=torch.float64))
    ok = torch.isfinite(t) & (vox >= 0).all(1) & (vox < torch.tensor(KITTI_SHAPE)).all(1)
    vox = vox[ok].long()
    _, Y, X = KITTI_SHAPE
    keys = torch.unique((vox[:, 0] * Y + vox[:, 1]) * X + vox[:, 2])
    if keys.numel() > target:
        keys = keys[torch.randperm(keys.numel(), generator=g)[:target]].sort().values
    coords = torch.stack([torch.full_like(keys, batch_index), keys // (Y * X), keys // X % Y, keys % X], 1)
    return coords.to(torch.int32)


def lidar_batch_coords(target_per_frame, batch_size, seed=0):
    """int32 [n, 4]: `batch_size` frames of `lidar_frame_coords`, concatenated by batch index."""
    return torch.cat([lidar_frame_coords(target_per_frame, b, seed + 1000 * b) for b in range(batch_size)])
