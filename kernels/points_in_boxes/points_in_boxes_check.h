// points_in_boxes: argument checks shared by the CPU, CUDA and NPU bindings (ATen, host only).
// The Python API (ascend_ops/ops/points_in_boxes.py) checks first; these guard direct
// torch.ops.ascend_ops calls so that no kernel reads or writes out of bounds.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <limits>

#include "points_in_boxes/points_in_boxes_math.h"

namespace ascend_ops {
namespace points_in_boxes {

// Which upstream op: column rules differ (Ada3D strides by the real column counts; OpenPCDet's
// kernels stride by exactly 3 and 7, roiaware_pool3d.cpp:162 and roiaware_pool3d_kernel.cu:323-324).
enum class Kind { kBev, k3d, kFirst };

inline const char* op_name(Kind kind) {
  switch (kind) {
    case Kind::kBev: return "points_in_boxes_bev";
    case Kind::k3d: return "points_in_boxes_3d";
    case Kind::kFirst: return "points_in_boxes_first";
  }
  return "points_in_boxes";
}

inline void check_float(const char* op, const char* name, const at::Tensor& t) {
  TORCH_CHECK(t.scalar_type() == at::kFloat || t.scalar_type() == at::kDouble, op, ": ", name,
              " must be float32 or float64, got ", t.scalar_type());
}

// Checks ranks, column counts, dtypes (both float32 or both float64) and the device.
inline void check_inputs(Kind kind, const at::Tensor& points, const at::Tensor& boxes) {
  const char* op = op_name(kind);
  const int64_t rank = kind == Kind::kFirst ? 3 : 2;
  TORCH_CHECK(points.dim() == rank, op, ": points must have ", rank, " dims (",
              kind == Kind::kFirst ? "[B, N, 3]" : kind == Kind::kBev ? "[N, C >= 3]" : "[N, 3]", "), got shape ",
              points.sizes());
  TORCH_CHECK(boxes.dim() == rank, op, ": boxes must have ", rank, " dims (",
              kind == Kind::kFirst ? "[B, T, 7]" : kind == Kind::kBev ? "[M, C >= 7]" : "[M, 7]", "), got shape ",
              boxes.sizes());
  check_float(op, "points", points);
  check_float(op, "boxes", boxes);
  TORCH_CHECK(points.scalar_type() == boxes.scalar_type(), op, ": points and boxes must share a dtype, got ",
              points.scalar_type(), " and ", boxes.scalar_type());
  TORCH_CHECK(boxes.device() == points.device(), op, ": boxes must be on points' device ", points.device(),
              ", got ", boxes.device());
  const int64_t c1 = points.size(rank - 1), c2 = boxes.size(rank - 1);
  if (kind == Kind::kBev) {
    TORCH_CHECK(c1 >= 3, op, ": points must have at least 3 columns (x, y, z, ...), got shape ", points.sizes());
    TORCH_CHECK(c2 >= 7, op, ": boxes must have at least 7 columns (x, y, z, dx, dy, dz, heading, ...), got shape ",
                boxes.sizes());
  } else {
    TORCH_CHECK(c1 == 3, op, ": points must have exactly 3 columns (x, y, z), got shape ", points.sizes());
    TORCH_CHECK(c2 == 7, op, ": boxes must have exactly 7 columns (x, y, z, dx, dy, dz, heading), got shape ",
                boxes.sizes());
  }
  if (kind == Kind::kFirst) {
    TORCH_CHECK(points.size(0) == boxes.size(0), op, ": boxes.shape[0] must equal points.shape[0] (B) = ",
                points.size(0), ", got shape ", boxes.sizes());
    TORCH_CHECK(boxes.size(1) <= std::numeric_limits<int32_t>::max(), op,
                ": boxes.shape[1] must fit the int32 box index, got ", boxes.size(1));
  }
}

// Shape of the int32 result: [M, N] (bev, 3d) or [B, N] (first).
inline std::vector<int64_t> output_shape(Kind kind, const at::Tensor& points, const at::Tensor& boxes) {
  if (kind == Kind::kFirst) return {points.size(0), points.size(1)};
  return {boxes.size(0), points.size(0)};
}

// The margin of each op's upstream: Ada3D 1e-5, OpenPCDet CPU 1e-2, OpenPCDet GPU 1e-5.
inline double margin_of(Kind kind) {
  return kind == Kind::kBev ? kBevMargin : kind == Kind::k3d ? kCpuMargin : kGpuMargin;
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
