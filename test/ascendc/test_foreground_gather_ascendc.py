"""Parity of the Ascend C foreground_gather operators (run on the CPU by the kit's Ascend C
harness, 910B and 950 profiles, several core counts) against the pure-PyTorch reference:

  ForegroundGatherMark  coors, valid_mask (int32)         -> status int32 [M] (0 drop, 1 keep, 2 invalid)
  ForegroundGather      features (word view), coors, positions = cumsum(status == 1), num_kept
                                                          -> out_features, out_coors, index int64
  ForegroundGatherGrad  grad_features (word view), index, num_rows -> grad_in (zero-filled input)

The NPU binding (kernels/foreground_gather/foreground_gather_npu.cpp) chains them the same way
as `pipeline` below. Needs the harness and a C++17 compiler; skips with a message otherwise.
"""
import os

import pytest
import torch

from ascend_ops.ops.foreground_gather import foreground_gather_reference
from ascend_ops.opcases import foreground_gather as case

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "foreground_gather")
WORDS = {2: torch.int16, 4: torch.int32, 8: torch.int64}


def words(t):
    """A float tensor viewed as the integer of its width (the binding does the same)."""
    return t.view(WORDS[t.element_size()])


def mark(coors, valid_mask, **kw):
    res = sim.run_op(OP_DIR, "ForegroundGatherMark", inputs={"coors": coors, "valid_mask": (valid_mask > 0).int()},
                     outputs={"status": None}, check_coverage=True, **kw)
    return res.outputs["status"], res.report


def compact(features, coors, positions, K, **kw):
    res = sim.run_op(OP_DIR, "ForegroundGather",
                     inputs={"features": words(features), "coors": coors, "positions": positions},
                     outputs={"out_features": None, "out_coors": None, "index": None}, attrs={"num_kept": K},
                     check_coverage=True, **kw)
    out = res.outputs
    return out["out_features"].view(features.dtype), out["out_coors"], out["index"], res.report


def grad(grad_features, index, M, **kw):
    zeros = torch.zeros(M, grad_features.shape[1], dtype=grad_features.dtype)
    res = sim.run_op(OP_DIR, "ForegroundGatherGrad", inputs={"grad_features": words(grad_features), "index": index},
                     outputs={"grad_in": words(zeros)}, attrs={"num_rows": M}, check_coverage=False, **kw)
    return res.outputs["grad_in"].view(grad_features.dtype), res.report


def pipeline(features, coors, valid_mask, **kw):
    status, _ = mark(coors, valid_mask, **kw)
    assert not (status == 2).any()
    positions = (status == 1).cumsum(0, dtype=torch.int32)
    K = int(positions[-1]) if positions.numel() else 0
    return compact(features, coors, positions, K, **kw)


def check_forward(args, **kw):
    f, q, idx, report = pipeline(*args, **kw)
    want = foreground_gather_reference(*args)
    assert torch.equal(idx, want[2]) and torch.equal(q, want[1]) and torch.equal(f, want[0])
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]
    return report


@pytest.mark.parametrize("profile", ["ascend910b", "ascend950"])
@pytest.mark.parametrize("core_num", [1, 3, 8, None])
def test_forward_core_counts_and_profiles(profile, core_num):
    args = case.make_inputs(B=2, Z=3, Y=20, X=18, M=700, C=24, keep=0.4, seed=2)
    report = check_forward(args, profile=profile, core_num=core_num)
    if core_num:
        assert report["block_dim"] == core_num


@pytest.mark.parametrize("mask_dtype", [torch.int32, torch.int64, torch.uint8, torch.bool], ids=str)
@pytest.mark.parametrize("coors_dtype", [torch.int32, torch.int64], ids=str)
def test_forward_index_and_mask_dtypes(coors_dtype, mask_dtype):
    f, q, m = case.make_inputs(B=2, Z=2, Y=9, X=7, M=90, C=5, keep=0.5, seed=4, coors_dtype=coors_dtype)
    check_forward((f, q, m.to(mask_dtype)), core_num=4)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_forward_float_dtypes_bitwise(dtype):
    args = case.make_inputs(B=1, Z=2, Y=8, X=8, M=60, C=7, keep=0.5, seed=5, dtype=dtype)
    check_forward(args, core_num=5)


def test_forward_real_shape_tiles():
    """The Ada3D grid [5, 200, 176] with C=64 (several tiles per core on few cores)."""
    args = case.make_inputs(B=2, Z=5, Y=200, X=176, M=6000, C=64, keep=0.4, seed=6)
    report = check_forward(args, core_num=4)
    assert report["imbalance"]["work"] < 0.5
    check_forward(args, profile="ascend950")


@pytest.mark.parametrize("value", [0, 1])
def test_all_dropped_and_all_kept(value):
    f, q, m = case.make_inputs(B=2, Z=2, Y=6, X=7, M=50, C=5, keep=0.5, seed=7, mask_value=value)
    status, _ = mark(q, m, core_num=3)
    assert torch.equal(status, torch.full((50,), value, dtype=torch.int32))
    if value:
        check_forward((f, q, m), core_num=3)


def test_invalid_rows_flagged_not_read():
    f, q, m = case.make_inputs(B=2, Z=2, Y=6, X=7, M=40, C=3, keep=0.5, seed=8)
    q = q.clone()
    q[3] = torch.tensor([2, 0, 0, 0])     # b == B
    q[5] = torch.tensor([0, 0, 6, 0])     # y == Y
    q[9] = torch.tensor([1, 0, 0, 7])     # x == X
    q[11] = torch.tensor([0, -1, 0, 0])   # negative z
    q[20] = torch.tensor([-1, 0, 0, 0])   # negative b
    status, _ = mark(q, m, core_num=4)    # the harness raises on any out-of-bounds mask read
    assert set((status == 2).nonzero().reshape(-1).tolist()) == {3, 5, 9, 11, 20}


def test_inconsistent_positions_never_write_out_of_bounds():
    """Direct calls with positions that do not match num_kept: rows past K are skipped."""
    f, q, m = case.make_inputs(B=1, Z=1, Y=8, X=8, M=30, C=4, keep=1.0, seed=9, mask_value=1)
    positions = torch.arange(1, 31, dtype=torch.int32)
    out_f, out_q, idx, _ = compact(f, q, positions, 10, core_num=3)   # harness checks every GM write
    assert torch.equal(idx, torch.arange(10)) and torch.equal(out_f, f[:10])
    positions = torch.tensor([5, -3, 100] + list(range(27)), dtype=torch.int32)
    sim.run_op(OP_DIR, "ForegroundGather", inputs={"features": words(f), "coors": q, "positions": positions},
               outputs={"out_features": None, "out_coors": None, "index": None}, attrs={"num_kept": 4},
               check_coverage=False, core_num=2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.float64], ids=str)
@pytest.mark.parametrize("core_num", [1, 4, None])
def test_backward_scatter(dtype, core_num):
    f, q, m = case.make_inputs(B=2, Z=3, Y=20, X=18, M=700, C=24, keep=0.4, seed=10, dtype=dtype)
    x = f.clone().requires_grad_(True)
    out, _, idx = foreground_gather_reference(x, q, m)
    g = torch.randn(out.shape, generator=torch.Generator().manual_seed(1)).to(dtype)
    out.backward(g)
    got, report = grad(g, idx, f.shape[0], core_num=core_num)
    assert torch.equal(got, x.grad)
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]


def test_backward_skips_out_of_range_index():
    g = torch.randn(3, 4)
    got, _ = grad(g, torch.tensor([-1, 2, 9]), 5, core_num=2)
    want = torch.zeros(5, 4)
    want[2] = g[1]
    assert torch.equal(got, want)


def test_zero_channels():
    """features [M, 0]: coors and index still come out; no feature copies are issued."""
    f, q, m = case.make_inputs(B=2, Z=2, Y=6, X=7, M=40, C=0, keep=0.5, seed=11)
    check_forward((f, q, m), core_num=3)
    idx = foreground_gather_reference(f, q, m)[2]
    got, _ = grad(torch.zeros(idx.numel(), 0), idx, 40, core_num=2)
    assert got.shape == (40, 0)
