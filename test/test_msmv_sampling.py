"""msmv_sampling: native kernels vs the reference vs SparseBEV's grid_sample fallback, semantics,
edge locations, dtypes, empty inputs, checks, determinism (the generic battery in
test_op_contract.py adds gradcheck, opcheck and compile)."""
import math

import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import msmv_sampling as case
from ascend_ops.ops._contract import get as _spec
from ascend_ops.opcases._harness import leaves
from ascend_ops.ops.msmv_sampling import (FlatMlvlFeats, flatten_mlvl_feats, msmv_sampling, msmv_sampling_reference,
                                          msmv_sampling_pytorch_upstream)

SPEC = _spec("msmv_sampling")
DIFF, NATIVE, REFERENCE = SPEC.differentiable, SPEC.public, SPEC.reference  # the op as its contract defines it

OP = torch.ops.ascend_ops.msmv_sampling
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]


def run(fn, args, grad_out):
    """fn(*args) and the gradients of (out * grad_out).sum() w.r.t. feat, locations, weights."""
    args = leaves(args, DIFF)
    out = fn(*args)
    out.backward(grad_out)
    return out.detach(), [args[i].grad for i in DIFF]


def grad_for(args, seed=1):
    B, C, (Q, P) = args[0].shape[0], args[0].shape[3], args[3].shape[1:3]
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, Q, C, P, generator=g).to(args[0].device, args[0].dtype)


def assert_parity(args, atol=2e-4, rtol=1e-4, reference_args=None):
    grad_out = grad_for(args)
    out, grads = run(NATIVE, args, grad_out)
    ref_args = reference_args if reference_args is not None else args
    ref_out, ref_grads = run(REFERENCE, ref_args, grad_out.to(ref_args[0].dtype))
    torch.testing.assert_close(out.float(), ref_out.float(), atol=atol, rtol=rtol, msg=lambda m: "forward: " + m)
    for name, g, rg in zip(("feat", "sampling_locations", "scale_weights"), grads, ref_grads):
        assert g.dtype == args[0].dtype
        torch.testing.assert_close(g.float(), rg.float(), atol=atol, rtol=rtol, msg=lambda m: f"grad {name}: " + m)
    assert grads[1][..., 2].abs().max() == 0          # the view coordinate gets no gradient


SHAPES = {
    "L1_N1_P40_C3": dict(B=2, N=1, levels=((5, 7),), C=3, Q=6, P=40),
    "L4_N6_C12": dict(B=2, N=6, levels=((8, 22), (4, 11), (2, 6), (1, 3)), C=12, Q=7, P=4),
    "L5_P33_C20": dict(B=1, N=4, levels=((9, 5), (5, 3), (3, 2), (2, 1), (1, 1)), C=20, Q=5, P=33),
    "L6_C9": dict(B=3, N=2, levels=((4, 4), (3, 3), (2, 2), (1, 2), (2, 1), (1, 1)), C=9, Q=4, P=2),
    "L2_C64": dict(B=1, N=6, levels=((16, 44), (8, 22)), C=64, Q=10, P=4),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_parity_random_shapes(shape, device, native_only):
    assert_parity(case.make_inputs(**SHAPES[shape], device=device, seed=3, outside=0.3))


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_parity_sparsebev_real_shape(device, native_only):
    """Native fwd + bwd on SparseBEV r50's per-sample shape (N=6, levels 64x176..8x22, C=64,
    Q=900, P=4) with B'=4 (one frame x 4 groups instead of 8 frames: B'=32 needs 735 MB per
    feature tensor, too much for CI). The reference checks a random subset of queries; grad_output
    is zero on the others so that grad_feat is comparable too."""
    args = case.make_inputs(**dict(case.REAL, B=4), device=device, seed=5)
    B, Q = 4, 900
    assert tuple(args[0].shape) == (B, 6, 64 * 176 + 32 * 88 + 16 * 44 + 8 * 22, 64)
    keep = torch.randperm(Q, generator=torch.Generator().manual_seed(0))[:40].sort().values.to(device)
    grad_out = torch.zeros(B, Q, 64, 4, device=device)
    grad_out[:, keep] = grad_for(args)[:, keep]
    out, (g_feat, g_loc, g_w) = run(NATIVE, args, grad_out)
    sub = (args[0], args[1], args[2], args[3][:, keep], args[4][:, keep])
    ref_out, (r_feat, r_loc, r_w) = run(REFERENCE, sub, grad_out[:, keep])
    assert (out.abs().sum(2) > 0).float().mean() > 0.75      # most points land on the maps
    torch.testing.assert_close(out[:, keep], ref_out, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_feat, r_feat, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_loc[:, keep], r_loc, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_w[:, keep], r_w, atol=2e-4, rtol=1e-4)


def test_reference_matches_upstream_grid_sample_fallback():
    """SparseBEV's grid_sample fallback equals the op (forward and the feat / x, y / weight
    gradients) when view * (N - 1) is an integer, including points partly or fully off the maps
    and views outside [0, N-1] (zero padding)."""
    args = list(case.make_inputs(**SHAPES["L4_N6_C12"], seed=11, outside=0.4))
    N = 6
    args[3][0, :, 0, 2] = -1.0 / (N - 1)                 # view -1 and view N: outside, read 0
    args[3][0, :, 1, 2] = N / (N - 1)
    grad_out = grad_for(args)
    ref_out, ref_grads = run(REFERENCE, args, grad_out)
    bargs = [a.detach().clone().requires_grad_() for a in case.baseline_inputs(*args)]
    base_out = case.baseline(*bargs)
    base_out.backward(grad_out)
    torch.testing.assert_close(base_out, ref_out, atol=1e-5, rtol=1e-5)
    base_feat = torch.cat([m.grad.permute(0, 2, 3, 4, 1).flatten(2, 3) for m in bargs[2:]], 2)
    torch.testing.assert_close(base_feat, ref_grads[0], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(bargs[0].grad[..., :2], ref_grads[1][..., :2], atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(bargs[1].grad, ref_grads[2], atol=1e-5, rtol=1e-5)
    assert ref_out[0, :, :, :2].abs().max() == 0


def _view_coded(device, N=5, H=3, W=4, C=2):
    """feat whose value is view index + 1 everywhere: a sample reads exactly its view number + 1."""
    feat = torch.arange(1, N + 1, dtype=torch.float32, device=device).view(1, N, 1, 1).expand(1, N, H * W, C).contiguous()
    return (feat, torch.tensor([[H, W]], dtype=torch.int32, device=device),
            torch.tensor([0], dtype=torch.int32, device=device))


@pytest.mark.parametrize("device", DEVICES)
def test_view_rounding_and_out_of_range_views(device, native_only):
    """view = round(z * (N - 1)) half away from zero (CUDA roundf, not torch.round's half to even);
    views outside [0, N-1] and NaN read 0."""
    N = 5
    feat, shapes, starts = _view_coded(device, N)
    scaled = [0.0, 0.49, 0.5, 1.5, 2.5, 3.4999, 3.5, 4.0, 4.49, 4.5, -0.49, -0.5, -1.0, 5.0, 1e9, -1e9, math.nan]
    expect = [1, 1, 2, 3, 4, 4, 5, 5, 5, 0, 1, 0, 0, 0, 0, 0, 0]
    z = torch.tensor(scaled) / (N - 1)
    assert ((z * (N - 1)) - torch.tensor(scaled)).nan_to_num().abs().max() < 1e-6
    loc = torch.stack([torch.full_like(z, 0.3), torch.full_like(z, 0.6), z], -1).view(1, 1, -1, 3).to(device)
    w = torch.ones(1, 1, len(scaled), 1, device=device)
    for fn in (NATIVE, REFERENCE):
        out = fn(feat, shapes, starts, loc, w)
        torch.testing.assert_close(out[0, 0, 0].cpu(), torch.tensor(expect, dtype=torch.float32))


@pytest.mark.parametrize("device", DEVICES)
def test_out_of_range_xy(device, native_only):
    """align_corners=True: x = 0 / 1 hit the first / last column exactly; a level is read while
    -1 < x * (W - 1) < W (corners off the map read 0), so x = -1 / (W - 1) and x = W / (W - 1)
    read nothing; NaN x or y reads nothing."""
    H, W = 3, 5
    g = torch.Generator().manual_seed(12)
    feat = torch.randn(1, 1, H * W, 1, generator=g).to(device)
    shapes = torch.tensor([[H, W]], dtype=torch.int32, device=device)
    starts = torch.tensor([0], dtype=torch.int32, device=device)
    grid = feat.view(H, W).cpu().tolist()
    xs = [0.0, 1.0, -1.0 / (W - 1), W / (W - 1), -0.5 / (W - 1), (W - 0.5) / (W - 1), -3.0, 2.0, math.nan, 0.5]
    want = [grid[1][0], grid[1][W - 1], 0.0, 0.0, 0.5 * grid[1][0], 0.5 * grid[1][W - 1], 0.0, 0.0, 0.0,
            grid[1][2]]
    x = torch.tensor(xs)
    loc = torch.stack([x, torch.full_like(x, 0.5), torch.zeros_like(x)], -1).view(1, 1, -1, 3).to(device)
    w = torch.ones(1, 1, len(xs), 1, device=device)
    for fn in (NATIVE, REFERENCE):
        out = fn(feat, shapes, starts, loc, w)[0, 0, 0].cpu()
        torch.testing.assert_close(out, torch.tensor(want, dtype=torch.float32), atol=1e-6, rtol=1e-6)
    # exactly at w = -1 the level is skipped, so x gets no gradient there (a -1 <= w test would give one)
    border = torch.tensor([[[[-1.0 / (W - 1), 0.5, 0.0], [-0.9 / (W - 1), 0.5, 0.0]]]], device=device)
    for fn in (NATIVE, REFERENCE):
        loc_b = border.clone().requires_grad_()
        fn(feat, shapes, starts, loc_b, w[:, :, :2]).sum().backward()
        assert loc_b.grad[0, 0, 0, 0] == 0 and loc_b.grad[0, 0, 1, 0] != 0
    y = torch.tensor([0.0, 1.0, -0.5, 1.5, -1.0 / (H - 1) - 1e-6, math.nan])   # H = 3: h = 2y
    yloc = torch.stack([torch.full_like(y, 0.5), y, torch.zeros_like(y)], -1).view(1, 1, -1, 3).to(device)
    yw = torch.ones(1, 1, len(y), 1, device=device)
    out = NATIVE(feat, shapes, starts, yloc, yw)[0, 0, 0].cpu()
    torch.testing.assert_close(out, REFERENCE(feat, shapes, starts, yloc, yw)[0, 0, 0].cpu())
    torch.testing.assert_close(out, torch.tensor([grid[0][2], grid[H - 1][2], 0.0, 0.0, 0.0, 0.0]))


@pytest.mark.parametrize("device", DEVICES)
def test_edge_locations_parity_with_gradients(device, native_only):
    """Random edge values (borders, just inside/outside, views off range) fwd + bwd vs the reference."""
    args = list(case.make_inputs(**SHAPES["L4_N6_C12"], device=device, seed=4))
    edge = torch.tensor([0.0, 1.0, -1e-6, 1 + 1e-6, -0.3, 1.3, -0.99, 1.7, 1e-4, 1 - 1e-4, 0.5, -2.0, 3.0])
    loc = args[3]
    g = torch.Generator().manual_seed(13)
    picks = torch.randint(0, edge.numel(), loc.shape[:-1] + (2,), generator=g)
    loc[..., :2] = edge[picks].to(device)
    views = torch.tensor([-1.0, 0.0, 2.0, 5.0, 6.0, 7.0]) / 5
    loc[..., 2] = views[torch.randint(0, views.numel(), loc.shape[:-1], generator=g)].to(device)
    assert_parity(args)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,atol,rtol", [(torch.float16, 1e-2, 1e-2), (torch.bfloat16, 6e-2, 3e-2)])
def test_half_precision_vs_fp32_reference(dtype, atol, rtol, device, native_only):
    """16-bit inputs accumulate in float32: the result is the fp32 reference on the same
    (rounded) values, up to the 16-bit rounding of the outputs and gradients."""
    args = case.make_inputs(**SHAPES["L4_N6_C12"], device=device, dtype=dtype, seed=6)
    ref_args = [a.float() if a.is_floating_point() else a for a in args]
    out = NATIVE(*args)
    assert out.dtype == dtype
    assert_parity(args, atol=atol, rtol=rtol, reference_args=ref_args)


def test_mixed_dtypes_are_promoted():
    args = list(case.make_inputs(**SHAPES["L6_C9"], seed=14))
    args[0] = args[0].half()
    out = NATIVE(*args)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, REFERENCE(args[0].float(), *args[1:]))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("which", ["B", "Q", "P", "C", "N"])
def test_empty_inputs(which, device, native_only):
    shape = dict(SHAPES["L4_N6_C12"], **{which: 0})
    args = case.make_inputs(**shape, device=device)
    grad_out = grad_for(args)
    out, grads = run(NATIVE, args, grad_out)
    ref_out, ref_grads = run(REFERENCE, args, grad_out)
    assert out.shape == ref_out.shape == (shape["B"], shape["Q"], shape["C"], shape["P"])
    torch.testing.assert_close(out, ref_out)
    for g, rg, i in zip(grads, ref_grads, DIFF):
        assert g.shape == rg.shape == args[i].shape
        torch.testing.assert_close(g, torch.zeros_like(g))
        torch.testing.assert_close(rg, torch.zeros_like(rg))





def test_list_api_flatten_once_and_level_gradients():
    """msmv_sampling(list) == msmv_sampling(flatten_mlvl_feats(list)) == the reference, and the
    level tensors (channels-last [B, N, H, W, C], even non-contiguous views) get gradients."""
    g = torch.Generator().manual_seed(15)
    levels = [torch.randn(2, 3, 7, h, w, generator=g).permute(0, 1, 3, 4, 2) for h, w in ((6, 10), (3, 5))]
    levels = [lv.requires_grad_() for lv in [lv.detach() for lv in levels]]
    loc = torch.rand(2, 4, 3, 3, generator=g)
    loc[..., 2] = torch.randint(0, 3, (2, 4, 3), generator=g) / 2
    w = torch.rand(2, 4, 3, 2, generator=g)
    flat = flatten_mlvl_feats(levels)
    assert isinstance(flat, FlatMlvlFeats) and flat.spatial_shapes.tolist() == [[6, 10], [3, 5]]
    assert flat.level_start_index.tolist() == [0, 60] and tuple(flat.feat.shape) == (2, 3, 75, 7)
    out_list = msmv_sampling(levels, loc, w)
    out_flat = msmv_sampling(flat, loc, w)
    out_ref = msmv_sampling_reference(levels, loc, w)
    assert torch.equal(out_list, out_flat)
    torch.testing.assert_close(out_list, out_ref)
    grads = torch.autograd.grad(out_list.sum(), levels)
    ref_grads = torch.autograd.grad(out_ref.sum(), levels)
    for gr, rg in zip(grads, ref_grads):
        torch.testing.assert_close(gr, rg)
    cf = [lv.detach().permute(0, 4, 1, 2, 3) for lv in levels]
    torch.testing.assert_close(msmv_sampling_pytorch_upstream(cf, loc, w), out_ref, atol=1e-5, rtol=1e-5)


def test_reference_backend_env(fresh_dispatch, monkeypatch):
    args = case.small("cpu", seed=16)
    native = NATIVE(*args)
    monkeypatch.setenv("ASCEND_OPS_BACKEND", "reference")
    torch.testing.assert_close(NATIVE(*args), native)


def _bad(args, index, value):
    args = list(args)
    args[index] = value
    return args


GOOD = case.make_inputs(**SHAPES["L6_C9"])      # feat [3, 2, 35, 9], shapes [6, 2], loc [3, 4, 2, 3], w [3, 4, 2, 6]
BAD_INPUTS = {
    "feat_rank": (_bad(GOOD, 0, GOOD[0][0]), ValueError, "feat must have 4 dims"),
    "shape_rank": (_bad(GOOD, 1, GOOD[1][0]), ValueError, "spatial_shapes must have 2 dims"),
    "start_rank": (_bad(GOOD, 2, GOOD[2][None]), ValueError, "level_start_index must have 1 dims"),
    "loc_rank": (_bad(GOOD, 3, GOOD[3][0]), ValueError, "sampling_locations must have 4 dims"),
    "weights_rank": (_bad(GOOD, 4, GOOD[4][0]), ValueError, "scale_weights must have 4 dims"),
    "loc_batch": (_bad(GOOD, 3, GOOD[3][:1]), ValueError, "sampling_locations.shape[0] must equal feat.shape[0]"),
    "loc_last": (_bad(GOOD, 3, GOOD[3][..., :2]), ValueError, "sampling_locations.shape[3] must equal 3"),
    "weights_levels": (_bad(GOOD, 4, GOOD[4][..., :4]), ValueError, "scale_weights must be [B, Q, P, L] = [3, 4, 2, 6]"),
    "weights_points": (_bad(GOOD, 4, GOOD[4][:, :, :1]), ValueError, "scale_weights must be [B, Q, P, L]"),
    "start_shape": (_bad(GOOD, 2, GOOD[2][:3]), ValueError, "level_start_index must be [L] = [6]"),
    "shape_pairs": (_bad(GOOD, 1, GOOD[1][:, :1]), ValueError, "spatial_shapes must be [L, 2]"),
    "no_levels": (_bad(_bad(_bad(GOOD, 1, GOOD[1][:0]), 2, GOOD[2][:0]), 4, GOOD[4][..., :0]), ValueError,
                  "with L >= 1"),
    "zero_size_level": (_bad(GOOD, 1, GOOD[1] * 0), ValueError, "spatial_shapes entries must be >= 1"),
    "float_shape": (_bad(GOOD, 1, GOOD[1].float()), TypeError, "spatial_shapes must have dtype in (int32, int64)"),
    "float_start": (_bad(GOOD, 2, GOOD[2].float()), TypeError, "level_start_index must have dtype in (int32, int64)"),
    "int_feat": (_bad(GOOD, 0, GOOD[0].int()), TypeError, "feat must have dtype in"),
    "int_loc": (_bad(GOOD, 3, GOOD[3].long()), TypeError, "sampling_locations must have dtype in"),
    "start_beyond_feat": (_bad(GOOD, 2, GOOD[2] + 10), ValueError, "level_start_index + H*W must lie within num_feat"),
    "negative_start": (_bad(GOOD, 2, GOOD[2] - 1), ValueError, "level_start_index + H*W must lie within num_feat"),
    "not_a_tensor": (_bad(GOOD, 4, GOOD[4].tolist()), TypeError, "scale_weights must be a torch.Tensor"),
    "other_device": (_bad(GOOD, 4, GOOD[4].to("meta")), ValueError, "scale_weights on meta"),
}


def _match(message):
    for ch in "[]()*+":
        message = message.replace(ch, "\\" + ch)
    return message


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_name_the_argument(name):
    args, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=_match(message)):
        NATIVE(*args)


BAD_LEVELS = {
    "empty_list": ([], TypeError, "mlvl_feats must be a non-empty list"),
    "tensor_not_list": (torch.zeros(1, 1, 2, 2, 3), TypeError, "mlvl_feats must be a non-empty list"),
    "level_rank": ([torch.zeros(1, 1, 2, 3)], ValueError, "mlvl_feats[0] must have 5 dims"),
    "level_channels": ([torch.zeros(1, 2, 2, 2, 3), torch.zeros(1, 2, 1, 1, 4)], ValueError,
                       "got mlvl_feats[1] (1, 2, 1, 1, 4)"),
    "level_views": ([torch.zeros(1, 2, 2, 2, 3), torch.zeros(1, 3, 1, 1, 3)], ValueError,
                    "B, N, C = 1, 2, 3 (from mlvl_feats[0])"),
    "level_dtype": ([torch.zeros(1, 2, 2, 2, 3, dtype=torch.int64)], TypeError, "mlvl_feats[0] must have dtype in"),
}


@pytest.mark.parametrize("name", list(BAD_LEVELS))
def test_bad_levels_name_the_argument(name):
    levels, error, message = BAD_LEVELS[name]
    with pytest.raises(error, match=_match(message)):
        msmv_sampling(levels, torch.zeros(1, 1, 1, 3), torch.zeros(1, 1, 1, 1))


def test_native_op_checks_direct_calls():
    """Calling torch.ops.ascend_ops.msmv_sampling directly (no Python checks) still fails cleanly."""
    feat, shapes, starts, loc, w = GOOD
    with pytest.raises(RuntimeError, match="spatial_shapes and level_start_index must be int32"):
        OP(feat, shapes.long(), starts, loc, w)
    with pytest.raises(RuntimeError, match="must share a dtype"):
        OP(feat, shapes, starts, loc.double(), w)
    with pytest.raises(RuntimeError, match="disagree on L"):
        OP(feat, shapes, starts, loc, w[..., :2])
    with pytest.raises(RuntimeError, match=_match("grad_output must be [B, Q, C, P] = [3, 4, 9, 2]")):
        torch.ops.ascend_ops.msmv_sampling_backward(torch.zeros(3, 4, 9, 1), feat, shapes, starts, loc, w)


@pytest.mark.parametrize("device", DEVICES)
def test_deterministic(device, native_only):
    args = case.make_inputs(**SHAPES["L2_C64"], device=device, seed=9)
    grad_out = grad_for(args)
    out1, grads1 = run(NATIVE, args, grad_out)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)              # CPU: the result does not depend on the thread count
        out2, grads2 = run(NATIVE, args, grad_out)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(out1, out2)
    if device == "cpu":        # the CUDA / NPU backward accumulates with atomics; their forward is deterministic
        for g1, g2 in zip(grads1, grads2):
            assert torch.equal(g1, g2)


def test_opcase_protocol():
    from ascend_ops import opcases
    assert opcases.load("msmv_sampling").module is case
    args = case.real("cpu", quick=True)
    assert tuple(args[0].shape) == (1, 6, 14960, 64) and tuple(args[3].shape) == (1, 900, 4, 3)
    assert tuple(args[4].shape) == (1, 900, 4, 4)
    small = case.small("cpu")
    torch.testing.assert_close(case.baseline(*case.baseline_inputs(*small)), REFERENCE(*small),
                               atol=1e-5, rtol=1e-5)
