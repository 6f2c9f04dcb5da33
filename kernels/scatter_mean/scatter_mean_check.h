// scatter_mean: argument checks shared by the CPU and CUDA bindings (ATen, host only). The
// Python wrapper (ascend_ops/ops/scatter_mean.py) checks first; these guard direct
// torch.ops.ascend_ops.scatter_mean* calls: every message names the argument.
#pragma once
#include <ATen/ATen.h>

namespace ascend_ops {
namespace scatter_mean {

inline bool is_float(at::ScalarType t) {
  return t == at::kFloat || t == at::kDouble || t == at::kHalf || t == at::kBFloat16;
}

// src float [N, C], index int32 | int64 [N], dim_size >= 0, one device. `op` names the op.
inline void check_args(const char* op, const at::Tensor& src, const at::Tensor& index, int64_t dim_size) {
  TORCH_CHECK(src.dim() == 2, op, ": src must be [N, C] (2 dims), got shape ", src.sizes());
  TORCH_CHECK(is_float(src.scalar_type()), op, ": src must be float32, float64, float16 or bfloat16, got ",
              src.scalar_type());
  TORCH_CHECK(index.dim() == 1, op, ": index must be [N] (1 dim), got shape ", index.sizes());
  TORCH_CHECK(index.scalar_type() == at::kInt || index.scalar_type() == at::kLong, op,
              ": index must be int32 or int64, got ", index.scalar_type());
  TORCH_CHECK(index.size(0) == src.size(0), op, ": index.shape[0] = ", index.size(0),
              " must equal src.shape[0] = ", src.size(0), " (one index per row)");
  TORCH_CHECK(index.device() == src.device(), op, ": index must be on src's device ", src.device(), ", got ",
              index.device());
  TORCH_CHECK_VALUE(dim_size >= 0, op, ": dim_size must be >= 0, got ", dim_size);
}

// grad_out [dim_size, C] in src's dtype, on src's device.
inline void check_grad(const at::Tensor& grad_out, const at::Tensor& src, int64_t dim_size) {
  TORCH_CHECK(grad_out.dim() == 2 && grad_out.size(0) == dim_size && grad_out.size(1) == src.size(1),
              "scatter_mean_backward: grad_out must be [dim_size, C] = [", dim_size, ", ", src.size(1), "], got ",
              grad_out.sizes());
  TORCH_CHECK(grad_out.scalar_type() == src.scalar_type(), "scatter_mean_backward: grad_out must have src's dtype ",
              src.scalar_type(), ", got ", grad_out.scalar_type());
  TORCH_CHECK(grad_out.device() == src.device(), "scatter_mean_backward: grad_out must be on src's device ",
              src.device(), ", got ", grad_out.device());
}

}  // namespace scatter_mean
}  // namespace ascend_ops
