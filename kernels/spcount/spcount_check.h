// spcount: ATen argument checks shared by the bindings (values included: idx < num).
#pragma once
#include <ATen/ATen.h>

#include "common/index_values.h"

namespace ascend_ops {
namespace spcount {

inline void check_inputs(const at::Tensor& idx, int64_t num) {
  constexpr const char* op = "spcount";
  TORCH_CHECK(idx.dim() == 1, op, ": idx must be [N], got shape ", idx.sizes());
  TORCH_CHECK(index_values::is_index(idx), op, ": idx must be int32 or int64, got ", idx.scalar_type());
  TORCH_CHECK_VALUE(num >= 0, op, ": num must be >= 0, got ", num);
  TORCH_CHECK_VALUE(idx.size(0) < (int64_t{1} << 31), op, ": idx has ", idx.size(0),
                    " entries; int32 counts hold fewer than 2**31");
  index_values::check_below(op, "idx", idx, num, "num");
}

}  // namespace spcount
}  // namespace ascend_ops
