// spvoxelize CUDA binding: checks (index values read on the device), the float32 / float64
// accumulator of the forward, the launchers of spvoxelize_cuda.cu.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/cuda_binding.h"
#include "spvoxelize/spvoxelize_check.h"
#include "spvoxelize/spvoxelize_cuda.h"

namespace ascend_ops {
namespace spvoxelize {
namespace {

at::Tensor forward_cuda(const at::Tensor& feats_in, const at::Tensor& idx_in, const at::Tensor& counts_in) {
  const c10::cuda::CUDAGuard guard(feats_in.device());
  check_inputs("spvoxelize", feats_in, idx_in, counts_in);
  const auto feats = feats_in.contiguous(), idx = idx_in.contiguous(), counts = counts_in.to(at::kLong).contiguous();
  const int64_t N = feats.size(0), C = feats.size(1), M = counts.size(0);
  const auto type = element_type(feats.scalar_type(), "spvoxelize: feats");
  auto acc = at::zeros({M, C}, feats.options().dtype(accumulation_dtype(feats.scalar_type())));
  if (N > 0 && M > 0 && C > 0)
    C10_CUDA_CHECK(launch_forward(type, feats.data_ptr(), idx.data_ptr(), idx.scalar_type() == at::kLong,
                                  counts.data_ptr<int64_t>(), N, M, C, acc.data_ptr(),
                                  c10::cuda::getCurrentCUDAStream().stream()));
  return acc.to(feats.scalar_type());
}

at::Tensor backward_cuda(const at::Tensor& grad_out, const at::Tensor& feats, const at::Tensor& idx_in,
                         const at::Tensor& counts_in) {
  const c10::cuda::CUDAGuard guard(feats.device());
  check_backward(grad_out, feats, idx_in, counts_in);
  const auto grad = grad_out.to(feats.scalar_type()).contiguous(), idx = idx_in.contiguous();
  const auto counts = counts_in.to(at::kLong).contiguous();
  const int64_t N = feats.size(0), C = feats.size(1), M = counts.size(0);
  auto out = at::zeros({N, C}, feats.options());
  if (N > 0 && C > 0)
    C10_CUDA_CHECK(launch_backward(element_type(feats.scalar_type(), "spvoxelize_backward: feats"), grad.data_ptr(),
                                   idx.data_ptr(), idx.scalar_type() == at::kLong, counts.data_ptr<int64_t>(), N, M, C,
                                   out.data_ptr(), c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("spvoxelize", &forward_cuda);
  m.impl("spvoxelize_backward", &backward_cuda);
}

}  // namespace spvoxelize
}  // namespace ascend_ops
