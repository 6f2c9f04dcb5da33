// Value checks shared by the kit's ATen bindings (CPU, CUDA, NPU; host only). Shape and dtype
// checks live in each op's <op>_check.h; these read small index tensors' values, which a
// kernel would otherwise trust to stay in bounds.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>

namespace ascend_ops {

// Feature-map levels laid out in one flat dimension: every (H, W) of `shape` (int32 [..., 2])
// is >= 1 and every level [start, start + H * W) of `start` (int32, shape[:-1]) lies within
// [0, num_feat). The tiny index tensors are read on the host (a small copy for device tensors).
inline void check_level_layout(const char* op, const char* shape_name, const char* start_name,
                               const at::Tensor& shape, const at::Tensor& start, int64_t num_feat) {
  if (start.numel() == 0) return;
  const auto s = shape.to(at::kCPU, at::kLong).contiguous().reshape({-1, 2});
  const auto i = start.to(at::kCPU, at::kLong).contiguous().reshape({-1});
  const int64_t* S = s.data_ptr<int64_t>();
  const int64_t* I = i.data_ptr<int64_t>();
  for (int64_t k = 0; k < i.numel(); ++k) {
    const int64_t H = S[2 * k], W = S[2 * k + 1];
    TORCH_CHECK(H >= 1 && W >= 1, op, ": ", shape_name, " entries must be >= 1, got (H, W) = (", H, ", ", W,
                ") at level ", k);
    TORCH_CHECK(I[k] >= 0 && I[k] + H * W <= num_feat, op, ": ", start_name, "[", k, "] + H*W = ", I[k], " + ",
                H * W, " must lie within num_feat = ", num_feat, " (start must be >= 0)");
  }
}

}  // namespace ascend_ops
