"""The Ascend C Sparse2bev / Sparse2bevGrad kernels under the kit's CPU harness (910B and 950
profiles, several core counts) against the pure-PyTorch reference.

Needs the harness (ascend_ops.ascendc_sim) and a C++17 compiler; skips with a message otherwise.
"""
import os

import pytest
import torch

from ascend_ops.opcases import sparse2bev as case
from ascend_ops.ops.sparse2bev import sparse2bev_reference

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "sparse2bev")
PROFILES = ["ascend910b", "ascend950"]


def attrs(spatial_shape, batch_size):
    return dict(spatial_shape=list(spatial_shape), batch_size=batch_size)


def run_forward(features, coors, spatial_shape, batch_size, **kw):
    res = sim.run_op(OP_DIR, "Sparse2bev", {"features": features, "coors": coors.int()}, {"bev": None, "mask": None},
                     attrs=attrs(spatial_shape, batch_size), check_coverage=True, **kw)
    return res.outputs["bev"], res.outputs["mask"], res.report


def run_backward(grad_bev, coors, spatial_shape, batch_size, **kw):
    res = sim.run_op(OP_DIR, "Sparse2bevGrad", {"grad_bev": grad_bev, "coors": coors.int()},
                     {"grad_features": None}, attrs=attrs(spatial_shape, batch_size), check_coverage=True, **kw)
    return res.outputs["grad_features"], res.report


def gather(grad_bev, coors):
    c = coors.long()
    return grad_bev[c[:, 0], :, c[:, 2], c[:, 3]]


def check_case(args, dtype=torch.float32, seed=1, **kw):
    f, co, shape, B = args
    f = f.to(dtype)
    bev, mask, report = run_forward(f, co, shape, B, **kw)
    forward_report = report
    want_bev, want_mask = sparse2bev_reference(f, co, shape, B)
    assert bev.dtype == dtype and mask.dtype == torch.int32
    atol, rtol = case.tolerance(dtype)
    torch.testing.assert_close(bev, want_bev, atol=atol, rtol=rtol)
    assert torch.equal(mask, want_mask)
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]
    g = torch.Generator().manual_seed(seed)
    grad_bev = torch.randn(bev.shape, generator=g).to(dtype)
    grad, report = run_backward(grad_bev, co, shape, B, **kw)
    assert grad.dtype == dtype and torch.equal(grad, gather(grad_bev, co))   # a gather: exact
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]
    return bev, forward_report


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("core_num", [1, 3, 8, None])
def test_small_with_repeats(core_num, profile):
    args = case.make_inputs(voxels=60, channels=6, batch=2, spatial_shape=(3, 5, 7), unique=False, seed=2)
    check_case(args, core_num=core_num, profile=profile)


@pytest.mark.parametrize("profile", PROFILES)
def test_fp16(profile):
    args = case.make_inputs(voxels=200, channels=20, batch=2, spatial_shape=(4, 6, 9), unique=False, seed=3)
    check_case(args, dtype=torch.float16, core_num=5, profile=profile)


def test_forward_is_deterministic_and_core_count_independent():
    """Each output element has one owner that adds in input order: bitwise equal on 1 and 7 cores
    and equal to a sequential float32 loop."""
    f, co, shape, B = case.make_inputs(voxels=300, channels=5, batch=2, spatial_shape=(6, 3, 4), unique=False, seed=4)
    one = run_forward(f, co, shape, B, core_num=1)[0]
    seven = run_forward(f, co, shape, B, core_num=7)[0]
    assert torch.equal(one, seven)
    c = co.long()
    want = torch.zeros(B, shape[1], shape[2], f.shape[1])
    for i in range(f.shape[0]):
        want[c[i, 0], c[i, 2], c[i, 3]] += f[i]
    assert torch.equal(one, want.permute(0, 3, 1, 2))


def test_one_voxel():
    f = torch.tensor([[1.5, -2.0, 3.25]])
    co = torch.tensor([[1, 2, 3, 4]], dtype=torch.int32)
    bev, _ = check_case((f, co, [3, 5, 6], 2), core_num=4)
    assert torch.equal(bev[1, :, 3, 4], f[0]) and int(torch.count_nonzero(bev)) == 3


def test_all_voxels_in_one_column():
    Z, B = 40, 1
    co = torch.stack([torch.zeros(Z), torch.arange(Z), torch.full((Z,), 2), torch.full((Z,), 1)], 1).int()
    f = torch.randn(Z, 7, generator=torch.Generator().manual_seed(5))
    bev, _ = check_case((f, co, [Z, 4, 3], B), core_num=6)
    torch.testing.assert_close(bev[0, :, 2, 1], f.sum(0))


def test_empty():
    f, co, shape, B = case.empty("cpu")
    bev, mask, _ = run_forward(f, co, shape, B, core_num=4)
    assert not bev.any() and not mask.any() and bev.shape == (B, f.shape[1], shape[1], shape[2])
    grad, _ = run_backward(torch.randn(B, f.shape[1], shape[1], shape[2]), co, shape, B, core_num=4)
    assert grad.shape == (0, f.shape[1])


@pytest.mark.parametrize("profile", PROFILES)
def test_many_channels_split_into_chunks(profile):
    """C = 3000 does not fit UB with 16 cells: several channel chunks (and a tail)."""
    args = case.make_inputs(voxels=30, channels=3000, batch=1, spatial_shape=(2, 4, 5), unique=False, seed=6)
    check_case(args, core_num=4, profile=profile)


def test_big_plane_split_into_cell_chunks():
    """Y * X = 20000 cells on 2 cores: cell chunks bounded by UB and the DataCopyPad limits."""
    args = case.make_inputs(voxels=500, channels=40, batch=1, spatial_shape=(2, 100, 200), seed=7)
    check_case(args, core_num=2)


def test_out_of_range_voxels_are_skipped():
    """Direct kernel calls never address memory with bad coordinates: such voxels add nothing
    and get a zero gradient row (the NPU binding raises for them before the launch)."""
    f, co, shape, B = case.make_inputs(voxels=30, channels=4, batch=2, spatial_shape=(3, 4, 5), unique=False, seed=8)
    bad = co.clone()
    bad[0, 0], bad[1, 1], bad[2, 2], bad[3, 3], bad[4, 3] = 2, -1, 4, 5, -100
    bev, mask, _ = run_forward(f, bad, shape, B, core_num=3)
    want_bev, want_mask = sparse2bev_reference(f[5:], co[5:], shape, B)
    torch.testing.assert_close(bev, want_bev)
    assert torch.equal(mask, want_mask)
    grad_bev = torch.randn(bev.shape)
    grad, _ = run_backward(grad_bev, bad, shape, B, core_num=3)
    assert not grad[:5].any() and torch.equal(grad[5:], gather(grad_bev, co[5:]))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16])
@pytest.mark.parametrize("profile", PROFILES)
def test_real_shape_quick(profile, dtype):
    """Ada3D KITTI conv2 BEV (spatial_shape [5, 200, 176], C = 64, batch 2) with 2k voxels. The
    cell chunks spread evenly over every core (each task rescans the voxels, so the plan keeps
    the rounds per core minimal and the chunks equal)."""
    _, report = check_case(case.real("cpu", quick=True), dtype=dtype, profile=profile)
    assert report["block_dim"] == {"ascend910b": 48, "ascend950": 56}[profile]
    assert report["imbalance"]["elements_written"] < 0.05


@pytest.mark.parametrize("spatial_shape, batch_size", [([5, 7], 2), ([3, 0, 7], 2), ([3, 5, 7], 0)])
def test_bad_attributes_fail_in_tiling(spatial_shape, batch_size):
    f, co, _, _ = case.make_inputs(**case.SMALL)
    with pytest.raises(sim.AscendCSimError):
        run_forward(f, co, spatial_shape, batch_size, core_num=2)
    with pytest.raises(sim.AscendCSimError):
        run_backward(torch.zeros(2, f.shape[1], 5, 7), co, spatial_shape, batch_size, core_num=2)
