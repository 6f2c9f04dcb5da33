// sparse2bev CUDA binding: checks, output allocation and stream, then the torch-free launchers of
// sparse2bev_cuda.cu. The forward sums into a float32 (float64 for float64 input) accumulator
// and casts it to features' dtype here. Out-of-range coordinates are found on the device (the
// kernels skip those voxels and report the first); the binding then raises naming coors, which
// costs one device -> host copy of 8 bytes per call.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include <limits>

#include "sparse2bev/sparse2bev_check.h"

#include "common/cuda_binding.h"
#include "sparse2bev/sparse2bev_cuda.h"

namespace ascend_ops {
namespace sparse2bev {
namespace {

constexpr const char* kFeat = "sparse2bev: features";

// A one-element uint64 tensor holding ULLONG_MAX ("no bad voxel").
at::Tensor first_bad_flag(const at::Tensor& like) {
  return at::full({1}, -1, like.options().dtype(at::kLong));   // all bits set == ULLONG_MAX
}

// Raises naming coors when the kernel reported a voxel out of range (reads its row back).
void raise_if_bad(const char* op, const at::Tensor& flag, const at::Tensor& coors, const Dims& d) {
  const int64_t first = flag.item<int64_t>();
  if (first == -1) return;
  const auto row = coors[first].to(at::kCPU, at::kLong).contiguous();
  const int64_t* r = row.data_ptr<int64_t>();
  const int col = bad_column(r, d);
  TORCH_CHECK(col >= 0, op, ": internal: the kernel reported coors[", first, "] but it is in range");
  fail_coors(op, first, r, col, d);
}

std::tuple<at::Tensor, at::Tensor> forward_cuda(const at::Tensor& features, const at::Tensor& coors,
                                                at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev", features, coors, spatial_shape, batch_size);
  const c10::cuda::CUDAGuard guard(features.device());
  const auto feat = features.contiguous(), idx = coors.contiguous();
  const auto acc_type = feat.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  auto acc = at::zeros({d.batch, d.channels, d.ny, d.nx}, feat.options().dtype(acc_type));
  auto mask = at::zeros({d.batch, d.ny, d.nx}, feat.options().dtype(at::kInt));
  if (d.voxels > 0) {
    auto flag = first_bad_flag(feat);
    const cudaError_t err = launch_forward(
        element_type(feat.scalar_type(), kFeat), feat.data_ptr(), idx.data_ptr(), idx.scalar_type() == at::kLong,
        acc.data_ptr(), mask.data_ptr<int>(), reinterpret_cast<unsigned long long*>(flag.data_ptr<int64_t>()), d,
        c10::cuda::getCurrentCUDAStream().stream());
    C10_CUDA_CHECK(err);
    raise_if_bad("sparse2bev", flag, idx, d);
  }
  return {acc.to(feat.scalar_type()), mask};
}

at::Tensor backward_cuda(const at::Tensor& grad_bev, const at::Tensor& features, const at::Tensor& coors,
                         at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev_backward", features, coors, spatial_shape, batch_size);
  check_grad(grad_bev, features, d);
  const c10::cuda::CUDAGuard guard(features.device());
  const auto g = grad_bev.contiguous(), idx = coors.contiguous();
  auto grad = at::zeros({d.voxels, d.channels}, features.options());
  if (grad.numel() > 0) {
    auto flag = first_bad_flag(g);
    const cudaError_t err = launch_backward(
        element_type(g.scalar_type(), "sparse2bev_backward: grad_bev"), g.data_ptr(), idx.data_ptr(),
        idx.scalar_type() == at::kLong, grad.data_ptr(), reinterpret_cast<unsigned long long*>(flag.data_ptr<int64_t>()),
        d, c10::cuda::getCurrentCUDAStream().stream());
    C10_CUDA_CHECK(err);
    raise_if_bad("sparse2bev_backward", flag, idx, d);
  }
  return grad;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("sparse2bev", &forward_cuda);
  m.impl("sparse2bev_backward", &backward_cuda);
}

}  // namespace sparse2bev
}  // namespace ascend_ops
