// sphashquery CUDA binding: checks, int64 keys (int32 widened), work buffers, the launcher.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "sphashquery/sphashquery_check.h"
#include "sphashquery/sphashquery_cuda.h"

namespace ascend_ops {
namespace sphashquery {
namespace {

at::Tensor sphashquery_cuda(const at::Tensor& queries_in, const at::Tensor& references_in) {
  check_inputs(queries_in, references_in);
  const c10::cuda::CUDAGuard guard(queries_in.device());
  const auto queries = queries_in.to(at::kLong).contiguous(), references = references_in.to(at::kLong).contiguous();
  const int64_t Q = queries.size(0), R = references.size(0);
  if (R == 0) return at::full({Q}, -1, queries.options());
  auto out = at::empty({Q}, queries.options());
  auto work = at::empty({2, R}, queries.options());
  C10_CUDA_CHECK(launch_query(references.data_ptr<int64_t>(), R, queries.data_ptr<int64_t>(), Q,
                              work.data_ptr<int64_t>(), work.data_ptr<int64_t>() + R, out.data_ptr<int64_t>(),
                              c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) { m.impl("sphashquery", &sphashquery_cuda); }

}  // namespace sphashquery
}  // namespace ascend_ops
