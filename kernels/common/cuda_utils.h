// CUDA helpers shared by the kit's torch-free .cu kernels: element-type tags for launchers
// called from the torch bindings, and float conversions of __half / __nv_bfloat16 that work
// under torch's -D__CUDA_NO_HALF_CONVERSIONS__ / -D__CUDA_NO_BFLOAT16_CONVERSIONS__ flags.
// Include this before any header that calls ascend_ops::to_float on device element types.
#pragma once
#include <cstdint>

#include "common/hd.h"

namespace ascend_ops {

// Element type of a kernel's floating-point tensors, as passed from a binding to a launcher.
enum class ElementType : int { kFloat32 = 0, kFloat16 = 1, kBFloat16 = 2, kFloat64 = 3 };

}  // namespace ascend_ops

#if defined(__CUDACC__)
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace ascend_ops {

AO_HD float to_float(__half x) { return __half2float(x); }
AO_HD float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }

// float -> element type T (round to nearest even for the 16-bit types).
template <typename T>
AO_HD T from_float(float x) { return static_cast<T>(x); }
template <>
AO_HD __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
AO_HD __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Blocks of `threads` covering n work items (n > 0).
inline unsigned int blocks_for(int64_t n, int threads) {
  return static_cast<unsigned int>((n + threads - 1) / threads);
}

}  // namespace ascend_ops
#endif
