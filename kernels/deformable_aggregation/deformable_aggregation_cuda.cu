// deformable_aggregation CUDA kernels (torch-free; launched from the binding).
// Arithmetic in A = acc_t<T> (common/hd.h): float32 for float32, float16 and bfloat16, float64
// for float64.
// Forward: one thread per output element (b, a, c) calling forward_element: no atomics, the
// same accumulation order as the CPU kernel, deterministic.
// Backward: one thread per (b, a, p, cam, level, c), c fastest (coalesced feature reads);
// feature, weight and location gradients are accumulated with atomicAdd in A.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "deformable_aggregation/deformable_aggregation_cuda.h"
#include "deformable_aggregation/deformable_aggregation_math.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void forward_kernel(const T* __restrict__ feat, const int* __restrict__ shape,
                               const int* __restrict__ start, const T* __restrict__ loc,
                               const T* __restrict__ weights, T* __restrict__ out, Dims d) {
  const int64_t n = d.bs * d.anchors * d.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t c = i % d.channels, row = i / d.channels;
    const int64_t a = row % d.anchors, b = row / d.anchors;
    out[i] = from_acc<T>(forward_element(feat, shape, start, loc, weights, d, b, a, c));
  }
}

template <typename T, typename A = acc_t<T>>
__global__ void backward_kernel(const T* __restrict__ feat, const int* __restrict__ shape,
                                const int* __restrict__ start, const T* __restrict__ loc,
                                const T* __restrict__ weights, const A* __restrict__ grad_out,
                                A* grad_feat, A* grad_loc, A* grad_weights, Dims d) {
  const int64_t n = d.bs * d.anchors * d.points * d.cams * d.scales * d.channels;
  const int64_t cpg = d.channels / d.groups;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    int64_t rest = i;
    const int64_t c = rest % d.channels;
    rest /= d.channels;
    const int64_t l = rest % d.scales;
    rest /= d.scales;
    const int64_t cam = rest % d.cams;
    rest /= d.cams;
    const int64_t p = rest % d.points;
    rest /= d.points;
    const int64_t a = rest % d.anchors;
    const int64_t b = rest / d.anchors;

    const int64_t li = location_index(d, b, a, p, cam);
    const A u = to_acc<A>(loc[li]), v = to_acc<A>(loc[li + 1]);
    if (!location_inside(u, v)) continue;
    const int64_t cs = cam * d.scales + l;
    const int H = shape[2 * cs], W = shape[2 * cs + 1];
    Corners<A> k;
    make_corners(u, v, H, W, start[cs], d, k);
    const int64_t wi = weight_index(d, b, a, p, cam, l, c / cpg);
    A feat_grad[4], gw = A(0), gx = A(0), gy = A(0);
    backward_element(feat + b * d.num_feat * d.channels, k, c, grad_out[(b * d.anchors + a) * d.channels + c],
                     to_acc<A>(weights[wi]), feat_grad, gw, gx, gy);
    A* batch_grad = grad_feat + b * d.num_feat * d.channels;
#pragma unroll
    for (int j = 0; j < 4; ++j)
      if (k.valid[j]) atomicAdd(batch_grad + k.offset[j] + c, feat_grad[j]);
    atomicAdd(grad_weights + wi, gw);
    atomicAdd(grad_loc + li, W * gx);
    atomicAdd(grad_loc + li + 1, H * gy);
  }
}

template <typename T>
cudaError_t forward_typed(const void* feat, const int* shape, const int* start, const void* loc, const void* weights,
                          void* out, const Dims& d, cudaStream_t stream) {
  return launch_over(forward_kernel<T>, d.bs * d.anchors * d.channels, kThreads, stream, static_cast<const T*>(feat),
                     shape, start, static_cast<const T*>(loc), static_cast<const T*>(weights), static_cast<T*>(out), d);
}

template <typename T>
cudaError_t backward_typed(const void* feat, const int* shape, const int* start, const void* loc,
                           const void* weights, const void* grad_out, void* grad_feat, void* grad_loc,
                           void* grad_weights, const Dims& d, cudaStream_t stream) {
  using A = acc_t<T>;
  return launch_over(backward_kernel<T>, d.bs * d.anchors * d.points * d.cams * d.scales * d.channels, kThreads,
                     stream, static_cast<const T*>(feat), shape, start, static_cast<const T*>(loc),
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

}  // namespace deformable_aggregation
}  // namespace ascend_ops
