// sparse2bev CUDA kernels (torch-free; launched from the binding).
// Forward: one thread per (voxel, channel), c fastest (coalesced feature reads); the sum into the
// [B, C, Y, X] accumulator uses atomicAdd (float32, or float64 for float64 input), so sums of
// voxels sharing a BEV column may differ in the last bits from run to run (not deterministic,
// unlike the CPU kernel). Backward: one thread per (voxel, channel), a plain gather.
// Voxels with an out-of-range coordinate are skipped (never index memory); the smallest such
// voxel index goes to *first_bad with atomicMin and the binding raises an error.
#include <cuda_runtime.h>

#include <type_traits>

#include "common/cuda_utils.h"
#include "sparse2bev/sparse2bev_cuda.h"
#include "sparse2bev/sparse2bev_math.h"

namespace ascend_ops {
namespace sparse2bev {
namespace {

constexpr int kThreads = 256;

template <typename T>
using acc_t = typename std::conditional<std::is_same<T, double>::value, double, float>::type;

template <typename T, typename Index>
__global__ void forward_kernel(const T* __restrict__ features, const Index* __restrict__ coors,
                               acc_t<T>* __restrict__ acc, int* __restrict__ mask,
                               unsigned long long* __restrict__ first_bad, Dims d) {
  const int64_t cols = d.channels > 0 ? d.channels : 1;   // C = 0 still sets the mask
  const int64_t n = d.voxels * cols;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t v = i / cols, c = i - v * cols;
    const Index* coor = coors + 4 * v;
    if (bad_column(coor, d) >= 0) {
      if (c == 0) atomicMin(first_bad, static_cast<unsigned long long>(v));
      continue;
    }
    const int64_t cell = voxel_cell(coor, d);
    if (c == 0) mask[cell] = 1;
    if (d.channels == 0) continue;
    acc_t<T> value;
    if constexpr (std::is_same<T, double>::value) {
      value = features[i];   // float64 stays float64
    } else {
      value = to_float(features[i]);
    }
    atomicAdd(acc + bev_offset(d, cell, c), value);
  }
}

template <typename T, typename Index>
__global__ void backward_kernel(const T* __restrict__ grad_bev, const Index* __restrict__ coors,
                                T* __restrict__ grad_features, unsigned long long* __restrict__ first_bad, Dims d) {
  const int64_t n = d.voxels * d.channels;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t v = i / d.channels, c = i - v * d.channels;
    const Index* coor = coors + 4 * v;
    if (bad_column(coor, d) >= 0) {
      if (c == 0) atomicMin(first_bad, static_cast<unsigned long long>(v));
      continue;   // its row stays zero (the binding zero-fills grad_features)
    }
    grad_features[i] = grad_bev[bev_offset(d, voxel_cell(coor, d), c)];
  }
}

template <typename T, typename Index>
cudaError_t forward_typed(const void* features, const void* coors, void* acc, int* mask, unsigned long long* first_bad,
                          const Dims& d, cudaStream_t stream) {
  return launch_over(forward_kernel<T, Index>, d.voxels * (d.channels > 0 ? d.channels : 1), kThreads, stream,
                     static_cast<const T*>(features), static_cast<const Index*>(coors),
                     static_cast<acc_t<T>*>(acc), mask, first_bad, d);
}

template <typename T, typename Index>
cudaError_t backward_typed(const void* grad_bev, const void* coors, void* grad_features,
                           unsigned long long* first_bad, const Dims& d, cudaStream_t stream) {
  return launch_over(backward_kernel<T, Index>, d.voxels * d.channels, kThreads, stream,
                     static_cast<const T*>(grad_bev), static_cast<const Index*>(coors),
                     static_cast<T*>(grad_features), first_bad, d);
}

}  // namespace

cudaError_t launch_forward(ElementType type, const void* features, const void* coors, bool coors_int64, void* acc,
                           int* mask, unsigned long long* first_bad, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return coors_int64 ? forward_typed<T, int64_t>(features, coors, acc, mask, first_bad, d, stream)
                       : forward_typed<T, int32_t>(features, coors, acc, mask, first_bad, d, stream);
  });
}

cudaError_t launch_backward(ElementType type, const void* grad_bev, const void* coors, bool coors_int64,
                            void* grad_features, unsigned long long* first_bad, const Dims& d, cudaStream_t stream) {
  return dispatch_element_type(type, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return coors_int64 ? backward_typed<T, int64_t>(grad_bev, coors, grad_features, first_bad, d, stream)
                       : backward_typed<T, int32_t>(grad_bev, coors, grad_features, first_bad, d, stream);
  });
}

}  // namespace sparse2bev
}  // namespace ascend_ops
