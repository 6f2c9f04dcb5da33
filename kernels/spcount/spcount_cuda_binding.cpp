// spcount CUDA binding: checks (idx < num read on the device), zeroed output, the launcher.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "spcount/spcount_check.h"
#include "spcount/spcount_cuda.h"

namespace ascend_ops {
namespace spcount {
namespace {

at::Tensor spcount_cuda(const at::Tensor& idx_in, int64_t num) {
  const c10::cuda::CUDAGuard guard(idx_in.device());
  check_inputs(idx_in, num);
  const auto idx = idx_in.contiguous();
  auto out = at::zeros({num}, idx.options().dtype(at::kInt));
  C10_CUDA_CHECK(launch_count(idx.data_ptr(), idx.scalar_type() == at::kLong, idx.size(0), num, out.data_ptr<int32_t>(),
                              c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) { m.impl("spcount", &spcount_cuda); }

}  // namespace spcount
}  // namespace ascend_ops
