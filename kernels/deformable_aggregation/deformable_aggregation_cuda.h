// deformable_aggregation CUDA launchers (defined in deformable_aggregation_cuda.cu, called by
// deformable_aggregation_cuda_binding.cpp). Torch-free: raw pointers, sizes and a stream.
// All tensors are contiguous; `feat`, `loc`, `weights`, `out` have element type `type`;
// gradients and grad_out are buffers of the accumulation type acc_t of `type` (float32; float64
// when type is kFloat64) that the caller zero-fills (the backward accumulates).
#pragma once
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "deformable_aggregation/deformable_aggregation_math.h"

namespace ascend_ops {
namespace deformable_aggregation {

// out [bs, A, C] = deformable aggregation of feat [bs, num_feat, C] (see the math header).
cudaError_t launch_forward(ElementType type, const void* feat, const int* spatial_shape, const int* scale_start_index,
                           const void* loc, const void* weights, void* out, const Dims& d, cudaStream_t stream);

// Adds the gradients for grad_out [bs, A, C] (accumulation type) into grad_feat [bs, num_feat, C],
// grad_loc [bs, A, P, cams, 2] and grad_weights [bs, A, P, cams, scales, G] (all in the accumulation type).
cudaError_t launch_backward(ElementType type, const void* feat, const int* spatial_shape, const int* scale_start_index,
                            const void* loc, const void* weights, const void* grad_out, void* grad_feat,
                            void* grad_loc, void* grad_weights, const Dims& d, cudaStream_t stream);

}  // namespace deformable_aggregation
}  // namespace ascend_ops
