// sparse_kernel_map CUDA binding: checks, work buffers, the launchers of sparse_kernel_map_cuda.cu
// in the order their header lists, and the device -> host reads that size the data-dependent
// outputs (bad row / duplicate flags, the number of candidates, output sites and pairs).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "sparse_kernel_map/sparse_kernel_map_check.h"

#include "sparse_kernel_map/sparse_kernel_map_cuda.h"

namespace ascend_ops {
namespace sparse_kernel_map {
namespace {

// Runs a CUB call twice (sizing, then with a temporary buffer from torch's allocator).
template <typename Call>
void with_temp(const at::Tensor& like, Call call) {
  size_t bytes = 0;
  C10_CUDA_CHECK(call(nullptr, bytes));
  auto temp = at::empty({static_cast<int64_t>(bytes) + 1}, like.options().dtype(at::kByte));
  C10_CUDA_CHECK(call(temp.data_ptr(), bytes));
}

// Sum of an exclusive scan: last position + last count (one device -> host read).
int64_t scan_total(const at::Tensor& positions, const at::Tensor& counts) {
  const int64_t n = counts.numel();
  return n == 0 ? 0 : (positions[n - 1] + counts[n - 1]).item<int64_t>();
}

void check_cub_size(int64_t n, const char* what) {
  TORCH_CHECK(n <= kMaxInt32, kOp, ": ", n, " ", what, " exceed what the CUDA kernel handles (2^31 - 1)");
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> forward_cuda(
    const at::Tensor& coords_in, at::IntArrayRef spatial_shape, int64_t batch_size, at::IntArrayRef kernel_size,
    at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t mode) {
  const Geometry g = check_args(coords_in, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode);
  TORCH_CHECK(coords_in.is_cuda(), kOp, ": coords must be a CUDA tensor here, got ", coords_in.device());
  const c10::cuda::CUDAGuard guard(coords_in.device());
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  const auto coords = coords_in.contiguous();
  const int64_t n = coords.size(0), K = g.num_offsets;
  const auto i32 = coords.options().dtype(at::kInt), i64 = coords.options().dtype(at::kLong);
  const int32_t* C = coords.data_ptr<int32_t>();

  // Input keys, checked, sorted with their rows.
  auto keys = at::empty({n}, i64), sorted_keys = at::empty({n}, i64);
  auto rows = at::empty({n}, i32), sorted_rows = at::empty({n}, i32);
  auto flags = at::full({2}, n, i64);   // first bad row, first repeated row (n: none)
  auto* flag_ptr = reinterpret_cast<unsigned long long*>(flags.data_ptr<int64_t>());
  C10_CUDA_CHECK(launch_key_rows(C, n, g, keys.data_ptr<int64_t>(), rows.data_ptr<int32_t>(), flag_ptr, stream));
  const int in_bits = key_bits(g.batch, g.in_shape);
  if (n > 0)
    with_temp(coords, [&](void* temp, size_t& bytes) {
      return sort_pairs(temp, bytes, keys.data_ptr<int64_t>(), sorted_keys.data_ptr<int64_t>(),
                        rows.data_ptr<int32_t>(), sorted_rows.data_ptr<int32_t>(), n, in_bits, stream);
    });
  if (g.mode == kSubmanifold)
    C10_CUDA_CHECK(launch_first_duplicate(sorted_keys.data_ptr<int64_t>(), sorted_rows.data_ptr<int32_t>(), n,
                                          flag_ptr + 1, stream));
  const auto host_flags = flags.cpu();
  const int64_t bad = host_flags.data_ptr<int64_t>()[0], dup = host_flags.data_ptr<int64_t>()[1];
  if (bad < n) raise_bad_row(coords, bad, g);
  if (dup < n) raise_duplicate(coords, dup);

  // Output sites.
  at::Tensor out_coords;
  if (g.mode == kSubmanifold) {
    out_coords = coords.clone();
  } else {
    auto counts = at::empty({n}, i64), offsets = at::empty({n}, i64);
    C10_CUDA_CHECK(launch_count_outputs(C, n, g, counts.data_ptr<int64_t>(), stream));
    if (n > 0)
      with_temp(coords, [&](void* temp, size_t& bytes) {
        return exclusive_sum(temp, bytes, counts.data_ptr<int64_t>(), offsets.data_ptr<int64_t>(), n, stream);
      });
    const int64_t num_cand = scan_total(offsets, counts);
    check_cub_size(num_cand, "output candidates");
    auto cand = at::empty({num_cand}, i64), sorted = at::empty({num_cand}, i64), unique = at::empty({num_cand}, i64);
    auto num_unique = at::zeros({1}, i64);
    C10_CUDA_CHECK(launch_write_outputs(C, n, g, offsets.data_ptr<int64_t>(), cand.data_ptr<int64_t>(), stream));
    if (num_cand > 0) {
      const int out_bits = key_bits(g.batch, g.out_shape);
      with_temp(coords, [&](void* temp, size_t& bytes) {
        return sort_keys(temp, bytes, cand.data_ptr<int64_t>(), sorted.data_ptr<int64_t>(), num_cand, out_bits,
                         stream);
      });
      with_temp(coords, [&](void* temp, size_t& bytes) {
        return unique_keys(temp, bytes, sorted.data_ptr<int64_t>(), unique.data_ptr<int64_t>(),
                           num_unique.data_ptr<int64_t>(), num_cand, stream);
      });
    }
    const int64_t m = num_unique.item<int64_t>();
    out_coords = at::empty({m, 4}, i32);
    C10_CUDA_CHECK(launch_decode(unique.data_ptr<int64_t>(), m, g, out_coords.data_ptr<int32_t>(), stream));
  }

  // Pairs, offset-major.
  const int64_t m = out_coords.size(0);
  check_cub_size(K * m, "(offset, output site) items");
  auto counts = at::empty({K * m}, i64), positions = at::empty({K * m}, i64);
  C10_CUDA_CHECK(launch_count_pairs(out_coords.data_ptr<int32_t>(), m, g, sorted_keys.data_ptr<int64_t>(), n,
                                    counts.data_ptr<int64_t>(), stream));
  if (K * m > 0)
    with_temp(coords, [&](void* temp, size_t& bytes) {
      return exclusive_sum(temp, bytes, counts.data_ptr<int64_t>(), positions.data_ptr<int64_t>(), K * m, stream);
    });
  const int64_t total = scan_total(positions, counts);
  TORCH_CHECK(total <= kMaxInt32, kOp, ": ", total, " pairs exceed 2^31 - 1 (int32 indices)");
  auto in_index = at::empty({total}, i32), out_index = at::empty({total}, i32);
  auto offset_ptr = at::empty({K + 1}, i32);
  C10_CUDA_CHECK(launch_fill_pairs(out_coords.data_ptr<int32_t>(), m, g, sorted_keys.data_ptr<int64_t>(),
                                   sorted_rows.data_ptr<int32_t>(), n, positions.data_ptr<int64_t>(),
                                   in_index.data_ptr<int32_t>(), out_index.data_ptr<int32_t>(), stream));
  C10_CUDA_CHECK(launch_offset_ptr(positions.data_ptr<int64_t>(), K, m, total, offset_ptr.data_ptr<int32_t>(), stream));
  return {out_coords, in_index, out_index, offset_ptr};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) { m.impl("sparse_kernel_map", &forward_cuda); }

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
