"""Parity of the Ascend C sparse_kernel_map operators (run on the CPU by the kit's Ascend C harness,
910B and 950 profiles, several core counts) against the pure-PyTorch reference:

  SparseKernelMapKeys    coords int32 [N, 4]   -> in_keys int64 [N] (-1: row outside the grid),
                                                  cand int64 [K or 0, N] (output key per offset, -1: none)
  SparseKernelMapLookup  out_coords int32 [M, 4], sorted_keys int64 [N]
                                               -> lo, count int32 [K, M] (binary search of each
                                                  (offset, output site)'s input key)

`pipeline` chains them with the torch steps of the NPU binding
(kernels/sparse_kernel_map/sparse_kernel_map_npu.cpp): stable sort of in_keys, unique of the
valid candidates (the output sites, sorted by key), decode, and the expansion of (lo, count) into
pairs, k-major then output row then input row. Needs the harness and a C++17 compiler.
"""
import os

import pytest
import torch

from ascend_ops.ops import sparse_kernel_map_reference
from ascend_ops.opcases import sparse_kernel_map as case

sim = pytest.importorskip("ascend_ops.ascendc_sim", reason="Ascend C CPU harness (ascend_ops.ascendc_sim) not available")

OP_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "kernels", "sparse_kernel_map")
ATTRS = ("spatial_shape", "batch_size", "kernel_size", "stride", "padding", "dilation", "mode")


def out_shape(shape, kernel, stride, padding, dilation, mode):
    if mode == 0:
        return list(shape)
    if mode == 1:
        return [(S + 2 * p - d * (K - 1) - 1) // s + 1 for S, K, s, p, d in zip(shape, kernel, stride, padding, dilation)]
    return [(S - 1) * s - 2 * p + d * (K - 1) + 1 for S, K, s, p, d in zip(shape, kernel, stride, padding, dilation)]


def keys_op(coords, attrs, **kw):
    res = sim.run_op(OP_DIR, "SparseKernelMapKeys", inputs={"coords": coords}, outputs={"in_keys": None, "cand": None},
                     attrs=attrs, check_coverage=True, **kw)
    return res.outputs["in_keys"], res.outputs["cand"], res.report


def lookup_op(out_coords, sorted_keys, attrs, **kw):
    res = sim.run_op(OP_DIR, "SparseKernelMapLookup", inputs={"out_coords": out_coords, "sorted_keys": sorted_keys},
                     outputs={"lo": None, "count": None}, attrs=attrs, check_coverage=True, **kw)
    return res.outputs["lo"], res.outputs["count"], res.report


def pipeline(coords, shape, batch, kernel, stride, padding, dilation, mode, steps=None, **kw):
    """The NPU binding's steps, with the two Ascend C ops run under the harness; the torch steps
    in Python, or with `steps` (the `binding_steps` fixture) the binding's own C++ ones."""
    attrs = dict(zip(ATTRS, (list(shape), batch, list(kernel), list(stride), list(padding), list(dilation), mode)))
    K = kernel[0] * kernel[1] * kernel[2]
    N = coords.shape[0]
    reports = []
    if N:
        in_keys, cand, report = keys_op(coords, attrs, **kw)
        reports.append(report)
        assert not (in_keys < 0).any(), "a row outside the grid (the binding raises)"
    else:
        in_keys, cand = torch.zeros(0, dtype=torch.int64), torch.zeros(0 if mode == 0 else K, 0, dtype=torch.int64)
    sorted_keys, perm = torch.sort(in_keys, stable=True)
    if mode == 0:
        out_coords = coords.clone()
    elif steps is not None:
        out_coords = steps.sites(cand, out_shape(shape, kernel, stride, padding, dilation, mode))
    else:
        uniq = torch.unique(cand[cand >= 0])
        Oz, Oy, Ox = out_shape(shape, kernel, stride, padding, dilation, mode)
        out_coords = torch.stack([uniq // (Oz * Oy * Ox), uniq // (Oy * Ox) % Oz, uniq // Ox % Oy, uniq % Ox],
                                 1).to(torch.int32)
    M = out_coords.shape[0]
    if M and N:
        lo, count, report = lookup_op(out_coords, sorted_keys, attrs, **kw)
        reports.append(report)
    else:
        lo = count = torch.zeros(K, M, dtype=torch.int32)
    if steps is not None:
        in_index, out_index, offset_ptr = steps.expand(lo, count, perm)
        return (out_coords, in_index, out_index, offset_ptr), reports
    per_k = count.sum(1, dtype=torch.int64)
    offset_ptr = torch.cat([torch.zeros(1, dtype=torch.int64), per_k.cumsum(0)]).to(torch.int32)
    flat = count.reshape(-1).long()
    items = flat.nonzero().squeeze(1)
    reps = flat[items]
    item = torch.repeat_interleave(items, reps)
    start = torch.repeat_interleave(reps.cumsum(0) - reps, reps)
    within = torch.arange(item.numel()) - start
    in_index = perm[lo.reshape(-1).long()[item] + within].to(torch.int32)
    out_index = (item % max(M, 1)).to(torch.int32)
    return (out_coords, in_index, out_index, offset_ptr), reports


def check(args, **kw):
    got, reports = pipeline(*args, **kw)
    assert all(t.dtype == torch.int32 for t in got)
    want = sparse_kernel_map_reference(*args)
    for name, a, b in zip(("out_coords", "in_index", "out_index", "offset_ptr"), got, want):
        assert torch.equal(a, b.to(torch.int32)), f"{name} differs"
    for r in reports:
        assert r["ub_peak_max"] <= r["ub_limit_bytes"]
    return got, reports


@pytest.fixture(scope="module")
def binding_steps():
    """kernels/sparse_kernel_map/sparse_kernel_map_device_steps.h (the NPU binding's torch steps)
    compiled for the CPU."""
    from torch.utils import cpp_extension
    src = """
#include "sparse_kernel_map/sparse_kernel_map_device_steps.h"
at::Tensor sites(const at::Tensor& cand, std::vector<int64_t> out_shape) {
  return ascend_ops::sparse_kernel_map::output_sites(cand, out_shape.data());
}
std::vector<at::Tensor> expand(const at::Tensor& lo, const at::Tensor& count, const at::Tensor& perm) {
  auto t = ascend_ops::sparse_kernel_map::expand_pairs(lo, count, perm);
  return {std::get<0>(t), std::get<1>(t), std::get<2>(t)};
}
"""
    from ascend_ops.cache import cache_path
    build_dir = cache_path("torch-extensions", "sparse_kernel_map_device_steps")
    build_dir.mkdir(parents=True, exist_ok=True)
    try:
        return cpp_extension.load_inline("ascend_kit_skm_device_steps", cpp_sources=src, functions=["sites", "expand"],
                                         extra_include_paths=[os.path.join(OP_DIR, "..")], extra_cflags=["-O1"],
                                         build_directory=str(build_dir))
    except Exception as e:  # no compiler / ninja
        pytest.skip(f"could not build the binding steps with torch.utils.cpp_extension: {e}")


CASES = ["small", "submanifold", "submanifold_dilated", "per_axis", "transposed", "transposed_per_axis", "dense",
         "huge_grid", "empty"]


@pytest.mark.parametrize("name", CASES)
def test_cases_match_reference(name):
    check(case.cases()[name]("cpu"), core_num=5)


@pytest.mark.parametrize("profile", ["ascend910b", "ascend950"])
@pytest.mark.parametrize("core_num", [1, 3, None])
def test_core_counts_and_profiles(profile, core_num):
    _, reports = check(case.small("cpu", seed=3), profile=profile, core_num=core_num)
    if core_num:
        assert all(r["block_dim"] == core_num for r in reports)


@pytest.mark.parametrize("kernel,stride,padding,mode", [((3, 3, 3), (1, 1, 1), (0, 0, 0), 0),
                                                        ((3, 3, 3), (2, 2, 2), (0, 1, 1), 1),
                                                        ((3, 1, 1), (2, 1, 1), (0, 0, 0), 1),
                                                        ((4, 4, 4), (4, 4, 4), (0, 0, 0), 1),
                                                        ((2, 2, 2), (2, 2, 2), (0, 0, 0), 2)],
                         ids=["subm3", "k3s2p011", "k311s211", "pool_k4s4", "k2s2_transposed"])
def test_lidar_frame_shapes(kernel, stride, padding, mode):
    """A ray-cast KITTI-like frame (1500 voxels, several tiles per core) under the seeds' shapes."""
    coords = case._real_coords(1500, 0)
    check((coords, list(case.KITTI_SHAPE), 1, list(kernel), list(stride), list(padding), [1, 1, 1], mode), core_num=4)


def test_rows_outside_the_grid_are_flagged():
    coords, shape, B, k, s, p, d, mode = case.small("cpu")
    bad = coords.clone()
    bad[5, 0] = B          # batch index out of range
    bad[9, 3] = -1         # negative x
    attrs = dict(zip(ATTRS, (shape, B, k, s, p, d, mode)))
    in_keys, cand, _ = keys_op(bad, attrs, core_num=3)
    assert (in_keys < 0).nonzero().squeeze(1).tolist() == [5, 9]
    assert (cand[:, [5, 9]] == -1).all()


@pytest.mark.parametrize("name", ["small", "submanifold", "per_axis", "transposed_per_axis", "huge_grid", "empty"])
def test_binding_steps_match_reference(name, binding_steps):
    """The NPU binding's C++ torch steps (unique / decode, pair expansion) between the Ascend C ops."""
    check(case.cases()[name]("cpu"), steps=binding_steps, core_num=4)
