// voxelize: argument checks shared by the CPU and CUDA bindings of hard_voxelize and
// dynamic_voxelize (ATen, host only). The Python wrapper (ascend_ops/ops/voxelize.py) checks
// first with the same wording; these guard direct torch.ops.ascend_ops calls.
#pragma once
#include <ATen/ATen.h>

#include "voxelize/voxelize_math.h"

namespace ascend_ops {
namespace voxelize {

// points float32 | float64 [N, F >= 3]; voxel_size 3 floats > 0; coors_range 6 floats giving a
// grid of 1 .. 2**24 voxels per axis and a volume below 2**62. Returns the grid.
inline Grid check_args(const char* op, const at::Tensor& points, at::ArrayRef<double> voxel_size,
                       at::ArrayRef<double> coors_range) {
  TORCH_CHECK(points.dim() == 2 && points.size(1) >= 3, op,
              ": points must be [N, F] with F >= 3 (x, y, z, ...), got shape ", points.sizes());
  TORCH_CHECK(points.scalar_type() == at::kFloat || points.scalar_type() == at::kDouble, op,
              ": points must be float32 or float64, got ", points.scalar_type());
  TORCH_CHECK(points.size(0) < (int64_t(1) << 31), op, ": points must have fewer than 2**31 rows, got ",
              points.size(0));
  TORCH_CHECK_VALUE(voxel_size.size() == 3, op, ": voxel_size must have 3 entries (x, y, z), got ", voxel_size);
  TORCH_CHECK_VALUE(coors_range.size() == 6, op,
                    ": coors_range must have 6 entries (x_min, y_min, z_min, x_max, y_max, z_max), got ",
                    coors_range);
  Grid g;
  int axis = -1;
  const int status = make_grid(voxel_size.data(), coors_range.data(), g, axis);
  TORCH_CHECK_VALUE(status != kSizeNotPositive, op, ": every entry of voxel_size must be > 0 (and fit in float32), got ",
                    voxel_size);
  TORCH_CHECK_VALUE(status != kRangeNotFloat32, op, ": coors_range entries must be finite float32 values, got ",
                    coors_range);
  TORCH_CHECK_VALUE(status != kAxisCount, op, ": coors_range / voxel_size give no valid voxel count along ",
                    "xyz"[axis < 0 ? 0 : axis], " (round((max - min) / size) must be 1 .. 2**24); coors_range = ",
                    coors_range, ", voxel_size = ", voxel_size);
  TORCH_CHECK_VALUE(status != kVolume, op, ": the grid of coors_range / voxel_size has ", "(x, y, z) = (", g.n[0],
                    ", ", g.n[1], ", ", g.n[2], ") voxels, not below 2**62 (64-bit voxel keys)");
  return g;
}

inline void check_limits(const char* op, int64_t max_points, int64_t max_voxels) {
  TORCH_CHECK_VALUE(max_points >= 1 && max_points < (int64_t(1) << 31), op,
                    ": max_points must be in 1 .. 2**31 - 1, got ", max_points);
  TORCH_CHECK_VALUE(max_voxels >= 1 && max_voxels < (int64_t(1) << 31), op,
                    ": max_voxels must be in 1 .. 2**31 - 1, got ", max_voxels);
}

}  // namespace voxelize
}  // namespace ascend_ops
