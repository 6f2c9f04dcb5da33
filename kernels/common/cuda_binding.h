// Helpers shared by the kit's CUDA bindings (kernels/*/*_cuda_binding.cpp; ATen, host only):
// the torch dtype -> ElementType tag of the torch-free launchers, and the float32 gradient
// buffers that the backward launchers accumulate into.
#pragma once
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>

#include <tuple>
#include <utility>

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

// Zero-filled float32 gradients shaped like feat, loc and weights (contiguous, on their device);
// when `run`, calls launch(grad_feat, grad_loc, grad_weights) with their float* data, which
// returns a cudaError_t (checked here). Returns the gradients cast to each input's dtype.
template <typename Launch>
std::tuple<at::Tensor, at::Tensor, at::Tensor> float32_grads(const at::Tensor& feat, const at::Tensor& loc,
                                                             const at::Tensor& weights, bool run, Launch&& launch) {
  const auto f32 = feat.options().dtype(at::kFloat);
  auto grad_feat = at::zeros(feat.sizes(), f32);
  auto grad_loc = at::zeros(loc.sizes(), f32);
  auto grad_w = at::zeros(weights.sizes(), f32);
  if (run) {
    const cudaError_t err = std::forward<Launch>(launch)(grad_feat.data_ptr<float>(), grad_loc.data_ptr<float>(),
                                                         grad_w.data_ptr<float>());
    C10_CUDA_CHECK(err);
  }
  return {grad_feat.to(feat.scalar_type()), grad_loc.to(loc.scalar_type()), grad_w.to(weights.scalar_type())};
}

}  // namespace ascend_ops
