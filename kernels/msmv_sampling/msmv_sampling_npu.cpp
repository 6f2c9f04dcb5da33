// msmv_sampling NPU binding: checks, then the Ascend C operators through aclnn
//   MsmvSampling(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights) -> out
//   MsmvSamplingGrad(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights,
//                    grad_output) -> (grad_feat, grad_sampling_locations, grad_scale_weights)
// The Ascend C kernels take float32 or float16 (index tensors int32) and accumulate in float32;
// bfloat16 and float64 are converted to float32 here and results cast back. Gradient outputs are
// float32, zero-filled before the launch (the kernel accumulates into grad_feat).
#include <ATen/ATen.h>
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

at::Tensor forward_npu(const at::Tensor& feat, const at::Tensor& spatial_shapes, const at::Tensor& level_start_index,
                       const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  check_inputs(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const c10::DeviceGuard guard(feat.device());
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
