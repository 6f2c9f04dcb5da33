"""Op case of sparse_kernel_map (issue 12); protocol in ascend_ops.opcases.

Arguments: (coords int32 [N, 4], spatial_shape, batch_size, kernel_size, stride, padding,
dilation, mode). The "real" case is a ray-cast KITTI-like frame (~15k voxels on [41, 1600, 1408],
opcases/_sparse_data.py) under VoxelResBackBone8x's first layer (3x3x3 submanifold); real_strided
is its stride-2 layer (3x3x3, stride 2, padding 1). Integer outputs only: compared exactly.
"""
import functools

import torch

from ._sparse_data import KITTI_SHAPE, lidar_batch_coords, random_coords

OP = "sparse_kernel_map"
REAL_VOXELS, REAL_QUICK_VOXELS = 15000, 4000


def _small_coords(n, shape, batch, seed, unique=True):
    return random_coords(n, shape, batch, torch.Generator().manual_seed(seed), unique=unique)


@functools.lru_cache(maxsize=4)
def _real_coords(voxels, seed):
    return lidar_batch_coords(voxels, 1, seed)


def _case(coords, shape, batch, kernel, stride, padding, dilation, mode, device):
    return (coords.to(device), list(shape), batch, list(kernel), list(stride), list(padding), list(dilation), mode)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """Regular conv map: 60 sites on [7, 9, 8], batch 2, kernel 3, stride 2, padding 1."""
    return _case(_small_coords(60, (7, 9, 8), 2, seed), (7, 9, 8), 2, (3,) * 3, (2,) * 3, (1,) * 3, (1,) * 3, 1, device)


def submanifold(device, dtype=torch.float32, seed=0, quick=False):
    """Submanifold 3x3x3: 80 sites on [5, 6, 7], batch 2."""
    return _case(_small_coords(80, (5, 6, 7), 2, seed), (5, 6, 7), 2, (3,) * 3, (1,) * 3, (0,) * 3, (1,) * 3, 0, device)


def submanifold_dilated(device, dtype=torch.float32, seed=0, quick=False):
    """Submanifold kernel (3, 5, 1), dilation (2, 1, 3): 70 sites on [6, 7, 8], batch 2."""
    return _case(_small_coords(70, (6, 7, 8), 2, seed), (6, 7, 8), 2, (3, 5, 1), (1,) * 3, (0,) * 3, (2, 1, 3), 0,
                 device)


def per_axis(device, dtype=torch.float32, seed=0, quick=False):
    """Regular map, kernel (3, 2, 1), stride (2, 1, 3), padding (1, 0, 0), dilation (1, 2, 1),
    with duplicated input sites (one pair each): 50 draws on [6, 7, 9], batch 2."""
    coords = _small_coords(50, (6, 7, 9), 2, seed, unique=False)
    coords[[7, 30]] = coords[2].clone()
    return _case(coords, (6, 7, 9), 2, (3, 2, 1), (2, 1, 3), (1, 0, 0), (1, 2, 1), 1, device)


def transposed(device, dtype=torch.float32, seed=0, quick=False):
    """Transposed map, kernel 2 stride 2 (SPVNAS's upsampling): 40 sites on [4, 5, 6], batch 2."""
    return _case(_small_coords(40, (4, 5, 6), 2, seed), (4, 5, 6), 2, (2,) * 3, (2,) * 3, (0,) * 3, (1,) * 3, 2, device)


def transposed_per_axis(device, dtype=torch.float32, seed=0, quick=False):
    """Transposed map, kernel (3, 1, 2), stride (2, 1, 2), padding (1, 0, 0), dilation (1, 1, 2)."""
    return _case(_small_coords(40, (4, 5, 6), 2, seed), (4, 5, 6), 2, (3, 1, 2), (2, 1, 2), (1, 0, 0), (1, 1, 2), 2,
                 device)


def dense(device, dtype=torch.float32, seed=0, quick=False):
    """Submanifold 3x3x3 on a fully occupied [6, 6, 6] grid, batch 2 (432 sites, random order):
    the most pairs per site."""
    coords = _small_coords(432, (6, 6, 6), 2, seed)
    return _case(coords, (6, 6, 6), 2, (3,) * 3, (1,) * 3, (0,) * 3, (1,) * 3, 0, device)


def huge_grid(device, dtype=torch.float32, seed=0, quick=False):
    """A 100,000^3 grid, batch 3, with 8 sites: regular kernel 3 stride 2 (no dense table)."""
    g = torch.Generator().manual_seed(seed)
    coords = torch.cat([torch.randint(3, (8, 1), generator=g), torch.randint(100_000, (8, 3), generator=g)], 1)
    coords[1, 1:] = coords[0, 1:] + 1
    coords[1, 0] = coords[0, 0]
    coords = coords.clamp(max=99_999)
    return _case(coords.to(torch.int32), (100_000,) * 3, 3, (3,) * 3, (2,) * 3, (1,) * 3, (1,) * 3, 1, device)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """KITTI-like frame (~15k voxels, 4000 with quick=True) on [41, 1600, 1408], batch 1:
    3x3x3 submanifold."""
    coords = _real_coords(REAL_QUICK_VOXELS if quick else REAL_VOXELS, seed)
    return _case(coords, KITTI_SHAPE, 1, (3,) * 3, (1,) * 3, (0,) * 3, (1,) * 3, 0, device)


def real_strided(device, dtype=torch.float32, seed=0, quick=False):
    """The same frame under VoxelResBackBone8x's first stride-2 conv: 3x3x3, stride 2, padding 1."""
    coords = _real_coords(REAL_QUICK_VOXELS if quick else REAL_VOXELS, seed)
    return _case(coords, KITTI_SHAPE, 1, (3,) * 3, (2,) * 3, (1,) * 3, (1,) * 3, 1, device)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No sites (N = 0), regular kernel 3 stride 2 on the KITTI grid: M = P = 0."""
    return _case(torch.zeros(0, 4, dtype=torch.int32), KITTI_SHAPE, 2, (3,) * 3, (2,) * 3, (1,) * 3, (1,) * 3, 1,
                 device)


def cases():
    return {"small": small, "submanifold": submanifold, "submanifold_dilated": submanifold_dilated,
            "per_axis": per_axis, "transposed": transposed, "transposed_per_axis": transposed_per_axis,
            "dense": dense, "huge_grid": huge_grid, "real": real, "real_strided": real_strided, "empty": empty}


def tolerance(dtype):
    return (0.0, 0.0)   # integer outputs only


def bad_inputs(device):
    """(args, exception type, message regex) that the Python API must reject."""
    coords, shape, B, k, s, p, d, _ = submanifold(device)
    subm = lambda c=coords, **kw: tuple(kw.get(n, v) for n, v in zip(   # noqa: E731
        ("coords", "spatial_shape", "batch_size", "kernel_size", "stride", "padding", "dilation", "mode"),
        (c, shape, B, k, s, p, d, 0)))
    regular = lambda **kw: subm(**dict(dict(stride=[2, 2, 2], padding=[1, 1, 1], mode=1), **kw))   # noqa: E731

    def col(j, v, row=3):
        bad = coords.clone()
        bad[row, j] = v
        return bad
    dup = coords.clone()
    dup[7] = dup[2]
    return [
        (subm(coords.float()), TypeError, r"coords must have dtype"),
        (subm(coords[:, :3]), ValueError, r"coords.shape\[1\] must equal 4"),
        (subm(col(0, B)), ValueError, r"coords\[:, 0\] \(batch index\) must lie in \[0, batch_size = 2\), got 2"),
        (subm(col(1, -1)), ValueError, r"coords\[:, 1\] \(z\) must lie in \[0, spatial_shape\[0\] = 5\), got -1"),
        (subm(col(3, 7)), ValueError, r"coords\[:, 3\] \(x\) must lie in \[0, spatial_shape\[2\] = 7\), got 7"),
        (regular(coords=col(2, 6)), ValueError, r"coords\[:, 2\] \(y\) must lie in"),
        (subm(dup), ValueError, r"coords has duplicate coordinates \(rows 2 and 7"),
        (subm(kernel_size=[3, 2, 3]), ValueError, r"odd kernel_size"),
        (subm(stride=[1, 2, 1]), ValueError, r"stride 1"),
        (subm(mode=3), ValueError, r"mode must be 0"),
        (subm(mode=-1), ValueError, r"mode must be >= 0"),
        (regular(kernel_size=[3, 9, 3], padding=[0, 0, 0]), ValueError, r"output extent.*kernel_size \[3, 9, 3\]"),
        (subm(spatial_shape=[2 ** 21] * 3, batch_size=1), ValueError, r"spatial_shape.*2\*\*62"),
        (subm(padding=[0, -1, 0]), ValueError, r"padding must be >= 0"),
        (subm(dilation=[1, 0, 1]), ValueError, r"dilation must be >= 1"),
        (subm(spatial_shape=[5, 6]), ValueError, r"spatial_shape must have 3 entries"),
        (subm(batch_size=0), ValueError, r"batch_size must be >= 1"),
        (subm(kernel_size=3), TypeError, r"kernel_size must be a list of ints"),
    ]
