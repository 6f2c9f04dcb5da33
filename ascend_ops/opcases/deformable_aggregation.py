"""Op case of deformable_aggregation (Sparse4D); protocol in ascend_ops.opcases.

Baseline: Sparse4D's own PyTorch path (`use_deformable_func=False` in
projects/mmdet3d_plugin/models/blocks.py): F.grid_sample per level on [bs*cams, C, H, W] maps
with grid 2*uv-1 (bilinear, zeros padding, align_corners=False), then the group weights
multiply and cameras, levels and points are summed. It equals the op except for samples within
half a pixel outside the image, which the op skips and grid_sample partly reads.
"""
import torch
import torch.nn.functional as F


OP = "deformable_aggregation"

# Sparse4D v3 (nuScenes, ResNet50 704x256): 6 cams, 4 levels (strides 4..32), C=256, 8 groups,
# 900 anchors + 600 temporal instances, 13 key points (7 fixed + 6 learned), batch 1.
REAL = dict(bs=1, cams=6, levels=((64, 176), (32, 88), (16, 44), (8, 22)), C=256, G=8, A=1500, P=13)
REAL_QUICK_ANCHORS = 64
SMALL = dict(bs=2, cams=3, levels=((6, 10), (3, 5)), C=16, G=4, A=5, P=3)


def make_inputs(bs, cams, levels, C, G, A, P, device="cpu", dtype=torch.float32, seed=0, visible=0.2):
    """Random inputs: mc_ms_feat [bs, cams*sum(H*W), C], spatial_shape int32 [cams, L, 2],
    scale_start_index int32 [cams, L], sampling_location [bs, A, P, cams, 2], weights
    [bs, A, P, cams, L, G] (softmax over P, cams, L). Each point lies inside one "home" camera
    and, with probability `visible`, inside each other camera too (a surround rig: a point is
    seen by one or two cameras); other locations lie well outside [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    L = len(levels)
    shapes = torch.tensor([list(hw) for hw in levels] * cams, dtype=torch.int32).reshape(cams, L, 2)
    sizes = shapes.prod(-1).flatten()
    starts = (torch.cumsum(sizes, 0) - sizes).reshape(cams, L).to(torch.int32)
    feat = torch.randn(bs, int(sizes.sum()), C, generator=g)
    inside = torch.rand(bs, A, P, cams, 2, generator=g) * 0.96 + 0.02
    outside = torch.rand(bs, A, P, cams, 2, generator=g) - 1.5
    home = torch.randint(0, cams, (bs, A, P), generator=g)
    seen = torch.rand(bs, A, P, cams, generator=g) < visible
    seen |= torch.nn.functional.one_hot(home, cams).bool()
    loc = torch.where(seen[..., None], inside, outside)
    weights = torch.randn(bs, A, P * cams * L, G, generator=g).softmax(2).reshape(bs, A, P, cams, L, G)
    return (feat.to(device, dtype), shapes.to(device), starts.to(device), loc.to(device, dtype),
            weights.to(device, dtype))


def small(device, dtype=torch.float32, seed=0, quick=False):
    """bs=2, 3 cams, levels 6x10 and 3x5, C=16, G=4, A=5, P=3."""
    return make_inputs(**SMALL, device=device, dtype=dtype, seed=seed)


def real(device, dtype=torch.float32, seed=0, quick=False):
    """Sparse4D v3: bs=1, 6 cams, levels 64x176/32x88/16x44/8x22, C=256, G=8, A=1500, P=13.
    quick=True keeps all of that but uses A=64 anchors."""
    shape = dict(REAL, A=REAL_QUICK_ANCHORS) if quick else REAL
    return make_inputs(**shape, device=device, dtype=dtype, seed=seed)


def gradcheck_case(device):
    """Tiny float64 inputs for gradcheck: bs=1, 2 cams, levels 4x5 and 2x3, C=4, G=2, A=3, P=2,
    points seen by more cameras than usual (visible=0.6)."""
    return make_inputs(bs=1, cams=2, levels=((4, 5), (2, 3)), C=4, G=2, A=3, P=2, device=device,
                       dtype=torch.float64, seed=7, visible=0.6)


def empty(device, dtype=torch.float32, seed=0, quick=False):
    """No anchors: bs=2, 3 cams, levels 6x10 and 3x5, C=16, G=4, A=0, P=3."""
    return make_inputs(**dict(SMALL, A=0), device=device, dtype=dtype, seed=seed)


def dense(device, dtype=torch.float32, seed=0, quick=False):
    """Many samples per feature row (the backward's summation order matters) over several row
    blocks: bs=1, 8 cams, levels 8x12 .. 2x2 (5), C=512, G=8, A=40, P=4, half the points seen by
    each camera."""
    return make_inputs(bs=1, cams=8, levels=((8, 12), (6, 8), (4, 6), (3, 4), (2, 2)), C=512, G=8, A=40, P=4,
                       device=device, dtype=dtype, seed=seed + 11, visible=0.5)


def cases():
    return {"small": small, "real": real, "dense": dense, "empty": empty}


def baseline_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    """-> (points_2d [bs, cams, A, P, 2], weights [bs, A, cams, L, P, G], *maps [bs, cams, C, H, W]):
    Sparse4D's layouts on its fallback path."""
    bs, _, C = mc_ms_feat.shape
    cams, L = spatial_shape.shape[:2]
    maps = []
    for lvl in range(L):
        H, W = spatial_shape[0, lvl].tolist()
        per_cam = [mc_ms_feat[:, s:s + H * W] for s in scale_start_index[:, lvl].tolist()]
        maps.append(torch.stack(per_cam, 1).reshape(bs, cams, H, W, C).permute(0, 1, 4, 2, 3).contiguous())
    points = sampling_location.permute(0, 3, 1, 2, 4).contiguous()
    w = weights.permute(0, 1, 3, 4, 2, 5).contiguous()
    return (points, w, *maps)


def baseline(points_2d, weights, *maps):
    """Sparse4D's grid_sample fallback -> [bs, A, C]."""
    bs, cams, A, P, _ = points_2d.shape
    G = weights.shape[-1]
    grid = (points_2d * 2 - 1).flatten(end_dim=1)                          # [bs*cams, A, P, 2]
    feats = torch.stack([F.grid_sample(m.flatten(end_dim=1), grid, align_corners=False) for m in maps], 1)
    C = feats.shape[2]
    feats = feats.reshape(bs, cams, len(maps), C, A, P).permute(0, 4, 1, 2, 5, 3)   # [bs, A, cams, L, P, C]
    feats = weights[..., None] * feats.reshape(feats.shape[:-1] + (G, C // G))
    return feats.sum(dim=(2, 3, 4)).reshape(bs, A, C)


def tolerance(dtype):
    """float64 is computed in float64 by every backend (a kernel narrowing it to float32 fails)."""
    return {torch.float16: (1e-2, 1e-2), torch.bfloat16: (6e-2, 3e-2),
            torch.float64: (1e-9, 1e-9)}.get(dtype, (2e-4, 1e-4))
