// sparse2bev CUDA launchers (defined in sparse2bev_cuda.cu, called by sparse2bev_cuda_binding.cpp).
// Torch-free: raw pointers, sizes and a stream. All tensors are contiguous.
#pragma once
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "sparse2bev/sparse2bev_math.h"

namespace ascend_ops {
namespace sparse2bev {

// Adds features [M, C] (element type `type`) into acc [B, C, Y, X] (float64 for float64 input,
// else float32; zero-filled by the caller) with atomicAdd and sets mask [B, Y, X] (int32,
// zero-filled) to 1 at occupied cells. `coors` [M, 4] is int32 (coors_int64 false) or int64.
// A voxel with a coordinate out of range is skipped and `first_bad` (one unsigned long long,
// set to ULLONG_MAX by the caller) receives the smallest such voxel index (atomicMin).
cudaError_t launch_forward(ElementType type, const void* features, const void* coors, bool coors_int64, void* acc,
                           int* mask, unsigned long long* first_bad, const Dims& d, cudaStream_t stream);

// grad_features [M, C] = grad_bev [B, C, Y, X] gathered at each voxel's cell (element type
// `type` for both; grad_features zero-filled by the caller); rows of out-of-range voxels stay
// zero and are reported through `first_bad`.
cudaError_t launch_backward(ElementType type, const void* grad_bev, const void* coors, bool coors_int64,
                            void* grad_features, unsigned long long* first_bad, const Dims& d, cudaStream_t stream);

}  // namespace sparse2bev
}  // namespace ascend_ops
