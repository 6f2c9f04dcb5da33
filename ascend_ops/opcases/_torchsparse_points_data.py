"""Inputs of the torchsparse point ops (sphash, sphash_kernel, sphashquery, spcount, spvoxelize,
spdevoxelize), built with plain torch only (unique / searchsorted), never with the ops under test.

The "real" scene follows SPVNAS on SemanticKITTI: a 360-degree ray-cast HDL-64E sweep
(`ascend_ops.datasets.lidar`, preset "kitti_full", ~110k points) of which 100k points (a forward
wedge, `lidar.sector`) on 0.05 m voxels (coordinates in voxel units: ~74k voxels), point features
C = 32 at the stem; points are denser near the sensor, so several points share a voxel there.
Small scenes take a few random points of the same sweep on coarse voxels (many points per voxel).
"""
import functools

import torch

from ..datasets import lidar

REAL_POINTS = 100_000
REAL_POINTS_QUICK = 8_000
REAL_CHANNELS = 32
SWEEP_RADIUS_M = 20.0                  # `extent` voxels span this many metres (small scenes: a few voxels)
REAL_EXTENT = SWEEP_RADIUS_M / 0.05    # SPVNAS's 0.05 m voxels
SMALL = dict(points=40, channels=5, extent=3.0, batch=2)


@functools.lru_cache(maxsize=8)
def _sweep(seed):
    """float64 [P, 3] x, y, z (m) of the "kitti_full" sweep of `seed`, scan order."""
    return torch.from_numpy(lidar.lidar_points("kitti_full", seed)[:, :3]).double()


def point_cloud(points, batch=1, extent=REAL_EXTENT, seed=0, wedge=False):
    """float64 [N = points, 4] (b, x, y, z) in voxel units (SWEEP_RADIUS_M metres = `extent` voxels),
    sample b from the sweep of seed + b, in (b, scan) order: per sample its forward wedge of
    points / batch points (`wedge`: the sweep's own density) or else `points` random points of all
    samples (small extents then give many points per voxel)."""
    clouds = [_sweep(seed + b) * (extent / SWEEP_RADIUS_M) for b in range(batch)]
    if wedge:
        clouds = [lidar.sector(c, points // batch + (b < points % batch)) for b, c in enumerate(clouds)]
    every = torch.cat([torch.cat([torch.full((len(c), 1), float(b), dtype=torch.float64), c], 1)
                       for b, c in enumerate(clouds)])
    if len(every) < points:
        raise ValueError(f"point_cloud: points = {points} exceeds the {len(every)} points of {batch} sweeps")
    if wedge:
        return every
    pick = torch.randperm(len(every), generator=torch.Generator().manual_seed(seed))[:points].sort().values
    return every[pick]


def voxelize(point_coords):
    """(voxel coords int32 [M, 4] sorted (torch.unique), point -> voxel row int64 [N], counts int64 [M])."""
    ints = torch.cat([point_coords[:, :1], torch.floor(point_coords[:, 1:])], 1).int()
    voxels, inverse, counts = torch.unique(ints, dim=0, return_inverse=True, return_counts=True)
    return voxels, inverse, counts


def _keys(coords, lo, span):
    c = coords.long() - lo
    return ((c[:, 0] * span[1] + c[:, 1]) * span[2] + c[:, 2]) * span[3] + c[:, 3]


def corner_rows(point_coords, voxels):
    """int64 [N, 8]: row in `voxels` of corner k = 4 dx + 2 dy + dz of each point, -1 if absent."""
    base = torch.cat([point_coords[:, :1], torch.floor(point_coords[:, 1:])], 1).long()
    lo = torch.cat([voxels.long(), base], 0).amin(0)
    span = torch.cat([voxels.long(), base], 0).amax(0) - lo + 2
    vkeys = _keys(voxels, lo, span)
    sorted_keys, order = torch.sort(vkeys)
    cols = []
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                q = _keys(base + torch.tensor([0, dx, dy, dz]), lo, span)
                pos = torch.searchsorted(sorted_keys, q).clamp(max=max(len(vkeys) - 1, 0))
                hit = sorted_keys[pos] == q if len(vkeys) else torch.zeros_like(q, dtype=torch.bool)
                cols.append(torch.where(hit, order[pos], torch.full_like(q, -1)))
    return torch.stack(cols, 1)


def drop_voxels(voxels, inverse, fraction, seed):
    """Remove a fraction of the voxels (so some points map to none: index -1) -> (voxels, inverse)."""
    g = torch.Generator().manual_seed(seed + 7)
    keep = torch.rand(voxels.shape[0], generator=g) >= fraction
    new_row = torch.cumsum(keep.long(), 0) - 1
    new_row[~keep] = -1
    return voxels[keep], new_row[inverse]


def scene(points, channels, extent, batch=1, seed=0, wedge=False):
    """dict of a scene: point_coords float64 [N, 4], feats float64 [N, C], voxels int32 [M, 4],
    inverse int64 [N], counts int64 [M], voxel_feats float64 [M, C]."""
    pc = point_cloud(points, batch, extent, seed, wedge)
    voxels, inverse, counts = voxelize(pc)
    g = torch.Generator().manual_seed(seed + 1)
    return dict(point_coords=pc, feats=torch.randn(points, channels, generator=g, dtype=torch.float64),
                voxels=voxels, inverse=inverse, counts=counts,
                voxel_feats=torch.randn(voxels.shape[0], channels, generator=g, dtype=torch.float64))


def real_scene(seed=0, quick=False):
    """100k points (8k with quick=True: a narrower wedge at the same density, ~1.2-1.4 points per
    0.05 m voxel either way)."""
    return scene(REAL_POINTS_QUICK if quick else REAL_POINTS, REAL_CHANNELS, REAL_EXTENT, seed=seed, wedge=True)


def small_scene(seed=0):
    return scene(SMALL["points"], SMALL["channels"], SMALL["extent"], SMALL["batch"], seed)
