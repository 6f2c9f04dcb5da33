// hard_voxelize / dynamic_voxelize CUDA binding: the CPU binding's checks, CUDAGuard, the work
// buffer, the torch-free launchers of voxelize_cuda.cu, and for hard_voxelize the one
// device -> host read of the voxel count that sizes the outputs.
#include <ATen/ATen.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <torch/library.h>

#include "voxelize/voxelize_check.h"
#include "voxelize/voxelize_cuda.h"

namespace ascend_ops {
namespace voxelize {
namespace {

at::Tensor dynamic_cuda(const at::Tensor& points_in, at::ArrayRef<double> voxel_size, at::ArrayRef<double> coors_range) {
  const Grid g = check_args("dynamic_voxelize", points_in, voxel_size, coors_range);
  const c10::cuda::CUDAGuard guard(points_in.device());
  const auto points = points_in.contiguous();
  const int64_t N = points.size(0), F = points.size(1);
  auto out = at::empty({N, 3}, points.options().dtype(at::kInt));
  C10_CUDA_CHECK(launch_dynamic(points.data_ptr(), points.scalar_type() == at::kDouble, N, F, g, out.data_ptr<int32_t>(),
                                c10::cuda::getCurrentCUDAStream().stream()));
  return out;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> hard_cuda(const at::Tensor& points_in, at::ArrayRef<double> voxel_size,
                                                         at::ArrayRef<double> coors_range, int64_t max_points,
                                                         int64_t max_voxels) {
  constexpr const char* op = "hard_voxelize";
  const Grid g = check_args(op, points_in, voxel_size, coors_range);
  check_limits(op, max_points, max_voxels);
  const c10::cuda::CUDAGuard guard(points_in.device());
  const auto points = points_in.contiguous();
  const int64_t N = points.size(0), F = points.size(1);
  const bool is_double = points.scalar_type() == at::kDouble;
  const cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
  auto work = at::empty({static_cast<int64_t>(hard_work_bytes(N))}, points.options().dtype(at::kByte));
  auto total = at::empty({1}, points.options().dtype(at::kLong));
  C10_CUDA_CHECK(launch_hard_index(points.data_ptr(), is_double, N, F, g, work.data_ptr(), total.data_ptr<int64_t>(),
                                   stream));
  const int64_t voxels_total = total.item<int64_t>();
  const int64_t V = std::min(voxels_total, max_voxels);
  auto voxels = at::zeros({V, max_points, F}, points.options());
  auto coords = at::empty({V, 3}, points.options().dtype(at::kInt));
  auto num = at::empty({V}, points.options().dtype(at::kInt));
  C10_CUDA_CHECK(launch_hard_fill(points.data_ptr(), is_double, N, F, g, max_points, max_voxels, voxels_total,
                                  work.data_ptr(), voxels.data_ptr(), coords.data_ptr<int32_t>(), num.data_ptr<int32_t>(),
                                  stream));
  return {voxels, coords, num};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m) {
  m.impl("hard_voxelize", &hard_cuda);
  m.impl("dynamic_voxelize", &dynamic_cuda);
}

}  // namespace voxelize
}  // namespace ascend_ops
