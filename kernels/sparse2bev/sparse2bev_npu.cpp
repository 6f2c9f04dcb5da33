// sparse2bev NPU binding: checks, then the Ascend C operators through aclnn
//   Sparse2bev(features, coors; attrs spatial_shape, batch_size) -> (bev, mask)
//   Sparse2bevGrad(grad_bev, coors; attrs spatial_shape, batch_size) -> grad_features
// (aclnn order: inputs, attributes (ListInt -> aclIntArray*, Int -> int64_t), outputs).
// The Ascend C kernels take float32 or float16 features and int32 coors. Here:
// - coors values are validated on the host before the launch (one copy of coors to the CPU, a
//   synchronisation): out-of-range coordinates raise naming coors. The kernels also skip such
//   voxels, so they never address memory with them. After the check every coordinate is below
//   its dimension (<= INT32_MAX), so int64 coors convert to int32 exactly;
// - bfloat16 features run as float32 (widened, then the result rounded once);
// - float64 runs as aten ops in float64 on the device (the kernels have no float64 path);
//   so does C = 0 (no features to copy; only the mask is computed).
// The forward kernel owns each output element on one core (no atomics): deterministic.
#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include <limits>

#include "sparse2bev/sparse2bev_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace sparse2bev {
namespace {

at::ScalarType kernel_dtype(const at::Tensor& t) { return t.scalar_type() == at::kHalf ? at::kHalf : at::kFloat; }

// Values in range and sizes within the kernels' int32 coordinates / uint32 tiling fields.
at::Tensor checked_coors_int32(const char* op, const at::Tensor& coors, const Dims& d) {
  check_coors_values(op, coors.to(at::kCPU).contiguous(), d);
  const int64_t u32 = std::numeric_limits<uint32_t>::max();
  TORCH_CHECK(d.nz <= std::numeric_limits<int32_t>::max() && d.ny * d.nx <= u32 / 4 && d.batch * d.ny * d.nx <= u32 &&
                  d.voxels <= u32 && d.channels <= u32,
              op, ": sizes beyond the NPU kernel's 32-bit limits (M = ", d.voxels, ", C = ", d.channels,
              ", batch_size = ", d.batch, ", spatial_shape = [", d.nz, ", ", d.ny, ", ", d.nx, "])");
  return coors.to(at::kInt).contiguous();
}

at::Tensor flat_cells(const at::Tensor& coors, const Dims& d) {
  const auto c = coors.to(at::kLong);
  return (c.select(1, 0) * d.ny + c.select(1, 2)) * d.nx + c.select(1, 3);
}

// The aten composition (float64 and C = 0): index_add into [B*Y*X, C], permuted to [B, C, Y, X].
std::tuple<at::Tensor, at::Tensor> forward_aten(const at::Tensor& features, const at::Tensor& coors, const Dims& d) {
  const auto cell = flat_cells(coors, d);
  auto flat = at::zeros({d.batch * d.ny * d.nx, d.channels}, features.options()).index_add_(0, cell, features);
  auto bev = flat.view({d.batch, d.ny, d.nx, d.channels}).permute({0, 3, 1, 2}).contiguous();
  auto mask = at::zeros({d.batch * d.ny * d.nx}, features.options().dtype(at::kInt)).index_fill_(0, cell, 1);
  return {bev, mask.view({d.batch, d.ny, d.nx})};
}

std::tuple<at::Tensor, at::Tensor> forward_npu(const at::Tensor& features, const at::Tensor& coors,
                                               at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev", features, coors, spatial_shape, batch_size);
  const c10::DeviceGuard guard(features.device());
  const auto idx = checked_coors_int32("sparse2bev", coors, d);
  if (features.scalar_type() == at::kDouble || d.channels == 0) return forward_aten(features.contiguous(), idx, d);
  const auto type = kernel_dtype(features);
  auto bev = at::empty({d.batch, d.channels, d.ny, d.nx}, features.options().dtype(type));
  auto mask = at::empty({d.batch, d.ny, d.nx}, features.options().dtype(at::kInt));
  if (d.voxels == 0) return {bev.zero_().to(features.scalar_type()), mask.zero_()};
  npu::call_aclnn("aclnnSparse2bev", features.to(type).contiguous(), idx, spatial_shape, d.batch, bev, mask);
  return {bev.to(features.scalar_type()), mask};
}

at::Tensor backward_npu(const at::Tensor& grad_bev, const at::Tensor& features, const at::Tensor& coors,
                        at::IntArrayRef spatial_shape, int64_t batch_size) {
  const Dims d = check_args("sparse2bev_backward", features, coors, spatial_shape, batch_size);
  check_grad(grad_bev, features, d);
  const c10::DeviceGuard guard(features.device());
  const auto idx = checked_coors_int32("sparse2bev_backward", coors, d);
  if (d.voxels == 0 || d.channels == 0) return at::zeros({d.voxels, d.channels}, features.options());
  if (features.scalar_type() == at::kDouble) {   // aten gather in float64
    return grad_bev.permute({0, 2, 3, 1}).reshape({-1, d.channels}).index_select(0, flat_cells(idx, d));
  }
  const auto type = kernel_dtype(features);
  auto grad = at::empty({d.voxels, d.channels}, features.options().dtype(type));
  npu::call_aclnn("aclnnSparse2bevGrad", grad_bev.to(type).contiguous(), idx, spatial_shape, d.batch, grad);
  return grad.to(features.scalar_type());
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("sparse2bev", &forward_npu);
  m.impl("sparse2bev_backward", &backward_npu);
}

}  // namespace sparse2bev
}  // namespace ascend_ops
