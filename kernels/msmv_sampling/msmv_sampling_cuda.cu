// msmv_sampling CUDA kernels (torch-free; launched from the binding).
// Forward: one thread per output element (b, q, p, c), c fastest (coalesced channels-last
// feature reads), calling forward_element: no atomics, the same float32 accumulation order as
// the CPU kernel, deterministic.
// Backward: one thread per (b, q, p, c), c fastest, looping the levels; feature gradients are
// accumulated with float32 atomicAdd. Weight and location gradients are summed over a warp's
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
    out[output_index(d, b, q, c, p)] = from_float<T>(forward_element(feat, shape, start, loc, weights, d, b, q, p, c));
  }
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v += __shfl_down_sync(0xffffffffu, v, offset);
  return v;
}

template <typename T, bool kWarpReduce>
__global__ void backward_kernel(const T* __restrict__ feat, const int* __restrict__ shape,
                                const int* __restrict__ start, const T* __restrict__ loc,
                                const T* __restrict__ weights, const float* __restrict__ grad_out,
                                float* grad_feat, float* grad_loc, float* grad_weights, Dims d) {
  const int64_t n = d.batch * d.queries * d.points * d.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    // With kWarpReduce (C % 32 == 0) all lanes of a warp share (b, q, p): branches below are uniform.
    const int64_t c = i % d.channels, sample = i / d.channels;
    const int64_t p = sample % d.points, row = sample / d.points;
    const int64_t q = row % d.queries, b = row / d.queries;
    const int64_t li = location_index(d, b, q, p);
    const int64_t view = view_index(d, to_float(loc[li + 2]));
    if (view < 0) continue;
    const float x = to_float(loc[li]), y = to_float(loc[li + 1]);
    const float go = grad_out[output_index(d, b, q, c, p)];
    float gx_total = 0.f, gy_total = 0.f;
    for (int64_t l = 0; l < d.levels; ++l) {
      const int H = shape[2 * l], W = shape[2 * l + 1];
      Corners k;
      if (!make_corners(x, y, H, W, start[l], d, b, view, k)) continue;
      const int64_t wi = weight_index(d, b, q, p, l);
      float feat_grad[4], gw = 0.f, gx = 0.f, gy = 0.f;
      backward_element(feat, k, c, go, to_float(weights[wi]), feat_grad, gw, gx, gy);
#pragma unroll
      for (int j = 0; j < 4; ++j)
        if (k.valid[j]) atomicAdd(grad_feat + k.offset[j] + c, feat_grad[j]);
      gx_total += static_cast<float>(W - 1) * gx;
      gy_total += static_cast<float>(H - 1) * gy;
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
                           const void* weights, const float* grad_out, float* grad_feat, float* grad_loc,
                           float* grad_weights, const Dims& d, cudaStream_t stream) {
  if (d.levels == 0) return cudaSuccess;
  // Warp-level sums need every warp to hold one (b, q, p) sample: C a multiple of 32.
  const auto kernel = d.channels % kWarp == 0 ? backward_kernel<T, true> : backward_kernel<T, false>;
  return launch_over(kernel, d.batch * d.queries * d.points * d.channels, kThreads, stream,
                     static_cast<const T*>(feat), shape, start, static_cast<const T*>(loc),
                     static_cast<const T*>(weights), grad_out, grad_feat, grad_loc, grad_weights, d);
}

}  // namespace

cudaError_t launch_forward(ElementType type, const void* feat, const int* shape, const int* start, const void* loc,
                           const void* weights, void* out, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    return forward_typed<typename decltype(tag)::type>(feat, shape, start, loc, weights, out, d, stream);
  });
}

cudaError_t launch_backward(ElementType type, const void* feat, const int* shape, const int* start, const void* loc,
                            const void* weights, const float* grad_out, float* grad_feat, float* grad_loc,
                            float* grad_weights, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    return backward_typed<typename decltype(tag)::type>(feat, shape, start, loc, weights, grad_out, grad_feat,
                                                        grad_loc, grad_weights, d, stream);
  });
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
