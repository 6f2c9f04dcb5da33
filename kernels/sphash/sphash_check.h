// sphash / sphash_kernel: ATen argument checks shared by the CPU and CUDA bindings. The Python
// wrapper (ascend_ops/ops/sphash.py) narrows int64 to int32 after checking the values fit; these
// guard direct torch.ops.ascend_ops calls.
#pragma once
#include <ATen/ATen.h>

namespace ascend_ops {
namespace sphash {

inline void check_coords(const char* op, const at::Tensor& coords) {
  TORCH_CHECK(coords.dim() == 2 && coords.size(1) == 4, op, ": coords must be [N, 4], got shape ",
              coords.sizes());
  TORCH_CHECK(coords.scalar_type() == at::kInt, op, ": coords must be int32 (the Python API narrows "
              "int64 after checking it fits), got ", coords.scalar_type());
}

inline void check_offsets(const char* op, const at::Tensor& coords, const at::Tensor& offsets) {
  TORCH_CHECK(offsets.dim() == 2 && offsets.size(1) == 3, op, ": offsets must be [K, 3], got shape ",
              offsets.sizes());
  TORCH_CHECK(offsets.scalar_type() == at::kInt, op, ": offsets must be int32, got ", offsets.scalar_type());
  TORCH_CHECK(offsets.device() == coords.device(), op, ": coords and offsets must be on one device, got ",
              coords.device(), " and ", offsets.device());
}

}  // namespace sphash
}  // namespace ascend_ops
