"""Parity of the Ascend C MsmvSampling / MsmvSamplingGrad kernels (SparseBEV; run on CPU by the kit's
Ascend C harness, 910B and 950 profiles) against the pure-PyTorch reference.

Needs the harness (ascend_ops.ascendc_sim) and a C++17 compiler; skips with a message otherwise.
"""
import os

import pytest
import torch

from ascend_ops.ops.msmv_sampling import _reference_flat
from _parity import AscendCOp, assert_close

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP = AscendCOp(sim, os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "msmv_sampling"), "MsmvSampling",
                ("feat", "spatial_shapes", "level_start_index", "sampling_locations", "scale_weights"),
                _reference_flat,
                grads={"grad_feat": "feat", "grad_sampling_locations": "sampling_locations",
                       "grad_scale_weights": "scale_weights"},
                accumulated=("grad_feat",))   # atomics into zeros: untouched pixels stay 0
run_forward, run_backward, reference_grads = OP.forward, OP.backward, OP.reference_grads


def make_case(B, N, Q, P, level_shapes, C, dtype=torch.float32, seed=0, lo=-0.1, hi=1.1, zlo=-0.1, zhi=1.1):
    """Random inputs; x, y uniform in (lo, hi) and z in (zlo, zhi), so some samples fall off the
    maps and some views (round(z*(N-1)) outside [0, N-1]) are invalid."""
    g = torch.Generator().manual_seed(seed)
    shapes = torch.tensor(level_shapes, dtype=torch.int32)
    sizes = shapes.prod(-1)
    starts = (torch.cumsum(sizes, 0) - sizes).to(torch.int32)
    num_feat = int(sizes.sum())
    L = len(level_shapes)
    feat = torch.randn(B, N, num_feat, C, generator=g).to(dtype)
    xy = lo + (hi - lo) * torch.rand(B, Q, P, 2, generator=g)
    z = zlo + (zhi - zlo) * torch.rand(B, Q, P, 1, generator=g)
    loc = torch.cat([xy, z], -1).to(dtype)
    w = torch.rand(B, Q, P, L, generator=g).to(dtype)
    return feat, shapes, starts, loc, w


CASES = {
    # name: (B, N, Q, P, level shapes, C)
    "small": (2, 3, 5, 4, [(6, 8), (3, 4)], 16),
    "unaligned_C": (1, 2, 4, 3, [(5, 7), (3, 3), (2, 2)], 20),
    "one_point_one_view": (2, 1, 3, 1, [(4, 4)], 8),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_fp32(name):
    case = make_case(*CASES[name], seed=sum(map(ord, name)))
    out, report = run_forward(case)
    want = OP.reference_out(case)
    assert out.shape == want.shape
    assert_close("out", out, want, rtol=1e-5, atol=1e-5)
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_fp32(name):
    case = make_case(*CASES[name], seed=sum(map(ord, name)) + 1)
    B, Q, P = case[3].shape[:3]
    C = case[0].shape[3]
    grad_out = torch.randn(B, Q, C, P, generator=torch.Generator().manual_seed(5))
    (g_feat, g_loc, g_w), _ = run_backward(case, grad_out)
    _, r_feat, r_loc, r_w = reference_grads(case, grad_out)
    assert_close("grad_feat", g_feat, r_feat, rtol=1e-4, atol=1e-4)
    assert_close("grad_scale_weights", g_w, r_w, rtol=1e-4, atol=1e-4)
    assert_close("grad_sampling_locations", g_loc, r_loc, rtol=1e-3, atol=1e-3)
    assert not g_loc[..., 2].any(), "the view coordinate gets no gradient"


def test_invalid_views_and_levels():
    """Views rounding outside [0, N-1] (and NaN z) contribute 0; a location outside every level too."""
    case = list(make_case(1, 3, 4, 2, [(4, 5), (2, 3)], 16, seed=11))
    loc = case[3]
    loc[0, 0, :, 2] = -0.3            # round(-0.6) = -1
    loc[0, 1, :, 2] = 1.3             # round(2.6) = 3 > N-1
    loc[0, 2, :, 2] = float("nan")
    loc[0, 3, :, :2] = 5.0            # far outside every level
    loc[0, 3, :, 2] = 0.5
    out, _ = run_forward(case)
    assert torch.equal(out, torch.zeros_like(out))
    (g_feat, g_loc, g_w), _ = run_backward(case, torch.ones(1, 4, 16, 2))
    assert not g_feat.any() and not g_loc.any() and not g_w.any()


def test_view_rounding_half_away_from_zero():
    case = list(make_case(1, 5, 3, 2, [(4, 4)], 8, seed=12, lo=0.2, hi=0.8))
    case[3][0, :, :, 2] = torch.tensor([0.125, 0.375, 0.625]).view(3, 1)   # z*(N-1) = 0.5, 1.5, 2.5
    out, _ = run_forward(case)
    want = OP.reference_out(case)
    assert_close("out", out, want, rtol=1e-5, atol=1e-5)


def test_fp16_forward_and_backward():
    case = make_case(1, 2, 4, 4, [(5, 6), (3, 3)], 24, dtype=torch.float16, seed=13)
    grad_out = torch.randn(1, 4, 24, 4, generator=torch.Generator().manual_seed(6)).half()
    want, r_feat, r_loc, r_w = reference_grads(case, grad_out)
    out, _ = run_forward(case)
    assert out.dtype == torch.float16
    assert_close("out (fp16)", out, want, rtol=2e-3, atol=2e-3)
    (g_feat, g_loc, g_w), _ = run_backward(case, grad_out)
    assert_close("grad_feat (fp16 in)", g_feat, r_feat, rtol=1e-3, atol=1e-3)
    assert_close("grad_scale_weights (fp16 in)", g_w, r_w, rtol=1e-3, atol=1e-3)
    assert_close("grad_sampling_locations (fp16 in)", g_loc, r_loc, rtol=1e-2, atol=1e-2)


def test_sparsebev_reduced_shape_both_profiles():
    """SparseBEV layout (6 views, 4 levels, C=64 per group, 4 points) with few queries, small maps."""
    case = make_case(2, 6, 5, 4, [(16, 44), (8, 22), (4, 11), (2, 6)], 64, seed=14)
    grad_out = torch.randn(2, 5, 64, 4, generator=torch.Generator().manual_seed(7))
    ref = reference_grads(case, grad_out)
    for profile in ("ascend910b", "ascend950"):
        out, _ = run_forward(case, profile=profile)
        assert_close(f"out ({profile})", out, ref[0], rtol=1e-5, atol=1e-4)
        (g_feat, g_loc, g_w), _ = run_backward(case, grad_out, profile=profile)
        assert_close(f"grad_feat ({profile})", g_feat, ref[1], rtol=1e-4, atol=1e-4)
        assert_close(f"grad_scale_weights ({profile})", g_w, ref[3], rtol=1e-4, atol=1e-4)
        assert_close(f"grad_sampling_locations ({profile})", g_loc, ref[2], rtol=1e-3, atol=1e-3)
