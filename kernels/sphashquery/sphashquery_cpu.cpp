// sphashquery CPU kernel: the reference keys go into an open-addressing table in row order (one
// serial pass; the first of equal keys stays), then the queries are looked up in parallel.
// Deterministic for any thread count. int32 keys are widened to int64 (lossless).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <vector>

#include "sphashquery/sphashquery_check.h"
#include "sphashquery/sphashquery_math.h"

namespace ascend_ops {
namespace sphashquery {
namespace {

at::Tensor sphashquery_cpu(const at::Tensor& queries_in, const at::Tensor& references_in) {
  check_inputs(queries_in, references_in);
  const auto queries = queries_in.to(at::kLong).contiguous();
  const auto references = references_in.to(at::kLong).contiguous();
  const int64_t Q = queries.size(0), R = references.size(0);
  auto out = at::empty({Q}, queries.options());
  int64_t* O = out.data_ptr<int64_t>();
  if (R == 0) return out.fill_(-1);
  const int64_t cap = table_capacity(R);
  const uint64_t mask = static_cast<uint64_t>(cap - 1);
  std::vector<Slot> table(cap, Slot{0, -1});
  const int64_t* K = references.data_ptr<int64_t>();
  for (int64_t r = 0; r < R; ++r) insert_first(table.data(), mask, K[r], r);
  const int64_t* Qk = queries.data_ptr<int64_t>();
  at::parallel_for(0, Q, 8192, [&](int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) O[q] = lookup(table.data(), mask, Qk[q]);
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("sphashquery", &sphashquery_cpu); }

}  // namespace sphashquery
}  // namespace ascend_ops
