// hard_voxelize / dynamic_voxelize CPU kernels (semantics: ascend_ops/ops/voxelize.py).
//
// dynamic_voxelize: one parallel pass over the points.
// hard_voxelize reproduces spconv's sequential first-appearance order with parallel passes
// whose results do not depend on the thread count:
//   1. (parallel over points) the 64-bit key of each point's voxel, or -1, and a hash of it;
//   2. (parallel over S hash shards) each shard owns the keys whose hash falls in it and scans
//      the points in input order with its own open-addressing table: the first point of each
//      voxel, each point's slot (its rank among its voxel's points, in input order) and each
//      voxel's point count; S is only a partition of the keys, so the results are the same for
//      any S;
//   3. (parallel prefix sum over chunks) voxel ids = the number of first points before each
//      first point: first-appearance order, as spconv's `voxel_num++` (pointops.py:643-653);
//   4. (parallel over points) every point with voxel id < max_voxels and slot < max_points is
//      copied to voxels[id, slot] (one writer per slot); first points write the coordinates and
//      the count min(count, max_points).
// No dense table: memory is O(N), whatever the grid.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "voxelize/voxelize_check.h"

namespace ascend_ops {
namespace voxelize {
namespace {

constexpr int64_t kGrain = 8192;          // points per task in the per-point passes
constexpr int64_t kPointsPerShard = 16384; // fewer points per shard than this: fewer shards
constexpr int64_t kMaxShards = 64;

inline uint64_t mix(uint64_t x) {   // splitmix64 finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

at::Tensor dynamic_cpu(const at::Tensor& points_in, at::ArrayRef<double> voxel_size,
                       at::ArrayRef<double> coors_range) {
  constexpr const char* op = "dynamic_voxelize";
  const Grid g = check_args(op, points_in, voxel_size, coors_range);
  TORCH_CHECK(points_in.device().is_cpu(), op, ": points must be a CPU tensor here");
  const auto points = points_in.contiguous();
  const int64_t N = points.size(0), F = points.size(1);
  auto out = at::empty({N, 3}, points.options().dtype(at::kInt));
  int32_t* O = out.data_ptr<int32_t>();
  AT_DISPATCH_FLOATING_TYPES(points.scalar_type(), "dynamic_voxelize_cpu", [&] {
    const scalar_t* P = points.data_ptr<scalar_t>();
    at::parallel_for(0, N, kGrain, [&](int64_t begin, int64_t end) {
      int64_t c[3];
      for (int64_t i = begin; i < end; ++i) {
        int32_t* o = O + 3 * i;
        if (point_key(P + i * F, g, c) < 0) {
          o[0] = o[1] = o[2] = -1;
        } else {
          o[0] = static_cast<int32_t>(c[2]);
          o[1] = static_cast<int32_t>(c[1]);
          o[2] = static_cast<int32_t>(c[0]);
        }
      }
    });
  });
  return out;
}

// Per-point scratch of hard_voxelize (uninitialised buffers: every entry read is written first).
struct Scratch {
  explicit Scratch(int64_t n)
      : key(new int64_t[n]), hash(new uint32_t[n]), shard(new uint8_t[n]), first(new int32_t[n]),
        slot(new int32_t[n]), count(new int32_t[n]), vid(new int32_t[n]) {}
  std::unique_ptr<int64_t[]> key;     // voxel key, -1: dropped
  std::unique_ptr<uint32_t[]> hash;   // probe start in the shard's table
  std::unique_ptr<uint8_t[]> shard;   // owning shard, kNoShard: dropped
  std::unique_ptr<int32_t[]> first;   // first point of the point's voxel
  std::unique_ptr<int32_t[]> slot;    // rank of the point among its voxel's points
  std::unique_ptr<int32_t[]> count;   // at first points: the voxel's point count
  std::unique_ptr<int32_t[]> vid;     // at first points: the voxel id
};
constexpr uint8_t kNoShard = 255;

struct Entry {
  int64_t key;
  int32_t first, count;
};

// Step 2 for shard s: first point, slot and count of every voxel the shard owns, scanning the
// points in input order (linear probing on a table of at least 1.5 times the shard's points).
void shard_pass(int64_t s, int64_t N, Scratch& w) {
  const uint8_t me = static_cast<uint8_t>(s);
  int64_t mine = 0;
  for (int64_t i = 0; i < N; ++i) mine += w.shard[i] == me;
  if (mine == 0) return;
  int64_t cap = 16;
  while (cap < mine + mine / 2) cap <<= 1;   // load factor <= 2/3 (unique voxels <= points)
  const uint32_t m = static_cast<uint32_t>(std::min<int64_t>(cap - 1, 0xffffffffLL));
  std::vector<Entry> table(cap, Entry{-1, 0, 0});
  for (int64_t i = 0; i < N; ++i) {
    if (w.shard[i] != me) continue;
    const int64_t k = w.key[i];
    uint64_t h = w.hash[i] & m;
    while (table[h].key != -1 && table[h].key != k) h = (h + 1) & (cap - 1);
    Entry& e = table[h];
    if (e.key == -1) {
      e = Entry{k, static_cast<int32_t>(i), 1};
      w.first[i] = static_cast<int32_t>(i);
      w.slot[i] = 0;
    } else {
      w.first[i] = e.first;
      w.slot[i] = e.count++;
    }
  }
  for (const Entry& e : table)
    if (e.key != -1) w.count[e.first] = e.count;
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> hard_cpu(const at::Tensor& points_in, at::ArrayRef<double> voxel_size,
                                                        at::ArrayRef<double> coors_range, int64_t max_points,
                                                        int64_t max_voxels) {
  constexpr const char* op = "hard_voxelize";
  const Grid g = check_args(op, points_in, voxel_size, coors_range);
  check_limits(op, max_points, max_voxels);
  TORCH_CHECK(points_in.device().is_cpu(), op, ": points must be a CPU tensor here");
  const auto points = points_in.contiguous();
  const int64_t N = points.size(0), F = points.size(1);
  Scratch w(std::max<int64_t>(N, 1));
  const int64_t want = std::min<int64_t>({kMaxShards, at::get_num_threads(), N / kPointsPerShard});
  int64_t S = 1;   // a power of two
  while (2 * S <= want) S *= 2;

  // 1. keys, shards, hashes
  AT_DISPATCH_FLOATING_TYPES(points.scalar_type(), "hard_voxelize_keys", [&] {
    const scalar_t* P = points.data_ptr<scalar_t>();
    at::parallel_for(0, N, kGrain, [&](int64_t begin, int64_t end) {
      int64_t c[3];
      for (int64_t i = begin; i < end; ++i) {
        const int64_t k = point_key(P + i * F, g, c);
        const uint64_t h = mix(static_cast<uint64_t>(k));
        w.key[i] = k;
        w.shard[i] = k < 0 ? kNoShard : static_cast<uint8_t>(h & static_cast<uint64_t>(S - 1));
        w.hash[i] = static_cast<uint32_t>(h >> 32);
      }
    });
  });

  // 2. first point, slot, count per voxel (hash shards)
  at::parallel_for(0, S, 1, [&](int64_t begin, int64_t end) {
    for (int64_t s = begin; s < end; ++s) shard_pass(s, N, w);
  });

  // 3. voxel ids of the first points, in input order
  const int64_t chunks = (N + kGrain - 1) / kGrain;
  std::vector<int64_t> opened(chunks + 1, 0);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t n = 0;
      for (int64_t i = ch * kGrain, stop = std::min(N, (ch + 1) * kGrain); i < stop; ++i)
        n += w.key[i] >= 0 && w.slot[i] == 0;
      opened[ch + 1] = n;
    }
  });
  for (int64_t ch = 0; ch < chunks; ++ch) opened[ch + 1] += opened[ch];
  const int64_t V = std::min<int64_t>(opened[chunks], max_voxels);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t v = opened[ch];
      for (int64_t i = ch * kGrain, stop = std::min(N, (ch + 1) * kGrain); i < stop; ++i)
        if (w.key[i] >= 0 && w.slot[i] == 0) w.vid[i] = static_cast<int32_t>(std::min<int64_t>(v++, max_voxels));
    }
  });

  // 4. outputs
  auto voxels = at::zeros({V, max_points, F}, points.options());
  auto coords = at::empty({V, 3}, points.options().dtype(at::kInt));
  auto num = at::empty({V}, points.options().dtype(at::kInt));
  if (V == 0) return {voxels, coords, num};
  const size_t row_bytes = static_cast<size_t>(F) * points.element_size();
  const char* P = static_cast<const char*>(points.data_ptr());
  char* OV = static_cast<char*>(voxels.data_ptr());
  int32_t* OC = coords.data_ptr<int32_t>();
  int32_t* ON = num.data_ptr<int32_t>();
  at::parallel_for(0, N, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      if (w.key[i] < 0) continue;
      const int64_t v = w.vid[w.first[i]], slot = w.slot[i];
      if (v >= max_voxels || slot >= max_points) continue;
      std::memcpy(OV + (v * max_points + slot) * row_bytes, P + i * row_bytes, row_bytes);
      if (slot == 0) {
        decode_key(w.key[i], g, OC + 3 * v);
        ON[v] = static_cast<int32_t>(std::min<int64_t>(w.count[i], max_points));
      }
    }
  });
  return {voxels, coords, num};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("hard_voxelize", &hard_cpu);
  m.impl("dynamic_voxelize", &dynamic_cpu);
}

}  // namespace voxelize
}  // namespace ascend_ops
