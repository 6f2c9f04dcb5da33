// sparse_gather / sparse_scatter_add / sparse_max_pool CUDA binding: checks, buffers and the
// stream, then the torch-free launchers of sparse_gather_scatter_cuda.cu. Index entries are
// range-checked by the kernels (skipped, never read out of bounds); one int32 flag read back per
// call says whether any was bad, and only then is the index copied to the host to name the first
// bad entry (the CPU check's message). Sums accumulate in float32 (float64 for float64) buffers
// cast to the input dtype here.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "sparse_gather_scatter/sparse_gather_scatter_check.h"

#include "common/cuda_binding.h"
#include "sparse_gather_scatter/sparse_gather_scatter_cuda.h"

namespace ascend_ops {
namespace sparse_gather_scatter {
namespace {

IndexType index_type(const at::Tensor& index) {
  return index.scalar_type() == at::kLong ? IndexType::kInt64 : IndexType::kInt32;
}

cudaStream_t stream() { return c10::cuda::getCurrentCUDAStream().stream(); }

// Raises with the CPU check's message for the index that the kernel flagged (bit `which` of
// the flag: kBadFirstIndex -> first, kBadSecondIndex -> second).
void raise_if_flagged(const char* op, const at::Tensor& error, const char* first_name, const at::Tensor& first,
                      int64_t first_limit, const char* first_limit_name, const char* second_name = nullptr,
                      const at::Tensor* second = nullptr, int64_t second_limit = 0,
                      const char* second_limit_name = nullptr) {
  const int32_t flag = error.item<int32_t>();
  if (flag == 0) return;
  if (flag == kBadFirstIndex)
    check_index_values_cpu(op, first_name, first.cpu().contiguous(), first_limit, first_limit_name);
  else if (second != nullptr)
    check_index_values_cpu(op, second_name, second->cpu().contiguous(), second_limit, second_limit_name);
  TORCH_CHECK(false, op, ": internal: the kernel flagged an index entry out of range (flag ", flag,
              ") but the host check found none");
}

at::Tensor flag_like(const at::Tensor& t) { return at::zeros({1}, t.options().dtype(at::kInt)); }

// With C == 0 no kernel reads the index: its values are checked on the host instead (tiny case).
void check_without_channels(const char* op, const char* name, const at::Tensor& index, int64_t limit,
                            const char* limit_name) {
  check_index_values_cpu(op, name, index.cpu().contiguous(), limit, limit_name);
}

// src [rows, C] -> out [P, C] = src[index]; index values checked on the device.
at::Tensor gather(const char* op, const at::Tensor& src, const at::Tensor& index, const char* limit_name) {
  const int64_t P = index.size(0), C = src.size(1);
  auto out = at::empty({P, C}, src.options());
  if (C == 0) check_without_channels(op, "index", index, src.size(0), limit_name);
  if (out.numel() == 0) return out;
  auto error = flag_like(src);
  C10_CUDA_CHECK(launch_gather(src.data_ptr(), src.element_size(), src.size(0), C, index.data_ptr(),
                               index_type(index), P, out.data_ptr(), error.data_ptr<int32_t>(), stream()));
  raise_if_flagged(op, error, "index", index, src.size(0), limit_name);
  return out;
}

// values [P, C] -> [num_rows, C] sums at index (float atomics in accumulation_dtype).
at::Tensor scatter_add(const char* op, const at::Tensor& values, const at::Tensor& index, int64_t num_rows,
                       const char* limit_name) {
  const int64_t P = index.size(0), C = values.size(1);
  auto acc = at::zeros({num_rows, C}, values.options().dtype(accumulation_dtype(values.scalar_type())));
  if (C == 0) check_without_channels(op, "index", index, num_rows, limit_name);
  if (P > 0 && C > 0) {
    auto error = flag_like(values);
    C10_CUDA_CHECK(launch_scatter_add(element_type(values.scalar_type(), op), values.data_ptr(), C, index.data_ptr(),
                                      index_type(index), P, num_rows, acc.data_ptr(), error.data_ptr<int32_t>(),
                                      stream()));
    raise_if_flagged(op, error, "index", index, num_rows, limit_name);
  }
  return acc.to(values.scalar_type());
}

// The max pool's keys [num_out, C] (int32 / int64 bits of uint32 / uint64 keys); index values checked.
at::Tensor max_pool_keys(const char* op, const at::Tensor& features, const at::Tensor& in_index,
                         const at::Tensor& out_index, int64_t num_out) {
  const int64_t P = in_index.size(0), C = features.size(1);
  const auto key_dtype = features.scalar_type() == at::kDouble ? at::kLong : at::kInt;
  auto keys = at::zeros({num_out, C}, features.options().dtype(key_dtype));
  if (C == 0) {
    check_without_channels(op, "in_index", in_index, features.size(0), "features.shape[0] (N)");
    check_without_channels(op, "out_index", out_index, num_out, "num_out");
  }
  if (P > 0 && C > 0) {
    auto error = flag_like(features);
    C10_CUDA_CHECK(launch_max_pool_keys(element_type(features.scalar_type(), op), features.data_ptr(),
                                        features.size(0), C, in_index.data_ptr(), out_index.data_ptr(),
                                        index_type(in_index), P, num_out, keys.data_ptr(), error.data_ptr<int32_t>(),
                                        stream()));
    raise_if_flagged(op, error, "in_index", in_index, features.size(0), "features.shape[0] (N)", "out_index",
                     &out_index, num_out, "num_out");
  }
  return keys;
}

at::Tensor gather_cuda(const at::Tensor& features_in, const at::Tensor& index_in) {
  constexpr const char* op = "sparse_gather";
  check_gather(op, features_in, index_in);
  const c10::cuda::CUDAGuard guard(features_in.device());
  return gather(op, features_in.contiguous(), index_in.contiguous(), "features.shape[0] (N)");
}

at::Tensor gather_backward_cuda(const at::Tensor& grad, const at::Tensor& features, const at::Tensor& index_in) {
  constexpr const char* op = "sparse_gather_backward";
  check_gather(op, features, index_in);
  check_grad(op, grad, index_in.size(0), features.size(1), features, "features");
  const c10::cuda::CUDAGuard guard(features.device());
  return scatter_add(op, grad.to(features.scalar_type()).contiguous(), index_in.contiguous(), features.size(0),
                     "features.shape[0] (N)");
}

at::Tensor scatter_add_cuda(const at::Tensor& values, const at::Tensor& index_in, int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add";
  check_scatter_add(op, values, index_in, num_rows);
  const c10::cuda::CUDAGuard guard(values.device());
  return scatter_add(op, values.contiguous(), index_in.contiguous(), num_rows, "num_rows");
}

at::Tensor scatter_add_backward_cuda(const at::Tensor& grad, const at::Tensor& values, const at::Tensor& index_in,
                                     int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add_backward";
  check_scatter_add(op, values, index_in, num_rows);
  check_grad(op, grad, num_rows, values.size(1), values, "values");
  const c10::cuda::CUDAGuard guard(values.device());
  return gather(op, grad.to(values.scalar_type()).contiguous(), index_in.contiguous(), "num_rows");
}

at::Tensor max_pool_cuda(const at::Tensor& features_in, const at::Tensor& in_index, const at::Tensor& out_index,
                         int64_t num_out) {
  constexpr const char* op = "sparse_max_pool";
  check_max_pool(op, features_in, in_index, out_index, num_out);
  const c10::cuda::CUDAGuard guard(features_in.device());
  const auto features = features_in.contiguous();
  const auto keys = max_pool_keys(op, features, in_index.contiguous(), out_index.contiguous(), num_out);
  auto out = at::empty({num_out, features.size(1)}, features.options());
  if (out.numel() > 0)
    C10_CUDA_CHECK(launch_max_pool_decode(element_type(features.scalar_type(), op), keys.data_ptr(), num_out,
                                          features.size(1), out.data_ptr(), stream()));
  return out;
}

at::Tensor max_pool_backward_cuda(const at::Tensor& grad_in, const at::Tensor& features_in,
                                  const at::Tensor& in_index_in, const at::Tensor& out_index_in, int64_t num_out) {
  constexpr const char* op = "sparse_max_pool_backward";
  check_max_pool(op, features_in, in_index_in, out_index_in, num_out);
  check_grad(op, grad_in, num_out, features_in.size(1), features_in, "features");
  const c10::cuda::CUDAGuard guard(features_in.device());
  const auto features = features_in.contiguous(), in_index = in_index_in.contiguous();
  const auto out_index = out_index_in.contiguous();
  const int64_t P = in_index.size(0), C = features.size(1);
  const auto keys = max_pool_keys(op, features, in_index, out_index, num_out);
  auto acc = at::zeros(features.sizes(), features.options().dtype(accumulation_dtype(features.scalar_type())));
  if (P > 0 && C > 0 && num_out > 0) {
    const auto type = element_type(features.scalar_type(), op);
    auto winner = at::full({num_out, C}, -1, features.options().dtype(at::kLong));   // every bit set: no pair
    auto* W = reinterpret_cast<unsigned long long*>(winner.data_ptr<int64_t>());
    C10_CUDA_CHECK(launch_max_pool_winners(type, features.data_ptr(), C, in_index.data_ptr(), out_index.data_ptr(),
                                           index_type(in_index), P, keys.data_ptr(), W, stream()));
    const auto grad = grad_in.to(features.scalar_type()).contiguous();
    C10_CUDA_CHECK(launch_max_pool_grad(type, grad.data_ptr(), C, in_index.data_ptr(), index_type(in_index), P, num_out,
                                        W, acc.data_ptr(), stream()));
  }
  return acc.to(features.scalar_type());
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("sparse_gather", &gather_cuda);
  m.impl("sparse_gather_backward", &gather_backward_cuda);
  m.impl("sparse_scatter_add", &scatter_add_cuda);
  m.impl("sparse_scatter_add_backward", &scatter_add_backward_cuda);
  m.impl("sparse_max_pool", &max_pool_cuda);
  m.impl("sparse_max_pool_backward", &max_pool_backward_cuda);
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
