// Host/device qualifiers for the per-element math shared by the CPU and CUDA kernels, and the
// accumulation type of each element type. Headers that use AO_HD must stay torch-free so nvcc
// compiles them on any machine.
#pragma once
#include <cstdint>
#include <cmath>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define AO_HD __host__ __device__ __forceinline__
#else
#define AO_HD inline
#endif

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#endif

namespace ascend_ops {

// Converts any supported element type (float, double, at::Half, at::BFloat16, __half,
// __nv_bfloat16) to float for fp32 accumulation.
template <typename T>
AO_HD float to_float(T x) { return static_cast<float>(x); }

#if defined(__CUDACC__)
// Explicit conversions: they work under torch's -D__CUDA_NO_HALF_CONVERSIONS__ /
// -D__CUDA_NO_BFLOAT16_CONVERSIONS__ flags. Declared here, before to_acc, so that templates
// below find them.
AO_HD float to_float(__half x) { return __half2float(x); }
AO_HD float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
#endif

// The type the kernels accumulate element type T in: float for float32 and the 16-bit types,
// double for double (float64 input is never narrowed). On the CPU it equals
// at::opmath_type<T>.
template <typename T>
struct AccType {
  using type = float;
};
template <>
struct AccType<double> {
  using type = double;
};
template <typename T>
using acc_t = typename AccType<T>::type;

// Element -> accumulation type A (A = acc_t<T>): to_float(x) for A = float, x itself for double.
template <typename A, typename T>
AO_HD A to_acc(T x) { return to_float(x); }
template <>
AO_HD double to_acc<double, double>(double x) { return x; }

// floor / round (half away from zero) in the argument's precision (floorf / roundf for float).
AO_HD float floor_acc(float x) { return floorf(x); }
AO_HD double floor_acc(double x) { return ::floor(x); }
AO_HD float round_acc(float x) { return roundf(x); }
AO_HD double round_acc(double x) { return ::round(x); }

}  // namespace ascend_ops
