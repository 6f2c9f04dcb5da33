// spdevoxelize: ATen argument checks shared by the bindings (values included: indices < M).
#pragma once
#include <ATen/ATen.h>

#include "common/index_values.h"

namespace ascend_ops {
namespace spdevoxelize {

// feats [M, C] float, indices [N, K] int32|int64 (< M), weights [N, K] in feats' dtype, one device.
inline void check_inputs(const char* op, const at::Tensor& feats, const at::Tensor& indices,
                         const at::Tensor& weights) {
  TORCH_CHECK(feats.dim() == 2, op, ": feats must be [M, C], got shape ", feats.sizes());
  TORCH_CHECK(at::isFloatingType(feats.scalar_type()), op, ": feats must be float32, float64, float16 or "
              "bfloat16, got ", feats.scalar_type());
  TORCH_CHECK(indices.dim() == 2, op, ": indices must be [N, K], got shape ", indices.sizes());
  TORCH_CHECK(index_values::is_index(indices), op, ": indices must be int32 or int64, got ", indices.scalar_type());
  TORCH_CHECK(weights.dim() == 2 && weights.sizes() == indices.sizes(), op,
              ": weights must have indices' shape [N, K] = ", indices.sizes(), ", got ", weights.sizes());
  TORCH_CHECK(weights.scalar_type() == feats.scalar_type(), op, ": weights must have feats' dtype ",
              feats.scalar_type(), " (the Python API promotes them), got ", weights.scalar_type());
  TORCH_CHECK(indices.device() == feats.device() && weights.device() == feats.device(), op,
              ": feats, indices and weights must be on one device, got ", feats.device(), ", ", indices.device(),
              ", ", weights.device());
  index_values::check_below(op, "indices", indices, feats.size(0), "feats.shape[0] (M)");
}

inline void check_backward(const at::Tensor& grad_out, const at::Tensor& feats, const at::Tensor& indices,
                           const at::Tensor& weights) {
  constexpr const char* op = "spdevoxelize_backward";
  check_inputs(op, feats, indices, weights);
  TORCH_CHECK(grad_out.dim() == 2 && grad_out.size(0) == indices.size(0) && grad_out.size(1) == feats.size(1), op,
              ": grad_out must be [N, C] = [", indices.size(0), ", ", feats.size(1), "], got ", grad_out.sizes());
  TORCH_CHECK(at::isFloatingType(grad_out.scalar_type()), op, ": grad_out must be a float tensor, got ",
              grad_out.scalar_type());
  TORCH_CHECK(grad_out.device() == feats.device(), op, ": grad_out must be on feats' device ", feats.device());
}

}  // namespace spdevoxelize
}  // namespace ascend_ops
