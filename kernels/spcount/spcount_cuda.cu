// spcount CUDA kernel (torch-free): one thread per entry, atomicAdd of 1 on its count (integer
// sums: deterministic). Entries outside [0, num) are skipped (the binding has already refused
// entries >= num).
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "spcount/spcount_cuda.h"

namespace ascend_ops {
namespace spcount {
namespace {

constexpr int kThreads = 256;

template <typename Index>
__global__ void count_kernel(const Index* __restrict__ idx, int64_t N, int64_t num, int32_t* __restrict__ out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < N;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t m = idx[i];
    if (m >= 0 && m < num) atomicAdd(out + m, 1);
  }
}

}  // namespace

cudaError_t launch_count(const void* idx, bool idx_int64, int64_t N, int64_t num, int32_t* out, cudaStream_t stream) {
  if (idx_int64) return launch_over(count_kernel<int64_t>, N, kThreads, stream, static_cast<const int64_t*>(idx), N, num, out);
  return launch_over(count_kernel<int32_t>, N, kThreads, stream, static_cast<const int32_t*>(idx), N, num, out);
}

}  // namespace spcount
}  // namespace ascend_ops
