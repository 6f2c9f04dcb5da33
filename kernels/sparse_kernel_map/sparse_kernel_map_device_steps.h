// sparse_kernel_map: the torch steps the NPU binding runs on the device between its two Ascend C
// operators (ATen only, any device). test/ascendc/test_sparse_kernel_map_ascendc.py compiles this
// header on the CPU and chains it with the operators run under the harness, so the binding's
// steps are checked against the reference without an NPU.
#pragma once
#include <ATen/ATen.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <tuple>

namespace ascend_ops {
namespace sparse_kernel_map {

// int32 [m, 4] (b, z, y, x) of int64 keys [m] on a grid of spatial extent shape (z, y, x).
inline at::Tensor decode_keys(const at::Tensor& keys, const int64_t* shape) {
  const int64_t zyx = shape[0] * shape[1] * shape[2], yx = shape[1] * shape[2];
  return at::stack({keys.div(zyx, "floor"), keys.div(yx, "floor").remainder(shape[0]),
                    keys.div(shape[2], "floor").remainder(shape[1]), keys.remainder(shape[2])},
                   1)
      .to(at::kInt)
      .contiguous();
}

// Modes 1 / 2: the output sites, int32 [M, 4] sorted by key, from the candidate keys cand int64
// [K, N] (-1: no output) on a grid of spatial extent out_shape.
inline at::Tensor output_sites(const at::Tensor& cand, const int64_t* out_shape) {
  const auto unique = std::get<0>(at::_unique(cand.masked_select(cand.ge(0)), /*sorted=*/true,
                                              /*return_inverse=*/false));
  return decode_keys(unique, out_shape);
}

// The pairs from lo / count int32 [K, M] (per offset k and output row o: the first position in
// the sorted input keys of the key o reads through k, and how many rows have it) and perm int64
// [N] (the input rows in sorted-key order, stable): the (k, o) with count > 0 in row-major order,
// each repeated count times; in_index = perm[lo + j] (a repeated site's rows in row order),
// out_index = o; offset_ptr [K + 1] = 0, then the cumulative count per k. All int32.
inline std::tuple<at::Tensor, at::Tensor, at::Tensor> expand_pairs(const at::Tensor& lo, const at::Tensor& count,
                                                                   const at::Tensor& perm) {
  const int64_t K = count.size(0), m = count.size(1);
  const auto i64 = count.options().dtype(at::kLong);
  const auto per_offset = count.sum(1, /*keepdim=*/false, at::kLong);
  const auto ptr64 = at::cat({at::zeros({1}, i64), per_offset.cumsum(0)});
  const int64_t total = ptr64[K].item<int64_t>();
  TORCH_CHECK(total <= std::numeric_limits<int32_t>::max(), "sparse_kernel_map: ", total,
              " pairs exceed 2^31 - 1 (int32 indices)");
  const auto flat = count.reshape({-1}).to(at::kLong);
  const auto items = flat.nonzero().squeeze(1);
  const auto reps = flat.index_select(0, items);
  const auto item = at::repeat_interleave(items, reps, /*dim=*/0, /*output_size=*/total);
  const auto start = at::repeat_interleave(reps.cumsum(0) - reps, reps, /*dim=*/0, /*output_size=*/total);
  const auto within = at::arange(total, i64) - start;
  const auto in_pos = lo.reshape({-1}).to(at::kLong).index_select(0, item) + within;
  auto in_index = perm.index_select(0, in_pos).to(at::kInt);
  auto out_index = item.remainder(std::max<int64_t>(m, 1)).to(at::kInt);
  return {in_index, out_index, ptr64.to(at::kInt)};
}

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
