// sparse_gather / sparse_scatter_add / sparse_max_pool: per-element rules shared by the CPU and
// CUDA kernels (torch-free; /work contract: ops 2-4 of the sparse convolution engine).
//
//   sparse_gather(features [N, C], index [P])                 out[p] = features[index[p]]
//   sparse_scatter_add(values [P, C], index [P], num_rows)   out[r] = sum_{p: index[p] == r} values[p]
//   sparse_max_pool(features [N, C], in_index [P], out_index [P], num_out)
//       out[o, c] = max_{p: out_index[p] == o} features[in_index[p], c]   (0 for an o without pairs)
//
// Sums run in pair order (p ascending) in acc_t (float32 for float32 / float16 / bfloat16, float64
// for float64), starting from 0 (so -0.0 sums to +0.0, as index_add_ into zeros does). The max
// pool's winner of (o, c) is the FIRST pair in pair order attaining the max; a NaN attains it
// (the first NaN wins and the max is NaN, as torch.max propagates NaN).
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace sparse_gather_scatter {

// Whether value v of a later pair replaces `best`, the running max of the earlier pairs of the
// same (o, c): strictly greater, or the first NaN.
template <typename A>
AO_HD bool replaces_max(A v, A best) {
  return v > best || (v != v && best == best);
}

// Whether index value i lies in [0, limit).
template <typename Index>
AO_HD bool index_in_range(Index i, int64_t limit) {
  return static_cast<int64_t>(i) >= 0 && static_cast<int64_t>(i) < limit;
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
