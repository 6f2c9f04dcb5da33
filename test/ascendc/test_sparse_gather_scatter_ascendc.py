"""The Ascend C SparseGather / SparseScatterAdd kernels under the kit's CPU harness (910B and 950
profiles, several core counts) against the pure-PyTorch references, chained the way the NPU
binding (kernels/sparse_gather_scatter/sparse_gather_scatter_npu.cpp) chains them:

  sparse_gather(features, index)          SparseGather(features as words, index int32)
  sparse_scatter_add(values, index, R)    keys = sort(index * P + p): order = keys % P, row_ptr =
                                          searchsorted(keys, r * P for r in 0..R)
                                          -> SparseScatterAdd(values, order, row_ptr)
                                          (bfloat16 summed as float32, rounded once)
  sparse_max_pool_backward                the winners on aten, their gradients summed per input row by
                                          SparseScatterAdd

Needs the harness (ascend_ops.ascendc_sim) and a C++17 compiler; skips with a message otherwise.
"""
import os

import pytest
import torch

from ascend_ops.opcases import sparse_gather as gather_case
from ascend_ops.opcases import sparse_max_pool as pool_case
from ascend_ops.opcases import sparse_scatter_add as scatter_case
from ascend_ops.ops.sparse_gather import sparse_gather_reference
from ascend_ops.ops.sparse_max_pool import argmax_rows, sparse_max_pool_reference
from ascend_ops.ops.sparse_scatter_add import sparse_scatter_add_reference

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "sparse_gather_scatter")
PROFILES = ["ascend910b", "ascend950"]
WORDS = {2: torch.int16, 4: torch.int32, 8: torch.int64}


def run_gather(features, index, check_coverage=True, **kw):
    res = sim.run_op(OP_DIR, "SparseGather", inputs={"features": features.view(WORDS[features.element_size()]),
                                                     "index": index.int()},
                     outputs={"out": None}, check_coverage=check_coverage, **kw)
    return res.outputs["out"].view(features.dtype), res.report


def csr(index, num_rows):
    """(order int32, row_ptr int32 [num_rows + 1]): the pairs sorted by (row, pair number), as the
    binding builds them (unique int64 keys, so the sort need not be stable)."""
    P = index.shape[0]
    keys = torch.sort(index.long() * P + torch.arange(P)).values
    order = keys.remainder(max(P, 1)).int()
    return order, torch.searchsorted(keys, torch.arange(num_rows + 1) * P, out_int32=True)


def run_scatter_add(values, index, num_rows, **kw):
    order, row_ptr = csr(index, num_rows)
    vals = values.float() if values.dtype == torch.bfloat16 else values
    res = sim.run_op(OP_DIR, "SparseScatterAdd", inputs={"values": vals, "order": order, "row_ptr": row_ptr},
                     outputs={"out": None}, check_coverage=True, **kw)
    return res.outputs["out"].to(values.dtype), res.report


def random_pairs(N, P, C, dtype, seed, rows=None):
    g = torch.Generator().manual_seed(seed)
    f = torch.randn(N, C, generator=g).to(dtype)
    return f, torch.randint(rows or N, (P,), generator=g, dtype=torch.int32)


# ---- SparseGather ----------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("core_num", [1, 3, 8, None])
def test_gather_core_counts_and_profiles(profile, core_num):
    f, index = random_pairs(300, 2500, 19, torch.float32, seed=1)
    out, report = run_gather(f, index, profile=profile, core_num=core_num)
    assert torch.equal(out, sparse_gather_reference(f, index))
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]
    if core_num:
        assert report["block_dim"] == core_num


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16, torch.float64], ids=str)
def test_gather_every_float_dtype_bitwise(dtype):
    f, index = random_pairs(50, 400, 7, dtype, seed=2)
    out, _ = run_gather(f, index, core_num=5)
    assert torch.equal(out, sparse_gather_reference(f, index))


def test_gather_real_case_tiles():
    """The case module's real case (KITTI-like submanifold map, C=64): several tiles per core."""
    f, index = gather_case.cases()["real"]("cpu", quick=True)
    out, report = run_gather(f, index, core_num=6)
    assert torch.equal(out, sparse_gather_reference(f, index))
    assert report["imbalance"]["elements_written"] < 0.05


def test_gather_runs_of_consecutive_rows():
    """Runs of consecutive source rows (one DMA each), broken by a repeat, a gap, a bad entry and
    the end of the features."""
    f, _ = random_pairs(40, 1, 6, torch.float16, seed=9)
    index = torch.tensor(list(range(10, 25)) + [24, 24, 3, 4, 5, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39] +
                         list(range(0, 40)), dtype=torch.int32)
    for core_num in (1, 4):
        out, _ = run_gather(f, index, core_num=core_num)
        assert torch.equal(out, sparse_gather_reference(f, index))
    bad = index.clone()
    bad[5] = 40
    out, _ = run_gather(f, bad, check_coverage=False, core_num=2)
    keep = torch.arange(index.numel()) != 5
    assert torch.equal(out[keep], f[index.long()][keep])


def test_gather_skips_bad_index_without_reading_out_of_bounds():
    """Entries outside [0, N) are skipped (the harness raises on any out-of-bounds GM read); the
    other rows are still gathered."""
    f, index = random_pairs(20, 60, 5, torch.float32, seed=3)
    bad = index.clone()
    bad[[4, 17, 40]] = torch.tensor([20, -1, 2 ** 31 - 1], dtype=torch.int32)
    out, _ = run_gather(f, bad, check_coverage=False, core_num=4)
    good = torch.ones(60, dtype=torch.bool)
    good[[4, 17, 40]] = False
    assert torch.equal(out[good], f[index.long()][good])


# ---- SparseScatterAdd ------------------------------------------------------------------------
@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("core_num", [1, 3, 8, None])
def test_scatter_add_core_counts_and_profiles(profile, core_num):
    """float32: bitwise the reference (both sum each row in pair order from 0), on any core count."""
    v, index = random_pairs(2000, 2000, 21, torch.float32, seed=4, rows=450)
    out, report = run_scatter_add(v, index, 450, profile=profile, core_num=core_num)
    assert torch.equal(out, sparse_scatter_add_reference(v, index, 450))
    assert report["ub_peak_max"] <= report["ub_limit_bytes"]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_scatter_add_float_dtypes_summed_in_float32(dtype):
    """float16 / bfloat16 summed in float32 and rounded once: bitwise the reference too."""
    v, index = random_pairs(300, 300, 9, dtype, seed=5, rows=40)
    out, _ = run_scatter_add(v, index, 40, core_num=3)
    assert torch.equal(out, sparse_scatter_add_reference(v, index, 40))


def test_scatter_add_real_case_and_empty_rows():
    """The case module's real case (out_index of a KITTI-like map, C=64) plus 7 trailing rows
    without pairs (written as zeros: the output is coverage-checked)."""
    values, index, num_rows = scatter_case.cases()["real"]("cpu", quick=True)
    out, _ = run_scatter_add(values, index, num_rows + 7, core_num=7)
    assert torch.equal(out, sparse_scatter_add_reference(values, index, num_rows + 7))
    assert out[num_rows:].eq(0).all()


def test_scatter_add_long_rows_cross_order_chunks():
    """Rows with more pairs than one order chunk (256) and a row with none."""
    g = torch.Generator().manual_seed(6)
    index = torch.cat([torch.zeros(700, dtype=torch.int32), torch.full((300,), 2, dtype=torch.int32)])
    index = index[torch.randperm(1000, generator=g)]
    v = torch.randn(1000, 5, generator=g)
    out, _ = run_scatter_add(v, index, 3, core_num=2)
    assert torch.equal(out, sparse_scatter_add_reference(v, index, 3))


def test_scatter_add_bad_order_and_row_ptr_never_read_out_of_bounds():
    v, index = random_pairs(30, 30, 4, torch.float32, seed=7, rows=6)
    order, row_ptr = csr(index, 6)
    order[[0, 5]] = torch.tensor([30, -3], dtype=torch.int32)
    row_ptr[3] = 10 ** 6
    row_ptr[4] = -5
    res = sim.run_op(OP_DIR, "SparseScatterAdd", inputs={"values": v, "order": order, "row_ptr": row_ptr},
                     outputs={"out": None}, check_coverage=True, core_num=3)
    assert torch.isfinite(res.outputs["out"]).all()


# ---- max pool backward through SparseScatterAdd (the NPU binding's composition) -------------
def test_max_pool_backward_composition_matches_reference():
    features, in_index, out_index, num_out = pool_case.cases()["small"]("cpu")
    P, C = in_index.shape[0], features.shape[1]
    # the binding's winners: first pair attaining the max (argmax_rows gives its input row; the
    # pair number comes from the same rule on the pair axis)
    g = features.index_select(0, in_index.long())
    o = out_index.long()
    mx = torch.zeros(num_out, C).scatter_reduce(0, o[:, None].expand(P, C), g, "amax", include_self=False)
    p = torch.arange(P)[:, None].expand(P, C)
    first = torch.full((num_out, C), P).scatter_reduce(0, o[:, None].expand(P, C),
                                                       torch.where(g == mx[o], p, P), "amin", include_self=True)
    rows, _ = argmax_rows(features, in_index, out_index, num_out)
    assert torch.equal(in_index.long()[first.clamp(max=P - 1)][first < P], rows[first < P])
    grad = torch.randn(num_out, C, generator=torch.Generator().manual_seed(8))
    contrib = torch.where(first[o] == p, grad[o], torch.zeros(()))
    got, _ = run_scatter_add(contrib, in_index, features.shape[0], core_num=4)
    x = features.clone().requires_grad_()
    (want,) = torch.autograd.grad(sparse_max_pool_reference(x, in_index, out_index, num_out), x, grad)
    torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("profile", PROFILES)
def test_wide_rows_few_rows_per_tile(profile):
    """C = 3000 float32 (12 kB rows): a handful of rows per UB tile, several tiles per core."""
    f, index = random_pairs(40, 120, 3000, torch.float32, seed=10, rows=40)
    out, report = run_gather(f, index, profile=profile, core_num=2)
    assert torch.equal(out, sparse_gather_reference(f, index))
    summed, report2 = run_scatter_add(out, index, 40, profile=profile, core_num=2)
    assert torch.equal(summed, sparse_scatter_add_reference(out, index, 40))
    assert max(report["ub_peak_max"], report2["ub_peak_max"]) <= report["ub_limit_bytes"]
