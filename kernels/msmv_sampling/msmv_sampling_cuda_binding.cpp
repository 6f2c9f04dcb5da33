// msmv_sampling CUDA binding: checks, output allocation and stream, then the torch-free
// launchers of msmv_sampling_cuda.cu. Gradients are accumulated in buffers of the accumulation
// dtype (float32; float64 for float64 input) and cast to the input dtype here.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/cuda_binding.h"
#include "msmv_sampling/msmv_sampling_check.h"
#include "msmv_sampling/msmv_sampling_cuda.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

// Names the feature argument in dtype errors.
constexpr const char* kFeat = "msmv_sampling: feat";

at::Tensor forward_cuda(const at::Tensor& feat_in, const at::Tensor& spatial_shapes,
                        const at::Tensor& level_start_index, const at::Tensor& sampling_locations,
                        const at::Tensor& scale_weights) {
  check_inputs(feat_in, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const c10::cuda::CUDAGuard guard(feat_in.device());
  const auto feat = feat_in.contiguous(), loc = sampling_locations.contiguous(), w = scale_weights.contiguous();
  const auto shape = spatial_shapes.contiguous(), start = level_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  auto out = at::empty({d.batch, d.queries, d.channels, d.points}, feat.options());  // every element written
  if (out.numel() == 0) return out;
  const cudaError_t err = launch_forward(element_type(feat.scalar_type(), kFeat), feat.data_ptr(),
                                         shape.data_ptr<int>(), start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(),
                                         out.data_ptr(), d, c10::cuda::getCurrentCUDAStream().stream());
  C10_CUDA_CHECK(err);
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> backward_cuda(
    const at::Tensor& grad_output, const at::Tensor& feat_in, const at::Tensor& spatial_shapes,
    const at::Tensor& level_start_index, const at::Tensor& sampling_locations, const at::Tensor& scale_weights) {
  check_inputs(feat_in, spatial_shapes, level_start_index, sampling_locations, scale_weights);
  const c10::cuda::CUDAGuard guard(feat_in.device());
  const auto feat = feat_in.contiguous(), loc = sampling_locations.contiguous(), w = scale_weights.contiguous();
  const auto shape = spatial_shapes.contiguous(), start = level_start_index.contiguous();
  const Dims d = dims_of(feat, loc, w);
  check_grad_output(grad_output, feat, d);
  const auto acc = accumulation_dtype(feat.scalar_type());
  const auto gout = grad_output.to(acc).contiguous();
  return zeroed_buffers(acc, gout.numel() > 0, [&](void* grad_feat, void* grad_loc, void* grad_w) {
    return launch_backward(element_type(feat.scalar_type(), kFeat), feat.data_ptr(), shape.data_ptr<int>(),
                           start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(), gout.data_ptr(), grad_feat,
                           grad_loc, grad_w, d, c10::cuda::getCurrentCUDAStream().stream());
  }, feat, loc, w);
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("msmv_sampling", &forward_cuda);
  m.impl("msmv_sampling_backward", &backward_cuda);
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
