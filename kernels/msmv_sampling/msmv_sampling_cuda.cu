// msmv_sampling CUDA kernels (torch-free; launched from the binding).
// Arithmetic in A = acc_t<T> (common/hd.h): float32 for float32, float16 and bfloat16, float64
// for float64.
// Forward: one thread per output element (b, q, p, c), c fastest (coalesced channels-last
// feature reads), calling forward_element: no atomics, the same accumulation order as the CPU
// kernel, deterministic.
// Backward: one thread per (b, q, p, c), c fastest, looping the levels; feature gradients are
// accumulated with atomicAdd in A. Weight and location gradients are summed over a warp's
// channels first when C is a multiple of 32 (every warp then holds one sample), else added per
// thread.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "msmv_sampling/msmv_sampling_cuda.h"
#include "msmv_sampling/msmv_sampling_math.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

constexpr int kThreads = 256;
constexpr int kWarp = 32;

template <typename T>
__global__ void forward_kernel(const T* __restrict__ feat, const int* __restrict__ shape,
                               const int* __restrict__ start, const T* __restrict__ loc,
                               const T* __restrict__ weights, T* __restrict__ out, Dims d) {
  const int64_t n = d.batch * d.queries * d.points * d.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % d.channels, sample = i / d.channels;
    const int64_t p = sample % d.points, row = sample / d.points;
    const int64_t q = row % d.queries, b = row / d.queries;
    out[output_index(d, b, q, c, p)] = from_acc<T>(forward_element(feat, shape, start, loc, weights, d, b, q, p, c));
  }
}

template <typename A>
__device__ __forceinline__ A warp_sum(A v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T, bool kWarpReduce, typename A = acc_t<T>>
__global__ void backward_kernel(const T* __restrict__ feat, const int* __restrict__ shape,
                                const int* __restrict__ start, const T* __restrict__ loc,
                                const T* __restrict__ weights, const A* __restrict__ grad_out,
                                A* grad_feat, A* grad_loc, A* grad_weights, Dims d) {
  const int64_t n = d.batch * d.queries * d.points * d.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // With kWarpReduce (C % 32 == 0) all lanes of a warp share (b, q, p): branches below are uniform.
    const int64_t c = i % d.channels, sample = i / d.channels;
    const int64_t p = sample % d.points, row = sample / d.points;
    const int64_t q = row % d.queries, b = row / d.queries;
    const int64_t li = location_index(d, b, q, p);
    const int64_t view = view_index(d, to_acc<A>(loc[li + 2]));
    if (view < 0) continue;
    const A x = to_acc<A>(loc[li]), y = to_acc<A>(loc[li + 1]);
    const A go = grad_out[output_index(d, b, q, c, p)];
    A gx_total = A(0), gy_total = A(0);
    for (int64_t l = 0; l < d.levels; ++l) {
      const int H = shape[2 * l], W = shape[2 * l + 1];
      Corners<A> k;
      if (!make_corners(x, y, H, W, start[l], d, b, view, k)) continue;
      const int64_t wi = weight_index(d, b, q, p, l);
      A feat_grad[4], gw = A(0), gx = A(0), gy = A(0);
      backward_element(feat, k, c, go, to_acc<A>(weights[wi]), feat_grad, gw, gx, gy);
#pragma unroll
      for (int j = 0; j < 4; ++j)
        if (k.valid[j]) atomicAdd(grad_feat + k.offset[j] + c, feat_grad[j]);
      gx_total += static_cast<A>(W - 1) * gx;
      gy_total += static_cast<A>(H - 1) * gy;
      if (kWarpReduce) {
        gw = warp_sum(gw);
        if ((threadIdx.x & (kWarp - 1)) == 0) atomicAdd(grad_weights + wi, gw);
      } else {
        atomicAdd(grad_weights + wi, gw);
      }
    }
    if (kWarpReduce) {
      gx_total = warp_sum(gx_total);
      gy_total = warp_sum(gy_total);
      if ((threadIdx.x & (kWarp - 1)) != 0) continue;
    }
    atomicAdd(grad_loc + li, gx_total);
    atomicAdd(grad_loc + li + 1, gy_total);
  }
}

template <typename T>
cudaError_t forward_typed(const void* feat, const int* shape, const int* start, const void* loc, const void* weights,
                          void* out, const Dims& d, cudaStream_t stream) {
  return launch_over(forward_kernel<T>, d.batch * d.queries * d.points * d.channels, kThreads, stream,
                     static_cast<const T*>(feat), shape, start, static_cast<const T*>(loc),
                     static_cast<const T*>(weights), static_cast<T*>(out), d);
}

template <typename T>
cudaError_t backward_typed(const void* feat, const int* shape, const int* start, const void* loc,
                           const void* weights, const void* grad_out, void* grad_feat, void* grad_loc,
                           void* grad_weights, const Dims& d, cudaStream_t stream) {
  using A = acc_t<T>;
  if (d.levels == 0) return cudaSuccess;
  // Warp-level sums need every warp to hold one (b, q, p) sample: C a multiple of 32.
  const auto kernel = d.channels % kWarp == 0 ? backward_kernel<T, true> : backward_kernel<T, false>;
  return launch_over(kernel, d.batch * d.queries * d.points * d.channels, kThreads, stream,
                     static_cast<const T*>(feat), shape, start, static_cast<const T*>(loc),
                     static_cast<const T*>(weights), static_cast<const A*>(grad_out), static_cast<A*>(grad_feat),
                     static_cast<A*>(grad_loc), static_cast<A*>(grad_weights), d);
}

}  // namespace

cudaError_t launch_forward(ElementType type, const void* feat, const int* shape, const int* start, const void* loc,
                           const void* weights, void* out, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    return forward_typed<typename decltype(tag)::type>(feat, shape, start, loc, weights, out, d, stream);
  });
}

cudaError_t launch_backward(ElementType type, const void* feat, const int* shape, const int* start, const void* loc,
                            const void* weights, const void* grad_out, void* grad_feat, void* grad_loc,
                            void* grad_weights, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    return backward_typed<typename decltype(tag)::type>(feat, shape, start, loc, weights, grad_out, grad_feat,
                                                        grad_loc, grad_weights, d, stream);
  });
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
