"""Op case of sphash_kernel (torchsparse 2.1's kernel hash: coords + offsets -> [K, N] keys)."""
import torch

from . import _torchsparse_points_data as data

OP = "sphash_kernel"


def cube_offsets(size, device):
    """int32 [size**3, 3]: every (dx, dy, dz) in [-(size-1)//2, size//2]^3, z fastest."""
    r = torch.arange(size) - (size - 1) // 2
    return torch.cartesian_prod(r, r, r).to(device, torch.int32)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """~30 voxel coords int32 [M, 4], the 27 offsets of a 3x3x3 kernel."""
    return data.small_scene(seed)["voxels"].to(device), cube_offsets(3, device)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SPVNAS devoxelization: 100k point coords (quick: 8k) and the 8 trilinear offsets {0, 1}^3."""
    pc = data.real_scene(seed, quick)["point_coords"]
    ints = torch.cat([pc[:, :1], torch.floor(pc[:, 1:])], 1).int()
    r = torch.tensor([0, 1])
    return ints.to(device), torch.cartesian_prod(r, r, r).to(device, torch.int32)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    return torch.zeros(0, 4, dtype=torch.int32, device=device), cube_offsets(2, device)


def wrap(device, dtype=torch.float32, seed=0, quick=False):
    """Coordinates at the int32 limits plus offsets: the sums wrap modulo 2**32."""
    c = torch.tensor([[0, 2**31 - 1, -2**31, 5], [3, -1, 0, 2**31 - 2]], dtype=torch.int32, device=device)
    return c, torch.tensor([[1, -1, 2], [-2, 1, 0]], dtype=torch.int32, device=device)


def cases():
    return {"small": small, "real": real, "empty": empty, "wrap": wrap}


def tolerance(dtype):
    return (0.0, 0.0)


def bad_inputs(device):
    c, o = small(device)
    return [
        ((c, o[:, :2]), ValueError, r"offsets.shape\[1\] must equal 3"),
        ((c[:, :3], o), ValueError, r"coords.shape\[1\] must equal 4"),
        ((c, o.float()), TypeError, "offsets must have dtype"),
        ((c, o.long() - 2**40), ValueError, "offsets holds values in"),
    ]
