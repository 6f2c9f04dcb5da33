// msmv_sampling NPU binding: checks, then the Ascend C operators through aclnn
//   MsmvSampling(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights) -> out
//   MsmvSamplingGrad(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights,
//                    grad_output) -> (grad_feat, grad_sampling_locations, grad_scale_weights)
// The Ascend C kernels take float32 or float16 (index tensors int32) and accumulate in float32;
// bfloat16 is converted to float32 here and results cast back. float64 is never narrowed: it runs
// through the kit's CPU kernel of the same op (float64 arithmetic; copies to and from the host),
// found through the dispatcher. Gradient outputs are float32, zero-filled before the launch (the
// kernel accumulates into grad_feat).
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include "common/npu/aclnn_call.h"
#include "msmv_sampling/msmv_sampling_check.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

// The float dtype the Ascend C kernels run for inputs of dtype `type`.
at::ScalarType kernel_dtype(at::ScalarType type) { return type == at::kHalf ? at::kHalf : at::kFloat; }

at::Tensor as(const at::Tensor& t, at::ScalarType type) { return t.to(type).contiguous(); }

// float64: the op's CPU kernel on host copies of the arguments, results back on the NPU.
at::Tensor forward_float64_via_cpu(const at::Tensor& feat, const at::Tensor& shape, const at::Tensor& start,
                                   const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  const auto op = c10::Dispatcher::singleton()
                      .findSchemaOrThrow("ascend_ops::msmv_sampling", "")
                      .typed<at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                                        const at::Tensor&)>();
  return op.call(feat.cpu(), shape.cpu(), start.cpu(), sampling_locations.cpu(), scale_weights.cpu())
      .to(feat.device());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_float64_via_cpu(
    const at::Tensor& grad_output, const at::Tensor& feat, const at::Tensor& shape, const at::Tensor& start,
    const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  const auto op = c10::Dispatcher::singleton()
                      .findSchemaOrThrow("ascend_ops::msmv_sampling_backward", "")
                      .typed<std::tuple<at::Tensor, at::Tensor, at::Tensor>(
                          const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&,
                          const at::Tensor&, const at::Tensor&)>();
  const auto grads = op.call(grad_output.cpu(), feat.cpu(), shape.cpu(), start.cpu(), sampling_locations.cpu(),
                             scale_weights.cpu());
  const auto device = feat.device();
  return {std::get<0>(grads).to(device), std::get<1>(grads).to(device), std::get<2>(grads).to(device)};
}

at::Tensor forward_npu(const at::Tensor& feat, const at::Tensor& spatial_shapes, const at::Tensor& level_start_index,
                       const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  check_inputs(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const c10::DeviceGuard guard(feat.device());
  if (feat.scalar_type() == at::kDouble)
    return forward_float64_via_cpu(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const Dims d = dims_of(feat, sampling_locations, scale_weights);
  const at::ScalarType kt = kernel_dtype(feat.scalar_type());
  if (d.batch * d.queries * d.channels * d.points == 0 || feat.numel() == 0)  // nothing to read: zeros
    return at::zeros({d.batch, d.queries, d.channels, d.points}, feat.options());
  auto out = at::empty({d.batch, d.queries, d.channels, d.points}, feat.options().dtype(kt));
  npu::call_aclnn("aclnnMsmvSampling", as(feat, kt), spatial_shapes.contiguous(), level_start_index.contiguous(),
                  as(sampling_locations, kt), as(scale_weights, kt), out);
  return out.to(feat.scalar_type());
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_npu(
    const at::Tensor& grad_output, const at::Tensor& feat, const at::Tensor& spatial_shapes,
    const at::Tensor& level_start_index, const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  check_inputs(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const Dims d = dims_of(feat, sampling_locations, scale_weights);
  check_grad_output(grad_output, feat, d);
  const c10::DeviceGuard guard(feat.device());
  if (feat.scalar_type() == at::kDouble)
    return backward_float64_via_cpu(grad_output, feat, spatial_shapes, level_start_index, sampling_locations,
                                    scale_weights);
  const at::ScalarType kt = kernel_dtype(feat.scalar_type());
  const auto opts = feat.options().dtype(at::kFloat);
  auto grad_feat = at::zeros(feat.sizes(), opts);
  auto grad_loc = at::zeros(sampling_locations.sizes(), opts);
  auto grad_w = at::zeros(scale_weights.sizes(), opts);
  if (grad_output.numel() > 0 && feat.numel() > 0) {
    npu::call_aclnn("aclnnMsmvSamplingGrad", as(feat, kt), spatial_shapes.contiguous(), level_start_index.contiguous(),
                    as(sampling_locations, kt), as(scale_weights, kt), as(grad_output, kt), grad_feat, grad_loc,
                    grad_w);
  }
  return {grad_feat.to(feat.scalar_type()), grad_loc.to(sampling_locations.scalar_type()),
          grad_w.to(scale_weights.scalar_type())};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("msmv_sampling", &forward_npu);
  m.impl("msmv_sampling_backward", &backward_npu);
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
