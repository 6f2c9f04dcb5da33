// foreground_gather: argument checks shared by the CPU, CUDA and NPU bindings (ATen, host only).
// The Python wrapper (ascend_ops/ops/foreground_gather.py) checks first with friendlier messages;
// these guard direct torch.ops.ascend_ops calls. Value checks (coordinates inside valid_mask,
// index inside [0, M)) are done by each backend where it reads the data.
#pragma once
#include <ATen/ATen.h>

#include <sstream>
#include <string>

#include "foreground_gather/foreground_gather_math.h"

namespace ascend_ops {
namespace foreground_gather {

inline Grid grid_of(const at::Tensor& valid_mask) {
  return Grid{valid_mask.size(0), valid_mask.size(1), valid_mask.size(2)};
}

// features [M, C] float, coors [M, 4] int32|int64, valid_mask [B, Y, X] int32|int64|uint8|bool, one device.
inline void check_inputs(const char* op, const at::Tensor& features, const at::Tensor& coors,
                         const at::Tensor& valid_mask) {
  TORCH_CHECK(features.dim() == 2, op, ": features must be [M, C], got shape ", features.sizes());
  TORCH_CHECK(at::isFloatingType(features.scalar_type()), op,
              ": features must be float32, float64, float16 or bfloat16, got ", features.scalar_type());
  TORCH_CHECK(coors.dim() == 2 && coors.size(1) == 4, op, ": coors must be [M, 4] (b, z, y, x), got shape ",
              coors.sizes());
  TORCH_CHECK(coors.scalar_type() == at::kInt || coors.scalar_type() == at::kLong, op,
              ": coors must be int32 or int64, got ", coors.scalar_type());
  TORCH_CHECK(coors.size(0) == features.size(0), op, ": coors.shape[0] must equal features.shape[0] = ",
              features.size(0), ", got ", coors.size(0));
  TORCH_CHECK(valid_mask.dim() == 3, op, ": valid_mask must be [B, Y, X], got shape ", valid_mask.sizes());
  const auto mt = valid_mask.scalar_type();
  TORCH_CHECK(mt == at::kInt || mt == at::kLong || mt == at::kByte || mt == at::kBool, op,
              ": valid_mask must be int32, int64, uint8 or bool, got ", mt);
  TORCH_CHECK(coors.device() == features.device() && valid_mask.device() == features.device(), op,
              ": features, coors and valid_mask must be on one device, got ", features.device(), ", ",
              coors.device(), ", ", valid_mask.device());
}

// The backward's extra arguments: grad_features [K, C] float, index int64 [K], on features' device.
inline void check_backward(const at::Tensor& grad_features, const at::Tensor& features, const at::Tensor& coors,
                           const at::Tensor& valid_mask, const at::Tensor& index) {
  constexpr const char* op = "foreground_gather_backward";
  check_inputs(op, features, coors, valid_mask);
  TORCH_CHECK(index.dim() == 1 && index.scalar_type() == at::kLong, op, ": index must be int64 [K], got ",
              index.scalar_type(), " of shape ", index.sizes());
  TORCH_CHECK(grad_features.dim() == 2 && grad_features.size(0) == index.size(0) &&
                  grad_features.size(1) == features.size(1),
              op, ": grad_features must be [K, C] = [", index.size(0), ", ", features.size(1),
              "] (index.shape[0], features.shape[1]), got ", grad_features.sizes());
  TORCH_CHECK(at::isFloatingType(grad_features.scalar_type()), op, ": grad_features must be a float tensor, got ",
              grad_features.scalar_type());
  TORCH_CHECK(grad_features.device() == features.device() && index.device() == features.device(), op,
              ": grad_features and index must be on features' device ", features.device());
}

// Message for an invalid coors row (shared wording of the bindings).
inline std::string invalid_row_message(const char* op, int64_t row, const at::Tensor& coors,
                                       const at::Tensor& valid_mask) {
  const auto r = coors[row].to(at::kCPU, at::kLong);
  const int64_t* c = r.data_ptr<int64_t>();
  std::ostringstream s;
  s << op << ": coors row " << row << " = (b=" << c[0] << ", z=" << c[1] << ", y=" << c[2] << ", x=" << c[3]
    << ") is outside valid_mask [B, Y, X] = " << valid_mask.sizes()
    << " (needs 0 <= b < B, z >= 0, 0 <= y < Y, 0 <= x < X)";
  return s.str();
}

}  // namespace foreground_gather
}  // namespace ascend_ops
