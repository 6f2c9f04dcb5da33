// Helpers shared by the kit's CUDA bindings (kernels/*/*_cuda_binding.cpp; ATen, host only):
// the torch dtype -> ElementType tag of the torch-free launchers, and zeroed accumulation-dtype
// buffers (any number) that launchers accumulate into, e.g. the gradients of a backward.
#pragma once
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>

#include <cstddef>
#include <tuple>
#include <utility>
#include <vector>

#include "common/cuda_utils.h"

namespace ascend_ops {

// ElementType of a floating-point tensor dtype; `what` names the op and argument in the error
// ("msmv_sampling: feat") raised for any other dtype.
inline ElementType element_type(at::ScalarType type, const char* what) {
  switch (type) {
    case at::kFloat: return ElementType::kFloat32;
    case at::kHalf: return ElementType::kFloat16;
    case at::kBFloat16: return ElementType::kBFloat16;
    case at::kDouble: return ElementType::kFloat64;
    default: break;
  }
  TORCH_CHECK(false, what, " must be float32, float16, bfloat16 or float64, got ", type);
  return ElementType::kFloat32;
}

// The dtype the kernels accumulate a float dtype in (acc_t of its element type, common/hd.h):
// float64 for float64, float32 for float32, float16 and bfloat16.
inline at::ScalarType accumulation_dtype(at::ScalarType type) { return type == at::kDouble ? at::kDouble : at::kFloat; }

namespace detail {
template <typename T>
using AsTensor = at::Tensor;

template <typename Launch, size_t... I>
cudaError_t launch_void_ptrs(Launch&& launch, std::vector<at::Tensor>& bufs, std::index_sequence<I...>) {
  return std::forward<Launch>(launch)(bufs[I].data_ptr()...);
}

template <size_t... I, typename... Like>
std::tuple<AsTensor<Like>...> cast_like(std::vector<at::Tensor>& bufs, std::index_sequence<I...>, const Like&... like) {
  return std::tuple<AsTensor<Like>...>(bufs[I].to(like.scalar_type())...);
}
}  // namespace detail

// Zero-filled buffers of dtype `type` (contiguous, on the first tensor's device) shaped like each
// of `like`, e.g. the gradients a backward launcher accumulates in accumulation_dtype(input
// dtype). When `run`, calls launch(void* buf0, void* buf1, ...) -- one untyped pointer per
// buffer, in order -- which returns a cudaError_t (checked here). Returns the buffers cast to
// each like[k]'s dtype, as a tuple of as many tensors:
//   auto grads = zeroed_buffers(accumulation_dtype(feat.scalar_type()), run,
//                               [&](void* gf, void* gl) { return launch_bwd(..., gf, gl, stream); }, feat, loc);
template <typename Launch, typename... Like>
std::tuple<detail::AsTensor<Like>...> zeroed_buffers(at::ScalarType type, bool run, Launch&& launch,
                                                     const Like&... like) {
  static_assert(sizeof...(Like) > 0, "zeroed_buffers: give at least one tensor to shape a buffer after");
  const at::Tensor* first[] = {&like...};
  const auto opts = first[0]->options().dtype(type);
  std::vector<at::Tensor> bufs = {at::zeros(like.sizes(), opts)...};
  if (run) C10_CUDA_CHECK(detail::launch_void_ptrs(std::forward<Launch>(launch), bufs,
                                                   std::index_sequence_for<Like...>()));
  return detail::cast_like(bufs, std::index_sequence_for<Like...>(), like...);
}

}  // namespace ascend_ops
