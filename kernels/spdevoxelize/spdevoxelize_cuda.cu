// spdevoxelize CUDA kernels (torch-free).
// Forward: one thread per (point, channel), channel fastest; the K corners summed in order in
// acc_t (deterministic). Backward, feats: one thread per (point, channel) adds weights[n, k] *
// grad_out[n, c] into the voxel rows with atomicAdd (float32 / float64 accumulator: the last
// bits may vary run to run; the CPU kernel is the deterministic one). Unlike torchsparse's CPU
// backward (torchsparse@385f5ce backend/devoxelize/devoxelize_cpu.cpp:43-55) it reads the point's
// own gradient row and skips missing corners. Backward, weights: one thread per (point, corner),
// a dot product over the channels. Indices outside [0, M) are skipped (never read or written).
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "spdevoxelize/spdevoxelize_cuda.h"

namespace ascend_ops {
namespace spdevoxelize {
namespace {

constexpr int kThreads = 256;

#define AO_GRID_STRIDE(e, total)                                                         \
  for (int64_t e = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; e < (total); \
       e += static_cast<int64_t>(gridDim.x) * blockDim.x)

template <typename T, typename Index>
__global__ void forward_kernel(const T* __restrict__ feats, const Index* __restrict__ indices,
                               const T* __restrict__ weights, int64_t M, int64_t N, int64_t K, int64_t C,
                               T* __restrict__ out) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, N * C) {
    const int64_t n = e / C, c = e - n * C;
    A acc = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int64_t m = indices[n * K + k];
      if (m < 0 || m >= M) continue;
      acc += to_acc<A>(weights[n * K + k]) * to_acc<A>(feats[m * C + c]);
    }
    out[e] = from_acc<T>(acc);
  }
}

template <typename T, typename Index>
__global__ void grad_feats_kernel(const T* __restrict__ grad_out, const Index* __restrict__ indices,
                                  const T* __restrict__ weights, int64_t M, int64_t N, int64_t K, int64_t C,
                                  acc_t<T>* __restrict__ grad_feats) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, N * C) {
    const int64_t n = e / C, c = e - n * C;
    const A g = to_acc<A>(grad_out[e]);
    for (int64_t k = 0; k < K; ++k) {
      const int64_t m = indices[n * K + k];
      if (m < 0 || m >= M) continue;
      atomicAdd(grad_feats + m * C + c, to_acc<A>(weights[n * K + k]) * g);
    }
  }
}

template <typename T, typename Index>
__global__ void grad_weights_kernel(const T* __restrict__ grad_out, const T* __restrict__ feats,
                                    const Index* __restrict__ indices, int64_t M, int64_t N, int64_t K, int64_t C,
                                    T* __restrict__ grad_weights) {
  using A = acc_t<T>;
  AO_GRID_STRIDE(e, N * K) {
    const int64_t n = e / K, m = indices[e];
    A acc = 0;
    if (m >= 0 && m < M)
      for (int64_t c = 0; c < C; ++c) acc += to_acc<A>(grad_out[n * C + c]) * to_acc<A>(feats[m * C + c]);
    grad_weights[e] = from_acc<T>(acc);
  }
}

template <typename T, typename Index>
cudaError_t backward_typed(const void* grad_out, const void* feats, const void* indices, const void* weights,
                           int64_t M, int64_t N, int64_t K, int64_t C, void* grad_feats_acc, void* grad_weights,
                           cudaStream_t stream) {
  const T* g = static_cast<const T*>(grad_out);
  const Index* idx = static_cast<const Index*>(indices);
  const T* w = static_cast<const T*>(weights);
  cudaError_t err = launch_over(grad_feats_kernel<T, Index>, N * C, kThreads, stream, g, idx, w, M, N, K, C,
                                static_cast<acc_t<T>*>(grad_feats_acc));
  if (err != cudaSuccess) return err;
  return launch_over(grad_weights_kernel<T, Index>, N * K, kThreads, stream, g, static_cast<const T*>(feats), idx, M,
                     N, K, C, static_cast<T*>(grad_weights));
}

}  // namespace

cudaError_t launch_forward(ElementType type, const void* feats, const void* indices, bool indices_int64,
                           const void* weights, int64_t M, int64_t N, int64_t K, int64_t C, void* out,
                           cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* f = static_cast<const T*>(feats);
    const T* w = static_cast<const T*>(weights);
    T* o = static_cast<T*>(out);
    if (indices_int64)
      return launch_over(forward_kernel<T, int64_t>, N * C, kThreads, stream, f,
                         static_cast<const int64_t*>(indices), w, M, N, K, C, o);
    return launch_over(forward_kernel<T, int32_t>, N * C, kThreads, stream, f, static_cast<const int32_t*>(indices),
                       w, M, N, K, C, o);
  });
}

cudaError_t launch_backward(ElementType type, const void* grad_out, const void* feats, const void* indices,
                            bool indices_int64, const void* weights, int64_t M, int64_t N, int64_t K, int64_t C,
                            void* grad_feats_acc, void* grad_weights, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return indices_int64 ? backward_typed<T, int64_t>(grad_out, feats, indices, weights, M, N, K, C, grad_feats_acc,
                                                      grad_weights, stream)
                         : backward_typed<T, int32_t>(grad_out, feats, indices, weights, M, N, K, C, grad_feats_acc,
                                                      grad_weights, stream);
  });
}

}  // namespace spdevoxelize
}  // namespace ascend_ops
