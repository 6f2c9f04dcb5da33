// msmv_sampling CUDA binding: checks, output allocation and stream, then the torch-free
// launchers of msmv_sampling_cuda.cu. Gradients are accumulated in float32 buffers and cast to
// the input dtype here.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "msmv_sampling/msmv_sampling_check.h"
#include "msmv_sampling/msmv_sampling_cuda.h"

namespace ascend_ops {
namespace msmv_sampling {
namespace {

ElementType element_type(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return ElementType::kFloat32;
    case at::kHalf: return ElementType::kFloat16;
    case at::kBFloat16: return ElementType::kBFloat16;
    case at::kDouble: return ElementType::kFloat64;
    default: TORCH_CHECK(false, "msmv_sampling: feat must be float32, float16, bfloat16 or float64, got ", type);
  }
}

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
  const cudaError_t err = launch_forward(element_type(feat.scalar_type()), feat.data_ptr(), shape.data_ptr<int>(),
                                         start.data_ptr<int>(), loc.data_ptr(), w.data_ptr(), out.data_ptr(), d,
                                         c10::cuda::getCurrentCUDAStream().stream());
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
  const auto gout = grad_output.to(at::kFloat).contiguous();
  const auto f32 = feat.options().dtype(at::kFloat);
  auto grad_feat = at::zeros(feat.sizes(), f32);
  auto grad_loc = at::zeros(loc.sizes(), f32);
  auto grad_w = at::zeros(w.sizes(), f32);
  if (gout.numel() > 0) {
    const cudaError_t err = launch_backward(
        element_type(feat.scalar_type()), feat.data_ptr(), shape.data_ptr<int>(), start.data_ptr<int>(),
        loc.data_ptr(), w.data_ptr(), gout.data_ptr<float>(), grad_feat.data_ptr<float>(),
        grad_loc.data_ptr<float>(), grad_w.data_ptr<float>(), d, c10::cuda::getCurrentCUDAStream().stream());
    C10_CUDA_CHECK(err);
  }
  return {grad_feat.to(feat.scalar_type()), grad_loc.to(loc.scalar_type()), grad_w.to(w.scalar_type())};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("msmv_sampling", &forward_cuda);
  m.impl("msmv_sampling_backward", &backward_cuda);
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
