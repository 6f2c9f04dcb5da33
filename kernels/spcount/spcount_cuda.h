// spcount CUDA launcher (defined in spcount_cuda.cu, called by spcount_cuda_binding.cpp).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace ascend_ops {
namespace spcount {

// out[m] += 1 for every idx[i] == m in [0, num) (int32 [num], zero-filled by the caller);
// idx int32 (idx_int64 false) or int64 [N]; other entries are skipped.
cudaError_t launch_count(const void* idx, bool idx_int64, int64_t N, int64_t num, int32_t* out, cudaStream_t stream);

}  // namespace spcount
}  // namespace ascend_ops
