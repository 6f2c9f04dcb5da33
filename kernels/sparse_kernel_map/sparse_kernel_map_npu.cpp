// sparse_kernel_map NPU binding: checks, then the sort-based build with the two Ascend C operators
// through aclnn and torch ops on the device in between (the same steps as `pipeline` in
// test/ascendc/test_sparse_kernel_map_ascendc.py, which runs them under the CPU harness):
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

#include <algorithm>

#include "sparse_kernel_map/sparse_kernel_map_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace sparse_kernel_map {
namespace {

// int32 [m, 4] (b, z, y, x) of keys on a grid of spatial extent shape.
at::Tensor decode_keys(const at::Tensor& keys, const int64_t* shape) {
  const int64_t zyx = shape[0] * shape[1] * shape[2], yx = shape[1] * shape[2];
  return at::stack({keys.div(zyx, "floor"), keys.div(yx, "floor").remainder(shape[0]),
                    keys.div(shape[2], "floor").remainder(shape[1]), keys.remainder(shape[2])},
                   1)
      .to(at::kInt)
      .contiguous();
}

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
    const auto valid = cand.masked_select(cand.ge(0));
    const auto unique = std::get<0>(at::_unique(valid, /*sorted=*/true, /*return_inverse=*/false));
    TORCH_CHECK(unique.numel() <= kMaxInt32, kOp, ": ", unique.numel(), " output sites exceed 2^31 - 1");
    out_coords = decode_keys(unique, g.out_shape);
  }

  // (lo, count) per (offset, output site), then the pairs.
  const int64_t m = out_coords.size(0);
  auto lo = at::zeros({K, m}, i32), count = at::zeros({K, m}, i32);
  if (m > 0 && n > 0)
    npu::call_aclnn("aclnnSparseKernelMapLookup", out_coords, sorted_keys.contiguous(), spatial_shape, batch_size,
                    kernel_size, stride, padding, dilation, mode, lo, count);
  const auto per_offset = count.sum(1, /*keepdim=*/false, at::kLong);
  const auto ptr64 = at::cat({at::zeros({1}, i64), per_offset.cumsum(0)});
  const int64_t total = ptr64[K].item<int64_t>();
  TORCH_CHECK(total <= kMaxInt32, kOp, ": ", total, " pairs exceed 2^31 - 1 (int32 indices)");
  const auto flat = count.reshape({-1}).to(at::kLong);
  const auto items = flat.nonzero().squeeze(1);
  const auto reps = flat.index_select(0, items);
  const auto item = at::repeat_interleave(items, reps, /*dim=*/0, /*output_size=*/total);
  const auto start = at::repeat_interleave(reps.cumsum(0) - reps, reps, /*dim=*/0, /*output_size=*/total);
  const auto within = at::arange(total, i64) - start;
  const auto in_pos = lo.reshape({-1}).to(at::kLong).index_select(0, item) + within;
  auto in_index = perm.index_select(0, in_pos).to(at::kInt);
  auto out_index = item.remainder(std::max<int64_t>(m, 1)).to(at::kInt);
  return {out_coords, in_index, out_index, ptr64.to(at::kInt)};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) { m.impl("sparse_kernel_map", &forward_npu); }

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
