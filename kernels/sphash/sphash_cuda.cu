// sphash / sphash_kernel CUDA kernels (torch-free): one thread per output element, grid-stride;
// the hash itself is sphash_math.h's, shared with the CPU kernel. Deterministic.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "sphash/sphash_cuda.h"
#include "sphash/sphash_math.h"

namespace ascend_ops {
namespace sphash {
namespace {

constexpr int kThreads = 256;

__global__ void hash_kernel(const int32_t* __restrict__ coords, int64_t N, int64_t* __restrict__ out) {
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < N;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
    out[i] = hash_row(coords + 4 * i, 0, 0, 0);
}

__global__ void kernel_hash_kernel(const int32_t* __restrict__ coords, const int32_t* __restrict__ offsets, int64_t N,
                                   int64_t K, int64_t* __restrict__ out) {
  const int64_t total = N * K;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t k = e / N, i = e - k * N;
    const int32_t* d = offsets + 3 * k;
    out[e] = hash_row(coords + 4 * i, d[0], d[1], d[2]);
  }
}

}  // namespace

cudaError_t launch_hash(const int32_t* coords, int64_t N, int64_t* out, cudaStream_t stream) {
  return launch_over(hash_kernel, N, kThreads, stream, coords, N, out);
}

cudaError_t launch_kernel_hash(const int32_t* coords, const int32_t* offsets, int64_t N, int64_t K, int64_t* out,
                               cudaStream_t stream) {
  return launch_over(kernel_hash_kernel, N * K, kThreads, stream, coords, offsets, N, K, out);
}

}  // namespace sphash
}  // namespace ascend_ops
