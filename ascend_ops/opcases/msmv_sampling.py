"""Op case of msmv_sampling (SparseBEV); protocol in ascend_ops.opcases.

Args are the flattened levels (what flatten_mlvl_feats gives, and what SparseBEV would pass
once per frame batch): feat [B, N, sum H*W, C], spatial_shapes int32 [L, 2], level_start_index
int32 [L], sampling_locations [B, Q, P, 3], scale_weights [B, Q, P, L].

Baseline: SparseBEV's own PyTorch path (models/csrc/wrapper.py msmv_sampling_pytorch, used when
its CUDA extension is missing): one 3-D F.grid_sample per level on channels-first
[B, C, N, H, W] maps (align_corners=True, zeros padding). It equals the op wherever
view * (N - 1) is an integer, which is how SparseBEV builds the view coordinate (and how the
builders here do).
"""
import torch

from ..ops.msmv_sampling import msmv_sampling_pytorch_upstream

OP = "msmv_sampling"

# SparseBEV r50_nuimg_704x256: 6 views, FPN levels 64x176/32x88/16x44/8x22 (strides 4..32),
# 256 channels in G=4 groups of 64, T=8 frames stacked into the batch (B' = B*T*G = 32 for B=1),
# 900 queries, P=4 points per (frame, group).
REAL = dict(B=32, N=6, levels=((64, 176), (32, 88), (16, 44), (8, 22)), C=64, Q=900, P=4)
REAL_QUICK_BATCH = 1
SMALL = dict(B=2, N=3, levels=((6, 10), (3, 5)), C=16, Q=5, P=3)


def make_inputs(B, N, levels, C, Q, P, device="cpu", dtype=torch.float32, seed=0, outside=0.2):
    """Random inputs (see the module docstring for shapes). x, y are uniform in [0, 1], except a
    fraction `outside` of the points that lie in [-0.5, 1.5] (partly off the maps, as SparseBEV's
    points seen by no camera); the view coordinate is i / (N - 1) for a random view i (as
    SparseBEV builds it); scale_weights are a softmax over the levels."""
    g = torch.Generator().manual_seed(seed)
    L = len(levels)
    shapes = torch.tensor([list(hw) for hw in levels], dtype=torch.int32).reshape(L, 2)
    sizes = shapes.prod(-1)
    starts = (torch.cumsum(sizes, 0) - sizes).to(torch.int32)
    feat = torch.randn(B, N, int(sizes.sum()), C, generator=g)
    xy = torch.rand(B, Q, P, 2, generator=g)
    far = torch.rand(B, Q, P, 2, generator=g) * 2 - 0.5
    xy = torch.where(torch.rand(B, Q, P, 1, generator=g) < outside, far, xy)
    view = torch.randint(0, max(N, 1), (B, Q, P, 1), generator=g).float() / max(N - 1, 1)
    loc = torch.cat([xy, view], -1)
    weights = torch.randn(B, Q, P, L, generator=g).softmax(-1)
    return (feat.to(device, dtype), shapes.to(device), starts.to(device), loc.to(device, dtype),
            weights.to(device, dtype))


def small(device, dtype=torch.float32, seed=0, quick=False):
    """B=2, N=3 views, levels 6x10 and 3x5, C=16, Q=5, P=3."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """SparseBEV r50 704x256 decoder sampling: B'=32 (B=1 x 8 frames x 4 groups), N=6, levels
    64x176/32x88/16x44/8x22, C=64, Q=900, P=4 (feat alone is 735 MB in float32).
    quick=True keeps all of that but uses B'=1 (one frame of one group)."""
    shape = dict(REAL, B=REAL_QUICK_BATCH) if quick else REAL
    return make_inputs(**shape, device=device, dtype=dtype, seed=seed)


def gradcheck_case(device):
    """Tiny float64 inputs for gradcheck: B=1, N=2 views, levels 3x4 and 2x2, C=2, Q=2, P=3,
    half the points partly off the maps."""
    return make_inputs(B=1, N=2, levels=((3, 4), (2, 2)), C=2, Q=2, P=3, device=device, dtype=torch.float64,
                       seed=7, outside=0.5)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No queries: B=2, N=3 views, levels 6x10 and 3x5, C=16, Q=0, P=3."""
    return make_inputs(**dict(SMALL, Q=0), device=device, dtype=dtype, seed=seed)


def dense(device, dtype=torch.float32, seed=0, quick=False):
    """Many samples per feature row (the backward's summation order matters) over several row
    blocks: B=1, N=6 views, levels 16x44 and 8x22, C=64, Q=300, P=4."""
    return make_inputs(B=1, N=6, levels=((16, 44), (8, 22)), C=64, Q=300, P=4, device=device, dtype=dtype,
                       seed=seed + 12)


def cases():
    return {"small": small, "real": real, "dense": dense, "empty": empty}


def baseline_inputs(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights):
    """-> (sampling_locations, scale_weights, *maps [B, C, N, H, W]): SparseBEV's layouts on its
    fallback path (contiguous channels-first maps)."""
    B, N, _, C = feat.shape
    maps = []
    for (H, W), start in zip(spatial_shapes.tolist(), level_start_index.tolist()):
        level = feat[:, :, start:start + H * W].reshape(B, N, H, W, C)
        maps.append(level.permute(0, 4, 1, 2, 3).contiguous())
    return (sampling_locations, scale_weights, *maps)


def baseline(sampling_locations, scale_weights, *maps):
    """SparseBEV's grid_sample fallback -> [B, Q, C, P]."""
    return msmv_sampling_pytorch_upstream(list(maps), sampling_locations, scale_weights)


def tolerance(dtype):
    """float64 is computed in float64 by every backend (a kernel narrowing it to float32 fails)."""
    return {torch.float16: (1e-2, 1e-2), torch.bfloat16: (6e-2, 3e-2),
            torch.float64: (1e-9, 1e-9)}.get(dtype, (2e-4, 1e-4))
