"""SPVNAS's point <-> voxel plumbing on top of the torchsparse point ops (pure PyTorch + ops).

SPVNAS (mit-han-lab/spvnas@5c53224, core/models/utils.py) keeps a point cloud beside the sparse
voxel tensor and moves features between them:
  * initial_voxelize (:53-66): points scaled by init_res / after_res, floored; the unique rows
    are the voxels (torch.unique: sorted); each point's row by a hash query; features averaged.
  * point_to_voxel (:71-91): each point's voxel at stride s is floor(coords / s); its row among
    the voxel tensor's coords comes from a hash query; features are averaged per voxel.
  * voxel_to_point (:96-127): each point gathers its 8 trilinear corners floor(p / s) + {0, 1}^3
    (the GPU hash table's lookup with kernel size 2, torchsparse@385f5ce
    backend/hashmap/hashmap_cuda.cuh:223-231: even kernels count offsets 0..K-1 with the LAST
    coordinate axis fastest, so corner k = 4 dx + 2 dy + dz), weighted by calc_ti_weights, and
    spdevoxelize sums them.
Coordinates are torchsparse 2.1's (b, x, y, z) rows, batch first; point coordinates are float
[N, 4] (batch index, then x, y, z in voxel units of stride 1).
"""
import torch

from .spcount import spcount
from .sphash import sphash, sphash_kernel
from .sphashquery import sphashquery
from .spvoxelize import spvoxelize

# Corner k = 4 dx + 2 dy + dz: z fastest (see the module docstring).
TRILINEAR_OFFSETS = tuple((dx, dy, dz) for dx in (0, 1) for dy in (0, 1) for dz in (0, 1))


def voxel_index(point_coords, voxel_coords, stride=1):
    """Row of each point's voxel among `voxel_coords`, or -1 (SPVNAS point_to_voxel, utils.py:74-81).

    point_coords  float [N, 4] (b, x, y, z) at stride 1
    voxel_coords  int [M, 4] (b, x, y, z) of the voxel tensor at stride `stride`
    returns       int64 [N]
    """
    ints = torch.cat([point_coords[:, :1].int(), torch.floor(point_coords[:, 1:] / stride).int()], 1)
    return sphashquery(sphash(ints), sphash(voxel_coords))


def voxel_mean(point_feats, idx, num_voxels):
    """Per-voxel mean of the point features [num_voxels, C] (spcount + spvoxelize; points with
    idx < 0 are left out). torch_scatter.scatter_mean, which SPVNAS calls, sums and then divides;
    spvoxelize divides each share first (torchsparse's order): equal up to rounding."""
    return spvoxelize(point_feats, idx, spcount(idx, num_voxels))


def initial_voxelize(point_coords, point_feats, init_res, after_res):
    """SPVNAS initial_voxelize (utils.py:53-66) -> (voxel_feats [M, C], voxel_coords int32 [M, 4],
    idx int64 [N], scaled point_coords [N, 4]).

    point_coords  float [N, 4] (b, x, y, z), point_feats [N, C]; the scaled coordinates
    (b, xyz * init_res / after_res) are what SPVNAS stores back on the point tensor."""
    scaled = torch.cat([point_coords[:, :1], point_coords[:, 1:] * init_res / after_res], 1)
    ints = torch.floor(scaled).int()
    voxels = torch.unique(ints, dim=0)
    idx = sphashquery(sphash(ints), sphash(voxels))
    return voxel_mean(point_feats, idx, voxels.shape[0]), voxels, idx, scaled


def point_to_voxel(point_coords, point_feats, voxel_coords, stride=1):
    """SPVNAS point_to_voxel (utils.py:71-91): per-voxel mean of the point features [M, C] on the
    voxel tensor of `voxel_coords` [M, 4] at `stride`. As SPVNAS (idx_query.clamp_(0), :86), a
    point whose voxel is absent is averaged into voxel row 0."""
    idx = voxel_index(point_coords, voxel_coords, stride).clamp(min=0)
    return voxel_mean(point_feats, idx, voxel_coords.shape[0])


def calc_ti_weights(coords, idx_query, scale=1):
    """Trilinear weights of the 8 corners (torchsparse@385f5ce
    torchsparse/nn/functional/devoxelize.py:11-49): the product of the distances to the opposite
    corner along x, y and z, 0 for a missing corner (idx_query == -1), normalised to sum 1 (+1e-8).

    coords     float [N, 3] (x, y, z) in voxel units
    idx_query  int [N, 8] corner rows (-1 = missing), corner k = 4 dx + 2 dy + dz
    returns    [N, 8] in coords' dtype (torchsparse computes the floors in float32; float64 stays
               float64 here). No gradient (as torchsparse, which runs it under no_grad).
    """
    with torch.no_grad():
        lo = torch.floor(coords / scale) * scale if scale != 1 else torch.floor(coords)
        hi = lo + scale
        near = coords - lo            # distance to the lower corner, per axis
        far = hi - coords             # distance to the upper corner
        w = torch.stack([(near if dx else far)[:, 0] * (near if dy else far)[:, 1] * (near if dz else far)[:, 2]
                         for dx, dy, dz in TRILINEAR_OFFSETS], 1)
        if scale != 1:
            w = w / scale ** 3
        w = torch.where(idx_query == -1, torch.zeros_like(w), w)
        return w / (w.sum(1, keepdim=True) + 1e-8)


def trilinear_neighbors(point_coords, voxel_coords, stride=1, nearest=False):
    """The 8 corner rows and weights of each point (SPVNAS voxel_to_point, utils.py:101-111).

    point_coords  float [N, 4] (b, x, y, z) at stride 1
    voxel_coords  int [M, 4] (b, x, y, z) of the voxel tensor at stride `stride`
    returns       (indices int64 [N, 8] (-1 = no voxel there), weights [N, 8] in point_coords' dtype)
    nearest=True keeps only corner 0 (the floor voxel), as SPVNAS's nearest mode (:109-111).
    """
    scaled = point_coords[:, 1:] / stride
    ints = torch.cat([point_coords[:, :1].int(), torch.floor(scaled).int()], 1)
    offsets = torch.tensor(TRILINEAR_OFFSETS, dtype=torch.int32, device=point_coords.device)
    keys = sphash_kernel(ints, offsets)                                     # [8, N]
    indices = sphashquery(keys.reshape(-1), sphash(voxel_coords)).reshape(8, -1).t().contiguous()
    weights = calc_ti_weights(scaled, indices)
    if nearest:
        weights[:, 1:] = 0.0
        indices[:, 1:] = -1
    return indices, weights


def voxel_to_point(voxel_feats, voxel_coords, point_coords, stride=1, nearest=False):
    """Point features [N, C] trilinearly interpolated from the voxel tensor (SPVNAS voxel_to_point)."""
    from .spdevoxelize import spdevoxelize
    indices, weights = trilinear_neighbors(point_coords, voxel_coords, stride, nearest)
    return spdevoxelize(voxel_feats, indices, weights.to(voxel_feats.dtype))
