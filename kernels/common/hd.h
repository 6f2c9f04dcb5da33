// Host/device qualifiers for the per-element math shared by the CPU and CUDA kernels.
// Headers that use AO_HD must stay torch-free so nvcc compiles them on any machine.
#pragma once
#include <cstdint>
#include <cmath>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define AO_HD __host__ __device__ __forceinline__
#else
#define AO_HD inline
#endif

namespace ascend_ops {

// Converts any supported element type (float, double, at::Half, at::BFloat16, __half,
// __nv_bfloat16) to float for fp32 accumulation.
template <typename T>
AO_HD float to_float(T x) { return static_cast<float>(x); }

}  // namespace ascend_ops
