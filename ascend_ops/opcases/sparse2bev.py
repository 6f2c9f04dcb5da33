"""Op case of sparse2bev (Ada3D's SparseBEVTools); protocol in ascend_ops.opcases and
CONTRACT (issue 11).

Real shape: Ada3D on KITTI voxelises to the grid [41, 1600, 1408] (Z, Y, X); the backbone's
SparseMaxPool3d (kernel 4, stride 4) at conv2 gives spatial_shape [5, 200, 176], i.e. a 200 x 176
BEV map, with about 16k-40k voxels and 16-128 channels. The case uses 20k unique random voxels,
C = 64, batch 2.

Baseline: the scatter-add a user writes in PyTorch without the op: index_add of the voxel rows
into a flattened [B*Y*X, C] buffer, permute to [B, C, Y, X] (made contiguous, as a following conv
needs) and an index_fill for the mask.
"""
import torch

OP = "sparse2bev"

SMALL = dict(voxels=40, channels=6, batch=2, spatial_shape=(3, 5, 7))
REAL = dict(voxels=20000, channels=64, batch=2, spatial_shape=(5, 200, 176))
REAL_QUICK_VOXELS = 2000


def make_inputs(voxels, channels, batch, spatial_shape, device="cpu", dtype=torch.float32, seed=0,
                unique=True, index_dtype=torch.int32):
    """(features [voxels, C] in dtype, coors [voxels, 4] index_dtype (b, z, y, x), spatial_shape
    list, batch) with voxels drawn at random from the batch x Z x Y x X grid: distinct positions
    when `unique` (as a sparse tensor has), else with repeats."""
    g = torch.Generator().manual_seed(seed)
    Z, Y, X = spatial_shape
    total = batch * Z * Y * X
    if unique:
        flat = torch.randperm(total, generator=g)[:voxels]
    else:
        flat = torch.randint(0, total, (voxels,), generator=g)
    coors = torch.stack([flat // (Z * Y * X), flat // (Y * X) % Z, flat // X % Y, flat % X], 1)
    features = torch.randn(voxels, channels, generator=g)
    return features.to(device, dtype), coors.to(device, index_dtype), list(spatial_shape), batch


def small(device, dtype=torch.float32, seed=0, quick=False):
    """40 voxels (with repeats: columns and cells shared), C=6, batch 2, spatial_shape [3, 5, 7]."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed, unique=False)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """Ada3D KITTI conv2 output: 20k unique voxels, C=64, batch 2, spatial_shape [5, 200, 176].
    quick=True keeps the grid and channels with 2k voxels."""
    shape = dict(REAL, voxels=REAL_QUICK_VOXELS) if quick else REAL
    return make_inputs(**shape, device=device, dtype=dtype, seed=seed)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No voxels: M = 0, C=6, batch 2, spatial_shape [3, 5, 7] (all-zero bev and mask)."""
    return make_inputs(**dict(SMALL, voxels=0), device=device, dtype=dtype, seed=seed)


def cases():
    return {"small": small, "real": real, "empty": empty}


def tolerance(dtype):
    # fp16/bf16 sums are accumulated in float32 and rounded once (as the reference does), so
    # only the order of the additions differs.
    return {torch.float16: (1e-3, 1e-3), torch.bfloat16: (8e-3, 8e-3),
            torch.float64: (1e-12, 1e-12)}.get(dtype, (1e-5, 1e-5))


def bad_inputs(device):
    """(args, exception type, regex of the message) for invalid calls."""
    f, co, shape, B = make_inputs(**SMALL, device=device)
    out_x, neg_y, big_b = co.clone(), co.clone(), co.clone()
    out_x[3, 3] = shape[2]
    neg_y[5, 2] = -1
    big_b[0, 0] = B
    return [
        ((f, out_x, shape, B), ValueError, r"coors.*\(x\).*spatial_shape\[2\]"),
        ((f, neg_y, shape, B), ValueError, r"coors.*\(y\)"),
        ((f, big_b, shape, B), ValueError, r"coors.*batch_size"),
        ((f, co.float(), shape, B), TypeError, r"coors.*dtype"),
        ((f.int(), co, shape, B), TypeError, r"features.*dtype"),
        ((f[0], co, shape, B), ValueError, r"features.*2 dims"),
        ((f, co[:, :3], shape, B), ValueError, r"coors.*\[M, 4\]"),
        ((f, co[:-1], shape, B), ValueError, r"coors.*shape\[0\]"),
        ((f, co, shape[:2], B), ValueError, r"spatial_shape.*3"),
        ((f, co, [shape[0], 0, shape[2]], B), ValueError, r"spatial_shape.*>= 1"),
        ((f, co, shape, 0), ValueError, r"batch_size.*>= 1"),
        ((f, co, shape, 1.5), TypeError, r"batch_size"),
    ]


def baseline_inputs(features, coors, spatial_shape, batch_size):
    """-> (features, flat cell index int64 [M], B, Y, X): what the user's code computes first."""
    _, Y, X = spatial_shape
    c = coors.long()
    return features, (c[:, 0] * Y + c[:, 2]) * X + c[:, 3], batch_size, Y, X


def baseline(features, cell, B, Y, X):
    """Scatter-add composition in PyTorch -> (bev [B, C, Y, X], mask int32 [B, Y, X])."""
    C = features.shape[1]
    flat = features.new_zeros(B * Y * X, C).index_add_(0, cell, features)
    bev = flat.view(B, Y, X, C).permute(0, 3, 1, 2).contiguous()
    mask = torch.zeros(B * Y * X, dtype=torch.int32, device=features.device).index_fill_(0, cell, 1)
    return bev, mask.view(B, Y, X)
