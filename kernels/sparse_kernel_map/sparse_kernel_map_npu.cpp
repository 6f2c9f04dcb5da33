// sparse_kernel_map NPU binding: checks, then the sort-based build with the two Ascend C operators
// through aclnn and torch ops on the device in between (sparse_kernel_map_device_steps.h;
// test/ascendc/test_sparse_kernel_map_ascendc.py chains the same steps with the operators run
// under the CPU harness):
//   SparseKernelMapKeys(coords) -> in_keys int64 [N] (-1: row outside the grid; one device -> host
//       read raises for it), cand int64 [K or 0, N] (output key per (offset, input row), -1: none)
//   sorted_keys, perm = sort(in_keys, stable)      (mode 0: equal neighbours = duplicate sites, raised)
//   output sites: mode 0 the input rows; modes 1 / 2 unique(cand[cand >= 0]) (sorted), decoded
//   SparseKernelMapLookup(out_coords, sorted_keys) -> lo, count int32 [K, M] (binary search)
//   pairs: the (k, o) items with count > 0 in row-major order (k-major, o ascending), each
//       repeated count times; in_index = perm[lo + j] (duplicated input sites in row order),
//       out_index = o; offset_ptr = [0, cumsum of count per k].
#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include "sparse_kernel_map/sparse_kernel_map_check.h"
#include "sparse_kernel_map/sparse_kernel_map_device_steps.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace sparse_kernel_map {
namespace {

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> forward_npu(
    const at::Tensor& coords_in, at::IntArrayRef spatial_shape, int64_t batch_size, at::IntArrayRef kernel_size,
    at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t mode) {
  const Geometry g = check_args(coords_in, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode);
  const c10::DeviceGuard guard(coords_in.device());
  const auto coords = coords_in.contiguous();
  const int64_t n = coords.size(0), K = g.num_offsets;
  const auto i32 = coords.options().dtype(at::kInt), i64 = coords.options().dtype(at::kLong);

  // Input keys (checked), sorted with their rows.
  auto in_keys = at::empty({n}, i64);
  auto cand = at::empty({g.mode == kSubmanifold ? 0 : K, n}, i64);
  if (n > 0) {
    npu::call_aclnn("aclnnSparseKernelMapKeys", coords, spatial_shape, batch_size, kernel_size, stride, padding,
                    dilation, mode, in_keys, cand);
    const auto outside = in_keys.lt(0);
    if (outside.any().item<bool>()) raise_bad_row(coords, outside.nonzero()[0][0].item<int64_t>(), g);
  }
  const auto sorted = at::sort(in_keys, /*stable=*/true, /*dim=*/0, /*descending=*/false);
  const at::Tensor& sorted_keys = std::get<0>(sorted);
  const at::Tensor& perm = std::get<1>(sorted);
  if (g.mode == kSubmanifold && n > 1) {
    const auto repeat = sorted_keys.slice(0, 1).eq(sorted_keys.slice(0, 0, n - 1));
    if (repeat.any().item<bool>()) raise_duplicate(coords, perm.slice(0, 1).masked_select(repeat).min().item<int64_t>());
  }

  // Output sites.
  at::Tensor out_coords;
  if (g.mode == kSubmanifold) {
    out_coords = coords.clone();
  } else {
    out_coords = output_sites(cand, g.out_shape);
    TORCH_CHECK(out_coords.size(0) <= kMaxInt32, kOp, ": ", out_coords.size(0), " output sites exceed 2^31 - 1");
  }

  // (lo, count) per (offset, output site), then the pairs.
  const int64_t m = out_coords.size(0);
  auto lo = at::zeros({K, m}, i32), count = at::zeros({K, m}, i32);
  if (m > 0 && n > 0)
    npu::call_aclnn("aclnnSparseKernelMapLookup", out_coords, sorted_keys.contiguous(), spatial_shape, batch_size,
                    kernel_size, stride, padding, dilation, mode, lo, count);
  const auto pairs = expand_pairs(lo, count, perm);
  return {out_coords, std::get<0>(pairs), std::get<1>(pairs), std::get<2>(pairs)};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) { m.impl("sparse_kernel_map", &forward_npu); }

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
