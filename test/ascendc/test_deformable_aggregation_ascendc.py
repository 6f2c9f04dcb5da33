"""Parity of the Ascend C DeformableAggregation / DeformableAggregationGrad kernels (run on CPU by
the kit's Ascend C harness, 910B and 950 profiles) against the pure-PyTorch reference.

Needs the harness (ascend_ops.ascendc_sim) and a C++17 compiler; skips with a message otherwise.
"""
import os

import pytest
import torch

from ascend_ops.ops.deformable_aggregation import deformable_aggregation_reference
from _parity import AscendCOp, assert_close

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP = AscendCOp(sim, os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "deformable_aggregation"),
                "DeformableAggregation", ("mc_ms_feat", "spatial_shape", "scale_start_index", "sampling_location", "weights"),
                deformable_aggregation_reference,
                grads={"grad_mc_ms_feat": "mc_ms_feat", "grad_sampling_location": "sampling_location",
                       "grad_weights": "weights"},
                accumulated=("grad_mc_ms_feat",))   # atomics into zeros: untouched pixels stay 0
run_forward, run_backward, reference_grads = OP.forward, OP.backward, OP.reference_grads


def make_case(bs, A, P, cams, level_shapes, C, G, dtype=torch.float32, seed=0, lo=-0.15, hi=1.15):
    """Random inputs. level_shapes: list over scales of (H, W), or list over cams of such lists
    (maps of different sizes per camera). Locations uniform in (lo, hi): some fall outside (0, 1)."""
    g = torch.Generator().manual_seed(seed)
    if isinstance(level_shapes[0][0], int):
        level_shapes = [level_shapes] * cams
    shape = torch.tensor(level_shapes, dtype=torch.int32)                 # [cams, scales, 2]
    sizes = shape.prod(-1).flatten()
    start = (torch.cumsum(sizes, 0) - sizes).reshape(cams, -1).to(torch.int32)
    num_feat = int(sizes.sum())
    scales = shape.shape[1]
    feat = torch.randn(bs, num_feat, C, generator=g).to(dtype)
    loc = (lo + (hi - lo) * torch.rand(bs, A, P, cams, 2, generator=g)).to(dtype)
    w = torch.rand(bs, A, P, cams, scales, G, generator=g).to(dtype)
    return feat, shape, start, loc, w


CASES = {
    # name: (bs, A, P, cams, level shapes, C, G)
    "aligned": (2, 5, 3, 2, [(6, 9), (3, 5), (2, 2)], 32, 4),
    "unaligned_C_groups": (1, 4, 2, 3, [(5, 7), (3, 3)], 20, 4),            # C/G = 5, C % 8 != 0
    "per_cam_shapes": (2, 3, 2, 2, [[(4, 6), (2, 3)], [(7, 5), (3, 2)]], 24, 3),
    "groups_eq_channels": (1, 3, 2, 2, [(4, 4)], 12, 12),                    # C/G = 1
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_fp32(name):
    case = make_case(*CASES[name], seed=sum(map(ord, name)))
    out, report = run_forward(case)
    want = OP.reference_out(case)
    assert_close("out", out, want, rtol=1e-5, atol=1e-5)
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_fp32(name):
    case = make_case(*CASES[name], seed=sum(map(ord, name)) + 1)
    bs, A, C = case[0].shape[0], case[3].shape[1], case[0].shape[2]
    grad_out = torch.randn(bs, A, C, generator=torch.Generator().manual_seed(7))
    (g_feat, g_loc, g_w), _ = run_backward(case, grad_out)
    _, r_feat, r_loc, r_w = reference_grads(case, grad_out)
    assert g_feat.dtype == g_loc.dtype == g_w.dtype == torch.float32
    assert_close("grad_mc_ms_feat", g_feat, r_feat, rtol=1e-4, atol=1e-4)
    assert_close("grad_weights", g_w, r_w, rtol=1e-4, atol=1e-4)
    assert_close("grad_sampling_location", g_loc, r_loc, rtol=1e-3, atol=1e-3)


def test_out_of_range_locations():
    """Every location outside (0, 1) or on its border: output and location/weight grads are 0."""
    case = list(make_case(1, 4, 2, 2, [(4, 5)], 16, 2, seed=3))
    loc = case[3]
    loc[..., 0, 0] = torch.tensor([0.0, 1.0, -0.3, 1.7]).view(1, 4, 1).expand(1, 4, 2)
    loc[..., 1, 1] = torch.tensor([1.0, 0.0, 2.0, -1.0]).view(1, 4, 1).expand(1, 4, 2)
    out, _ = run_forward(case)
    assert torch.equal(out, torch.zeros_like(out))
    (g_feat, g_loc, g_w), _ = run_backward(case, torch.ones(1, 4, 16))
    assert not g_feat.any() and not g_loc.any() and not g_w.any()


def test_edge_corners_read_zero():
    """Samples just inside (0, 1): their outer bilinear corners fall off the map and read 0."""
    case = make_case(1, 6, 2, 1, [(3, 4), (2, 2)], 16, 4, seed=4, lo=0.001, hi=0.05)
    out, _ = run_forward(case)
    want = OP.reference_out(case)
    assert out.abs().sum() > 0
    assert_close("out", out, want, rtol=1e-5, atol=1e-5)


def test_fp16_forward_and_backward():
    case = make_case(2, 4, 2, 2, [(5, 6), (3, 3)], 40, 5, dtype=torch.float16, seed=5)
    out, _ = run_forward(case)
    assert out.dtype == torch.float16
    grad_out = torch.randn(2, 4, 40, generator=torch.Generator().manual_seed(8)).half()
    want, r_feat, r_loc, r_w = reference_grads(case, grad_out)
    assert_close("out (fp16)", out, want, rtol=2e-3, atol=2e-3)
    (g_feat, g_loc, g_w), _ = run_backward(case, grad_out)
    assert_close("grad_mc_ms_feat (fp16 in)", g_feat, r_feat, rtol=1e-3, atol=1e-3)
    assert_close("grad_weights (fp16 in)", g_w, r_w, rtol=1e-3, atol=1e-3)
    assert_close("grad_sampling_location (fp16 in)", g_loc, r_loc, rtol=1e-2, atol=1e-2)


def test_sparse4d_reduced_shape_both_profiles():
    """Sparse4D layout (6 cams, 4 scales, C=256, G=8, 13 points) with few anchors and small maps."""
    case = make_case(1, 6, 13, 6, [(16, 44), (8, 22), (4, 11), (2, 6)], 256, 8, seed=6, lo=-0.3, hi=1.3)
    want_out = None
    grad_out = torch.randn(1, 6, 256, generator=torch.Generator().manual_seed(9))
    ref = reference_grads(case, grad_out)
    for profile in ("ascend910b", "ascend950"):
        out, report = run_forward(case, profile=profile)
        assert_close(f"out ({profile})", out, ref[0], rtol=1e-5, atol=1e-4)
        if want_out is not None:
            assert torch.equal(out, want_out), "forward must not depend on the core count"
        want_out = out
        (g_feat, g_loc, g_w), _ = run_backward(case, grad_out, profile=profile)
        assert_close(f"grad_mc_ms_feat ({profile})", g_feat, ref[1], rtol=1e-4, atol=1e-4)
        assert_close(f"grad_weights ({profile})", g_w, ref[3], rtol=1e-4, atol=1e-4)
        assert_close(f"grad_sampling_location ({profile})", g_loc, ref[2], rtol=1e-3, atol=1e-3)


def test_degenerate_sizes():
    """No points, or no scales: the output (and the location gradient) is all zeros."""
    no_points = make_case(1, 3, 0, 2, [(3, 3)], 16, 4, seed=10)
    out, _ = run_forward(no_points)
    assert out.shape == (1, 3, 16) and not out.any()
    feat = torch.randn(1, 4, 16)
    no_scales = (feat, torch.zeros(2, 0, 2, dtype=torch.int32), torch.zeros(2, 0, dtype=torch.int32),
                 torch.rand(1, 3, 2, 2, 2), torch.rand(1, 3, 2, 2, 0, 4))
    out, _ = run_forward(no_scales)
    assert out.shape == (1, 3, 16) and not out.any()
    (g_feat, g_loc, g_w), _ = run_backward(no_scales, torch.ones(1, 3, 16))
    assert not g_feat.any() and not g_loc.any() and g_w.numel() == 0
