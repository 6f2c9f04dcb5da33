// voxelize: the grid and the per-point voxel of hard_voxelize / dynamic_voxelize, shared by the
// CPU and CUDA kernels (torch-free). Semantics and upstream lines: ascend_ops/ops/voxelize.py.
//
//   grid_a = round((max_a - min_a) / size_a)   float32, half away from zero
//            (spconv v2.3.8 spconv/csrc/sparse/pointops.py:70-74; mmcv voxelization.cpp:112-113)
//   c_a    = floor((p_a - min_a) / size_a)     in the points' type T (float or double)
//            (spconv pointops.py:630; mmcv voxelization.cpp:19)
//   dropped unless 0 <= c_a < grid_a on every axis (pointops.py:631); a NaN c is dropped.
// size and min are float32 values (spconv / mmcv hold them as std::vector<float>), promoted to T.
// Voxel key (64-bit, no dense table): key = (c_z * grid_y + c_y) * grid_x + c_x.
#pragma once
#include "common/hd.h"
#include "common/ieee_div.h"

namespace ascend_ops {
namespace voxelize {

// Axes in x, y, z order.
struct Grid {
  float size[3];
  float low[3];
  int64_t n[3];
};

enum GridStatus : int {
  kGridOk = 0,
  kSizeNotPositive = 1,   // a voxel_size entry <= 0, NaN or outside float32
  kRangeNotFloat32 = 2,   // a coors_range entry outside float32 (or not finite)
  kAxisCount = 3,         // round((max - min) / size) < 1 or > 2**24 on `axis`
  kVolume = 4,            // grid_x * grid_y * grid_z >= 2**62
};

constexpr double kFloat32Max = 3.4028234663852886e38;
constexpr double kAxisLimit = 16777216.0;   // 2**24: every voxel index exact in float32
constexpr int64_t kVolumeLimit = int64_t(1) << 62;

// Host: the grid of voxel_size (3 doubles, x y z) and coors_range (6 doubles, min xyz then max
// xyz), computed as spconv does in float32. Returns a GridStatus; `axis` names the failing axis.
inline int make_grid(const double* voxel_size, const double* coors_range, Grid& g, int& axis) {
  for (int a = 0; a < 3; ++a) {
    axis = a;
    const double s = voxel_size[a];
    if (!(s > 0.0 && s <= kFloat32Max)) return kSizeNotPositive;
    g.size[a] = static_cast<float>(s);
    if (!(g.size[a] > 0.0f)) return kSizeNotPositive;   // underflows to 0 in float32
    const double lo = coors_range[a], hi = coors_range[a + 3];
    if (!(lo >= -kFloat32Max && lo <= kFloat32Max && hi >= -kFloat32Max && hi <= kFloat32Max))
      return kRangeNotFloat32;
    g.low[a] = static_cast<float>(lo);
    const float extent = static_cast<float>(hi) - g.low[a];
    const float q = extent / g.size[a];
    const double n = static_cast<double>(roundf(q));   // NaN / inf fail the test below
    if (!(n >= 1.0 && n <= kAxisLimit)) return kAxisCount;
    g.n[a] = static_cast<int64_t>(n);
  }
  axis = -1;
  const int64_t plane = g.n[0] * g.n[1];   // <= 2**48: each axis <= 2**24
  if (plane >= kVolumeLimit || g.n[2] > (kVolumeLimit - 1) / plane) return kVolume;
  return kGridOk;
}

// The voxel of point p (p[0..2] = x, y, z): writes c[0..2] (x, y, z) and returns its key, or -1
// when the point lies outside the grid. With v = (p - min) / size in T, spconv's test
// `0 <= floor(v) < n` equals `0 <= v < n` for an integer n exactly representable in T (n <= 2**24,
// checked by make_grid), and floor(v) is then the truncation of v: no floor call. NaN fails.
template <typename T>
AO_HD int64_t point_key(const T* p, const Grid& g, int64_t* c) {
  for (int a = 0; a < 3; ++a) {
    const T v = div_rn(static_cast<T>(p[a] - static_cast<T>(g.low[a])), static_cast<T>(g.size[a]));
    if (!(v >= static_cast<T>(0) && v < static_cast<T>(g.n[a]))) return -1;
    c[a] = static_cast<int64_t>(v);
  }
  return (c[2] * g.n[1] + c[1]) * g.n[0] + c[0];
}

// (z, y, x) of a key.
AO_HD void decode_key(int64_t key, const Grid& g, int32_t* zyx) {
  zyx[2] = static_cast<int32_t>(key % g.n[0]);
  key /= g.n[0];
  zyx[1] = static_cast<int32_t>(key % g.n[1]);
  zyx[0] = static_cast<int32_t>(key / g.n[1]);
}

}  // namespace voxelize
}  // namespace ascend_ops
