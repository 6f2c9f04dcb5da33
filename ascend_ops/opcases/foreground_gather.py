"""Op case of foreground_gather (Ada3D); protocol in ascend_ops.opcases and CONTRACT (issue 11).

Baseline: Ada3D's own PyTorch path, foreground_gather_pytorch (A-suozhang/ada3d@9512743,
SparseBEVTools/SparseBEVTools/functional.py:87-98, run by the model at
openpcdet/pcdet/models/backbones_3d/spconv_backbone.py:383): index the BEV mask with
(b, y, x) of every voxel, cast to bool, then select the kept rows of features and coors.
The op also returns the kept rows' input index; the baseline gets it from one nonzero and
selects with it (two boolean selections cost at least as much).
"""
import torch

OP = "foreground_gather"

# Ada3D SECOND/KITTI: the voxel grid [41, 1600, 1408] (z, y, x) becomes [5, 200, 176] after three
# stride-2 sparse convs; the predictor's BEV mask is upsampled to that grid. ~15k voxels per
# frame there, C=64 (brief of issue 11), batch 2; the mask keeps ~40% of the BEV cells.
REAL = dict(B=2, Z=5, Y=200, X=176, M=30000, C=64, keep=0.4)
REAL_QUICK_VOXELS = 4000
SMALL = dict(B=2, Z=2, Y=6, X=7, M=50, C=5, keep=0.5)


def make_inputs(B, Z, Y, X, M, C, keep, device="cpu", dtype=torch.float32, seed=0,
                coors_dtype=torch.int32, mask_value=None):
    """features [M, C] (dtype), coors int32 [M, 4] (b, z, y, x): M distinct voxels in random
    order (as a sparse conv's output), valid_mask int32 [B, Y, X]: cells kept with probability
    `keep`, drawn at half resolution and upsampled x2 as Ada3D does (or all `mask_value`)."""
    g = torch.Generator().manual_seed(seed)
    cells = torch.randperm(B * Z * Y * X, generator=g)[:M]
    coors = torch.stack([cells // (Z * Y * X), cells // (Y * X) % Z, cells // X % Y, cells % X], 1)
    features = torch.randn(M, C, generator=g)
    if mask_value is None:
        coarse = torch.rand(B, (Y + 1) // 2, (X + 1) // 2, generator=g) < keep
        mask = coarse.repeat_interleave(2, 1).repeat_interleave(2, 2)[:, :Y, :X].to(torch.int32)
    else:
        mask = torch.full((B, Y, X), mask_value, dtype=torch.int32)
    return features.to(device, dtype), coors.to(device, coors_dtype), mask.to(device)


def small(device, dtype=torch.float32, seed=0, quick=False):
    """50 voxels on [2, 6, 7] (z, y, x grid 2 x 6 x 7), batch 2, C=5, ~half kept."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """Ada3D KITTI at stride 8: 30000 voxels on [5, 200, 176], batch 2, C=64, ~40% of the BEV
    kept (quick=True: 4000 voxels)."""
    shape = dict(REAL, M=REAL_QUICK_VOXELS) if quick else REAL
    return make_inputs(**shape, device=device, dtype=dtype, seed=seed)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No voxels: features [0, 64], coors [0, 4], valid_mask [2, 200, 176]."""
    return make_inputs(**dict(REAL, M=0), device=device, dtype=dtype, seed=seed)


def all_dropped(device, dtype=torch.float32, seed=0, quick=False):
    """The small case with an all-zero mask: K = 0."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed, mask_value=0)


def all_kept(device, dtype=torch.float32, seed=0, quick=False):
    """The small case with an all-one mask: K = M, index = arange(M)."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed, mask_value=1)


def cases():
    return {"small": small, "real": real, "empty": empty, "all_dropped": all_dropped, "all_kept": all_kept}


def baseline_inputs(features, coors, valid_mask):
    """Ada3D takes the same tensors (spconv's features and indices, the BEV mask)."""
    return features, coors, valid_mask


def baseline(features, coors, valid_mask):
    """Ada3D's foreground_gather_pytorch (functional.py:95-98) -> (features, coors, index)."""
    valid_ = valid_mask[coors[:, 0].long(), coors[:, 2].long(), coors[:, 3].long()].to(torch.bool)
    index = valid_.nonzero().squeeze(1)
    return features[index], coors[index], index


def tolerance(dtype):
    return (0.0, 0.0)   # a row copy: exact in every dtype


def bad_inputs(device):
    """(args, exception type, message regex) that the Python API must reject."""
    f, q, m = small(device)
    B, Y, X = m.shape
    col = lambda j, v: q.index_fill(1, torch.tensor([j], device=q.device), v)   # noqa: E731
    return [
        ((f, q.float(), m), TypeError, "coors must have dtype"),
        ((f, q.to(torch.int16), m), TypeError, "coors must have dtype"),
        ((f.int(), q, m), TypeError, "features must have dtype"),
        ((f, q, m.float()), TypeError, "valid_mask must have an integer or bool dtype"),
        ((f, q, m.to(torch.int16)), TypeError, "valid_mask must have dtype in"),
        ((f, q, m[0]), ValueError, "valid_mask must have 3 dims"),
        ((f, q[:, :3], m), ValueError, r"coors.shape\[1\] must equal 4"),
        ((f, q[None], m), ValueError, "coors must have 2 dims"),
        ((f[:-1], q, m), ValueError, r"coors.shape\[0\] must equal features.shape\[0\]"),
        ((f, q, "mask"), TypeError, "valid_mask must be a torch.Tensor"),
        ((f, col(0, B), m), ValueError, r"coors row 0 = \(b=2, .*outside valid_mask \[B, Y, X\] = \[2, 6, 7\]"),
        ((f, col(2, Y), m), ValueError, r"coors row 0 = \(b=\d+, z=\d+, y=6, .*outside valid_mask"),
        ((f, col(3, X), m), ValueError, r"coors row 0 = .*x=7\) is outside valid_mask"),
        ((f, col(1, -1), m), ValueError, r"coors row 0 = .*z=-1, .*outside valid_mask"),
        ((f, col(3, -2), m), ValueError, r"coors row 0 = .*x=-2\) is outside valid_mask"),
    ]
