// deformable_aggregation CUDA binding: checks, output allocation and stream, then the torch-free
// launchers of deformable_aggregation_cuda.cu. Gradients are accumulated in buffers of the
// accumulation dtype (float32; float64 for float64 input) and cast to the input dtype here.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "deformable_aggregation/deformable_aggregation_check.h"

#include "common/cuda_binding.h"
#include "deformable_aggregation/deformable_aggregation_cuda.h"

namespace ascend_ops {
namespace deformable_aggregation {
namespace {

// Names the feature argument in dtype errors.
constexpr const char* kFeat = "deformable_aggregation: mc_ms_feat";

at::Tensor forward_cuda(const at::Tensor& mc_ms_feat, const at::Tensor& spatial_shape,
                        const at::Tensor& scale_start_index, const at::Tensor& sampling_location,
                        const at::Tensor& weights) {
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
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
  check_inputs(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights);
  TORCH_CHECK(grad_output.device() == mc_ms_feat.device(),
              "deformable_aggregation_backward: grad_output must be on mc_ms_feat's device");
  const c10::cuda::CUDAGuard guard(mc_ms_feat.device());
  const auto feat = mc_ms_feat.contiguous(), loc = sampling_location.contiguous(), w = weights.contiguous();
  const auto shape = spatial_shape.contiguous(), start = scale_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  TORCH_CHECK(grad_output.sizes() == at::IntArrayRef({d.bs, d.anchors, d.channels}),
              "deformable_aggregation_backward: grad_output must be [bs, A, C]");
  const auto acc = accumulation_dtype(feat.scalar_type());
  const auto gout = grad_output.to(acc).contiguous();
  const bool run = gout.numel() > 0 && d.points > 0;
  return zeroed_buffers(acc, run, [&](void* grad_feat, void* grad_loc, void* grad_w) {
    return launch_backward(element_type(feat.scalar_type(), kFeat), feat.data_ptr(), shape.data_ptr<int>(),
                           start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(), gout.data_ptr(), grad_feat,
                           grad_loc, grad_w, d, c10::cuda::getCurrentCUDAStream().stream());
  }, feat, loc, w);
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("deformable_aggregation", &forward_cuda);
  m.impl("deformable_aggregation_backward", &backward_cuda);
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
