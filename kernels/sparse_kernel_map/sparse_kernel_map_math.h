// sparse_kernel_map: the geometry, 64-bit keys and hash shared by the CPU and CUDA kernels
// (torch-free; AO_HD = __host__ __device__ under nvcc).
//
// Semantics: /work/wt/SPARSE_CONTRACT.md op 1 (the reference is ascend_ops/ops/sparse_kernel_map.py).
// Per axis a with input extent S, output extent O, kernel K, stride s, padding p, dilation d and
// kernel index k in [0, K):
//   mode 0 (submanifold): input i pairs with output o iff i == o + (k - K/2) * d   (O = S)
//   mode 1 (regular):     i == o * s - p + k * d,           O = (S + 2p - d(K-1) - 1) / s + 1
//   mode 2 (transposed):  o == i * s - p + k * d,           O = (S - 1) s - 2p + d(K-1) + 1
// with 0 <= i < S and 0 <= o < O on every axis and the same batch index. Offset index
// k = (kz * KY + ky) * KX + kx (x fastest). A site (b, z, y, x) of a grid (B, Z, Y, X) has the key
// ((b * Z + z) * Y + y) * X + x (int64; the bindings check B * Z * Y * X < 2^62, and every
// extent, kernel, stride, padding and dilation <= 2^31 - 1, so no intermediate below overflows).
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace sparse_kernel_map {

enum Mode : int { kSubmanifold = 0, kRegular = 1, kTransposed = 2 };

// Everything the kernels need about the two grids and the kernel (per axis z, y, x).
struct Geometry {
  int64_t batch;
  int64_t in_shape[3];    // S: spatial_shape
  int64_t out_shape[3];   // O: the output grid's extent (== in_shape in mode 0)
  int64_t kernel[3], stride[3], padding[3], dilation[3];
  int64_t num_offsets;    // K = kernel[0] * kernel[1] * kernel[2]
  int mode;
};

constexpr int64_t kEmptyKey = -1;   // an empty hash slot (keys are >= 0)

// Key of (b, z, y, x) on a grid of spatial extent shape (batch first).
AO_HD int64_t encode_key(int64_t b, int64_t z, int64_t y, int64_t x, const int64_t* shape) {
  return ((b * shape[0] + z) * shape[1] + y) * shape[2] + x;
}

// (b, z, y, x) of a key on a grid of spatial extent shape.
AO_HD void decode_key(int64_t key, const int64_t* shape, int64_t* site) {
  site[3] = key % shape[2];
  key /= shape[2];
  site[2] = key % shape[1];
  key /= shape[1];
  site[1] = key % shape[0];
  site[0] = key / shape[0];
}

// Per-axis kernel index of offset k: k = (kz * KY + ky) * KX + kx.
AO_HD void offset_indices(const Geometry& g, int64_t k, int64_t* kk) {
  kk[2] = k % g.kernel[2];
  k /= g.kernel[2];
  kk[1] = k % g.kernel[1];
  kk[0] = k / g.kernel[1];
}

// Offset k's per-axis constant c of the input-coordinate rule: i = o * s + c in modes 0 and 1
// (s = 1 in mode 0: c = (k - K/2) d; mode 1: c = k d - p), i = (o + c) / s when divisible in
// mode 2 (c = p - k d). Computed once per offset, so the per-site work has no division except
// mode 2's by a stride > 1.
struct OffsetRule {
  int64_t c[3];
};

AO_HD OffsetRule offset_rule(const Geometry& g, int64_t k) {
  int64_t kk[3];
  offset_indices(g, k, kk);
  OffsetRule r;
  for (int a = 0; a < 3; ++a) {
    if (g.mode == kSubmanifold) r.c[a] = (kk[a] - g.kernel[a] / 2) * g.dilation[a];
    else if (g.mode == kRegular) r.c[a] = kk[a] * g.dilation[a] - g.padding[a];
    else r.c[a] = g.padding[a] - kk[a] * g.dilation[a];
  }
  return r;
}

// Input coordinate on axis a paired with output coordinate o under constant c, or -1.
AO_HD int64_t input_coord(const Geometry& g, int a, int64_t o, int64_t c) {
  int64_t i;
  if (g.mode != kTransposed) {
    i = o * g.stride[a] + c;
  } else {
    const int64_t t = o + c;
    if (t < 0) return -1;
    if (g.stride[a] == 1) {
      i = t;
    } else {
      i = static_cast<int64_t>(static_cast<uint64_t>(t) / static_cast<uint64_t>(g.stride[a]));
      if (i * g.stride[a] != t) return -1;
    }
  }
  return (i >= 0 && i < g.in_shape[a]) ? i : -1;
}

// Output coordinate on axis a paired with input coordinate i through kernel index k, or -1.
AO_HD int64_t output_coord(const Geometry& g, int a, int64_t i, int64_t k) {
  int64_t o;
  if (g.mode == kSubmanifold) {
    o = i - (k - g.kernel[a] / 2) * g.dilation[a];
  } else if (g.mode == kRegular) {
    const int64_t t = i + g.padding[a] - k * g.dilation[a];
    if (t < 0 || t % g.stride[a] != 0) return -1;
    o = t / g.stride[a];
  } else {
    o = i * g.stride[a] - g.padding[a] + k * g.dilation[a];
  }
  return (o >= 0 && o < g.out_shape[a]) ? o : -1;
}

// Key on the input grid of the input site paired with output site `out` (b, z, y, x) through
// the offset of `rule` (offset_rule), or -1 when that site lies outside the input grid.
AO_HD int64_t input_key(const Geometry& g, const int64_t* out, const OffsetRule& rule) {
  int64_t in[3];
  for (int a = 0; a < 3; ++a) {
    in[a] = input_coord(g, a, out[a + 1], rule.c[a]);
    if (in[a] < 0) return -1;
  }
  return encode_key(out[0], in[0], in[1], in[2], g.in_shape);
}

// Key on the output grid of the output site paired with input site `in` (b, z, y, x) through
// offset k, or -1 (modes 1 and 2).
AO_HD int64_t output_key(const Geometry& g, const int64_t* in, int64_t k) {
  int64_t kk[3], out[3];
  offset_indices(g, k, kk);
  for (int a = 0; a < 3; ++a) {
    out[a] = output_coord(g, a, in[a + 1], kk[a]);
    if (out[a] < 0) return -1;
  }
  return encode_key(in[0], out[0], out[1], out[2], g.out_shape);
}

// Home slot of a key in an open-addressing table of `mask + 1` (a power of two) slots: the
// murmur3 64-bit finalizer, so that neighbouring keys spread over the table.
AO_HD uint64_t hash_slot(int64_t key, uint64_t mask) {
  uint64_t h = static_cast<uint64_t>(key);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h & mask;
}

// Slots of a table holding up to n keys at most half full: a power of two >= 2n (>= 16).
AO_HD uint64_t table_slots(int64_t n) {
  uint64_t s = 16;
  while (s < 2 * static_cast<uint64_t>(n)) s <<= 1;
  return s;
}

}  // namespace sparse_kernel_map
}  // namespace ascend_ops
