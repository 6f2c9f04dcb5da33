// Deterministic, atomic-free scatter-add of many samples into the rows of a [rows, C] gradient
// (CPU kernels, host only).
//
// Each sample adds into at most 4 rows (the bilinear corners of a sampling op). The rows are
// cut into blocks of `block_rows` rows; the samples are bucketed by the blocks they touch, in
// increasing sample order (plan_blocks); then one task per block zeroes its rows, lets every
// sample of its bucket add the corners that fall inside the block, and writes the block out
// (scatter_rows). A block's rows (and the same rows of the input map) stay in cache meanwhile. Every output
// row is written by exactly one task and sums its contributions in sample order, so the result
// is bitwise the same run to run and for any thread count, and every row is written once
// (no separate zero fill of the whole gradient).
#pragma once
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "common/hd.h"

namespace ascend_ops {
namespace cpu_row_scatter {

// Rows per block: about 64 KiB of float32 (an L2-resident block), at least 1.
inline int64_t block_rows_for(int64_t channels) {
  return std::max<int64_t>(1, (int64_t{64} << 10) / (4 * std::max<int64_t>(1, channels)));
}

// The samples bucketed by the row blocks they touch: bucket k is samples[offsets[k] ..
// offsets[k + 1]), ascending; slot[s] numbers the samples that touch any row 0, 1, ... in sample
// order (-1 for the others), for per-sample scratch of size num_slots.
struct Plan {
  int64_t rows = 0, channels = 0, block_rows = 1, num_blocks = 0, num_slots = 0;
  std::vector<int64_t> offsets, samples, slot;
};

// touch(s, int64_t rows[4]) -> n: the n (<= 4) rows, all in [0, rows), that sample s adds into.
template <typename Touch>
Plan plan_blocks(int64_t rows, int64_t channels, int64_t num_samples, const Touch& touch) {
  Plan plan;
  plan.rows = rows;
  plan.channels = channels;
  plan.block_rows = block_rows_for(channels);
  plan.num_blocks = (rows + plan.block_rows - 1) / plan.block_rows;
  const int64_t chunk = 4096;
  const int64_t chunks = (num_samples + chunk - 1) / chunk;
  std::vector<std::vector<int64_t>> pairs(chunks);  // per chunk: (block, sample) pairs, flattened
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      auto& out = pairs[ch];
      for (int64_t s = ch * chunk; s < std::min(num_samples, (ch + 1) * chunk); ++s) {
        int64_t r[4];
        const int n = touch(s, r);
        int64_t seen[4];
        int m = 0;
        for (int i = 0; i < n; ++i) {
          const int64_t blk = r[i] / plan.block_rows;
          if (std::find(seen, seen + m, blk) != seen + m) continue;
          seen[m++] = blk;
          out.push_back(blk);
          out.push_back(s);
        }
      }
    }
  });
  plan.offsets.assign(plan.num_blocks + 1, 0);
  plan.slot.assign(num_samples, -1);
  for (const auto& out : pairs) {
    for (size_t i = 0; i < out.size(); i += 2) {
      ++plan.offsets[out[i] + 1];
      if (plan.slot[out[i + 1]] < 0) plan.slot[out[i + 1]] = plan.num_slots++;
    }
  }
  for (int64_t k = 0; k < plan.num_blocks; ++k) plan.offsets[k + 1] += plan.offsets[k];
  plan.samples.resize(plan.offsets[plan.num_blocks]);
  std::vector<int64_t> fill(plan.offsets.begin(), plan.offsets.end() - 1);
  for (const auto& out : pairs)  // chunks in order, samples ascending inside: buckets come out sorted
    for (size_t i = 0; i < out.size(); i += 2) plan.samples[fill[out[i]]++] = out[i + 1];
  return plan;
}

// out[rows, C] (scalar_t) = sum over samples of their contributions, accumulated in
// A = acc_t<scalar_t> (float32, float64 for double): in place when scalar_t is A, else in an A
// scratch block rounded once into out.
// add(s, lo, hi, A* block): adds sample s's contributions to rows lo <= r < hi, row r at
// block + (r - lo) * C (the block is zeroed first). It may also write per-sample results that
// belong to rows of the block (e.g. into scratch at plan.slot[s]): each (sample, row) pair is
// visited by exactly one task.
template <typename scalar_t, typename Add>
void scatter_rows(const Plan& plan, scalar_t* out, const Add& add) {
  using A = acc_t<scalar_t>;
  static_assert(std::is_same<A, at::opmath_type<scalar_t>>::value, "acc_t must match at::opmath_type");
  constexpr bool kInPlace = std::is_same<scalar_t, A>::value;
  const int64_t rows = plan.rows, channels = plan.channels, block_rows = plan.block_rows;
  const int64_t num_blocks = plan.num_blocks;
  if (num_blocks == 0 || channels <= 0) return;
  // Contiguous block ranges of about equal work (a row to zero ~ 1, a sample to add ~ 4 rows),
  // a few per thread; the split changes only which thread runs a block, never its result.
  std::vector<int64_t> cum(num_blocks + 1, 0);
  for (int64_t k = 0; k < num_blocks; ++k)
    cum[k + 1] = cum[k] + block_rows + 4 * (plan.offsets[k + 1] - plan.offsets[k]);
  const int64_t parts = std::min<int64_t>(num_blocks, 8 * static_cast<int64_t>(at::get_num_threads()));
  std::vector<int64_t> first(parts + 1, num_blocks);
  for (int64_t t = 0; t < parts; ++t)
    first[t] = std::lower_bound(cum.begin(), cum.end(), cum[num_blocks] * t / parts) - cum.begin();
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    std::vector<A> scratch(kInPlace ? 0 : block_rows * channels);
    for (int64_t t = begin; t < end; ++t) {
      for (int64_t k = first[t]; k < first[t + 1]; ++k) {
        const int64_t lo = k * block_rows, hi = std::min(rows, lo + block_rows);
        scalar_t* dst = out + lo * channels;
        const int64_t n = (hi - lo) * channels;
        A* block;
        if constexpr (kInPlace) {
          block = dst;
        } else {
          block = scratch.data();
        }
        std::fill(block, block + n, A(0));
        for (int64_t i = plan.offsets[k]; i < plan.offsets[k + 1]; ++i) add(plan.samples[i], lo, hi, block);
        if constexpr (!kInPlace)
          for (int64_t i = 0; i < n; ++i) dst[i] = static_cast<scalar_t>(block[i]);
      }
    }
  });
}

// One corner row of one sample: dst[c] += kw * (g[c] * w) (the feature gradient) and returns
// sum_c g[c] * f[c] (for the weight / location gradients), over n channels, in A = acc_t<scalar_t>
// (float32, float64 for double); the dot product runs in 8 lanes reduced in a fixed order
// (vectorises without -ffast-math).
template <typename scalar_t, typename A = acc_t<scalar_t>>
inline A scatter_and_dot(A* dst, const scalar_t* f, const A* g, A kw, A w, int64_t n) {
  constexpr int kLanes = 8;
  A acc[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes) {
    for (int j = 0; j < kLanes; ++j) {
      const A gj = g[c + j];
      dst[c + j] += kw * (gj * w);
      acc[j] += gj * static_cast<A>(f[c + j]);
    }
  }
  for (int j = 0; c < n; ++c, ++j) {
    dst[c] += kw * (g[c] * w);
    acc[j] += g[c] * static_cast<A>(f[c]);
  }
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace cpu_row_scatter
}  // namespace ascend_ops
