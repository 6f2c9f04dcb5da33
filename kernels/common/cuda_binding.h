// Helpers shared by the kit's CUDA bindings (kernels/*/*_cuda_binding.cpp; ATen, host only):
// the torch dtype -> ElementType tag of the torch-free launchers, and zeroed float32 (or
// accumulation-dtype) buffers (any number) that launchers accumulate into, e.g. the gradients of
// a backward.
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

// zeroed_buffers in float32, the launcher getting float pointers: launch(float* buf0, ...).
//   auto grads = float32_buffers(run, [&](float* gf, float* gl) { return launch_bwd(..., gf, gl, stream); },
//                                feat, loc);     // std::tuple<at::Tensor, at::Tensor>
template <typename Launch, typename... Like>
std::tuple<detail::AsTensor<Like>...> float32_buffers(bool run, Launch&& launch, const Like&... like) {
  static_assert(sizeof...(Like) > 0, "float32_buffers: give at least one tensor to shape a buffer after");
  return zeroed_buffers(at::kFloat, run, [&](auto*... bufs) { return launch(static_cast<float*>(bufs)...); },
                        like...);
}

// float32_buffers for a count known only at run time: launch(float* const* bufs) gets like.size() pointers.
template <typename Launch>
std::vector<at::Tensor> float32_buffers(bool run, Launch&& launch, const std::vector<at::Tensor>& like) {
  TORCH_CHECK(!like.empty(), "float32_buffers: give at least one tensor to shape a buffer after");
  const auto f32 = like[0].options().dtype(at::kFloat);
  std::vector<at::Tensor> bufs;
  std::vector<float*> ptrs;
  for (const auto& t : like) {
    bufs.push_back(at::zeros(t.sizes(), f32));
    ptrs.push_back(bufs.back().data_ptr<float>());
  }
  if (run) C10_CUDA_CHECK(std::forward<Launch>(launch)(static_cast<float* const*>(ptrs.data())));
  for (size_t k = 0; k < bufs.size(); ++k) bufs[k] = bufs[k].to(like[k].scalar_type());
  return bufs;
}

}  // namespace ascend_ops
