// sphash / sphash_kernel CUDA binding: checks, output allocation and stream, then the torch-free
// launchers of sphash_cuda.cu.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "sphash/sphash_check.h"
#include "sphash/sphash_cuda.h"

namespace ascend_ops {
namespace sphash {
namespace {

at::Tensor sphash_cuda(const at::Tensor& coords_in) {
  check_coords("sphash", coords_in);
  const c10::cuda::CUDAGuard guard(coords_in.device());
  const auto coords = coords_in.contiguous();
  auto out = at::empty({coords.size(0)}, coords.options().dtype(at::kLong));
  C10_CUDA_CHECK(launch_hash(coords.data_ptr<int32_t>(), coords.size(0), out.data_ptr<int64_t>(),
                             c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

at::Tensor sphash_kernel_cuda(const at::Tensor& coords_in, const at::Tensor& offsets_in) {
  check_coords("sphash_kernel", coords_in);
  check_offsets("sphash_kernel", coords_in, offsets_in);
  const c10::cuda::CUDAGuard guard(coords_in.device());
  const auto coords = coords_in.contiguous(), offsets = offsets_in.contiguous();
  auto out = at::empty({offsets.size(0), coords.size(0)}, coords.options().dtype(at::kLong));
  C10_CUDA_CHECK(launch_kernel_hash(coords.data_ptr<int32_t>(), offsets.data_ptr<int32_t>(), coords.size(0),
                                    offsets.size(0), out.data_ptr<int64_t>(), c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("sphash", &sphash_cuda);
  m.impl("sphash_kernel", &sphash_kernel_cuda);
}

}  // namespace sphash
}  // namespace ascend_ops
