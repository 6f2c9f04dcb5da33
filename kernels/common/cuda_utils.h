// CUDA helpers shared by the kit's torch-free .cu kernels: element-type tags for launchers
// called from the torch bindings, and conversions from float (or the accumulation type) to
// __half / __nv_bfloat16 that work under torch's -D__CUDA_NO_HALF_CONVERSIONS__ /
// -D__CUDA_NO_BFLOAT16_CONVERSIONS__ flags (to_float / to_acc of those types: common/hd.h).
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

// float -> element type T (round to nearest even for the 16-bit types).
template <typename T>
AO_HD T from_float(float x) { return static_cast<T>(x); }
template <>
AO_HD __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
AO_HD __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Accumulation type acc_t<T> -> element type T: from_float<T> for float, x itself for double.
template <typename T>
AO_HD T from_acc(acc_t<T> x) { return from_float<T>(x); }
template <>
AO_HD double from_acc<double>(double x) { return x; }

// Names a device element type without constructing a value of it (see dispatch_element_type).
template <typename T>
struct TypeTag {
  using type = T;
};

// Calls f(TypeTag<T>{}) with T the device element type of `type` (float, __half,
// __nv_bfloat16, double) and returns its cudaError_t; cudaErrorInvalidValue for an unknown type.
// Launchers use it as
//   return dispatch_element_type(type, [&](auto tag) { return typed<typename decltype(tag)::type>(...); });
template <typename F>
cudaError_t dispatch_element_type(ElementType type, F&& f) {
  switch (type) {
    case ElementType::kFloat32: return f(TypeTag<float>{});
    case ElementType::kFloat16: return f(TypeTag<__half>{});
    case ElementType::kBFloat16: return f(TypeTag<__nv_bfloat16>{});
    case ElementType::kFloat64: return f(TypeTag<double>{});
  }
  return cudaErrorInvalidValue;
}

// Blocks of `threads` covering n work items (n > 0).
inline unsigned int blocks_for(int64_t n, int threads) {
  return static_cast<unsigned int>((n + threads - 1) / threads);
}

// Launches a grid-stride `kernel` over n work items (blocks_for(n, threads) blocks of `threads`)
// on `stream` and returns cudaGetLastError(); cudaSuccess without a launch when n == 0.
template <typename... KernelArgs, typename... Args>
cudaError_t launch_over(void (*kernel)(KernelArgs...), int64_t n, int threads, cudaStream_t stream, Args... args) {
  if (n == 0) return cudaSuccess;
  kernel<<<blocks_for(n, threads), threads, 0, stream>>>(args...);
  return cudaGetLastError();
}

}  // namespace ascend_ops
#endif
