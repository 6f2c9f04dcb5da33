// points_in_boxes CUDA kernels (torch-free; launched from the binding). Semantics: the shared
// math header (points_in_boxes_math.h). The per-point expressions are written exactly as upstream's
// device functions (roiaware_pool3d_kernel.cu:16-36, sparse2bev_cuda.cu:90-110), so nvcc treats
// them alike (it may contract a * b + c * d into an FMA, as in upstream's build); the thresholds are
// the exact float equivalents of upstream's double comparisons. No shared writes: deterministic.
#include <cuda_runtime.h>

#include "common/cuda_utils.h"
#include "points_in_boxes/points_in_boxes_cuda.h"
#include "points_in_boxes/points_in_boxes_math.h"

namespace ascend_ops {
namespace points_in_boxes {
namespace {

constexpr int kThreads = 256;

template <typename T, bool WithZ>
__global__ void mask_kernel(const T* __restrict__ points, int64_t n, int64_t c1, const T* __restrict__ boxes,
                            const T* __restrict__ trig, int64_t m, int64_t c2, double margin, int32_t* __restrict__ out) {
  const int64_t total = n * m;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t i = idx / n, j = idx % n;
    const Frame<T> f = make_frame(boxes + i * c2, trig[2 * i], trig[2 * i + 1], margin);
    const T* p = points + j * c1;
    out[idx] = WithZ ? inside_3d(f, p[0], p[1], p[2]) : inside_bev(f, p[0], p[1]);
  }
}

template <typename T>
__global__ void first_kernel(const T* __restrict__ points, int64_t bs, int64_t n, const T* __restrict__ boxes,
                             const T* __restrict__ trig, int64_t t, double margin, int32_t* __restrict__ out) {
  const int64_t total = bs * n;
  for (int64_t idx = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t b = idx / n;
    const T* p = points + idx * 3;
    int32_t found = -1;
    for (int64_t k = 0; k < t; ++k) {
      const int64_t box = b * t + k;
      const Frame<T> f = make_frame(boxes + box * 7, trig[2 * box], trig[2 * box + 1], margin);
      if (inside_3d(f, p[0], p[1], p[2])) {
        found = static_cast<int32_t>(k);
        break;
      }
    }
    out[idx] = found;
  }
}

template <typename F>
cudaError_t dispatch_float(ElementType type, F&& f) {
  switch (type) {
    case ElementType::kFloat32: return f(TypeTag<float>{});
    case ElementType::kFloat64: return f(TypeTag<double>{});
    default: return cudaErrorInvalidValue;
  }
}

}  // namespace

cudaError_t launch_mask(ElementType type, bool with_z, double margin, const void* points, int64_t n, int64_t c1,
                        const void* boxes, const void* trig, int64_t m, int64_t c2, int32_t* out, cudaStream_t stream) {
  return dispatch_float(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto* P = static_cast<const T*>(points);
    const auto* B = static_cast<const T*>(boxes);
    const auto* R = static_cast<const T*>(trig);
    if (with_z) return launch_over(mask_kernel<T, true>, n * m, kThreads, stream, P, n, c1, B, R, m, c2, margin, out);
    return launch_over(mask_kernel<T, false>, n * m, kThreads, stream, P, n, c1, B, R, m, c2, margin, out);
  });
}

cudaError_t launch_first(ElementType type, double margin, const void* points, int64_t bs, int64_t n, const void* boxes,
                         const void* trig, int64_t t, int32_t* out, cudaStream_t stream) {
  return dispatch_float(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return launch_over(first_kernel<T>, bs * n, kThreads, stream, static_cast<const T*>(points), bs, n,
                       static_cast<const T*>(boxes), static_cast<const T*>(trig), t, margin, out);
  });
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
