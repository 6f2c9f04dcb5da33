// spvoxelize: ATen argument checks shared by the bindings (values included: idx < M, counts >= 0).
#pragma once
#include <ATen/ATen.h>

#include "common/index_values.h"

namespace ascend_ops {
namespace spvoxelize {

// feats [N, C] float, idx [N] int32|int64 (< M), counts [M] int32|int64 (>= 0), one device.
inline void check_inputs(const char* op, const at::Tensor& feats, const at::Tensor& idx, const at::Tensor& counts) {
  TORCH_CHECK(feats.dim() == 2, op, ": feats must be [N, C], got shape ", feats.sizes());
  TORCH_CHECK(at::isFloatingType(feats.scalar_type()), op, ": feats must be float32, float64, float16 or "
              "bfloat16, got ", feats.scalar_type());
  TORCH_CHECK(idx.dim() == 1 && idx.size(0) == feats.size(0), op, ": idx must be [N] with N = feats.shape[0] = ",
              feats.size(0), ", got shape ", idx.sizes());
  TORCH_CHECK(index_values::is_index(idx), op, ": idx must be int32 or int64, got ", idx.scalar_type());
  TORCH_CHECK(counts.dim() == 1, op, ": counts must be [M], got shape ", counts.sizes());
  TORCH_CHECK(index_values::is_index(counts), op, ": counts must be int32 or int64, got ", counts.scalar_type());
  TORCH_CHECK(idx.device() == feats.device() && counts.device() == feats.device(), op,
              ": feats, idx and counts must be on one device, got ", feats.device(), ", ", idx.device(), ", ",
              counts.device());
  index_values::check_below(op, "idx", idx, counts.size(0), "counts.shape[0] (M)");
  index_values::check_non_negative(op, "counts", counts);
}

inline void check_backward(const at::Tensor& grad_out, const at::Tensor& feats, const at::Tensor& idx,
                           const at::Tensor& counts) {
  constexpr const char* op = "spvoxelize_backward";
  check_inputs(op, feats, idx, counts);
  TORCH_CHECK(grad_out.dim() == 2 && grad_out.size(0) == counts.size(0) && grad_out.size(1) == feats.size(1), op,
              ": grad_out must be [M, C] = [", counts.size(0), ", ", feats.size(1), "], got ", grad_out.sizes());
  TORCH_CHECK(at::isFloatingType(grad_out.scalar_type()), op, ": grad_out must be a float tensor, got ",
              grad_out.scalar_type());
  TORCH_CHECK(grad_out.device() == feats.device(), op, ": grad_out must be on feats' device ", feats.device());
}

}  // namespace spvoxelize
}  // namespace ascend_ops
