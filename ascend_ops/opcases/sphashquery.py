"""Op case of sphashquery (torchsparse's hash query; SPVNAS point -> voxel lookups)."""
import torch

from . import _torchsparse_points_data as data
from ..ops.sphash import sphash_kernel_reference, sphash_reference

OP = "sphashquery"


def _point_queries(scene, device):
    """Keys of the 8 trilinear corners of every point ([8 * N], flattened) and of the voxels."""
    pc = scene["point_coords"]
    ints = torch.cat([pc[:, :1], torch.floor(pc[:, 1:])], 1).int()
    r = torch.tensor([0, 1])
    offsets = torch.cartesian_prod(r, r, r).to(torch.int32)
    queries = sphash_kernel_reference(ints, offsets).reshape(-1)
    return queries.to(device), sphash_reference(scene["voxels"]).to(device)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """8 * 40 corner keys against ~30 voxel keys (about a third hit)."""
    return _point_queries(data.small_scene(seed), device)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SPVNAS voxel_to_point: 8 x 100k corner keys (quick: 8 x 8k) against ~82k voxel keys."""
    return _point_queries(data.real_scene(seed, quick), device)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    q, r = small(device)
    return q[:0], r


def no_references(device, dtype=torch.float32, seed=0, quick=False):
    q, r = small(device)
    return q, r[:0]


def duplicates(device, dtype=torch.float32, seed=0, quick=False):
    """Repeated reference keys (the first row must win), key 0 and the int64 extremes, int32 queries."""
    refs = torch.tensor([5, 0, 7, 5, -2**63, 2**63 - 1, 0, 7, -1], dtype=torch.int64)
    queries = torch.tensor([5, 0, 7, -2**63, 2**63 - 1, -1, 3, 6, -5], dtype=torch.int64)
    return queries.to(device), refs.to(device)


def int32_keys(device, dtype=torch.float32, seed=0, quick=False):
    g = torch.Generator().manual_seed(seed)
    refs = torch.randint(-50, 50, (60,), generator=g, dtype=torch.int32)
    queries = torch.randint(-60, 60, (200,), generator=g, dtype=torch.int32)
    return queries.to(device), refs.to(device)


def cases():
    return {"small": small, "real": real, "empty": empty, "no_references": no_references,
            "duplicates": duplicates, "int32_keys": int32_keys}


def tolerance(dtype):
    return (0.0, 0.0)


def bad_inputs(device):
    q, r = small(device)
    return [
        ((q.float(), r), TypeError, "queries must have dtype"),
        ((q, r.double()), TypeError, "references must have dtype"),
        ((q.reshape(8, -1), r), ValueError, "queries must have 1 dims"),
        ((q, r[None]), ValueError, "references must have 1 dims"),
    ]
