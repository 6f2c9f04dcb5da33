// spvoxelize CUDA launchers (defined in spvoxelize_cuda.cu, called by spvoxelize_cuda_binding.cpp).
// Torch-free: raw pointers, sizes, a stream; contiguous tensors; counts int64 [M] (widened by
// the binding); idx int32 (idx_int64 false) or int64 [N], already checked < M.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "common/cuda_utils.h"

namespace ascend_ops {
namespace spvoxelize {

// acc [M, C] (float64 for float64 feats, else float32; zero-filled by the caller) +=
// feats[i] / counts[idx[i]] for every point with idx[i] >= 0 and counts[idx[i]] > 0 (atomicAdd).
cudaError_t launch_forward(ElementType type, const void* feats, const void* idx, bool idx_int64, const int64_t* counts,
                           int64_t N, int64_t M, int64_t C, void* acc, cudaStream_t stream);

// grad_feats [N, C] (feats' element type) = grad_out[idx[i]] / counts[idx[i]], 0 for skipped points.
cudaError_t launch_backward(ElementType type, const void* grad_out, const void* idx, bool idx_int64,
                            const int64_t* counts, int64_t N, int64_t M, int64_t C, void* grad_feats,
                            cudaStream_t stream);

}  // namespace spvoxelize
}  // namespace ascend_ops
