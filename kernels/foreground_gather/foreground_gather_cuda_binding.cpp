// foreground_gather CUDA binding: checks, work buffers, the one device -> host read of
// (K, first invalid row) that sizes the outputs, then the torch-free launchers of
// foreground_gather_cuda.cu. Invalid coors rows are flagged by the kernel (never read out of
// bounds) and raised here; the backward's index is checked the same way.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "foreground_gather/foreground_gather_check.h"

#include "foreground_gather/foreground_gather_cuda.h"

namespace ascend_ops {
namespace foreground_gather {
namespace {

constexpr const char* kOp = "foreground_gather";

IndexType index_type(const at::Tensor& coors) {
  return coors.scalar_type() == at::kLong ? IndexType::kInt64 : IndexType::kInt32;
}

MaskType mask_type(const at::Tensor& mask) {
  switch (mask.scalar_type()) {
    case at::kInt: return MaskType::kInt32;
    case at::kLong: return MaskType::kInt64;
    case at::kByte: return MaskType::kUInt8;
    default: return MaskType::kBool;   // check_inputs allowed nothing else
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> forward_cuda(const at::Tensor& features_in, const at::Tensor& coors_in,
                                                            const at::Tensor& valid_mask) {
  check_inputs(kOp, features_in, coors_in, valid_mask);
  const c10::cuda::CUDAGuard guard(features_in.device());
  const auto features = features_in.contiguous(), coors = coors_in.contiguous(), mask = valid_mask.contiguous();
  const int64_t M = features.size(0), C = features.size(1);
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  const auto i64 = coors.options().dtype(at::kLong);
  const int64_t tiles = num_tiles(M);
  auto status = at::empty({M}, coors.options().dtype(at::kByte));
  auto tile_work = at::empty({2 * tiles}, i64);
  auto summary = at::full({2}, M, i64);   // (K, first invalid row; M = none)
  C10_CUDA_CHECK(launch_mark(coors.data_ptr(), index_type(coors), mask.data_ptr(), mask_type(mask), grid_of(mask), M,
                             status.data_ptr<uint8_t>(), tile_work.data_ptr<int64_t>(),
                             tile_work.data_ptr<int64_t>() + tiles, summary.data_ptr<int64_t>(), stream));
  const auto host = summary.cpu();
  const int64_t K = host.data_ptr<int64_t>()[0], bad = host.data_ptr<int64_t>()[1];
  TORCH_CHECK_VALUE(bad >= M, invalid_row_message(kOp, bad, coors, mask));
  auto out_features = at::empty({K, C}, features.options());
  auto out_coors = at::empty({K, 4}, coors.options());
  auto index = at::empty({K}, i64);
  C10_CUDA_CHECK(launch_compact(features.data_ptr(), features.element_size(), C, coors.data_ptr(), index_type(coors),
                                status.data_ptr<uint8_t>(), tile_work.data_ptr<int64_t>() + tiles, M, K,
                                out_features.data_ptr(), out_coors.data_ptr(), index.data_ptr<int64_t>(), stream));
  return {out_features, out_coors, index};
}

at::Tensor backward_cuda(const at::Tensor& grad_features, const at::Tensor& features, const at::Tensor& coors,
                         const at::Tensor& valid_mask, const at::Tensor& index_in) {
  constexpr const char* op = "foreground_gather_backward";
  check_backward(grad_features, features, coors, valid_mask, index_in);
  const c10::cuda::CUDAGuard guard(features.device());
  const int64_t M = features.size(0), C = features.size(1), K = index_in.size(0);
  auto grad_in = at::zeros({M, C}, features.options());
  if (K == 0 || C == 0) return grad_in;
  const auto grad = grad_features.to(features.scalar_type()).contiguous();
  const auto index = index_in.contiguous();
  auto error = at::zeros({1}, index.options().dtype(at::kInt));
  C10_CUDA_CHECK(launch_scatter(grad.data_ptr(), grad.element_size(), C, index.data_ptr<int64_t>(), K, M,
                                grad_in.data_ptr(), error.data_ptr<int32_t>(), c10::cuda::getCurrentCUDAStream().stream()));
  const int32_t flags = error.item<int32_t>();
  TORCH_CHECK(!(flags & 1), op, ": index has entries outside [0, M = ", M, ") (features.shape[0])");
  TORCH_CHECK(!(flags & 2), op, ": index must be strictly increasing (as foreground_gather returns it)");
  return grad_in;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("foreground_gather", &forward_cuda);
  m.impl("foreground_gather_backward", &backward_cuda);
}

}  // namespace foreground_gather
}  // namespace ascend_ops
