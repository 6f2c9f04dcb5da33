// spvoxelize CUDA kernels (torch-free). Forward: one thread per (point, channel), channel fastest
// (coalesced reads), atomicAdd of the share into a float32 / float64 accumulator: sums may differ
// in the last bits from run to run (the CPU kernel is deterministic). Backward: one thread per
// (point, channel), a gather. Points outside [0, M) or in a voxel of count <= 0 are skipped.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "spvoxelize/spvoxelize_cuda.h"

namespace ascend_ops {
namespace spvoxelize {
namespace {

constexpr int kThreads = 256;

template <typename T, typename Index>
__global__ void forward_kernel(const T* __restrict__ feats, const Index* __restrict__ idx,
                               const int64_t* __restrict__ counts, int64_t N, int64_t M, int64_t C,
                               acc_t<T>* __restrict__ acc) {
  using A = acc_t<T>;
  const int64_t total = N * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / C, c = e - i * C;
    const int64_t m = idx[i];
    if (m < 0 || m >= M || counts[m] <= 0) continue;
    atomicAdd(acc + m * C + c, to_acc<A>(feats[e]) / static_cast<A>(counts[m]));
  }
}

template <typename T, typename Index>
__global__ void backward_kernel(const T* __restrict__ grad_out, const Index* __restrict__ idx,
                                const int64_t* __restrict__ counts, int64_t N, int64_t M, int64_t C,
                                T* __restrict__ grad_feats) {
  using A = acc_t<T>;
  const int64_t total = N * C;
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < total;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = e / C, c = e - i * C;
    const int64_t m = idx[i];
    const bool skip = m < 0 || m >= M || counts[m] <= 0;
    grad_feats[e] = from_acc<T>(skip ? A(0) : to_acc<A>(grad_out[m * C + c]) / static_cast<A>(counts[m]));
  }
}

}  // namespace

cudaError_t launch_forward(ElementType type, const void* feats, const void* idx, bool idx_int64, const int64_t* counts,
                           int64_t N, int64_t M, int64_t C, void* acc, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* f = static_cast<const T*>(feats);
    acc_t<T>* a = static_cast<acc_t<T>*>(acc);
    if (idx_int64)
      return launch_over(forward_kernel<T, int64_t>, N * C, kThreads, stream, f, static_cast<const int64_t*>(idx),
                         counts, N, M, C, a);
    return launch_over(forward_kernel<T, int32_t>, N * C, kThreads, stream, f, static_cast<const int32_t*>(idx),
                       counts, N, M, C, a);
  });
}

cudaError_t launch_backward(ElementType type, const void* grad_out, const void* idx, bool idx_int64,
                            const int64_t* counts, int64_t N, int64_t M, int64_t C, void* grad_feats,
                            cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* g = static_cast<const T*>(grad_out);
    T* out = static_cast<T*>(grad_feats);
    if (idx_int64)
      return launch_over(backward_kernel<T, int64_t>, N * C, kThreads, stream, g, static_cast<const int64_t*>(idx),
                         counts, N, M, C, out);
    return launch_over(backward_kernel<T, int32_t>, N * C, kThreads, stream, g, static_cast<const int32_t*>(idx),
                       counts, N, M, C, out);
  });
}

}  // namespace spvoxelize
}  // namespace ascend_ops
