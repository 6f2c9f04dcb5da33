"""msmv_sampling: SparseBEV's multi-scale multi-view feature sampling.

    out[b, q, c, p] = sum_l scale_weights[b, q, p, l]
                      * bilinear(level l of view v, w = x * (W_l - 1), h = y * (H_l - 1))[c]

where (x, y, z) = sampling_locations[b, q, p] with x, y in [0, 1] and v = round(z * (N - 1))
(round half away from zero). Bilinear sampling is align_corners=True with zero padding; a level
is skipped unless -1 < h < H_l and -1 < w < W_l. Skipped samples and out-of-map corners
contribute nothing at all, on every backend and in the reference: a NaN or Inf in their
location, weight or the feature they would have read reaches neither the output nor the
gradients (never NaN * 0). This is exactly SparseBEV's CUDA op (models/csrc/msmv_sampling),
with one defined edge: upstream reads out of bounds when v lies outside [0, N - 1]; here such a
sample (and a NaN z) contributes 0, which is what the upstream grid_sample fallback gives at
integer view positions. The view coordinate gets zero gradient.

Shapes and dtypes (public API):
    mlvl_feats          list of L >= 1 float [B, N, H_l, W_l, C] (channels-last, the layout
                        upstream's CUDA path takes), or the FlatMlvlFeats of flatten_mlvl_feats()
    sampling_locations  float [B, Q, P, 3]   (x, y, view / (N - 1))
    scale_weights       float [B, Q, P, L]
    returns             float [B, Q, C, P]
Native op (flattened levels): feat [B, N, num_feat = sum_l H_l * W_l, C], spatial_shapes int
[L, 2] (H, W), level_start_index int [L]. Floats may be float32, float16 or bfloat16 (accumulated
in float32) or float64 (computed in float64 on every backend; on the NPU through the CPU kernel,
the Ascend C kernels having no float64 path); mixed float inputs are promoted. Gradients flow to
the features, the x/y location components and the scale weights. Any L >= 1, P, C; empty sizes
give empty or zero results.
"""
from typing import NamedTuple

import torch
import torch.nn.functional as F

from .. import _dispatch
from . import _checks, _contract as c

OP = "msmv_sampling"


class FlatMlvlFeats(NamedTuple):
    """Levels flattened once: feat [B, N, sum_l H_l*W_l, C], spatial_shapes int32 [L, 2] (H, W),
    level_start_index int32 [L]; all on the features' device."""
    feat: torch.Tensor
    spatial_shapes: torch.Tensor
    level_start_index: torch.Tensor


def _check_levels(mlvl_feats):
    if not isinstance(mlvl_feats, (list, tuple)) or len(mlvl_feats) == 0:
        raise TypeError(f"{OP}: mlvl_feats must be a non-empty list of [B, N, H, W, C] tensors or the "
                        f"result of flatten_mlvl_feats(), got {type(mlvl_feats).__name__}"
                        + (" of length 0" if isinstance(mlvl_feats, (list, tuple)) else ""))
    for i, f in enumerate(mlvl_feats):
        _checks.tensor(OP, f"mlvl_feats[{i}]", f, 5)
    B, N, _, _, C = mlvl_feats[0].shape
    for i, f in enumerate(mlvl_feats[1:], 1):
        if (f.shape[0], f.shape[1], f.shape[4]) != (B, N, C):
            raise ValueError(f"{OP}: every level must be [B, N, H, W, C] with B, N, C = {B}, {N}, {C} "
                             f"(from mlvl_feats[0]), got mlvl_feats[{i}] {tuple(f.shape)}")
    _checks.same_device(OP, **{f"mlvl_feats[{i}]": f for i, f in enumerate(mlvl_feats)})


def flatten_mlvl_feats(mlvl_feats):
    """list of L float [B, N, H_l, W_l, C] -> FlatMlvlFeats(feat [B, N, sum H_l*W_l, C] in the
    promoted dtype, spatial_shapes int32 [L, 2], level_start_index int32 [L]). Differentiable
    (one copy); do it once when the same levels are sampled several times."""
    _check_levels(mlvl_feats)
    B, N, _, _, C = mlvl_feats[0].shape
    dtype = _checks.compute_dtype(*mlvl_feats)
    hw = [(int(f.shape[2]), int(f.shape[3])) for f in mlvl_feats]
    feat = torch.cat([f.to(dtype).reshape(B, N, h * w, C) for f, (h, w) in zip(mlvl_feats, hw)], dim=2)
    starts, total = [], 0
    for h, w in hw:
        starts.append(total)
        total += h * w
    device = feat.device
    return FlatMlvlFeats(feat, torch.tensor(hw, dtype=torch.int32, device=device),
                         torch.tensor(starts, dtype=torch.int32, device=device))


def _as_flat(mlvl_feats):
    if isinstance(mlvl_feats, FlatMlvlFeats):
        return mlvl_feats
    return flatten_mlvl_feats(mlvl_feats)


def check_inputs(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights):
    """Validate the flattened op's shape relations and index values (types, ranks and devices are
    checked by the contract first); return (B, N, num_feat, C, Q, P, L)."""
    B, N, num_feat, C = feat.shape
    L, two = spatial_shapes.shape
    if two != 2 or L == 0:
        raise ValueError(f"{OP}: spatial_shapes must be [L, 2] (H, W) with L >= 1, got {tuple(spatial_shapes.shape)}")
    if tuple(level_start_index.shape) != (L,):
        raise ValueError(f"{OP}: level_start_index must be [L] = [{L}] (from spatial_shapes), "
                         f"got {tuple(level_start_index.shape)}")
    _checks.size(OP, "sampling_locations", sampling_locations, 0, B, "feat.shape[0] (B)")
    _checks.size(OP, "sampling_locations", sampling_locations, 3, 3, "3 (x, y, view)")
    Q, P = sampling_locations.shape[1:3]
    if tuple(scale_weights.shape) != (B, Q, P, L):
        raise ValueError(f"{OP}: scale_weights must be [B, Q, P, L] = [{B}, {Q}, {P}, {L}] "
                         f"(from feat, sampling_locations and the level count), got {tuple(scale_weights.shape)}")
    # Value checks read the index tensors: eagerly on the CPU (the native kernels check on the
    # host for every device), as asserts in the graph while torch.compile traces.
    if _checks.compiled_value_checks(spatial_shapes, level_start_index):
        _checks.assert_in_graph((spatial_shapes >= 1).all(), f"{OP}: spatial_shapes entries must be >= 1")
        end = level_start_index.long() + spatial_shapes.long().prod(-1)
        _checks.assert_in_graph((level_start_index >= 0).all() & (end <= num_feat).all(),
                                f"{OP}: level_start_index + H*W must lie within num_feat = {num_feat} "
                                f"(feat.shape[2]) and level_start_index must be >= 0")
    elif spatial_shapes.device.type == "cpu" and not _dispatch.is_compiling():
        if (spatial_shapes < 1).any():
            raise ValueError(f"{OP}: spatial_shapes entries must be >= 1, got {spatial_shapes.tolist()}")
        end = level_start_index.long() + spatial_shapes.long().prod(-1)
        if (level_start_index < 0).any() or (end > num_feat).any():
            raise ValueError(f"{OP}: level_start_index + H*W must lie within num_feat = {num_feat} "
                             f"(feat.shape[2]); got starts {level_start_index.tolist()} for shapes "
                             f"{spatial_shapes.tolist()}")
    return B, N, num_feat, C, Q, P, L


def _round_half_away(v):
    return torch.sign(v) * torch.floor(v.abs() + 0.5)


def _reference_flat(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights):
    out_dtype = _checks.compute_dtype(feat, sampling_locations, scale_weights)
    ct = torch.promote_types(out_dtype, torch.float32)
    feat, loc, w = feat.to(ct), sampling_locations.to(ct), scale_weights.to(ct)
    B, N, num_feat, C = feat.shape
    _, Q, P, _ = loc.shape
    # zeros connected to every input (empty slices), so empty cases still backpropagate zeros
    out = feat.new_zeros(B, Q, P, C) + (feat.flatten()[:0].sum() + loc.flatten()[:0].sum() + w.flatten()[:0].sum())
    if out.numel() == 0 or N * num_feat == 0:
        return out.permute(0, 1, 3, 2).to(out_dtype)
    x, y, z = loc.unbind(-1)                                   # [B, Q, P]
    view = _round_half_away(z * (N - 1))
    view_ok = (view >= 0) & (view <= N - 1)                    # False for NaN
    view = torch.where(view_ok, view, torch.zeros_like(view)).long()
    # Indices and coefficients of every (level, corner) first, then ONE gather: its backward
    # fills a single zero tensor as large as feat (one per gather would dominate the time).
    indices, corner_ws, corner_valid, level_ws = [], [], [], []
    for lvl, ((H, W), start) in enumerate(zip(spatial_shapes.tolist(), level_start_index.tolist())):
        h, wp = y * (H - 1), x * (W - 1)
        inside = view_ok & (h > -1) & (wp > -1) & (h < H) & (wp < W)
        # skipped samples compute at (0, 0): their NaN / Inf never reaches a value or a gradient
        h, wp = torch.where(inside, h, torch.zeros_like(h)), torch.where(inside, wp, torch.zeros_like(wp))
        h0, w0 = torch.floor(h), torch.floor(wp)
        lh, lw = h - h0, wp - w0
        zero = torch.zeros_like(h0)
        h0 = torch.where(inside, h0, zero).long()
        w0 = torch.where(inside, w0, zero).long()
        level_ws.append(torch.where(inside, w[..., lvl], torch.zeros_like(h)))
        for dh, dw, corner_w in ((0, 0, (1 - lh) * (1 - lw)), (0, 1, (1 - lh) * lw),
                                 (1, 0, lh * (1 - lw)), (1, 1, lh * lw)):
            hi, wi = h0 + dh, w0 + dw
            valid = inside & (hi >= 0) & (hi < H) & (wi >= 0) & (wi < W)
            indices.append(view * num_feat + start + hi.clamp(0, H - 1) * W + wi.clamp(0, W - 1))
            corner_ws.append(torch.where(valid, corner_w, torch.zeros_like(corner_w)))
            corner_valid.append(valid)
    idx = torch.stack(indices, 1).reshape(B, -1, 1).expand(-1, -1, C)      # [B, L*4*Q*P, C]
    L = len(level_ws)
    g = torch.gather(feat.reshape(B, N * num_feat, C), 1, idx).reshape(B, L, 4, Q, P, C)
    # As the kernels: out += scale_weight * bilinear value, per level that is not skipped; skipped
    # levels and out-of-map corners contribute nothing, NaN / Inf included (where, not * 0)
    valid_all = torch.stack(corner_valid, 1).reshape(B, L, 4, Q, P, 1)
    g = torch.where(valid_all, g, torch.zeros((), dtype=g.dtype, device=g.device))
    value = torch.einsum("blkqpc,blkqp->blqpc", g, torch.stack(corner_ws, 1).reshape(B, L, 4, Q, P))
    out = out + torch.einsum("blqpc,blqp->bqpc", value, torch.stack(level_ws, 1))
    return out.permute(0, 1, 3, 2).to(out_dtype)


def msmv_sampling_reference(mlvl_feats, sampling_locations, scale_weights):
    """Pure-PyTorch ground truth (aten gathers only, any device, differentiable); same arguments
    and result as msmv_sampling. Computes in at least float32, returns the promoted dtype."""
    args = (*_as_flat(mlvl_feats), sampling_locations, scale_weights)
    SPEC.validate(args)
    check_inputs(*args)
    return _reference_flat(*args)


def msmv_sampling_pytorch_upstream(mlvl_feats_cf, sampling_locations, scale_weights):
    """SparseBEV's own fallback (wrapper.msmv_sampling_pytorch): one 3-D grid_sample per level on
    channels-first maps. mlvl_feats_cf: list of L float [B, C, N, H_l, W_l]; returns [B, Q, C, P].
    Equal to msmv_sampling where z * (N - 1) is an integer (the view axis is sampled trilinearly,
    so z also gets a gradient here); used as the benchmark baseline and a cross-check."""
    B, C = mlvl_feats_cf[0].shape[:2]
    _, Q, P, _ = sampling_locations.shape
    grid = (sampling_locations * 2 - 1)[:, :, :, None, :]     # [B, Q, P, 1, 3] = (x, y, view)
    final = 0
    for lvl, feat in enumerate(mlvl_feats_cf):
        sampled = F.grid_sample(feat, grid.to(feat.dtype), mode="bilinear", padding_mode="zeros",
                                align_corners=True)[..., 0]   # [B, C, Q, P]
        final = final + sampled * scale_weights[..., lvl].reshape(B, 1, Q, P)
    return final.permute(0, 2, 1, 3)


def _fake(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights):
    return feat.new_empty(feat.shape[0], sampling_locations.shape[1], feat.shape[3], sampling_locations.shape[2])


def _fake_backward(grad_out, feat, spatial_shapes, level_start_index, sampling_locations, scale_weights):
    return torch.empty_like(feat), torch.empty_like(sampling_locations), torch.empty_like(scale_weights)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("feat", "float", rank=4, differentiable=True),
            c.TensorArg("spatial_shapes", "index", rank=2, native_dtype=torch.int32),
            c.TensorArg("level_start_index", "index", rank=1, native_dtype=torch.int32),
            c.TensorArg("sampling_locations", "float", rank=4, differentiable=True),
            c.TensorArg("scale_weights", "float", rank=4, differentiable=True)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=_reference_flat, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=True, ordered=True)

# msmv_sampling on already flattened levels (shapes in the module docstring); dispatches to the
# native kernel of the inputs' device.
msmv_sampling_flat = c.register(SPEC)


def msmv_sampling(mlvl_feats, sampling_locations, scale_weights):
    """Sample L feature levels of N views at (x, y, view) points and mix the levels with
    scale_weights. mlvl_feats: list of float [B, N, H_l, W_l, C] or flatten_mlvl_feats(...);
    sampling_locations [B, Q, P, 3]; scale_weights [B, Q, P, L]; returns [B, Q, C, P]."""
    return msmv_sampling_flat(*_as_flat(mlvl_feats), sampling_locations, scale_weights)
