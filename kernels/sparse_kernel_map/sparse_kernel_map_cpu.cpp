// sparse_kernel_map CPU kernel: multi-threaded (at::parallel_for), 64-bit keys, no dense table.
//
//   1. (parallel over row chunks) check every coords row against batch_size / spatial_shape, key
//      it on the input grid and insert it into an open-addressing hash table key -> smallest row
//      (linear probing, lock-free: compare-and-swap on the key, atomic min on the row).
//   2. duplicates: a row whose key maps to a smaller row repeats a site. Mode 0 raises (first such
//      row); modes 1 / 2 chain the repeats after their first row, in row order.
//   3. output sites: mode 0 = the input rows. Modes 1 / 2: (parallel over input chunks) every
//      (input, offset) pair's output key goes into a second hash set; its keys, sorted ascending
//      (chunks sorted in parallel, then merged), are the output sites.
//   4. pairs, offset-major: (parallel over output chunks) for each offset k and each output row of
//      the chunk in order, the input key it reads is looked up in the table of step 1; a chunk
//      keeps its pairs per k, a prefix sum over (k, chunk) places them. With the order of the
//      contract (k ascending, then output row, then input row) fixed by construction, the result
//      is the same for any thread count; the tables' slot layout may vary, their content does not.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include "sparse_kernel_map/sparse_kernel_map_check.h"

namespace ascend_ops {
namespace sparse_kernel_map {
namespace {

constexpr int64_t kRowChunk = 2048;     // coords rows per task (steps 1-3)
constexpr int64_t kOutChunk = 1024;     // output rows per task (step 4)
constexpr int64_t kSlotChunk = 1 << 16; // table slots per task (collecting a set's keys)
constexpr int32_t kNoRow = std::numeric_limits<int32_t>::max();

int64_t num_chunks(int64_t n, int64_t chunk) { return (n + chunk - 1) / chunk; }

// Hash table key -> smallest row, filled concurrently; find() after the filling tasks ended.
class KeyTable {
 public:
  explicit KeyTable(int64_t capacity, bool with_rows)
      : mask_(table_slots(capacity) - 1), keys_(mask_ + 1, kEmptyKey), rows_(with_rows ? mask_ + 1 : 0, kNoRow) {}

  // Inserts key (>= 0); with rows, keeps the smallest row seen for it. Returns the slot.
  uint64_t insert(int64_t key, int32_t row) {
    uint64_t s = hash_slot(key, mask_);
    for (;;) {
      int64_t cur = __atomic_load_n(&keys_[s], __ATOMIC_RELAXED);
      if (cur == kEmptyKey) {
        int64_t expected = kEmptyKey;
        if (__atomic_compare_exchange_n(&keys_[s], &expected, key, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
          cur = key;
        else
          cur = expected;
      }
      if (cur == key) break;
      s = (s + 1) & mask_;
    }
    if (!rows_.empty()) {
      int32_t old = __atomic_load_n(&rows_[s], __ATOMIC_RELAXED);
      while (row < old &&
             !__atomic_compare_exchange_n(&rows_[s], &old, row, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
      }
    }
    return s;
  }

  // Smallest row of key, or -1 when absent (tables with rows).
  int32_t find(int64_t key) const {
    uint64_t s = hash_slot(key, mask_);
    for (;;) {
      const int64_t cur = keys_[s];
      if (cur == key) return rows_[s];
      if (cur == kEmptyKey) return -1;
      s = (s + 1) & mask_;
    }
  }

  // Every key in the table (any order).
  std::vector<int64_t> keys() const {
    const int64_t slots = static_cast<int64_t>(mask_ + 1), chunks = num_chunks(slots, kSlotChunk);
    std::vector<int64_t> counts(chunks + 1, 0);
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        int64_t n = 0;
        for (int64_t s = c * kSlotChunk, stop = std::min(slots, s + kSlotChunk); s < stop; ++s)
          n += keys_[s] != kEmptyKey;
        counts[c + 1] = n;
      }
    });
    for (int64_t c = 0; c < chunks; ++c) counts[c + 1] += counts[c];
    std::vector<int64_t> out(counts[chunks]);
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        int64_t n = counts[c];
        for (int64_t s = c * kSlotChunk, stop = std::min(slots, s + kSlotChunk); s < stop; ++s)
          if (keys_[s] != kEmptyKey) out[n++] = keys_[s];
      }
    });
    return out;
  }

 private:
  uint64_t mask_;
  std::vector<int64_t> keys_;
  std::vector<int32_t> rows_;
};

// Sorts distinct keys ascending: chunks sorted in parallel, then merged pairwise in parallel.
void parallel_sort(std::vector<int64_t>& v) {
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t parts = std::min<int64_t>(at::get_num_threads(), std::max<int64_t>(1, n / 16384));
  if (parts <= 1) {
    std::sort(v.begin(), v.end());
    return;
  }
  std::vector<int64_t> bounds(parts + 1);
  for (int64_t p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p) std::sort(v.begin() + bounds[p], v.begin() + bounds[p + 1]);
  });
  std::vector<int64_t> tmp(n);
  for (int64_t width = 1; width < parts; width *= 2) {
    const int64_t merges = (parts + 2 * width - 1) / (2 * width);
    at::parallel_for(0, merges, 1, [&](int64_t begin, int64_t end) {
      for (int64_t m = begin; m < end; ++m) {
        const int64_t lo = bounds[2 * width * m], mid = bounds[std::min(parts, 2 * width * m + width)];
        const int64_t hi = bounds[std::min(parts, 2 * width * (m + 1))];
        std::merge(v.begin() + lo, v.begin() + mid, v.begin() + mid, v.begin() + hi, tmp.begin() + lo);
      }
    });
    v.swap(tmp);
  }
}

// Step 1: keys of every row on the input grid, inserted into `table`. Raises for the first row
// outside the grid.
std::vector<int64_t> key_rows(const int32_t* coords, int64_t n, const Geometry& g, KeyTable& table) {
  std::vector<int64_t> keys(n);
  const int64_t chunks = num_chunks(n, kRowChunk);
  std::vector<int64_t> first_bad(chunks, -1);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i) {
        const int64_t site[4] = {coords[4 * i], coords[4 * i + 1], coords[4 * i + 2], coords[4 * i + 3]};
        if (!site_inside(site, g)) {
          first_bad[c] = i;
          break;
        }
        keys[i] = encode_key(site[0], site[1], site[2], site[3], g.in_shape);
        table.insert(keys[i], static_cast<int32_t>(i));
      }
    }
  });
  for (int64_t c = 0; c < chunks; ++c) {
    if (first_bad[c] < 0) continue;
    const int32_t* r = coords + 4 * first_bad[c];
    const int64_t site[4] = {r[0], r[1], r[2], r[3]};
    TORCH_CHECK_VALUE(false, bad_row_message(first_bad[c], site, g));
  }
  return keys;
}

// Step 2: next_dup[row] = the next row with the same site (-1 at a chain's end); empty when the
// sites are unique. Mode 0 raises for the first repeated row instead.
std::vector<int32_t> duplicate_chains(const int32_t* coords, const std::vector<int64_t>& keys, const Geometry& g,
                                      const KeyTable& table) {
  const int64_t n = static_cast<int64_t>(keys.size()), chunks = num_chunks(n, kRowChunk);
  std::vector<int64_t> first_dup(chunks, -1);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c)
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i)
        if (table.find(keys[i]) != i) {
          first_dup[c] = i;
          break;
        }
  });
  int64_t first = -1;
  for (int64_t c = 0; c < chunks && first < 0; ++c) first = first_dup[c];
  if (first < 0) return {};
  if (g.mode == kSubmanifold) {
    const int32_t* r = coords + 4 * first;
    const int64_t site[4] = {r[0], r[1], r[2], r[3]};
    TORCH_CHECK_VALUE(false, duplicate_message(first, table.find(keys[first]), site));
  }
  std::vector<int32_t> next(n, -1), tail(n, -1);
  for (int64_t i = first; i < n; ++i) {
    const int32_t head = table.find(keys[i]);
    if (head == i) continue;
    const int32_t t = tail[head] < 0 ? head : tail[head];
    next[t] = static_cast<int32_t>(i);
    tail[head] = static_cast<int32_t>(i);
  }
  return next;
}

// Per-axis (kernel index, output coordinate) pairs of input coordinate i, appended to `out`.
void axis_outputs(const Geometry& g, int a, int64_t i, std::vector<int64_t>& out) {
  out.clear();
  for (int64_t k = 0; k < g.kernel[a]; ++k) {
    const int64_t o = output_coord(g, a, i, k);
    if (o >= 0) {
      out.push_back(k);
      out.push_back(o);
    }
  }
}

// Step 3 (modes 1, 2): the sorted distinct output keys reached from the (first rows of the)
// input sites.
std::vector<int64_t> output_keys(const int32_t* coords, int64_t n, const Geometry& g,
                                 const std::vector<int32_t>& next_dup, const KeyTable& in_table,
                                 const std::vector<int64_t>& in_keys) {
  const int64_t chunks = num_chunks(n, kRowChunk);
  const bool dups = !next_dup.empty();
  auto is_first = [&](int64_t i) { return !dups || in_table.find(in_keys[i]) == i; };
  // Count the candidates first to size the set (at most half full).
  std::vector<int64_t> counts(chunks, 0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> ax[3];
    for (int64_t c = begin; c < end; ++c) {
      int64_t total = 0;
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i) {
        if (!is_first(i)) continue;
        int64_t count = 1;
        for (int a = 0; a < 3 && count; ++a) {
          axis_outputs(g, a, coords[4 * i + 1 + a], ax[a]);
          count *= static_cast<int64_t>(ax[a].size() / 2);
        }
        total += count;
      }
      counts[c] = total;
    }
  });
  int64_t candidates = 0;
  for (int64_t c : counts) candidates += c;
  KeyTable set(candidates, /*with_rows=*/false);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> ax[3];
    for (int64_t c = begin; c < end; ++c) {
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i) {
        if (!is_first(i)) continue;
        for (int a = 0; a < 3; ++a) axis_outputs(g, a, coords[4 * i + 1 + a], ax[a]);
        const int64_t b = coords[4 * i];
        for (size_t z = 0; z < ax[0].size(); z += 2)
          for (size_t y = 0; y < ax[1].size(); y += 2)
            for (size_t x = 0; x < ax[2].size(); x += 2)
              set.insert(encode_key(b, ax[0][z + 1], ax[1][y + 1], ax[2][x + 1], g.out_shape), 0);
      }
    }
  });
  std::vector<int64_t> keys = set.keys();
  parallel_sort(keys);
  return keys;
}

// Step 4: pairs in the contract's order. out_site(o, site) writes output row o's (b, z, y, x).
template <typename OutSite>
std::tuple<at::Tensor, at::Tensor, at::Tensor> build_pairs(const Geometry& g, int64_t num_out, OutSite out_site,
                                                           const KeyTable& table, const std::vector<int32_t>& next_dup,
                                                           const at::TensorOptions& opts) {
  const int64_t K = g.num_offsets, chunks = num_chunks(num_out, kOutChunk);
  // Per chunk: its pairs (in, out) grouped by k, and the count of each k.
  std::vector<std::vector<int32_t>> ins(chunks), outs(chunks);
  std::vector<int64_t> counts(chunks * K, 0);   // [chunk][k]
  const bool dups = !next_dup.empty();
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> sites;
    for (int64_t c = begin; c < end; ++c) {
      const int64_t first = c * kOutChunk, stop = std::min(num_out, first + kOutChunk);
      sites.resize(4 * (stop - first));
      for (int64_t o = first; o < stop; ++o) out_site(o, &sites[4 * (o - first)]);
      auto& in = ins[c];
      auto& out = outs[c];
      for (int64_t k = 0; k < K; ++k) {
        const size_t before = in.size();
        const OffsetRule rule = offset_rule(g, k);
        for (int64_t o = first; o < stop; ++o) {
          const int64_t key = input_key(g, &sites[4 * (o - first)], rule);
          if (key < 0) continue;
          int32_t r = table.find(key);
          while (r >= 0) {
            in.push_back(r);
            out.push_back(static_cast<int32_t>(o));
            r = dups ? next_dup[r] : -1;
          }
        }
        counts[c * K + k] = static_cast<int64_t>(in.size() - before);
      }
    }
  });
  // Place each (k, chunk) block: offsets k-major, chunks in order within k.
  std::vector<int64_t> place(chunks * K);
  auto offset_ptr = at::empty({K + 1}, opts);
  int32_t* ptr = offset_ptr.data_ptr<int32_t>();
  int64_t total = 0;
  for (int64_t k = 0; k < K; ++k) {
    TORCH_CHECK(total <= kMaxInt32, kOp, ": more than 2^31 - 1 pairs (int32 indices)");
    ptr[k] = static_cast<int32_t>(total);
    for (int64_t c = 0; c < chunks; ++c) {
      place[c * K + k] = total;
      total += counts[c * K + k];
    }
  }
  TORCH_CHECK(total <= kMaxInt32, kOp, ": ", total, " pairs exceed 2^31 - 1 (int32 indices)");
  ptr[K] = static_cast<int32_t>(total);
  auto in_index = at::empty({total}, opts), out_index = at::empty({total}, opts);
  int32_t* I = in_index.data_ptr<int32_t>();
  int32_t* O = out_index.data_ptr<int32_t>();
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      int64_t from = 0;
      for (int64_t k = 0; k < K; ++k) {
        const int64_t n = counts[c * K + k];
        if (n == 0) continue;
        std::memcpy(I + place[c * K + k], ins[c].data() + from, n * sizeof(int32_t));
        std::memcpy(O + place[c * K + k], outs[c].data() + from, n * sizeof(int32_t));
        from += n;
      }
      std::vector<int32_t>().swap(ins[c]);
      std::vector<int32_t>().swap(outs[c]);
    }
  });
  return {in_index, out_index, offset_ptr};
}

std::tuple<at::Tensor, at::Tensor, at::Tensor, at::Tensor> forward_cpu(
    const at::Tensor& coords_in, at::IntArrayRef spatial_shape, int64_t batch_size, at::IntArrayRef kernel_size,
    at::IntArrayRef stride, at::IntArrayRef padding, at::IntArrayRef dilation, int64_t mode) {
  const Geometry g = check_args(coords_in, spatial_shape, batch_size, kernel_size, stride, padding, dilation, mode);
  TORCH_CHECK(coords_in.device().is_cpu(), kOp, ": coords must be a CPU tensor here, got ", coords_in.device());
  const auto coords = coords_in.contiguous();
  const int64_t n = coords.size(0);
  const int32_t* C = coords.data_ptr<int32_t>();
  const auto opts = coords.options().dtype(at::kInt);
  KeyTable table(n, /*with_rows=*/true);
  const std::vector<int64_t> keys = key_rows(C, n, g, table);
  const std::vector<int32_t> next_dup = duplicate_chains(C, keys, g, table);
  if (g.mode == kSubmanifold) {
    auto out_site = [&](int64_t o, int64_t* site) {
      for (int j = 0; j < 4; ++j) site[j] = C[4 * o + j];
    };
    auto pairs = build_pairs(g, n, out_site, table, next_dup, opts);
    return {coords.clone(), std::get<0>(pairs), std::get<1>(pairs), std::get<2>(pairs)};
  }
  const std::vector<int64_t> out_keys = output_keys(C, n, g, next_dup, table, keys);
  const int64_t m = static_cast<int64_t>(out_keys.size());
  TORCH_CHECK(m <= kMaxInt32, kOp, ": ", m, " output sites exceed 2^31 - 1 (int32 indices)");
  auto out_coords = at::empty({m, 4}, opts);
  int32_t* OC = out_coords.data_ptr<int32_t>();
  at::parallel_for(0, m, kRowChunk, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) {
      int64_t site[4];
      decode_key(out_keys[o], g.out_shape, site);
      for (int j = 0; j < 4; ++j) OC[4 * o + j] = static_cast<int32_t>(site[j]);
    }
  });
  auto out_site = [&](int64_t o, int64_t* site) { decode_key(out_keys[o], g.out_shape, site); };
  auto pairs = build_pairs(g, m, out_site, table, next_dup, opts);
  return {out_coords, std::get<0>(pairs), std::get<1>(pairs), std::get<2>(pairs)};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("sparse_kernel_map", &forward_cpu); }

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
