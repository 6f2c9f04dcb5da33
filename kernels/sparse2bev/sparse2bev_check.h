// sparse2bev: argument checks and sizes shared by the CPU, CUDA and NPU bindings (ATen, host
// only). The Python wrapper (ascend_ops/ops/sparse2bev.py) checks first; these guard direct
// torch.ops.ascend_ops.sparse2bev* calls: every message names the argument.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <cstdlib>
#include <limits>

#include "sparse2bev/sparse2bev_math.h"

namespace ascend_ops {
namespace sparse2bev {

inline bool is_float(at::ScalarType t) {
  return t == at::kFloat || t == at::kDouble || t == at::kHalf || t == at::kBFloat16;
}

// Shapes, dtypes, devices and the scalar arguments; returns the sizes. `op` names the op in
// messages ("sparse2bev" or "sparse2bev_backward").
inline Dims check_args(const char* op, const at::Tensor& features, const at::Tensor& coors,
                       at::IntArrayRef spatial_shape, int64_t batch_size) {
  TORCH_CHECK(features.dim() == 2, op, ": features must be [M, C] (2 dims), got shape ", features.sizes());
  TORCH_CHECK(is_float(features.scalar_type()), op,
              ": features must be float32, float64, float16 or bfloat16, got ", features.scalar_type());
  TORCH_CHECK(coors.dim() == 2 && coors.size(1) == 4, op, ": coors must be [M, 4] (b, z, y, x), got shape ",
              coors.sizes());
  TORCH_CHECK(coors.scalar_type() == at::kInt || coors.scalar_type() == at::kLong, op,
              ": coors must be int32 or int64, got ", coors.scalar_type());
  TORCH_CHECK(coors.size(0) == features.size(0), op, ": coors.shape[0] = ", coors.size(0),
              " must equal features.shape[0] = ", features.size(0), " (one row per voxel)");
  TORCH_CHECK(coors.device() == features.device(), op, ": coors must be on features' device ", features.device(),
              ", got ", coors.device());
  TORCH_CHECK(spatial_shape.size() == 3, op, ": spatial_shape must have 3 entries (Z, Y, X), got ",
              spatial_shape);
  for (size_t k = 0; k < 3; ++k)
    TORCH_CHECK(spatial_shape[k] >= 1, op, ": spatial_shape entries must be >= 1, got ", spatial_shape);
  TORCH_CHECK(batch_size >= 1, op, ": batch_size must be >= 1, got ", batch_size);
  const Dims d{features.size(0), features.size(1), batch_size, spatial_shape[0], spatial_shape[1], spatial_shape[2]};
  // The output [B, C, Y, X] (and B * Y * X cells) must be addressable with int64.
  const int64_t big = std::numeric_limits<int64_t>::max();
  TORCH_CHECK(d.ny <= big / d.nx && d.batch <= big / (d.ny * d.nx) &&
                  (d.channels == 0 || d.channels <= big / (d.batch * d.ny * d.nx)),
              op, ": batch_size * C * Y * X overflows int64 (batch_size = ", batch_size, ", C = ", d.channels,
              ", spatial_shape = ", spatial_shape, ")");
  return d;
}

// grad_bev must be [B, C, Y, X] in features' dtype and device.
inline void check_grad(const at::Tensor& grad_bev, const at::Tensor& features, const Dims& d) {
  TORCH_CHECK(grad_bev.sizes() == at::IntArrayRef({d.batch, d.channels, d.ny, d.nx}),
              "sparse2bev_backward: grad_bev must be [batch_size, C, Y, X] = [", d.batch, ", ", d.channels, ", ",
              d.ny, ", ", d.nx, "], got ", grad_bev.sizes());
  TORCH_CHECK(grad_bev.scalar_type() == features.scalar_type(), "sparse2bev_backward: grad_bev must have features' dtype ",
              features.scalar_type(), ", got ", grad_bev.scalar_type());
  TORCH_CHECK(grad_bev.device() == features.device(), "sparse2bev_backward: grad_bev must be on features' device ",
              features.device(), ", got ", grad_bev.device());
}

// Error for coors[row] with an out-of-range column (see bad_column).
template <typename Index>
[[noreturn]] inline void fail_coors(const char* op, int64_t row, const Index* coor, int column, const Dims& d) {
  static const char* const what[4] = {"batch index", "z", "y", "x"};
  static const char* const bound[4] = {"batch_size", "spatial_shape[0] (Z)", "spatial_shape[1] (Y)",
                                       "spatial_shape[2] (X)"};
  const int64_t limit[4] = {d.batch, d.nz, d.ny, d.nx};
  TORCH_CHECK(false, op, ": coors[", row, ", ", column, "] (", what[column], ") = ", static_cast<int64_t>(coor[column]),
              " must lie in [0, ", bound[column], " = ", limit[column], ")");
  std::abort();  // unreachable
}

// Value check of a CPU coors tensor (contiguous): raises for the first voxel out of range.
inline void check_coors_values(const char* op, const at::Tensor& coors, const Dims& d) {
  TORCH_CHECK(coors.device().is_cpu() && coors.is_contiguous(), op, ": internal: coors value check needs a contiguous CPU tensor");
  AT_DISPATCH_INDEX_TYPES(coors.scalar_type(), "sparse2bev_check_coors", [&] {
    const index_t* C = coors.data_ptr<index_t>();
    for (int64_t i = 0; i < d.voxels; ++i) {
      const int col = bad_column(C + 4 * i, d);
      if (col >= 0) fail_coors(op, i, C + 4 * i, col, d);
    }
  });
}

}  // namespace sparse2bev
}  // namespace ascend_ops
