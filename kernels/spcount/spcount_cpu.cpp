// spcount CPU kernel. The count range [0, num) is cut into one slice per task; each task scans
// all of idx and counts the entries in its slice (no atomics, no per-thread histograms to merge;
// integer counts, so the result never depends on the thread count). Negative entries are skipped
// (torchsparse@385f5ce backend/others/count_cpu.cpp:16). One task per 2**20 entries at most: a
// scan of 100k entries takes ~0.5 ms, less than a parallel region costs on a busy machine.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>

#include "spcount/spcount_check.h"

namespace ascend_ops {
namespace spcount {
namespace {

template <typename Index>
void count(const Index* idx, int64_t N, int64_t num, int32_t* out) {
  std::fill(out, out + num, 0);
  const int64_t tasks = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), N / (int64_t{1} << 20) + 1));
  at::parallel_for(0, tasks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t lo = num * t / tasks, hi = num * (t + 1) / tasks;
      for (int64_t i = 0; i < N; ++i) {
        const int64_t v = idx[i];
        if (v >= lo && v < hi) ++out[v];
      }
    }
  });
}

at::Tensor spcount_cpu(const at::Tensor& idx_in, int64_t num) {
  check_inputs(idx_in, num);
  const auto idx = idx_in.contiguous();
  auto out = at::empty({num}, idx.options().dtype(at::kInt));
  if (idx.scalar_type() == at::kLong)
    count(idx.data_ptr<int64_t>(), idx.size(0), num, out.data_ptr<int32_t>());
  else
    count(idx.data_ptr<int32_t>(), idx.size(0), num, out.data_ptr<int32_t>());
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("spcount", &spcount_cpu); }

}  // namespace spcount
}  // namespace ascend_ops
