// scatter_mean CUDA launchers (defined in scatter_mean_cuda.cu, called by
// scatter_mean_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream; every tensor
// contiguous. Deterministic, the same sums as the CPU kernel:
//   forward   key[i] = index[i] (dim_size for a bad index, flagged), count[key] += 1 (integer
//             atomics), a stable CUB radix sort of (key, i) groups the rows of each output row in
//             input order, an exclusive scan of count gives each group's start, and one thread
//             per (row, channel) sums its group in order in acc_t and divides (IEEE) by
//             max(1, count);
//   backward  count as above, then grad_src[i, c] = grad_out[index[i], c] / max(1, count).
// A bad index (outside [0, dim_size)) is never used to address memory: first_bad[0] gets the
// smallest such row (the caller initialises it to N and raises).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>

#include "common/cuda_utils.h"

namespace ascend_ops {
namespace scatter_mean {

enum class IndexType : int { kInt32 = 0, kInt64 = 1 };

// Work buffers of the forward, in bytes (the caller allocates them in one block, 256-byte aligned).
struct ForwardWork {
  size_t keys, sorted_keys, rows, sorted_rows, count, offsets, temp;
};
ForwardWork forward_work(int64_t N, int64_t dim_size);

// src [N, C] (type), index [N] (index_type) -> out [dim_size, C] (type). `work` holds
// forward_work(N, dim_size) bytes; first_bad int64 [1] = N on entry.
cudaError_t launch_forward(const void* src, ElementType type, const void* index, IndexType index_type, int64_t N,
                           int64_t C, int64_t dim_size, void* work, int64_t* first_bad, void* out,
                           cudaStream_t stream);

// grad_out [dim_size, C] (type) -> grad_src [N, C] (type). count int64 [dim_size + 1] zeroed by
// the caller; first_bad int64 [1] = N on entry.
cudaError_t launch_backward(const void* grad_out, ElementType type, const void* index, IndexType index_type,
                            int64_t N, int64_t C, int64_t dim_size, int64_t* count, int64_t* first_bad,
                            void* grad_src, cudaStream_t stream);

}  // namespace scatter_mean
}  // namespace ascend_ops
