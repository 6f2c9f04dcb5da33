// sparse_kernel_map CPU kernel: multi-threaded (at::parallel_for), 64-bit keys, no dense table of
// the grid.
//
//   1. (parallel over row chunks) check every coords row against batch_size / spatial_shape, key
//      it on the input grid and insert it into an open-addressing hash table key -> smallest row
//      (linear probing, lock-free: compare-and-swap on the key, atomic min on the row).
//   2. duplicates: a row whose key maps to a smaller row repeats a site. Mode 0 raises (first such
//      row); modes 1 / 2 chain the repeats after their first row, in row order.
//   3. output sites: mode 0 = the input rows. Modes 1 / 2: (parallel over input chunks) every
//      output site reached from a (first) input row goes into a second hash set; its keys, sorted
//      ascending (chunks sorted in parallel, then merged), are the output sites, and the set maps
//      each key to its output row.
//   4. slots [K, M] (int32, k-major, like spconv's indice_pairs): slot (k, o) = the (first) input
//      row output row o reads through offset k, or -1. Mode 0 looks up only half of the offsets
//      (k and K-1-k mirror each other) and fills both; modes 1 / 2 enumerate each input's
//      (offset, output site) pairs, so nothing is looked up in vain. One writer per slot.
//   5. pairs: the slots in order (k, then output row), each followed by the repeats of its input
//      site in row order, in blocks of output rows: count, prefix sum, write.
// The order of the contract (k, then output row, then input row) comes from the slot layout, so
// the result is the same for any thread count; the tables' slot layout may vary, their content
// does not.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
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

  // Sets the row of a key already in the table.
  void set_row(int64_t key, int32_t row) {
    uint64_t s = hash_slot(key, mask_);
    while (keys_[s] != key) s = (s + 1) & mask_;
    rows_[s] = row;
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

// LSD radix sort of v[0, n) (non-negative keys below 2^bits), 11 bits per pass; tmp: n slots.
void radix_sort(int64_t* v, int64_t n, int bits, int64_t* tmp) {
  constexpr int kDigit = 11;
  int64_t* src = v;
  int64_t* dst = tmp;
  std::vector<int64_t> count(size_t(1) << kDigit);
  for (int shift = 0; shift < bits; shift += kDigit) {
    std::fill(count.begin(), count.end(), 0);
    for (int64_t i = 0; i < n; ++i) ++count[(src[i] >> shift) & ((1 << kDigit) - 1)];
    int64_t sum = 0;
    for (auto& c : count) {
      const int64_t here = c;
      c = sum;
      sum += here;
    }
    for (int64_t i = 0; i < n; ++i) dst[count[(src[i] >> shift) & ((1 << kDigit) - 1)]++] = src[i];
    std::swap(src, dst);
  }
  if (src != v) std::memcpy(v, src, n * sizeof(int64_t));
}

// Sorts distinct non-negative keys below 2^bits ascending: parts radix-sorted in parallel, then
// merged pairwise in parallel.
void parallel_sort(std::vector<int64_t>& v, int bits) {
  const int64_t n = static_cast<int64_t>(v.size());
  const int64_t parts = std::min<int64_t>(at::get_num_threads(), std::max<int64_t>(1, n / 16384));
  std::vector<int64_t> tmp(n);
  std::vector<int64_t> bounds(parts + 1);
  for (int64_t p = 0; p <= parts; ++p) bounds[p] = n * p / parts;
  at::parallel_for(0, parts, 1, [&](int64_t begin, int64_t end) {
    for (int64_t p = begin; p < end; ++p)
      radix_sort(v.data() + bounds[p], bounds[p + 1] - bounds[p], bits, tmp.data() + bounds[p]);
  });
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

// Calls f(k, output key) for every output site input row i reaches (modes 1, 2), k ascending.
// ax: per-axis scratch lists.
template <typename F>
void for_each_output(const int32_t* coords, int64_t i, const Geometry& g, std::vector<int64_t> (&ax)[3], F f) {
  for (int a = 0; a < 3; ++a) axis_outputs(g, a, coords[4 * i + 1 + a], ax[a]);
  const int64_t b = coords[4 * i];
  for (size_t z = 0; z < ax[0].size(); z += 2)
    for (size_t y = 0; y < ax[1].size(); y += 2)
      for (size_t x = 0; x < ax[2].size(); x += 2) {
        const int64_t k = (ax[0][z] * g.kernel[1] + ax[1][y]) * g.kernel[2] + ax[2][x];
        f(k, encode_key(b, ax[0][z + 1], ax[1][y + 1], ax[2][x + 1], g.out_shape));
      }
}

// Step 3 (modes 1, 2): the output sites reached from the first rows of the input sites: their
// keys sorted ascending, and a table key -> output row.
struct OutputSites {
  std::vector<int64_t> keys;
  std::unique_ptr<KeyTable> rows;
};

OutputSites output_sites(const int32_t* coords, int64_t n, const Geometry& g, const std::vector<uint8_t>& first) {
  const int64_t chunks = num_chunks(n, kRowChunk);
  // Count the candidates first to size the set (at most half full).
  std::vector<int64_t> counts(chunks, 0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> ax[3];
    for (int64_t c = begin; c < end; ++c) {
      int64_t total = 0;
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i) {
        if (!first[i]) continue;
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
  OutputSites out;
  out.rows.reset(new KeyTable(candidates, /*with_rows=*/true));
  KeyTable& set = *out.rows;
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> ax[3];
    for (int64_t c = begin; c < end; ++c)
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i)
        if (first[i]) for_each_output(coords, i, g, ax, [&](int64_t, int64_t key) { set.insert(key, kNoRow); });
  });
  out.keys = set.keys();
  parallel_sort(out.keys, key_bits(g.batch, g.out_shape));
  const int64_t m = static_cast<int64_t>(out.keys.size());
  at::parallel_for(0, m, kRowChunk, [&](int64_t begin, int64_t end) {
    for (int64_t o = begin; o < end; ++o) set.set_row(out.keys[o], static_cast<int32_t>(o));
  });
  return out;
}

// Step 4, mode 0: slots [K, N] (k-major): slots[k * N + o] = the input row output row o reads
// through offset k, or -1. Offsets mirror each other (k and K-1-k displace by opposite vectors;
// the kernel is odd), so only k < K/2 is looked up: a pair (i, o, k) gives (o, i, K-1-k). The
// centre offset pairs every site with itself. Each slot has one writer.
void fill_slots_submanifold(const int32_t* coords, int64_t n, const Geometry& g, const KeyTable& table,
                            int32_t* slots) {
  const int64_t K = g.num_offsets, half = K / 2;
  at::parallel_for(0, num_chunks(n, kOutChunk), 1, [&](int64_t begin, int64_t end) {
    for (int64_t c = begin; c < end; ++c) {
      const int64_t first = c * kOutChunk, stop = std::min(n, first + kOutChunk);
      for (int64_t o = first; o < stop; ++o) slots[half * n + o] = static_cast<int32_t>(o);
      for (int64_t k = 0; k < half; ++k) {
        const OffsetRule rule = offset_rule(g, k);
        int32_t* mine = slots + k * n;
        int32_t* mirror = slots + (K - 1 - k) * n;
        for (int64_t o = first; o < stop; ++o) {
          const int64_t site[4] = {coords[4 * o], coords[4 * o + 1], coords[4 * o + 2], coords[4 * o + 3]};
          const int64_t key = input_key(g, site, rule);
          const int32_t i = key < 0 ? -1 : table.find(key);
          mine[o] = i;
          if (i >= 0) mirror[i] = static_cast<int32_t>(o);
        }
      }
    }
  });
}

// Step 4, modes 1 / 2: slots [K, M]: slots[k * M + o] = the first input row reaching output row o
// through offset k, or -1. Given (k, o) the input site is determined, so each slot has at most
// one first row: one writer.
void fill_slots_strided(const int32_t* coords, int64_t n, const Geometry& g, const std::vector<uint8_t>& first,
                        const KeyTable& out_rows, int64_t m, int32_t* slots) {
  at::parallel_for(0, num_chunks(n, kRowChunk), 1, [&](int64_t begin, int64_t end) {
    std::vector<int64_t> ax[3];
    for (int64_t c = begin; c < end; ++c)
      for (int64_t i = c * kRowChunk, stop = std::min(n, i + kRowChunk); i < stop; ++i)
        if (first[i])
          for_each_output(coords, i, g, ax, [&](int64_t k, int64_t key) {
            slots[k * m + out_rows.find(key)] = static_cast<int32_t>(i);
          });
  });
}

// Step 5: the pairs of slots [K, M] in order (k, output row, then the input rows of a repeated
// site through next_dup), in blocks of kOutChunk output rows: count, place, write.
std::tuple<at::Tensor, at::Tensor, at::Tensor> emit_pairs(const int32_t* slots, int64_t K, int64_t m,
                                                          const std::vector<int32_t>& next_dup,
                                                          const at::TensorOptions& opts) {
  const int64_t per_k = num_chunks(m, kOutChunk), blocks = K * per_k;
  const bool dups = !next_dup.empty();
  auto chain = [&](int32_t r) { return dups ? next_dup[r] : -1; };
  std::vector<int64_t> place(blocks + 1, 0);
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t k = blk / per_k, first = (blk % per_k) * kOutChunk, stop = std::min(m, first + kOutChunk);
      int64_t count = 0;
      for (int64_t o = first; o < stop; ++o)
        for (int32_t r = slots[k * m + o]; r >= 0; r = chain(r)) ++count;
      place[blk + 1] = count;
    }
  });
  for (int64_t blk = 0; blk < blocks; ++blk) place[blk + 1] += place[blk];
  const int64_t total = place[blocks];
  TORCH_CHECK(total <= kMaxInt32, kOp, ": ", total, " pairs exceed 2^31 - 1 (int32 indices)");
  auto offset_ptr = at::empty({K + 1}, opts);
  int32_t* ptr = offset_ptr.data_ptr<int32_t>();
  for (int64_t k = 0; k <= K; ++k) ptr[k] = static_cast<int32_t>(place[k * per_k]);
  auto in_index = at::empty({total}, opts), out_index = at::empty({total}, opts);
  int32_t* I = in_index.data_ptr<int32_t>();
  int32_t* O = out_index.data_ptr<int32_t>();
  at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t blk = begin; blk < end; ++blk) {
      const int64_t k = blk / per_k, first = (blk % per_k) * kOutChunk, stop = std::min(m, first + kOutChunk);
      int64_t at = place[blk];
      for (int64_t o = first; o < stop; ++o)
        for (int32_t r = slots[k * m + o]; r >= 0; r = chain(r)) {
          I[at] = r;
          O[at++] = static_cast<int32_t>(o);
        }
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
  const int64_t n = coords.size(0), K = g.num_offsets;
  const int32_t* C = coords.data_ptr<int32_t>();
  const auto opts = coords.options().dtype(at::kInt);
  KeyTable table(n, /*with_rows=*/true);
  const std::vector<int64_t> keys = key_rows(C, n, g, table);
  const std::vector<int32_t> next_dup = duplicate_chains(C, keys, g, table);
  at::Tensor out_coords;
  std::vector<int32_t> slots;
  if (g.mode == kSubmanifold) {
    out_coords = coords.clone();
    TORCH_CHECK(K * n <= (int64_t(1) << 40), kOp, ": kernel volume * N = ", K * n, " is too large");
    slots.assign(static_cast<size_t>(K * n), -1);
    fill_slots_submanifold(C, n, g, table, slots.data());
  } else {
    std::vector<uint8_t> first(n, 1);   // the first row of each site (the others chain after it)
    if (!next_dup.empty())
      at::parallel_for(0, n, kRowChunk, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) first[i] = table.find(keys[i]) == i;
      });
    const OutputSites sites = output_sites(C, n, g, first);
    const int64_t m = static_cast<int64_t>(sites.keys.size());
    TORCH_CHECK(m <= kMaxInt32, kOp, ": ", m, " output sites exceed 2^31 - 1 (int32 indices)");
    out_coords = at::empty({m, 4}, opts);
    int32_t* OC = out_coords.data_ptr<int32_t>();
    at::parallel_for(0, m, kRowChunk, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o) {
        int64_t site[4];
        decode_key(sites.keys[o], g.out_shape, site);
        for (int j = 0; j < 4; ++j) OC[4 * o + j] = static_cast<int32_t>(site[j]);
      }
    });
    TORCH_CHECK(K * m <= (int64_t(1) << 40), kOp, ": kernel volume * output sites = ", K * m, " is too large");
    slots.assign(static_cast<size_t>(K * m), -1);
    fill_slots_strided(C, n, g, first, *sites.rows, m, slots.data());
  }
  auto pairs = emit_pairs(slots.data(), K, out_coords.size(0), next_dup, opts);
  return {out_coords, std::get<0>(pairs), std::get<1>(pairs), std::get<2>(pairs)};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("sparse_kernel_map", &forward_cpu); }

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
