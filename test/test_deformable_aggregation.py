"""deformable_aggregation: native kernels vs the reference, semantics, dtypes, checks (the generic
battery in test_op_contract.py adds gradcheck, opcheck, compile and the rest)."""
import re

import pytest
import torch

import ascend_ops  # noqa: F401  (loads the kernel libraries)
from ascend_ops.opcases import deformable_aggregation as case
from ascend_ops.ops._contract import get as _spec
from ascend_ops.opcases._harness import leaves
from ascend_ops.ops.deformable_aggregation import deformable_aggregation, deformable_aggregation_reference

SPEC = _spec("deformable_aggregation")
DIFF, NATIVE, REFERENCE = SPEC.differentiable, SPEC.public, SPEC.reference  # the op as its contract defines it

OP = torch.ops.ascend_ops.deformable_aggregation
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda), pytest.param("npu", marks=pytest.mark.npu)]


def run(fn, args, grad_out):
    """fn(*args) and the gradients of (out * grad_out).sum() w.r.t. the float inputs."""
    args = leaves(args, DIFF)
    out = fn(*args)
    out.backward(grad_out)
    return out.detach(), [args[i].grad for i in DIFF]


def grad_for(args, seed=1):
    bs, A, C = args[0].shape[0], args[3].shape[1], args[0].shape[2]
    g = torch.Generator().manual_seed(seed)
    return torch.randn(bs, A, C, generator=g).to(args[0].device, args[0].dtype)


def assert_parity(args, atol=2e-4, rtol=1e-4, reference_args=None):
    grad_out = grad_for(args)
    out, grads = run(deformable_aggregation, args, grad_out)
    ref_args = reference_args if reference_args is not None else args
    ref_out, ref_grads = run(deformable_aggregation_reference, ref_args, grad_out.to(ref_args[0].dtype))
    torch.testing.assert_close(out.float(), ref_out.float(), atol=atol, rtol=rtol, msg=lambda m: "forward: " + m)
    for name, g, rg in zip(("mc_ms_feat", "sampling_location", "weights"), grads, ref_grads):
        assert g.dtype == args[DIFF[0]].dtype
        torch.testing.assert_close(g.float(), rg.float(), atol=atol, rtol=rtol, msg=lambda m: f"grad {name}: " + m)


SHAPES = {
    "c12_not_mult_8": dict(bs=2, cams=2, levels=((5, 7), (3, 4)), C=12, G=3, A=4, P=2),
    "g1": dict(bs=1, cams=3, levels=((6, 9),), C=8, G=1, A=6, P=3),
    "g_eq_c": dict(bs=1, cams=2, levels=((4, 4), (2, 3)), C=6, G=6, A=5, P=2),
    "cams8_scales5_c512": dict(bs=1, cams=8, levels=((8, 12), (6, 8), (4, 6), (3, 4), (2, 2)), C=512, G=8, A=3, P=2),
}


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_parity_random_shapes(shape, device, native_only):
    args = case.make_inputs(**SHAPES[shape], device=device, seed=3, visible=0.5)
    assert_parity(args)


@pytest.mark.slow
@pytest.mark.parametrize("device", DEVICES)
def test_parity_sparse4d_v3_shape(device, native_only):
    """Native fwd + bwd on the full Sparse4D v3 shape (A = 900 + 600). The reference checks a
    random subset of anchors: the op is independent per anchor, and grad_output is zero on the
    other anchors so that grad_mc_ms_feat is comparable too."""
    args = case.real(device, seed=5)
    A = args[3].shape[1]
    assert tuple(args[0].shape) == (1, 6 * (64 * 176 + 32 * 88 + 16 * 44 + 8 * 22), 256) and A == 1500
    keep = torch.randperm(A, generator=torch.Generator().manual_seed(0))[:48].sort().values.to(device)
    grad_out = torch.zeros(1, A, 256, device=device)
    grad_out[:, keep] = grad_for(args)[:, keep]
    out, (g_feat, g_loc, g_w) = run(deformable_aggregation, args, grad_out)
    sub = (args[0], args[1], args[2], args[3][:, keep], args[4][:, keep])
    ref_out, (r_feat, r_loc, r_w) = run(deformable_aggregation_reference, sub, grad_out[:, keep])
    assert (out.abs().sum(-1) > 0).float().mean() > 0.99      # every anchor sees some camera
    torch.testing.assert_close(out[:, keep], ref_out, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_feat, r_feat, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_loc[:, keep], r_loc, atol=2e-4, rtol=1e-4)
    torch.testing.assert_close(g_w[:, keep], r_w, atol=2e-4, rtol=1e-4)


@pytest.mark.parametrize("device", DEVICES)
def test_out_of_range_locations(device, native_only):
    """u or v <= 0 or >= 1 (exactly 0 and 1 included) skip the sample; just inside reads."""
    args = list(case.make_inputs(**SHAPES["c12_not_mult_8"], device=device, seed=4))
    loc = args[3]
    edge = torch.tensor([0.0, 1.0, -1e-6, 1 + 1e-6, -0.3, 1.7, 1e-4, 1 - 1e-4, 0.5], device=device)
    flat = loc.view(-1)
    flat.copy_(edge[torch.arange(flat.numel(), device=device) % edge.numel()])
    assert_parity(args)
    for value in (0.0, 1.0, -0.5, 1.5):
        skipped = list(args)
        skipped[3] = torch.full_like(loc, value)
        assert deformable_aggregation(*skipped).abs().max() == 0
    one_axis_out = list(args)                      # u inside, v exactly on the border
    one_axis_out[3] = torch.stack([torch.full_like(loc[..., 0], 0.5), torch.full_like(loc[..., 1], 1.0)], -1)
    assert deformable_aggregation(*one_axis_out).abs().max() == 0
    inside = list(args)
    inside[3] = torch.full_like(loc, 1e-4)         # corner pixel, partly outside the map: reads > 0 weight
    assert deformable_aggregation(*inside).abs().max() > 0


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype,atol,rtol", [(torch.float16, 4e-3, 4e-3), (torch.bfloat16, 3e-2, 2e-2)])
def test_half_precision_vs_fp32_reference(dtype, atol, rtol, device, native_only):
    """16-bit inputs accumulate in float32: the result is the fp32 reference on the same
    (rounded) values, up to the 16-bit rounding of the outputs and gradients."""
    args = case.make_inputs(**SHAPES["c12_not_mult_8"], device=device, dtype=dtype, seed=6, visible=0.5)
    ref_args = [a.float() if a.is_floating_point() else a for a in args]
    out = deformable_aggregation(*args)
    assert out.dtype == dtype
    assert_parity(args, atol=atol, rtol=rtol, reference_args=ref_args)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("which", ["anchors", "batch"])
def test_empty_inputs(which, device, native_only):
    shape = dict(SHAPES["g1"], **({"A": 0} if which == "anchors" else {"bs": 0}))
    args = case.make_inputs(**shape, device=device)
    grad_out = grad_for(args)
    out, grads = run(deformable_aggregation, args, grad_out)
    ref_out, ref_grads = run(deformable_aggregation_reference, args, grad_out)
    assert out.shape == ref_out.shape == (shape["bs"], shape["A"], shape["C"])
    for g, rg, i in zip(grads, ref_grads, DIFF):
        assert g.shape == args[i].shape
        torch.testing.assert_close(g, torch.zeros_like(g))
        torch.testing.assert_close(rg, torch.zeros_like(rg))



def test_reference_camera_chunks_agree(monkeypatch):
    """The reference gathers several cameras at once; one camera per chunk gives the same result."""
    daf = __import__("ascend_ops.ops.deformable_aggregation", fromlist=["x"])
    args = case.make_inputs(**SHAPES["cams8_scales5_c512"], seed=12, visible=0.5)
    grad_out = grad_for(args)
    whole = run(deformable_aggregation_reference, args, grad_out)
    monkeypatch.setattr(daf, "_REFERENCE_CHUNK", 1)
    chunked = run(deformable_aggregation_reference, args, grad_out)
    torch.testing.assert_close(chunked, whole, atol=1e-5, rtol=1e-5)




def _bad(args, index, value):
    args = list(args)
    args[index] = value
    return args


GOOD = case.make_inputs(**SHAPES["c12_not_mult_8"])      # feat [2, 94, 12], shape [2,2,2], loc [2,4,2,2,2], w [2,4,2,2,2,3]
BAD_INPUTS = {
    "feat_rank": (_bad(GOOD, 0, GOOD[0][0]), ValueError, "mc_ms_feat must have 3 dims"),
    "shape_rank": (_bad(GOOD, 1, GOOD[1][0]), ValueError, "spatial_shape must have 3 dims"),
    "start_rank": (_bad(GOOD, 2, GOOD[2][0]), ValueError, "scale_start_index must have 2 dims"),
    "loc_rank": (_bad(GOOD, 3, GOOD[3][0]), ValueError, "sampling_location must have 5 dims"),
    "weights_rank": (_bad(GOOD, 4, GOOD[4][0]), ValueError, "weights must have 6 dims"),
    "loc_batch": (_bad(GOOD, 3, GOOD[3][:1]), ValueError, "sampling_location.shape[0] must equal mc_ms_feat.shape[0]"),
    "loc_cams": (_bad(GOOD, 3, GOOD[3][:, :, :, :1]), ValueError, "sampling_location.shape[3] must equal spatial_shape"),
    "loc_last": (_bad(GOOD, 3, torch.cat([GOOD[3], GOOD[3][..., :1]], -1)), ValueError, "sampling_location.shape[4]"),
    "weights_anchors": (_bad(GOOD, 4, GOOD[4][:, :3]), ValueError, "weights must be [bs, A, P, cams, scales, G]"),
    "start_shape": (_bad(GOOD, 2, GOOD[2][:, :1]), ValueError, "scale_start_index must be [cams, scales]"),
    "shape_pairs": (_bad(GOOD, 1, torch.cat([GOOD[1], GOOD[1][..., :1]], -1)), ValueError, "spatial_shape must be [cams, scales, 2]"),
    "c_mod_g": (_bad(GOOD, 4, torch.cat([GOOD[4], GOOD[4][..., :2]], -1)), ValueError, "must be divisible by the group count G = 5"),
    "float_shape": (_bad(GOOD, 1, GOOD[1].float()), TypeError, "spatial_shape must have dtype in (int32, int64)"),
    "float_start": (_bad(GOOD, 2, GOOD[2].float()), TypeError, "scale_start_index must have dtype in (int32, int64)"),
    "int_feat": (_bad(GOOD, 0, GOOD[0].int()), TypeError, "mc_ms_feat must have dtype in"),
    "start_beyond_feat": (_bad(GOOD, 2, GOOD[2] + 50), ValueError, "scale_start_index + H*W must lie within num_feat"),
    "not_a_tensor": (_bad(GOOD, 4, GOOD[4].tolist()), TypeError, "weights must be a torch.Tensor"),
    "other_device": (_bad(GOOD, 4, GOOD[4].to("meta")), ValueError, "weights on meta"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_inputs_name_the_argument(name):
    args, error, message = BAD_INPUTS[name]
    with pytest.raises(error, match=re.escape(message)):
        deformable_aggregation(*args)


@pytest.mark.parametrize("device", DEVICES)
def test_deterministic(device, native_only):
    args = case.make_inputs(**SHAPES["cams8_scales5_c512"], device=device, seed=9, visible=0.5)
    grad_out = grad_for(args)
    out1, grads1 = run(deformable_aggregation, args, grad_out)
    out2, grads2 = run(deformable_aggregation, args, grad_out)
    assert torch.equal(out1, out2)
    if device == "cpu":        # the CUDA backward accumulates with atomics; its forward is deterministic
        for g1, g2 in zip(grads1, grads2):
            assert torch.equal(g1, g2)


def test_feature_maps_format_matches_opcase_layout():
    """ascend_ops.feature_maps_format (Sparse4D's layout) is what the baseline's inverse expects."""
    from ascend_ops.ops.deformable_aggregation import feature_maps_format
    g = torch.Generator().manual_seed(10)
    maps = [torch.randn(2, 3, 8, h, w, generator=g) for h, w in ((6, 10), (3, 5))]
    feat, shape, start = feature_maps_format(maps)
    _, _, *back = case.baseline_inputs(feat, shape, start, torch.zeros(2, 1, 1, 3, 2), torch.zeros(2, 1, 1, 3, 2, 2))
    for m, b in zip(maps, back):
        assert torch.equal(m, b)


def test_baseline_matches_reference_away_from_borders():
    """Sparse4D's grid_sample fallback equals the op when no sample is within half a pixel
    outside the image (make_inputs puts unseen samples far outside)."""
    args = case.make_inputs(**SHAPES["c12_not_mult_8"], seed=11, visible=0.5)
    torch.testing.assert_close(case.baseline(*case.baseline_inputs(*args)), deformable_aggregation_reference(*args),
                               atol=1e-5, rtol=1e-5)


# --- the op through `ascend-kit check` / `bench` (small case; the CLI is generic over opcases) ---

def test_check_row_passes_and_detects_a_wrong_kernel():
    import copy
    from ascend_ops import opcases
    from ascend_ops.cli.check import check_case
    opcase = opcases.load("deformable_aggregation")
    row = check_case(opcase, "small", case.small, "cpu", torch.float32, quick=True)
    assert row["status"] == "pass" and row["fwd_max_abs_err"] < 1e-5 and row["native_ms"] > 0
    broken = copy.copy(opcase)
    broken.native = lambda *a: deformable_aggregation(*a) * 1.01
    row = check_case(broken, "small", case.small, "cpu", torch.float32, quick=True)
    assert row["status"] == "FAIL" and "output out" in row["detail"]


def test_bench_row_has_all_ratios():
    from ascend_ops import opcases
    from ascend_ops.cli.bench import bench_case
    row = bench_case(opcases.load("deformable_aggregation"), "small", "cpu", torch.float32, quick=True, warmup=0,
                     repeat=1, budget_s=1)
    for impl in ("baseline", "reference"):
        for kind in ("fwd", "fwdbwd"):
            assert row[f"{impl}_over_native_{kind}"] > 0


@pytest.mark.parametrize("what", ["issue-10 reproducer", "location last dim 1", "spatial_shape last dim 1",
                                  "scale_start_index [cams, 1]", "start past num_feat"])
def test_dispatcher_refuses_malformed_inputs(what):
    """Direct torch.ops calls (no Python checks) with inconsistent shapes or out-of-range starts
    raise instead of reading or writing out of bounds."""
    f = torch.rand(1, 52, 8)
    s = torch.tensor([[[4, 5], [2, 3]]] * 2, dtype=torch.int32)
    i = torch.tensor([[0, 20], [26, 46]], dtype=torch.int32)
    loc, w = torch.rand(1, 3, 4, 2, 2), torch.rand(1, 3, 4, 2, 2, 2)
    if what == "issue-10 reproducer":
        loc, w = torch.rand(1, 2000, 64, 2, 2), torch.rand(1, 1, 1, 2, 2, 2)
    elif what == "location last dim 1":
        loc = loc[..., :1].contiguous()
    elif what == "spatial_shape last dim 1":
        s = s[..., :1].contiguous()
    elif what == "scale_start_index [cams, 1]":
        i = i[:, :1].contiguous()
    else:
        i = i + 1
    with pytest.raises(RuntimeError, match="deformable_aggregation"):
        OP(f, s, i, loc, w)
    g = torch.rand(1, loc.shape[1], 8)
    with pytest.raises(RuntimeError, match="deformable_aggregation"):
        torch.ops.ascend_ops.deformable_aggregation_backward(g, f, s, i, loc, w)
