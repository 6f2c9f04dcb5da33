// sparse_kernel_map: argument checks and the geometry, shared by the CPU, CUDA and NPU bindings
// (ATen, host only). The Python wrapper (ascend_ops/ops/sparse_kernel_map.py) checks first; these
// guard direct torch.ops.ascend_ops.sparse_kernel_map calls: every message names the argument.
// Coordinate values (inside batch_size / spatial_shape) and duplicates (mode 0) are checked by
// each backend where it reads them, with the messages below.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>

#include "sparse_kernel_map/sparse_kernel_map_math.h"

namespace ascend_ops {
namespace sparse_kernel_map {

constexpr const char* kOp = "sparse_kernel_map";
constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxVolume = int64_t(1) << 62;   // grid volume B * Z * Y * X must stay below

// One int[3] attribute: 3 entries in [minimum, 2^31 - 1].
inline void check_triple(const char* name, at::IntArrayRef v, int64_t minimum) {
  TORCH_CHECK(v.size() == 3, kOp, ": ", name, " must have 3 entries (z, y, x), got ", v);
  for (size_t a = 0; a < 3; ++a)
    TORCH_CHECK(v[a] >= minimum && v[a] <= kMaxInt32, kOp, ": every entry of ", name, " must lie in [", minimum,
                ", 2^31 - 1], got ", v);
}

// B * Z * Y * X < 2^62 (so keys and their arithmetic fit int64); `what` names the grid.
inline void check_volume(int64_t batch, const int64_t* shape, const char* what) {
  __int128 v = batch;
  for (int a = 0; a < 3; ++a) v *= shape[a];
  TORCH_CHECK_VALUE(v < static_cast<__int128>(kMaxVolume), kOp, ": the ", what, " grid batch_size * Z * Y * X = ",
                    batch, " * ", shape[0], " * ", shape[1], " * ", shape[2],
                    " must be < 2^62 (64-bit keys); check spatial_shape and batch_size");
}

// Shapes, dtypes and the attributes; returns the geometry (output extent included).
inline Geometry check_args(const at::Tensor& coords, at::IntArrayRef spatial_shape, int64_t batch_size,
                           at::IntArrayRef kernel_size, at::IntArrayRef stride, at::IntArrayRef padding,
                           at::IntArrayRef dilation, int64_t mode) {
  TORCH_CHECK(coords.dim() == 2 && coords.size(1) == 4, kOp, ": coords must be [N, 4] (b, z, y, x), got shape ",
              coords.sizes());
  TORCH_CHECK(coords.scalar_type() == at::kInt, kOp, ": coords must be int32 (the Python API narrows int64), got ",
              coords.scalar_type());
  TORCH_CHECK(coords.size(0) <= kMaxInt32, kOp, ": coords may have at most 2^31 - 1 rows (int32 indices), got ",
              coords.size(0));
  check_triple("spatial_shape", spatial_shape, 1);
  TORCH_CHECK(batch_size >= 1 && batch_size <= kMaxInt32, kOp, ": batch_size must lie in [1, 2^31 - 1], got ",
              batch_size);
  check_triple("kernel_size", kernel_size, 1);
  check_triple("stride", stride, 1);
  check_triple("padding", padding, 0);
  check_triple("dilation", dilation, 1);
  TORCH_CHECK(mode >= 0 && mode <= 2, kOp, ": mode must be 0 (submanifold), 1 (regular) or 2 (transposed), got ",
              mode);
  Geometry g{};
  g.batch = batch_size;
  g.mode = static_cast<int>(mode);
  for (int a = 0; a < 3; ++a) {
    g.in_shape[a] = spatial_shape[a];
    g.kernel[a] = kernel_size[a];
    g.stride[a] = stride[a];
    g.padding[a] = padding[a];
    g.dilation[a] = dilation[a];
  }
  const __int128 K = static_cast<__int128>(kernel_size[0]) * kernel_size[1] * kernel_size[2];
  TORCH_CHECK(K < kMaxInt32, kOp, ": kernel_size volume must be < 2^31 - 1, got ", kernel_size);
  g.num_offsets = static_cast<int64_t>(K);
  check_volume(batch_size, g.in_shape, "input");
  for (int a = 0; a < 3; ++a) {
    const __int128 S = g.in_shape[a], k = g.kernel[a], s = g.stride[a], p = g.padding[a], d = g.dilation[a];
    __int128 O;
    if (mode == kSubmanifold) {
      TORCH_CHECK_VALUE(g.kernel[a] % 2 == 1, kOp, ": mode 0 (submanifold) needs odd kernel_size, got ", kernel_size);
      TORCH_CHECK_VALUE(g.stride[a] == 1, kOp, ": mode 0 (submanifold) needs stride 1, got ", stride);
      O = S;
    } else if (mode == kRegular) {
      const __int128 span = S + 2 * p - d * (k - 1) - 1;
      TORCH_CHECK_VALUE(span >= 0, kOp, ": the output would be empty on axis ", a, ": spatial_shape ", spatial_shape,
                        " + 2 * padding ", padding, " is smaller than dilation ", dilation, " * (kernel_size ",
                        kernel_size, " - 1) + 1");
      O = span / s + 1;
    } else {
      O = (S - 1) * s - 2 * p + d * (k - 1) + 1;
      TORCH_CHECK_VALUE(O >= 1, kOp, ": the transposed output would be empty on axis ", a, ": (spatial_shape ",
                        spatial_shape, " - 1) * stride ", stride, " + dilation ", dilation, " * (kernel_size ",
                        kernel_size, " - 1) + 1 must exceed 2 * padding ", padding);
    }
    TORCH_CHECK_VALUE(O - 1 <= kMaxInt32, kOp, ": output extent ", static_cast<int64_t>(O), " on axis ", a,
                      " does not fit int32 coordinates (spatial_shape ", spatial_shape, ", stride ", stride, ")");
    g.out_shape[a] = static_cast<int64_t>(O);
  }
  check_volume(batch_size, g.out_shape, "output");
  return g;
}

// Message for coords[row] outside batch_size / spatial_shape (site = its 4 values).
inline std::string bad_row_message(int64_t row, const int64_t* site, const Geometry& g) {
  std::ostringstream s;
  s << kOp << ": coords row " << row << " = (b=" << site[0] << ", z=" << site[1] << ", y=" << site[2]
    << ", x=" << site[3] << ") is outside batch_size = " << g.batch << ", spatial_shape = (" << g.in_shape[0]
    << ", " << g.in_shape[1] << ", " << g.in_shape[2] << ") (needs 0 <= b < batch_size, 0 <= z < Z, 0 <= y < Y, "
    << "0 <= x < X)";
  return s.str();
}

// Message for duplicate coordinates in mode 0: row `row` repeats the site of row `first`.
inline std::string duplicate_message(int64_t row, int64_t first, const int64_t* site) {
  std::ostringstream s;
  s << kOp << ": duplicate coordinates in coords (mode 0, submanifold, needs unique sites): row " << row
    << " = (b=" << site[0] << ", z=" << site[1] << ", y=" << site[2] << ", x=" << site[3] << ") repeats row "
    << first;
  return s.str();
}

// True when (b, z, y, x) lies inside the input grid.
inline bool site_inside(const int64_t* site, const Geometry& g) {
  return site[0] >= 0 && site[0] < g.batch && site[1] >= 0 && site[1] < g.in_shape[0] && site[2] >= 0 &&
         site[2] < g.in_shape[1] && site[3] >= 0 && site[3] < g.in_shape[2];
}

// Device bindings: raise for coords row `row` found outside the grid (coords on any device).
[[noreturn]] inline void raise_bad_row(const at::Tensor& coords, int64_t row, const Geometry& g) {
  const auto r = coords[row].to(at::kCPU, at::kLong);
  TORCH_CHECK_VALUE(false, bad_row_message(row, r.data_ptr<int64_t>(), g));
  std::abort();   // unreachable
}

// Device bindings: raise for coords row `row` repeating an earlier row's site (mode 0).
[[noreturn]] inline void raise_duplicate(const at::Tensor& coords, int64_t row) {
  const auto c = coords.slice(0, 0, row + 1).to(at::kCPU, at::kLong).contiguous();
  const int64_t* C = c.data_ptr<int64_t>();
  int64_t first = 0;
  while (first < row && !(C[4 * first] == C[4 * row] && C[4 * first + 1] == C[4 * row + 1] &&
                          C[4 * first + 2] == C[4 * row + 2] && C[4 * first + 3] == C[4 * row + 3]))
    ++first;
  TORCH_CHECK_VALUE(false, duplicate_message(row, first, C + 4 * row));
  std::abort();   // unreachable
}

// Bits of the largest key on a grid of volume batch * shape (for radix sorts), at least 1.
inline int key_bits(int64_t batch, const int64_t* shape) {
  const uint64_t top = static_cast<uint64_t>(batch * shape[0] * shape[1] * shape[2] - 1);
  int bits = 1;
  while (bits < 63 && (top >> bits) != 0) ++bits;
  return bits;
}

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
