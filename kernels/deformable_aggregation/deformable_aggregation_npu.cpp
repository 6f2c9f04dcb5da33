// deformable_aggregation NPU binding: checks, then the Ascend C operators through aclnn
//   DeformableAggregation(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights) -> out
//   DeformableAggregationGrad(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights,
//                             grad_output) -> (grad_mc_ms_feat, grad_sampling_location, grad_weights)
// The Ascend C kernels take float32 or float16 (index tensors int32) and accumulate in float32;
// bfloat16 is converted to float32 here and results cast back. float64 is never narrowed: it runs
// through the kit's CPU kernel of the same op (float64 arithmetic; copies to and from the host),
// found through the dispatcher. The gradients come
// back as float32 buffers, zero-filled before the launch (the kernel accumulates into them).
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
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

// float64: the op's CPU kernel on host copies of the arguments, results back on the NPU.
at::Tensor forward_float64_via_cpu(const at::Tensor& mc_ms_feat, const at::Tensor& shape, const at::Tensor& start,
                                   const at::Tensor& sampling_location, const at::Tensor& weights) {
  const auto op = c10::Dispatcher::singleton()
                      .findSchemaOrThrow("ascend_ops::deformable_aggregation", "")
                      .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                        const at::Tensor&)>();
  return op.call(mc_ms_feat.cpu(), shape.cpu(), start.cpu(), sampling_location.cpu(), weights.cpu())
      .to(mc_ms_feat.device());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_float64_via_cpu(
    const at::Tensor& grad_output, const at::Tensor& mc_ms_feat, const at::Tensor& shape, const at::Tensor& start,
    const at::Tensor& sampling_location, const at::Tensor& weights) {
  const auto op = c10::Dispatcher::singleton()
                      .findSchemaOrThrow("ascend_ops::deformable_aggregation_backward", "")
                      .typed<std::tuple<at::Tensor, at::Tensor, at::Tensor>(
                          const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                          const at::Tensor&, const at::Tensor&)>();
  const auto grads = op.call(grad_output.cpu(), mc_ms_feat.cpu(), shape.cpu(), start.cpu(), sampling_location.cpu(),
                             weights.cpu());
  const auto device = mc_ms_feat.device();
  return {std::get<0>(grads).to(device), std::get<1>(grads).to(device), std::get<2>(grads).to(device)};
}

at::Tensor forward_npu(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                       const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                       const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  const c10::DeviceGuard guard(mc_ms_feat.device());
  if (mc_ms_feat.scalar_type() == at::kDouble)
    return forward_float64_via_cpu(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
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
  if (mc_ms_feat.scalar_type() == at::kDouble)
    return backward_float64_via_cpu(grad_output, mc_ms_feat, spatial_shape, scale_start_index, sampling_location,
                                    weights);
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
