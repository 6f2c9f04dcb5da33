// spdevoxelize CUDA launchers (defined in spdevoxelize_cuda.cu, called by
// spdevoxelize_cuda_binding.cpp). Torch-free: raw pointers, sizes, a stream; contiguous tensors;
// feats [M, C] and weights [N, K] of element type `type`; indices int32 (indices_int64 false) or
// int64 [N, K], already checked < M (negative = missing corner).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common/cuda_utils.h"

namespace ascend_ops {
namespace spdevoxelize {

// out [N, C] (element type) = sum over k of weights[n, k] * feats[indices[n, k]].
cudaError_t launch_forward(ElementType type, const void* feats, const void* indices, bool indices_int64,
                           const void* weights, int64_t M, int64_t N, int64_t K, int64_t C, void* out,
                           cudaStream_t stream);

// grad_feats_acc [M, C] (float64 for float64, else float32; zero-filled by the caller) +=
// weights[n, k] * grad_out[n] (atomicAdd); grad_weights [N, K] (element type) =
// <grad_out[n], feats[indices[n, k]]>, 0 for a missing corner.
cudaError_t launch_backward(ElementType type, const void* grad_out, const void* feats, const void* indices,
                            bool indices_int64, const void* weights, int64_t M, int64_t N, int64_t K, int64_t C,
                            void* grad_feats_acc, void* grad_weights, cudaStream_t stream);

}  // namespace spdevoxelize
}  // namespace ascend_ops
