// msmv_sampling CUDA launchers (defined in msmv_sampling_cuda.cu, called by
// msmv_sampling_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream.
// All tensors are contiguous; `feat`, `loc`, `weights`, `out` have element type `type`;
// gradients and grad_out are buffers of the accumulation type acc_t of `type` (float32; float64
// when type is kFloat64) that the caller zero-fills (the backward accumulates).
#pragma once
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "msmv_sampling/msmv_sampling_math.h"

namespace ascend_ops {
namespace msmv_sampling {

// out [B, Q, C, P] = msmv sampling of feat [B, N, num_feat, C] (see the math header).
cudaError_t launch_forward(ElementType type, const void* feat, const int* spatial_shapes,
                           const int* level_start_index, const void* loc, const void* weights, void* out,
                           const Dims& d, cudaStream_t stream);

// Adds the gradients for grad_out [B, Q, C, P] (accumulation type) into grad_feat [B, N, num_feat, C],
// grad_loc [B, Q, P, 3] (the view component stays 0) and grad_weights [B, Q, P, L] (all in the accumulation type).
cudaError_t launch_backward(ElementType type, const void* feat, const int* spatial_shapes,
                            const int* level_start_index, const void* loc, const void* weights,
                            const void* grad_out, void* grad_feat, void* grad_loc, void* grad_weights,
                            const Dims& d, cudaStream_t stream);

}  // namespace msmv_sampling
}  // namespace ascend_ops
