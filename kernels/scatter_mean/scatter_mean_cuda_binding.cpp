// scatter_mean CUDA binding: the CPU binding's checks, CUDAGuard, the work buffers, the
// torch-free launchers of scatter_mean_cuda.cu, then one device -> host read of the first bad
// index row (raised with the CPU kernel's message; a bad index is never used as an address).
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "common/cuda_binding.h"
#include "scatter_mean/scatter_mean_check.h"
#include "scatter_mean/scatter_mean_cuda.h"

namespace ascend_ops {
namespace scatter_mean {
namespace {

IndexType index_type(const at::Tensor& index) {
  return index.scalar_type() == at::kLong ? IndexType::kInt64 : IndexType::kInt32;
}

void raise_bad_index(const char* op, const at::Tensor& first_bad, const at::Tensor& index, int64_t dim_size) {
  const int64_t row = first_bad.item<int64_t>();
  if (row >= index.size(0)) return;
  TORCH_CHECK_VALUE(false, op, ": index[", row, "] = ", index[row].item<int64_t>(), " is outside [0, dim_size = ",
                    dim_size, ")");
}

at::Tensor forward_cuda(const at::Tensor& src_in, const at::Tensor& index_in, int64_t dim_size) {
  constexpr const char* op = "scatter_mean";
  check_args(op, src_in, index_in, dim_size);
  TORCH_CHECK(src_in.size(0) < (int64_t(1) << 31) && dim_size < (int64_t(1) << 31), op,
              ": the CUDA kernel takes fewer than 2**31 rows (src.shape[0] = ", src_in.size(0), ", dim_size = ",
              dim_size, ")");
  const c10::cuda::CUDAGuard guard(src_in.device());
  const auto src = src_in.contiguous(), index = index_in.contiguous();
  const int64_t N = src.size(0), C = src.size(1);
  auto out = at::empty({dim_size, C}, src.options());
  if (dim_size == 0 || C == 0) return out;
  const ForwardWork w = forward_work(N, dim_size);
  const size_t bytes = w.keys + w.sorted_keys + w.rows + w.sorted_rows + w.count + w.offsets + w.temp;
  auto work = at::empty({static_cast<int64_t>(bytes)}, src.options().dtype(at::kByte));
  auto first_bad = at::full({1}, N, src.options().dtype(at::kLong));
  C10_CUDA_CHECK(launch_forward(src.data_ptr(), element_type(src.scalar_type(), "scatter_mean: src"), index.data_ptr(),
                                index_type(index), N, C, dim_size, work.data_ptr(), first_bad.data_ptr<int64_t>(),
                                out.data_ptr(), c10::cuda::getCurrentCUDAStream().stream()));
  raise_bad_index(op, first_bad, index, dim_size);
  return out;
}

at::Tensor backward_cuda(const at::Tensor& grad_out_in, const at::Tensor& src, const at::Tensor& index_in,
                         int64_t dim_size) {
  constexpr const char* op = "scatter_mean_backward";
  check_args(op, src, index_in, dim_size);
  check_grad(grad_out_in, src, dim_size);
  const c10::cuda::CUDAGuard guard(src.device());
  const auto grad_out = grad_out_in.contiguous(), index = index_in.contiguous();
  const int64_t N = src.size(0), C = src.size(1);
  auto grad_src = at::empty({N, C}, src.options());
  if (N == 0 || C == 0) return grad_src;
  auto count = at::zeros({dim_size + 1}, src.options().dtype(at::kLong));
  auto first_bad = at::full({1}, N, src.options().dtype(at::kLong));
  C10_CUDA_CHECK(launch_backward(grad_out.data_ptr(), element_type(src.scalar_type(), "scatter_mean_backward: src"),
                                 index.data_ptr(), index_type(index), N, C, dim_size, count.data_ptr<int64_t>(),
                                 first_bad.data_ptr<int64_t>(), grad_src.data_ptr(),
                                 c10::cuda::getCurrentCUDAStream().stream()));
  raise_bad_index(op, first_bad, index, dim_size);
  return grad_src;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("scatter_mean", &forward_cuda);
  m.impl("scatter_mean_backward", &backward_cuda);
}

}  // namespace scatter_mean
}  // namespace ascend_ops
