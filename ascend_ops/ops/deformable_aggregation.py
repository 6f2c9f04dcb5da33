"""deformable_aggregation: Sparse4D's multi-camera, multi-scale deformable feature aggregation.

    out[b, a, c] = sum_{p, cam, l} weights[b, a, p, cam, l, c // (C // G)]
                   * bilinear(feature map (b, cam, l), x = u * W_l - 0.5, y = v * H_l - 0.5)[c]

where (u, v) = sampling_location[b, a, p, cam] are normalised image coordinates. A sample with
u or v outside the open interval (0, 1) (or not finite) is skipped; bilinear corners outside the
map read 0. Skipped samples and out-of-map corners contribute nothing at all, on every backend
and in the reference: a NaN or Inf in their location, their weights or the feature they would
have read reaches neither the output nor the gradients (never NaN * 0). A NaN / Inf a valid
corner reads propagates by IEEE arithmetic.
This is exactly the semantics of Sparse4D's CUDA op (projects/mmdet3d_plugin/ops).

Shapes and dtypes:
    mc_ms_feat        float [bs, num_feat, C]      channels-last maps, cam-major then level
    spatial_shape     int   [cams, scales, 2]      (H, W) of each (cam, level)
    scale_start_index int   [cams, scales]         offset of each (cam, level) in num_feat
    sampling_location float [bs, A, P, cams, 2]
    weights           float [bs, A, P, cams, scales, G], C % G == 0
    returns           float [bs, A, C]
Floats may be float32, float16 or bfloat16 (accumulated in float32) or float64 (computed in
float64 on every backend; on the NPU through the CPU kernel, the Ascend C kernels having no float64
path); mixed float inputs are promoted. Gradients flow to mc_ms_feat, sampling_location and
weights.
"""
import torch

from .. import _dispatch
from . import _checks, _contract as c

OP = "deformable_aggregation"


def check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    """Validate the shapes' relations and the index values (types, ranks and devices are checked
    by the contract first); return (bs, num_feat, C, A, P, cams, scales, G)."""
    bs, num_feat, C = mc_ms_feat.shape
    cams, scales, two = spatial_shape.shape
    if two != 2:
        raise ValueError(f"{OP}: spatial_shape must be [cams, scales, 2] (H, W), got {tuple(spatial_shape.shape)}")
    if tuple(scale_start_index.shape) != (cams, scales):
        raise ValueError(f"{OP}: scale_start_index must be [cams, scales] = [{cams}, {scales}] "
                         f"(from spatial_shape), got {tuple(scale_start_index.shape)}")
    _checks.size(OP, "sampling_location", sampling_location, 0, bs, "mc_ms_feat.shape[0] (bs)")
    _checks.size(OP, "sampling_location", sampling_location, 3, cams, "spatial_shape.shape[0] (cams)")
    _checks.size(OP, "sampling_location", sampling_location, 4, 2, "2 (u, v)")
    A, P = sampling_location.shape[1:3]
    expected = (bs, A, P, cams, scales)
    if tuple(weights.shape[:5]) != expected:
        raise ValueError(f"{OP}: weights must be [bs, A, P, cams, scales, G] with the first five = "
                         f"{list(expected)}, got {tuple(weights.shape)}")
    G = weights.shape[5]
    if G == 0 or C % G != 0:
        raise ValueError(f"{OP}: the channel count C = {C} (mc_ms_feat.shape[2]) must be divisible "
                         f"by the group count G = {G} (weights.shape[5])")
    # Value checks read the index tensors: eagerly on the CPU (the native kernels check on the
    # host for every device), as asserts in the graph while torch.compile traces.
    if spatial_shape.numel() and _checks.compiled_value_checks(spatial_shape, scale_start_index):
        hw = spatial_shape.long().prod(-1)
        _checks.assert_in_graph((spatial_shape >= 1).all(), f"{OP}: spatial_shape entries must be >= 1")
        end = scale_start_index.long() + hw
        _checks.assert_in_graph((scale_start_index >= 0).all() & (end <= num_feat).all(),
                                f"{OP}: scale_start_index + H*W must lie within num_feat = {num_feat} "
                                f"(mc_ms_feat.shape[1]) and scale_start_index must be >= 0")
    elif spatial_shape.device.type == "cpu" and spatial_shape.numel() and not _dispatch.is_compiling():
        hw = spatial_shape.long().prod(-1)
        if (spatial_shape < 1).any():
            raise ValueError(f"{OP}: spatial_shape entries must be >= 1, got {spatial_shape.tolist()}")
        if scale_start_index.device.type == "cpu":
            end = scale_start_index.long() + hw
            if (scale_start_index < 0).any() or (end > num_feat).any():
                raise ValueError(f"{OP}: scale_start_index + H*W must lie within num_feat = {num_feat} "
                                 f"(mc_ms_feat.shape[1]); got starts {scale_start_index.tolist()}")
    return bs, num_feat, C, A, P, cams, scales, G


def deformable_aggregation_reference(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    """Pure-PyTorch ground truth (aten ops only, any device, differentiable). Computes in at least
    float32 and returns the promoted input dtype."""
    out_dtype = _checks.compute_dtype(mc_ms_feat, sampling_location, weights)
    ct = torch.promote_types(out_dtype, torch.float32)
    feat, loc, w = mc_ms_feat.to(ct), sampling_location.to(ct), weights.to(ct)
    bs, num_feat, C = feat.shape
    _, A, P, cams, _ = loc.shape
    scales, G = w.shape[4], w.shape[5]
    out = feat.new_zeros(bs, A, G, C // G)   # empty inputs run the loop too: gradients stay connected
    shapes = spatial_shape.to(loc.device, torch.int64)
    starts = scale_start_index.to(loc.device, torch.int64)
    # One gather per chunk of cameras (its backward fills a zero tensor as large as mc_ms_feat),
    # with chunks of at most _REFERENCE_CHUNK gathered elements.
    per_cam = max(1, bs * scales * 4 * A * P * C)
    step = max(1, min(cams, _REFERENCE_CHUNK // per_cam))
    for c0 in range(0, cams, step):
        cs = slice(c0, min(cams, c0 + step))
        n = cs.stop - cs.start
        H = shapes[cs, :, 0].view(1, n, scales, 1, 1, 1)
        W = shapes[cs, :, 1].view(1, n, scales, 1, 1, 1)
        start = starts[cs].view(1, n, scales, 1, 1, 1)
        uc = loc[:, :, :, cs, 0].permute(0, 3, 1, 2)[:, :, None, None]    # [bs, n, 1, 1, A, P]
        vc = loc[:, :, :, cs, 1].permute(0, 3, 1, 2)[:, :, None, None]
        inside = (uc > 0) & (uc < 1) & (vc > 0) & (vc < 1)                 # False for NaN
        # skipped samples compute at a harmless (0.5, 0.5): their NaN / Inf never reaches a
        # value or a gradient (where's backward would multiply 0 by it otherwise)
        half = torch.full((), 0.5, dtype=ct, device=loc.device)
        uc, vc = torch.where(inside, uc, half), torch.where(inside, vc, half)
        x, y = uc * W - 0.5, vc * H - 0.5                                 # [bs, n, scales, 1, A, P]
        x0, y0 = torch.floor(x), torch.floor(y)
        lx, ly = x - x0, y - y0
        x0, y0 = x0.long(), y0.long()
        # corners (y0,x0) (y0,x1) (y1,x0) (y1,x1) on dim 3
        xi = torch.cat([x0, x0 + 1, x0, x0 + 1], 3)                      # [bs, n, scales, 4, A, P]
        yi = torch.cat([y0, y0, y0 + 1, y0 + 1], 3)
        corner_w = torch.cat([(1 - ly) * (1 - lx), (1 - ly) * lx, ly * (1 - lx), ly * lx], 3)
        valid = (xi >= 0) & (xi < W) & (yi >= 0) & (yi < H) & inside
        idx = start + yi.clamp(min=0).minimum(H - 1) * W + xi.clamp(min=0).minimum(W - 1)
        g = torch.gather(feat, 1, idx.reshape(bs, n * scales * 4 * A * P, 1).expand(-1, -1, C))
        g = g.reshape(bs, n, scales, 4, A, P, G, C // G)
        wc = w[:, :, :, cs].permute(0, 3, 4, 1, 2, 5)[:, :, :, None]     # [bs, n, scales, 1, A, P, G]
        # skipped samples and out-of-map corners contribute nothing, NaN / Inf included (where,
        # not a product with 0, as the kernels skip them): see the module docstring
        # As the kernels: out += weight * bilinear value for every sample inside (0, 1)^2 and
        # every level; skipped samples and out-of-map corners contribute nothing, NaN / Inf
        # included (where, not * 0)
        zero = torch.zeros((), dtype=ct, device=loc.device)
        g = torch.where(valid[..., None, None], g, zero)
        value = torch.einsum("bnlkapgc,bnlkap->bnlapgc", g, torch.where(valid, corner_w, zero))
        wi = torch.where(inside[:, :, :, 0, :, :, None], wc[:, :, :, 0], zero)   # [bs, n, scales, A, P, G]
        out = out + torch.einsum("bnlapgc,bnlapg->bagc", value, wi)
    out = out.reshape(bs, A, C)
    return out.to(out_dtype)


_REFERENCE_CHUNK = 1 << 26


def _fake(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    return mc_ms_feat.new_empty(mc_ms_feat.shape[0], sampling_location.shape[1], mc_ms_feat.shape[2])


def _fake_backward(grad_out, mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights):
    return torch.empty_like(mc_ms_feat), torch.empty_like(sampling_location), torch.empty_like(weights)


SPEC = c.OpSpec(
    name=OP,
    inputs=(c.TensorArg("mc_ms_feat", "float", rank=3, differentiable=True),
            c.TensorArg("spatial_shape", "index", rank=3, native_dtype=torch.int32),
            c.TensorArg("scale_start_index", "index", rank=2, native_dtype=torch.int32),
            c.TensorArg("sampling_location", "float", rank=5, differentiable=True),
            c.TensorArg("weights", "float", rank=6, differentiable=True)),
    outputs=(c.Output("out", "float"),),
    check=check_inputs, reference=deformable_aggregation_reference, fake=_fake,
    backward="native", backward_fake=_fake_backward,
    deterministic=True, ordered=True)

# Aggregate multi-camera multi-scale features at deformable sampling points (shapes in the module
# docstring); dispatches to the native kernel of the inputs' device.
deformable_aggregation = c.register(SPEC)


def feature_maps_format(feature_maps):
    """Sparse4D's layout helper: per-level maps [bs, cams, C, H, W] -> (mc_ms_feat [bs, cams*sum(HW), C],
    spatial_shape int32 [cams, levels, 2], scale_start_index int32 [cams, levels])."""
    bs, cams, C = feature_maps[0].shape[:3]
    shapes = torch.tensor([list(f.shape[-2:]) for f in feature_maps], dtype=torch.int32)
    flat = torch.cat([f.reshape(bs, cams, C, -1) for f in feature_maps], dim=-1)   # [bs, cams, C, sumHW]
    mc_ms_feat = flat.permute(0, 1, 3, 2).reshape(bs, -1, C).contiguous()
    spatial_shape = shapes.unsqueeze(0).repeat(cams, 1, 1)
    sizes = spatial_shape.prod(-1).flatten()
    scale_start_index = (torch.cumsum(sizes, 0) - sizes).reshape(cams, -1).int()
    device = feature_maps[0].device
    return mc_ms_feat, spatial_shape.to(device), scale_start_index.to(device)
