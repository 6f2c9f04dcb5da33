// spdevoxelize CUDA binding: checks (index values read on the device), the float32 / float64
// accumulator of the feature gradient, the launchers of spdevoxelize_cuda.cu.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/cuda_binding.h"
#include "spdevoxelize/spdevoxelize_check.h"
#include "spdevoxelize/spdevoxelize_cuda.h"

namespace ascend_ops {
namespace spdevoxelize {
namespace {

at::Tensor forward_cuda(const at::Tensor& feats_in, const at::Tensor& indices_in, const at::Tensor& weights_in) {
  const c10::cuda::CUDAGuard guard(feats_in.device());
  check_inputs("spdevoxelize", feats_in, indices_in, weights_in);
  const auto feats = feats_in.contiguous(), indices = indices_in.contiguous(), weights = weights_in.contiguous();
  const int64_t M = feats.size(0), C = feats.size(1), N = indices.size(0), K = indices.size(1);
  auto out = at::empty({N, C}, feats.options());
  if (N > 0 && C > 0)
    C10_CUDA_CHECK(launch_forward(element_type(feats.scalar_type(), "spdevoxelize: feats"), feats.data_ptr(),
                                  indices.data_ptr(), indices.scalar_type() == at::kLong, weights.data_ptr(), M, N, K, C,
                                  out.data_ptr(), c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

std::tuple<at::Tensor, at::Tensor> backward_cuda(const at::Tensor& grad_out, const at::Tensor& feats_in,
                                                 const at::Tensor& indices_in, const at::Tensor& weights_in) {
  const c10::cuda::CUDAGuard guard(feats_in.device());
  check_backward(grad_out, feats_in, indices_in, weights_in);
  const auto feats = feats_in.contiguous(), indices = indices_in.contiguous(), weights = weights_in.contiguous();
  const auto grad = grad_out.to(feats.scalar_type()).contiguous();
  const int64_t M = feats.size(0), C = feats.size(1), N = indices.size(0), K = indices.size(1);
  auto grad_feats_acc = at::zeros({M, C}, feats.options().dtype(accumulation_dtype(feats.scalar_type())));
  auto grad_weights = at::zeros({N, K}, weights.options());
  if (N > 0 && K > 0 && C > 0)
    C10_CUDA_CHECK(launch_backward(element_type(feats.scalar_type(), "spdevoxelize_backward: feats"), grad.data_ptr(),
                                   feats.data_ptr(), indices.data_ptr(), indices.scalar_type() == at::kLong,
                                   weights.data_ptr(), M, N, K, C, grad_feats_acc.data_ptr(), grad_weights.data_ptr(),
                                   c10::cuda::getCurrentCUDAStream().stream()));
  return {grad_feats_acc.to(feats.scalar_type()), grad_weights};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("spdevoxelize", &forward_cuda);
  m.impl("spdevoxelize_backward", &backward_cuda);
}

}  // namespace spdevoxelize
}  // namespace ascend_ops
