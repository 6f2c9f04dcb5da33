"""Sparse voxel frames for the sparse-engine op cases (issue 12).

`lidar_frame_coords` takes the voxel sites of a ray-cast KITTI frame (`ascend_ops.datasets.lidar`,
preset "kitti": 64 beams, the camera's +-45 deg, 16.5k-18.7k voxels; the first `target` of them
in scan order) on the KITTI SECOND grid [41, 1600, 1408] (z, y, x; 0.1 / 0.05 / 0.05 m over
z [-3, 1], y [-40, 40], x [0, 70.4]): the voxels lie on surfaces, so a 3x3x3 submanifold map has
a KITTI-like number of neighbours per site (3.5-4.8 per site, unlike uniform noise).
`random_coords` draws unique sites uniformly (tiny cases).
"""
import torch

from ..datasets import lidar

KITTI = lidar.PRESETS["kitti"]
KITTI_SHAPE = KITTI.sparse_shape               # (Z, Y, X) voxels: (41, 1600, 1408)


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


def lidar_frame_coords(target, batch_index=0, seed=0):
    """int32 [n, 4] (b, z, y, x): the first n = min(target, all) voxel sites, in scan order (an
    azimuth wedge with the frame's own density), of the ray-cast "kitti" frame of `seed` on the
    KITTI grid, sorted by (z, y, x) key."""
    points = torch.from_numpy(lidar.lidar_points(KITTI.name, seed))
    _, coords, _ = lidar.voxelize_mean(points, KITTI.voxel_size, KITTI.point_cloud_range, None, target, batch_index)
    _, Y, X = KITTI_SHAPE
    return coords[torch.argsort((coords[:, 1].long() * Y + coords[:, 2]) * X + coords[:, 3])]


def lidar_batch_coords(target_per_frame, batch_size, seed=0):
    """int32 [n, 4]: `batch_size` frames of `lidar_frame_coords`, concatenated by batch index."""
    return torch.cat([lidar_frame_coords(target_per_frame, b, seed + 1000 * b) for b in range(batch_size)])
