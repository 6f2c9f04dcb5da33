// deformable_aggregation NPU binding: checks, then the Ascend C operators through aclnn
//   DeformableAggregation(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights) -> out
//   DeformableAggregationGrad(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights,
//                             grad_output) -> (grad_mc_ms_feat, grad_sampling_location, grad_weights)
// The Ascend C kernels take float32 or float16 (index tensors int32) and accumulate in float32;
// bfloat16 and float64 are converted to float32 here and results cast back. The gradients come
// back as float32 buffers, zero-filled before the launch (the kernel accumulates into them).
#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include "deformable_aggregation/deformable_aggregation_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

// The dtype the kernel computes in: float16 as is, everything else as float32.
at::ScalarType kernel_dtype(const at::Tensor& t) { return t.scalar_type() == at::kHalf ? at::kHalf : at::kFloat; }
at::Tensor as_kernel(const at::Tensor& t, at::ScalarType type) { return t.to(type).contiguous(); }

at::Tensor forward_npu(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                       const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                       const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  const c10::DeviceGuard guard(mc_ms_feat.device());
  const auto type = kernel_dtype(mc_ms_feat);
  auto out = at::empty({mc_ms_feat.size(0), sampling_location.size(1), mc_ms_feat.size(2)},
                       mc_ms_feat.options().dtype(type));
  if (out.numel() > 0) {
    npu::call_aclnn("aclnnDeformableAggregation", as_kernel(mc_ms_feat, type), spatial_shape.contiguous(),
                    scale_start_index.contiguous(), as_kernel(sampling_location, type), as_kernel(weights, type),
                    out);
  }
  return out.to(mc_ms_feat.scalar_type());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_npu(
    const at::Tensor& grad_output, const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
    const at::Tensor& scale_start_index, const at::Tensor& sampling_location, const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  TORCH_CHECK(grad_output.device() == mc_ms_feat.device(),
              "deformable_aggregation_backward: grad_output must be on mc_ms_feat's device");
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({mc_ms_feat.size(0), sampling_location.size(1),
                                                      mc_ms_feat.size(2)}),
              "deformable_aggregation_backward: grad_output must be [bs, A, C]");
  const c10::DeviceGuard guard(mc_ms_feat.device());
  const auto opts = mc_ms_feat.options().dtype(at::kFloat);
  auto grad_feat = at::zeros(mc_ms_feat.sizes(), opts);
  auto grad_loc = at::zeros(sampling_location.sizes(), opts);
  auto grad_w = at::zeros(weights.sizes(), opts);
  if (grad_output.numel() > 0 && sampling_location.size(2) > 0) {
    const auto type = kernel_dtype(mc_ms_feat);
    npu::call_aclnn("aclnnDeformableAggregationGrad", as_kernel(mc_ms_feat, type), spatial_shape.contiguous(),
                    scale_start_index.contiguous(), as_kernel(sampling_location, type), as_kernel(weights, type),
                    as_kernel(grad_output, type), grad_feat, grad_loc, grad_w);
  }
  return {grad_feat.to(mc_ms_feat.scalar_type()), grad_loc.to(sampling_location.scalar_type()),
          grad_w.to(weights.scalar_type())};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("deformable_aggregation", &forward_npu);
  m.impl("deformable_aggregation_backward", &backward_npu);
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
