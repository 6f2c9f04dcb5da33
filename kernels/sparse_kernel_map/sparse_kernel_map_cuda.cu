// sparse_kernel_map CUDA kernels (torch-free; launched from the binding). Sort-based: the input
// keys are radix-sorted with their rows (stable), lookups are binary searches of that array, the
// output sites of modes 1 / 2 are the sorted distinct candidate keys, and the pairs are written at
// the exclusive sum of per-(k, output row) counts, so their order is the contract's canonical one
// (k, then output row, then input row) with no atomics in the result. The geometry is
// sparse_kernel_map_math.h's, shared with the CPU kernel.
#include <cub/cub.cuh>
#include <algorithm>
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "sparse_kernel_map/sparse_kernel_map_cuda.h"
#include "sparse_kernel_map/sparse_kernel_map_math.h"

namespace ascend_ops {
namespace sparse_kernel_map {
namespace {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t grid_index() {
  return blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
}
__device__ __forceinline__ int64_t grid_stride() { return static_cast<int64_t>(gridDim.x) * blockDim.x; }

// First position in sorted[0, n) whose key is >= key.
__device__ int64_t lower_bound(const int64_t* __restrict__ sorted, int64_t n, int64_t key) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (sorted[mid] < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

__global__ void key_rows_kernel(const int32_t* __restrict__ coords, int64_t n, Geometry g, int64_t* __restrict__ keys,
                                int32_t* __restrict__ rows, unsigned long long* first_bad) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    const int64_t b = coords[4 * i], z = coords[4 * i + 1], y = coords[4 * i + 2], x = coords[4 * i + 3];
    const bool inside = b >= 0 && b < g.batch && z >= 0 && z < g.in_shape[0] && y >= 0 && y < g.in_shape[1] &&
                        x >= 0 && x < g.in_shape[2];
    if (!inside) atomicMin(first_bad, static_cast<unsigned long long>(i));
    keys[i] = inside ? encode_key(b, z, y, x, g.in_shape) : 0;
    rows[i] = static_cast<int32_t>(i);
  }
}

__global__ void first_duplicate_kernel(const int64_t* __restrict__ keys, const int32_t* __restrict__ rows, int64_t n,
                                       unsigned long long* first_dup) {
  for (int64_t j = grid_index() + 1; j < n; j += grid_stride())
    if (keys[j] == keys[j - 1]) atomicMin(first_dup, static_cast<unsigned long long>(rows[j]));
}

// Calls f(output key) for every output site reached from input row i (modes 1, 2).
template <typename F>
__device__ void for_each_output(const int32_t* coords, int64_t i, const Geometry& g, F f) {
  const int64_t b = coords[4 * i], z = coords[4 * i + 1], y = coords[4 * i + 2], x = coords[4 * i + 3];
  for (int64_t kz = 0; kz < g.kernel[0]; ++kz) {
    const int64_t oz = output_coord(g, 0, z, kz);
    if (oz < 0) continue;
    for (int64_t ky = 0; ky < g.kernel[1]; ++ky) {
      const int64_t oy = output_coord(g, 1, y, ky);
      if (oy < 0) continue;
      for (int64_t kx = 0; kx < g.kernel[2]; ++kx) {
        const int64_t ox = output_coord(g, 2, x, kx);
        if (ox >= 0) f(encode_key(b, oz, oy, ox, g.out_shape));
      }
    }
  }
}

__global__ void count_outputs_kernel(const int32_t* __restrict__ coords, int64_t n, Geometry g,
                                     int64_t* __restrict__ counts) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    int64_t c = 0;
    for_each_output(coords, i, g, [&](int64_t) { ++c; });
    counts[i] = c;
  }
}

__global__ void write_outputs_kernel(const int32_t* __restrict__ coords, int64_t n, Geometry g,
                                     const int64_t* __restrict__ offsets, int64_t* __restrict__ cand) {
  for (int64_t i = grid_index(); i < n; i += grid_stride()) {
    int64_t at = offsets[i];
    for_each_output(coords, i, g, [&](int64_t key) { cand[at++] = key; });
  }
}

__global__ void decode_kernel(const int64_t* __restrict__ keys, int64_t m, Geometry g, int32_t* __restrict__ out) {
  for (int64_t o = grid_index(); o < m; o += grid_stride()) {
    int64_t site[4];
    decode_key(keys[o], g.out_shape, site);
    for (int j = 0; j < 4; ++j) out[4 * o + j] = static_cast<int32_t>(site[j]);
  }
}

// Input-grid key read by output row o through offset k, or -1.
__device__ int64_t pair_key(const int32_t* out_coords, int64_t o, int64_t k, const Geometry& g) {
  const int64_t site[4] = {out_coords[4 * o], out_coords[4 * o + 1], out_coords[4 * o + 2], out_coords[4 * o + 3]};
  return input_key(g, site, offset_rule(g, k));
}

__global__ void count_pairs_kernel(const int32_t* __restrict__ out_coords, int64_t m, Geometry g,
                                   const int64_t* __restrict__ sorted_keys, int64_t n, int64_t* __restrict__ counts) {
  const int64_t total = g.num_offsets * m;
  for (int64_t e = grid_index(); e < total; e += grid_stride()) {
    const int64_t key = pair_key(out_coords, e % m, e / m, g);
    int64_t c = 0;
    if (key >= 0) {
      const int64_t lo = lower_bound(sorted_keys, n, key);
      for (int64_t j = lo; j < n && sorted_keys[j] == key; ++j) ++c;
    }
    counts[e] = c;
  }
}

__global__ void fill_pairs_kernel(const int32_t* __restrict__ out_coords, int64_t m, Geometry g,
                                  const int64_t* __restrict__ sorted_keys, const int32_t* __restrict__ sorted_rows,
                                  int64_t n, const int64_t* __restrict__ positions, int32_t* __restrict__ in_index,
                                  int32_t* __restrict__ out_index) {
  const int64_t total = g.num_offsets * m;
  for (int64_t e = grid_index(); e < total; e += grid_stride()) {
    const int64_t o = e % m;
    const int64_t key = pair_key(out_coords, o, e / m, g);
    if (key < 0) continue;
    int64_t at = positions[e];
    for (int64_t j = lower_bound(sorted_keys, n, key); j < n && sorted_keys[j] == key; ++j, ++at) {
      in_index[at] = sorted_rows[j];
      out_index[at] = static_cast<int32_t>(o);
    }
  }
}

__global__ void offset_ptr_kernel(const int64_t* __restrict__ positions, int64_t K, int64_t m, int64_t total,
                                  int32_t* __restrict__ offset_ptr) {
  for (int64_t k = grid_index(); k <= K; k += grid_stride())
    offset_ptr[k] = static_cast<int32_t>(k < K && m > 0 ? positions[k * m] : (k < K ? 0 : total));
}

template <typename Kernel, typename... Args>
cudaError_t launch(Kernel kernel, int64_t n, cudaStream_t stream, Args... args) {
  if (n <= 0) return cudaSuccess;
  const int64_t blocks = std::min<int64_t>((n + kThreads - 1) / kThreads, int64_t(1) << 16);
  kernel<<<static_cast<unsigned int>(blocks), kThreads, 0, stream>>>(args...);
  return cudaGetLastError();
}

using Key = unsigned long long;   // non-negative int64 keys sorted as unsigned

}  // namespace

cudaError_t launch_key_rows(const int32_t* coords, int64_t n, const Geometry& g, int64_t* keys, int32_t* rows,
                            unsigned long long* first_bad, cudaStream_t stream) {
  return launch(key_rows_kernel, n, stream, coords, n, g, keys, rows, first_bad);
}

cudaError_t sort_pairs(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out,
                       const int32_t* rows_in, int32_t* rows_out, int64_t n, int end_bit, cudaStream_t stream) {
  return cub::DeviceRadixSort::SortPairs(temp, temp_bytes, reinterpret_cast<const Key*>(keys_in),
                                         reinterpret_cast<Key*>(keys_out), rows_in, rows_out, static_cast<int>(n), 0,
                                         end_bit, stream);
}

cudaError_t sort_keys(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out, int64_t n,
                      int end_bit, cudaStream_t stream) {
  return cub::DeviceRadixSort::SortKeys(temp, temp_bytes, reinterpret_cast<const Key*>(keys_in),
                                        reinterpret_cast<Key*>(keys_out), static_cast<int>(n), 0, end_bit, stream);
}

cudaError_t unique_keys(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out, int64_t* num_out,
                        int64_t n, cudaStream_t stream) {
  return cub::DeviceSelect::Unique(temp, temp_bytes, keys_in, keys_out, num_out, static_cast<int>(n), stream);
}

cudaError_t exclusive_sum(void* temp, size_t& temp_bytes, const int64_t* in, int64_t* out, int64_t n,
                          cudaStream_t stream) {
  return cub::DeviceScan::ExclusiveSum(temp, temp_bytes, in, out, static_cast<int>(n), stream);
}

cudaError_t launch_first_duplicate(const int64_t* sorted_keys, const int32_t* sorted_rows, int64_t n,
                                   unsigned long long* first_dup, cudaStream_t stream) {
  return launch(first_duplicate_kernel, n, stream, sorted_keys, sorted_rows, n, first_dup);
}

cudaError_t launch_count_outputs(const int32_t* coords, int64_t n, const Geometry& g, int64_t* counts,
                                 cudaStream_t stream) {
  return launch(count_outputs_kernel, n, stream, coords, n, g, counts);
}

cudaError_t launch_write_outputs(const int32_t* coords, int64_t n, const Geometry& g, const int64_t* offsets,
                                 int64_t* cand, cudaStream_t stream) {
  return launch(write_outputs_kernel, n, stream, coords, n, g, offsets, cand);
}

cudaError_t launch_decode(const int64_t* keys, int64_t m, const Geometry& g, int32_t* out_coords,
                          cudaStream_t stream) {
  return launch(decode_kernel, m, stream, keys, m, g, out_coords);
}

cudaError_t launch_count_pairs(const int32_t* out_coords, int64_t m, const Geometry& g, const int64_t* sorted_keys,
                               int64_t n, int64_t* counts, cudaStream_t stream) {
  return launch(count_pairs_kernel, g.num_offsets * m, stream, out_coords, m, g, sorted_keys, n, counts);
}

cudaError_t launch_fill_pairs(const int32_t* out_coords, int64_t m, const Geometry& g, const int64_t* sorted_keys,
                              const int32_t* sorted_rows, int64_t n, const int64_t* positions, int32_t* in_index,
                              int32_t* out_index, cudaStream_t stream) {
  return launch(fill_pairs_kernel, g.num_offsets * m, stream, out_coords, m, g, sorted_keys, sorted_rows, n, positions,
                in_index, out_index);
}

cudaError_t launch_offset_ptr(const int64_t* positions, int64_t K, int64_t m, int64_t total, int32_t* offset_ptr,
                              cudaStream_t stream) {
  return launch(offset_ptr_kernel, K + 1, stream, positions, K, m, total, offset_ptr);
}

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
