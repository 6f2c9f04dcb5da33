// sparse_kernel_map CUDA launchers (defined in sparse_kernel_map_cuda.cu, called by
// sparse_kernel_map_cuda_binding.cpp). Torch-free: raw pointers, sizes, a stream; every tensor
// contiguous. Sort-based (CUB radix sorts, scans and unique), so the canonical order of the
// contract comes out of the sorts:
//   launch_key_rows       input keys + rows 0..N-1; first_bad = min row outside the grid (preset N)
//   sort_pairs            (key, row) sorted by key, stable: equal keys keep ascending rows
//   launch_first_duplicate  min row whose key equals its predecessor's in the sorted order
//   modes 1 / 2:
//     launch_count_outputs  output candidates per input row; exclusive_sum -> offsets, total
//     launch_write_outputs  the candidate output keys; sort_keys + unique_keys -> output keys
//     launch_decode         output keys -> out_coords int32 [M, 4]
//   launch_count_pairs    per (k, output row), k-major: the input rows with the key it reads
//                         (binary search of the sorted input keys); exclusive_sum -> positions
//   launch_fill_pairs     in_index / out_index at those positions; launch_offset_ptr
// The CUB calls follow CUB's two-phase convention: with temp == nullptr they only set temp_bytes.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "sparse_kernel_map/sparse_kernel_map_math.h"

namespace ascend_ops {
namespace sparse_kernel_map {

// coords int32 [n, 4] -> keys int64 [n] on the input grid, rows int32 [n] = 0..n-1.
cudaError_t launch_key_rows(const int32_t* coords, int64_t n, const Geometry& g, int64_t* keys, int32_t* rows,
                            unsigned long long* first_bad, cudaStream_t stream);

// Stable sort of (keys, rows) by the low end_bit bits of the (non-negative) keys.
cudaError_t sort_pairs(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out,
                       const int32_t* rows_in, int32_t* rows_out, int64_t n, int end_bit, cudaStream_t stream);

// Sort of non-negative keys by their low end_bit bits.
cudaError_t sort_keys(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out, int64_t n,
                      int end_bit, cudaStream_t stream);

// Distinct runs of sorted keys; num_out int64 [1] (device).
cudaError_t unique_keys(void* temp, size_t& temp_bytes, const int64_t* keys_in, int64_t* keys_out, int64_t* num_out,
                        int64_t n, cudaStream_t stream);

// out[i] = sum of in[0..i), for n items.
cudaError_t exclusive_sum(void* temp, size_t& temp_bytes, const int64_t* in, int64_t* out, int64_t n,
                          cudaStream_t stream);

// first_dup (preset n): the smallest row of sorted_rows whose key repeats the previous key.
cudaError_t launch_first_duplicate(const int64_t* sorted_keys, const int32_t* sorted_rows, int64_t n,
                                   unsigned long long* first_dup, cudaStream_t stream);

// counts int64 [n]: output sites reached from input row i (modes 1, 2).
cudaError_t launch_count_outputs(const int32_t* coords, int64_t n, const Geometry& g, int64_t* counts,
                                 cudaStream_t stream);

// Candidate output keys of row i at cand[offsets[i]...].
cudaError_t launch_write_outputs(const int32_t* coords, int64_t n, const Geometry& g, const int64_t* offsets,
                                 int64_t* cand, cudaStream_t stream);

// out_coords int32 [m, 4] of output keys [m].
cudaError_t launch_decode(const int64_t* keys, int64_t m, const Geometry& g, int32_t* out_coords,
                          cudaStream_t stream);

// counts int64 [K * m] (k-major): input rows paired with output row o through offset k.
cudaError_t launch_count_pairs(const int32_t* out_coords, int64_t m, const Geometry& g, const int64_t* sorted_keys,
                               int64_t n, int64_t* counts, cudaStream_t stream);

// in_index / out_index at positions (exclusive sum of launch_count_pairs' counts).
cudaError_t launch_fill_pairs(const int32_t* out_coords, int64_t m, const Geometry& g, const int64_t* sorted_keys,
                              const int32_t* sorted_rows, int64_t n, const int64_t* positions, int32_t* in_index,
                              int32_t* out_index, cudaStream_t stream);

// offset_ptr int32 [K + 1]: positions[k * m] for k < K, and total at K.
cudaError_t launch_offset_ptr(const int64_t* positions, int64_t K, int64_t m, int64_t total, int32_t* offset_ptr,
                              cudaStream_t stream);

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
