// sparse_gather / sparse_scatter_add / sparse_max_pool CUDA launchers (defined in
// sparse_gather_scatter_cuda.cu, called by sparse_gather_scatter_cuda_binding.cpp). Torch-free:
// raw pointers, sizes and a stream; every tensor contiguous.
//
// Index values are checked by the kernels where they read them: an entry outside its range is
// skipped (never an out-of-bounds access) and sets `*error` (int32, zeroed by the caller) to
// kBadFirstIndex (index / in_index) or kBadSecondIndex (out_index); the binding raises then.
// Scatter sums use atomicAdd in acc_t (float32 for float32 / float16 / bfloat16, float64 for
// float64): not bitwise deterministic on CUDA (the op specs say so). The max pool is
// deterministic: the max through atomicMax on order-preserving integer keys of the values, the
// winner (first pair attaining the max) through atomicMin on the pair number.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "common/cuda_utils.h"
#include "sparse_gather_scatter/sparse_gather_scatter_math.h"

namespace ascend_ops {
namespace sparse_gather_scatter {

enum class IndexType : int { kInt32 = 0, kInt64 = 1 };
constexpr int32_t kBadFirstIndex = 1;
constexpr int32_t kBadSecondIndex = 2;

// out [P, C] = src [rows, C] at index [P] (rows of C words of elem_bytes = 2, 4 or 8 bytes).
cudaError_t launch_gather(const void* src, size_t elem_bytes, int64_t rows, int64_t C, const void* index,
                          IndexType index_type, int64_t P, void* out, int32_t* error, cudaStream_t stream);

// acc [num_rows, C] (acc_t of `type`, zero-filled) += values [P, C] (element type `type`) at
// rows index [P].
cudaError_t launch_scatter_add(ElementType type, const void* values, int64_t C, const void* index,
                               IndexType index_type, int64_t P, int64_t num_rows, void* acc, int32_t* error,
                               cudaStream_t stream);

// keys [num_out, C] (uint32 for float32 / float16 / bfloat16, uint64 for float64; zero-filled:
// key 0 = no pair) = the max over the pairs p of out row o of the order-preserving key of
// features[in_index[p], c] (NaN the largest; -0.0 keyed as +0.0).
cudaError_t launch_max_pool_keys(ElementType type, const void* features, int64_t N, int64_t C, const void* in_index,
                                 const void* out_index, IndexType index_type, int64_t P, int64_t num_out, void* keys,
                                 int32_t* error, cudaStream_t stream);

// out [num_out, C] (element type `type`) = the value of each key (0 for key 0).
cudaError_t launch_max_pool_decode(ElementType type, const void* keys, int64_t num_out, int64_t C, void* out,
                                   cudaStream_t stream);

// winner [num_out, C] (uint64, every bit set by the caller = no pair) = the smallest p of out
// row o whose value's key equals keys[o, c] (index values already checked by launch_max_pool_keys).
cudaError_t launch_max_pool_winners(ElementType type, const void* features, int64_t C, const void* in_index,
                                    const void* out_index, IndexType index_type, int64_t P, const void* keys,
                                    unsigned long long* winner, cudaStream_t stream);

// acc [N, C] (acc_t of `type`, zero-filled) [in_index[w], c] += grad [num_out, C] [o, c] for
// each winner w = winner[o, c] < P.
cudaError_t launch_max_pool_grad(ElementType type, const void* grad, int64_t C, const void* in_index,
                                 IndexType index_type, int64_t P, int64_t num_out,
                                 const unsigned long long* winner, void* acc, cudaStream_t stream);

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
