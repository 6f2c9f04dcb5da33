// sphashquery: ATen argument checks shared by the bindings.
#pragma once
#include <ATen/ATen.h>

namespace ascend_ops {
namespace sphashquery {

inline void check_inputs(const at::Tensor& queries, const at::Tensor& references) {
  constexpr const char* op = "sphashquery";
  TORCH_CHECK(queries.dim() == 1, op, ": queries must be [Q], got shape ", queries.sizes());
  TORCH_CHECK(references.dim() == 1, op, ": references must be [R], got shape ", references.sizes());
  for (const auto* t : {&queries, &references})
    TORCH_CHECK(t->scalar_type() == at::kLong || t->scalar_type() == at::kInt, op, ": ",
                t == &queries ? "queries" : "references", " must be int64 or int32, got ", t->scalar_type());
  TORCH_CHECK(queries.device() == references.device(), op, ": queries and references must be on one device, got ",
              queries.device(), " and ", references.device());
}

}  // namespace sphashquery
}  // namespace ascend_ops
