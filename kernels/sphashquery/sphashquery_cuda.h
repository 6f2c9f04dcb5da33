// sphashquery CUDA launcher (defined in sphashquery_cuda.cu, called by
// sphashquery_cuda_binding.cpp). Torch-free: raw pointers, sizes, a stream.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace ascend_ops {
namespace sphashquery {

// out[q] = the smallest r with references[r] == queries[q], else -1 (int64 keys, R >= 1).
// Work buffers from the caller: sorted_keys and order, int64 [R] each. The references are sorted
// stably with their rows (thrust, on `stream`), then each query binary-searches the first equal
// key: deterministic, the first of equal references wins (as the CPU kernel and the reference).
cudaError_t launch_query(const int64_t* references, int64_t R, const int64_t* queries, int64_t Q,
                         int64_t* sorted_keys, int64_t* order, int64_t* out, cudaStream_t stream);

}  // namespace sphashquery
}  // namespace ascend_ops
