"""Inputs of the torchsparse point ops (sphash, sphash_kernel, sphashquery, spcount, spvoxelize,
spdevoxelize), built with plain torch only (unique / searchsorted), never with the ops under test.

The "real" scene follows SPVNAS on SemanticKITTI: ~100k LiDAR points per scan on 0.05 m voxels
(coordinates in voxel units), point features C = 32 at the stem; points are denser near the
sensor, so several points share a voxel there."""
import torch

REAL_POINTS = 100_000
REAL_POINTS_QUICK = 8_000
REAL_CHANNELS = 32
SMALL = dict(points=40, channels=5, extent=3.0, batch=2)


def point_cloud(points, batch=1, extent=1000.0, seed=0):
    """float64 [N, 4] (b, x, y, z) in voxel units: a ring-shaped scan (range ~ 1/u^2 near the
    sensor), ground plus clutter; small extents give many points per voxel."""
    g = torch.Generator().manual_seed(seed)
    b = torch.randint(0, batch, (points,), generator=g).double()
    r = extent * (0.05 + 0.95 * torch.rand(points, generator=g, dtype=torch.float64) ** 2)
    t = 2 * torch.pi * torch.rand(points, generator=g, dtype=torch.float64)
    z = extent * 0.04 * torch.randn(points, generator=g, dtype=torch.float64)
    xyz = torch.stack([r * torch.cos(t), r * torch.sin(t), z], 1)
    return torch.cat([b[:, None], xyz], 1)


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


def scene(points, channels, extent, batch=1, seed=0):
    """dict of a scene: point_coords float64 [N, 4], feats float64 [N, C], voxels int32 [M, 4],
    inverse int64 [N], counts int64 [M], voxel_feats float64 [M, C]."""
    pc = point_cloud(points, batch, extent, seed)
    voxels, inverse, counts = voxelize(pc)
    g = torch.Generator().manual_seed(seed + 1)
    return dict(point_coords=pc, feats=torch.randn(points, channels, generator=g, dtype=torch.float64),
                voxels=voxels, inverse=inverse, counts=counts,
                voxel_feats=torch.randn(voxels.shape[0], channels, generator=g, dtype=torch.float64))


def real_scene(seed=0, quick=False):
    n = REAL_POINTS_QUICK if quick else REAL_POINTS
    # extent in 0.05 m voxels (7.5 m): ~82k voxels for 100k points, ~1.2 points per voxel as on a
    # KITTI scan at 0.05 m; smaller when quick so the points per voxel stay alike
    return scene(n, REAL_CHANNELS, extent=150.0 * (n / REAL_POINTS) ** 0.5, seed=seed)


def small_scene(seed=0):
    return scene(SMALL["points"], SMALL["channels"], SMALL["extent"], SMALL["batch"], seed)
