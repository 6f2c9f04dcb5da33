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

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

// The same checks as the CPU binding, plus: every tensor on one NPU.
void check(const at::Tensor& feat, const at::Tensor& shape, const at::Tensor& start, const at::Tensor& loc,
           const at::Tensor& weights) {
  TORCH_CHECK(feat.dim() == 3 && loc.dim() == 5 && weights.dim() == 6 && shape.dim() == 3 && start.dim() == 2,
              "deformable_aggregation: expected mc_ms_feat [bs,num_feat,C], spatial_shape [cams,scales,2], "
              "scale_start_index [cams,scales], sampling_location [bs,A,P,cams,2], weights [bs,A,P,cams,scales,G]");
  TORCH_CHECK(shape.scalar_type() == at::kInt && start.scalar_type() == at::kInt,
              "deformable_aggregation: spatial_shape and scale_start_index must be int32");
  TORCH_CHECK(loc.scalar_type() == feat.scalar_type() && weights.scalar_type() == feat.scalar_type(),
              "deformable_aggregation: mc_ms_feat, sampling_location and weights must share a dtype");
  TORCH_CHECK(weights.size(5) > 0 && feat.size(2) % weights.size(5) == 0,
              "deformable_aggregation: C (mc_ms_feat.shape[2]) must be divisible by G (weights.shape[5])");
  TORCH_CHECK(loc.size(0) == feat.size(0) && loc.size(3) == shape.size(0) && weights.size(4) == shape.size(1),
              "deformable_aggregation: inconsistent bs / cams / scales between arguments");
  for (const at::Tensor* t : {&shape, &start, &loc, &weights})
    TORCH_CHECK(t->device() == feat.device(), "deformable_aggregation: all tensors must be on mc_ms_feat's device ",
                feat.device(), ", got one on ", t->device());
}

// The dtype the kernel computes in: float16 as is, everything else as float32.
at::ScalarType kernel_dtype(const at::Tensor& t) { return t.scalar_type() == at::kHalf ? at::kHalf : at::kFloat; }
at::Tensor as_kernel(const at::Tensor& t, at::ScalarType type) { return t.to(type).contiguous(); }

at::Tensor forward_npu(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                       const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                       const at::Tensor& weights) {
  check(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
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
  check(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
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
