// msmv_sampling: per-element math shared by the CPU and CUDA kernels (torch-free).
//
// Semantics (SparseBEV's CUDA op): a sample (b, q, p) at (x, y, z) reads view
// round(z * (N - 1)) (half away from zero, like CUDA's roundf); a view outside [0, N-1]
// (or NaN) contributes 0 (upstream reads out of bounds there). On level l of size H x W the
// sample reads the bilinear value at w = x * (W - 1), h = y * (H - 1) (align_corners=True) when
// -1 < h < H and -1 < w < W, with corners outside the map (or outside num_feat, a guard against
// inconsistent start indices) reading 0; the level's value is scaled by scale_weights[b, q, p, l]
// and summed over levels in order l = 0..L-1. Accumulation is in float32.
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace msmv_sampling {

struct Dims {
  int64_t batch, views, num_feat, channels, queries, points, levels;
};

// The four bilinear corners of one sample on one level map of one view.
struct Corners {
  int64_t offset[4];  // element offset of each corner's channel 0 inside the whole feature tensor
  float weight[4];    // bilinear weight, 0 for an invalid corner
  bool valid[4];
  float lw, lh;       // fractional position inside the cell
};

AO_HD int64_t location_index(const Dims& d, int64_t b, int64_t q, int64_t p) {
  return ((b * d.queries + q) * d.points + p) * 3;
}

AO_HD int64_t weight_index(const Dims& d, int64_t b, int64_t q, int64_t p, int64_t l) {
  return ((b * d.queries + q) * d.points + p) * d.levels + l;
}

AO_HD int64_t output_index(const Dims& d, int64_t b, int64_t q, int64_t c, int64_t p) {
  return ((b * d.queries + q) * d.channels + c) * d.points + p;
}

// The view a sample reads, or -1 when it lies outside [0, N-1] (or z is NaN).
AO_HD int64_t view_index(const Dims& d, float z) {
  const float last = static_cast<float>(d.views - 1);
  const float v = roundf(z * last);
  return (v >= 0.f && v <= last) ? static_cast<int64_t>(v) : -1;
}

// Fills k for level (H, W, start) of view `view` in batch item b; false when the level is skipped.
AO_HD bool make_corners(float x, float y, int H, int W, int64_t start, const Dims& d, int64_t b, int64_t view,
                        Corners& k) {
  const float h = y * static_cast<float>(H - 1), w = x * static_cast<float>(W - 1);
  if (!(h > -1.f && w > -1.f && h < static_cast<float>(H) && w < static_cast<float>(W))) return false;
  const float fh = floorf(h), fw = floorf(w);
  const int h0 = static_cast<int>(fh), w0 = static_cast<int>(fw);
  k.lh = h - fh;
  k.lw = w - fw;
  const float hh = 1.f - k.lh, hw = 1.f - k.lw;
  const float wt[4] = {hh * hw, hh * k.lw, k.lh * hw, k.lh * k.lw};
  const int64_t base = (b * d.views + view) * d.num_feat;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int wi = w0 + (i & 1), hi = h0 + (i >> 1);
    const int64_t pixel = start + static_cast<int64_t>(hi) * W + wi;
    const bool ok = wi >= 0 && wi < W && hi >= 0 && hi < H && pixel >= 0 && pixel < d.num_feat;
    k.valid[i] = ok;
    k.weight[i] = ok ? wt[i] : 0.f;
    k.offset[i] = ok ? (base + pixel) * d.channels : 0;
  }
  return true;
}

template <typename T>
AO_HD void gather_corners(const T* feat, const Corners& k, int64_t c, float v[4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) v[i] = k.valid[i] ? to_float(feat[k.offset[i] + c]) : 0.f;
}

AO_HD float interpolate(const Corners& k, const float v[4]) {
  return k.weight[0] * v[0] + k.weight[1] * v[1] + k.weight[2] * v[2] + k.weight[3] * v[3];
}

// d(bilinear value)/dw and /dh in pixel units (invalid corners have v = 0).
AO_HD float d_dw(const Corners& k, const float v[4]) { return (1.f - k.lh) * (v[1] - v[0]) + k.lh * (v[3] - v[2]); }
AO_HD float d_dh(const Corners& k, const float v[4]) { return (1.f - k.lw) * (v[2] - v[0]) + k.lw * (v[3] - v[1]); }

// One output element out[b, q, c, p]: sums the levels in order l = 0..L-1 (the CPU kernel
// accumulates in the same order, so both give the same float32 result).
template <typename T>
AO_HD float forward_element(const T* feat, const int* shape, const int* start, const T* loc, const T* weights,
                            const Dims& d, int64_t b, int64_t q, int64_t p, int64_t c) {
  const int64_t li = location_index(d, b, q, p);
  const int64_t view = view_index(d, to_float(loc[li + 2]));
  if (view < 0) return 0.f;
  const float x = to_float(loc[li]), y = to_float(loc[li + 1]);
  float acc = 0.f;
  for (int64_t l = 0; l < d.levels; ++l) {
    Corners k;
    if (!make_corners(x, y, shape[2 * l], shape[2 * l + 1], start[l], d, b, view, k)) continue;
    float val[4];
    gather_corners(feat, k, c, val);
    acc += interpolate(k, val) * to_float(weights[weight_index(d, b, q, p, l)]);
  }
  return acc;
}

// Gradient terms of one (sample, level, channel): adds to grad_weight and to the pixel-space
// location gradient, and returns through feat_grad[4] what each corner's feature receives.
template <typename T>
AO_HD void backward_element(const T* feat, const Corners& k, int64_t c, float grad_out, float weight,
                            float feat_grad[4], float& grad_weight, float& grad_w, float& grad_h) {
  float v[4];
  gather_corners(feat, k, c, v);
  const float top = grad_out * weight;
  grad_weight += grad_out * interpolate(k, v);
  grad_w += d_dw(k, v) * top;
  grad_h += d_dh(k, v) * top;
#pragma unroll
  for (int i = 0; i < 4; ++i) feat_grad[i] = k.weight[i] * top;
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
