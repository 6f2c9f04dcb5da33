// deformable_aggregation CUDA binding: checks, output allocation and stream, then the torch-free
// launchers of deformable_aggregation_cuda.cu. Gradients are accumulated in float32 buffers
// and cast to the input dtype here.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/cuda_binding.h"
#include "deformable_aggregation/deformable_aggregation_cuda.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

// Names the feature argument in dtype errors.
constexpr const char* kFeat = "deformable_aggregation: mc_ms_feat";

Dims dims_of(const at::Tensor& feat, const at::Tensor& loc, const at::Tensor& weights) {
  return Dims{feat.size(0), feat.size(1), feat.size(2), loc.size(1), loc.size(2), loc.size(3),
              weights.size(4), weights.size(5)};
}

// The same checks as the CPU binding, plus: every tensor on one CUDA device.
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

at::Tensor forward_cuda(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                        const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                        const at::Tensor& weights) {
  check(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  const c10::cuda::CUDAGuard guard(mc_ms_feat.device());
  const auto feat = mc_ms_feat.contiguous(), loc = sampling_location.contiguous(), w = weights.contiguous();
  const auto shape = spatial_shape.contiguous(), start = scale_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  auto out = at::empty({d.bs, d.anchors, d.channels}, feat.options());
  if (out.numel() == 0) return out;
  const cudaError_t err = launch_forward(element_type(feat.scalar_type(), kFeat), feat.data_ptr(),
                                         shape.data_ptr<int>(), start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(),
                                         out.data_ptr(), d, c10::cuda::getCurrentCUDAStream().stream());
  C10_CUDA_CHECK(err);
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_cuda(
    const at::Tensor& grad_output, const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
    const at::Tensor& scale_start_index, const at::Tensor& sampling_location, const at::Tensor& weights) {
  check(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  TORCH_CHECK(grad_output.device() == mc_ms_feat.device(),
              "deformable_aggregation_backward: grad_output must be on mc_ms_feat's device");
  const c10::cuda::CUDAGuard guard(mc_ms_feat.device());
  const auto feat = mc_ms_feat.contiguous(), loc = sampling_location.contiguous(), w = weights.contiguous();
  const auto shape = spatial_shape.contiguous(), start = scale_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({d.bs, d.anchors, d.channels}),
              "deformable_aggregation_backward: grad_output must be [bs, A, C]");
  const auto gout = grad_output.to(at::kFloat).contiguous();
  const bool run = gout.numel() > 0 && d.points > 0;
  return float32_grads(feat, loc, w, run, [&](float* grad_feat, float* grad_loc, float* grad_w) {
    return launch_backward(element_type(feat.scalar_type(), kFeat), feat.data_ptr(), shape.data_ptr<int>(),
                           start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(), gout.data_ptr<float>(), grad_feat,
                           grad_loc, grad_w, d, c10::cuda::getCurrentCUDAStream().stream());
  });
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("deformable_aggregation", &forward_cuda);
  m.impl("deformable_aggregation_backward", &backward_cuda);
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
