// sphash / sphash_kernel CUDA launchers (defined in sphash_cuda.cu, called by
// sphash_cuda_binding.cpp). Torch-free: raw pointers, sizes, a stream; contiguous tensors.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace ascend_ops {
namespace sphash {

// out[i] = hash of coords[i] (int32 [N, 4]) -> int64 [N].
cudaError_t launch_hash(const int32_t* coords, int64_t N, int64_t* out, cudaStream_t stream);

// out[k, i] = hash of coords[i] with offsets[k] (int32 [K, 3]) added to columns 1..3 -> int64 [K, N].
cudaError_t launch_kernel_hash(const int32_t* coords, const int32_t* offsets, int64_t N, int64_t K, int64_t* out,
                               cudaStream_t stream);

}  // namespace sphash
}  // namespace ascend_ops
