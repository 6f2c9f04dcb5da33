// msmv_sampling: per-element math shared by the CPU and CUDA kernels (torch-free).
//
// Semantics (SparseBEV's CUDA op): a sample (b, q, p) at (x, y, z) reads view
// round(z * (N - 1)) (half away from zero, like CUDA's roundf); a view outside [0, N-1]
// (or NaN) contributes 0 (upstream reads out of bounds there). On level l of size H x W the
// sample reads the bilinear value at w = x * (W - 1), h = y * (H - 1) (align_corners=True) when
// -1 < h < H and -1 < w < W, with corners outside the map (or outside num_feat, a guard against
// inconsistent start indices) reading 0; the level's value is scaled by scale_weights[b, q, p, l]
// and summed over levels in order l = 0..L-1. Accumulation is in A = acc_t<T> (common/hd.h):
// float32 for float32, float16 and bfloat16 elements, float64 for float64.
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace msmv_sampling {

struct Dims {
  int64_t batch, views, num_feat, channels, queries, points, levels;
};

// The four bilinear corners of one sample on one level map of one view, in accumulation type A.
template <typename A>
struct Corners {
  int64_t offset[4];  // element offset of each corner's channel 0 inside the whole feature tensor
  A weight[4];        // bilinear weight, 0 for an invalid corner
  bool valid[4];
  A lw, lh;           // fractional position inside the cell
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
template <typename A>
AO_HD int64_t view_index(const Dims& d, A z) {
  const A last = static_cast<A>(d.views - 1);
  const A v = round_acc(z * last);
  return (v >= A(0) && v <= last) ? static_cast<int64_t>(v) : -1;
}

// Fills k for level (H, W, start) of view `view` in batch item b; false when the level is skipped.
template <typename A>
AO_HD bool make_corners(A x, A y, int H, int W, int64_t start, const Dims& d, int64_t b, int64_t view,
                        Corners<A>& k) {
  const A h = y * static_cast<A>(H - 1), w = x * static_cast<A>(W - 1);
  if (!(h > A(-1) && w > A(-1) && h < static_cast<A>(H) && w < static_cast<A>(W))) return false;
  const A fh = floor_acc(h), fw = floor_acc(w);
  const int h0 = static_cast<int>(fh), w0 = static_cast<int>(fw);
  k.lh = h - fh;
  k.lw = w - fw;
  const A hh = A(1) - k.lh, hw = A(1) - k.lw;
  const A wt[4] = {hh * hw, hh * k.lw, k.lh * hw, k.lh * k.lw};
  const int64_t base = (b * d.views + view) * d.num_feat;
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int wi = w0 + (i & 1), hi = h0 + (i >> 1);
    const int64_t pixel = start + static_cast<int64_t>(hi) * W + wi;
    const bool ok = wi >= 0 && wi < W && hi >= 0 && hi < H && pixel >= 0 && pixel < d.num_feat;
    k.valid[i] = ok;
    k.weight[i] = ok ? wt[i] : A(0);
    k.offset[i] = ok ? (base + pixel) * d.channels : 0;
  }
  return true;
}

template <typename T, typename A>
AO_HD void gather_corners(const T* feat, const Corners<A>& k, int64_t c, A v[4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) v[i] = k.valid[i] ? to_acc<A>(feat[k.offset[i] + c]) : A(0);
}

template <typename A>
AO_HD A interpolate(const Corners<A>& k, const A v[4]) {
  return k.weight[0] * v[0] + k.weight[1] * v[1] + k.weight[2] * v[2] + k.weight[3] * v[3];
}

// d(bilinear value)/dw and /dh in pixel units (invalid corners have v = 0).
template <typename A>
AO_HD A d_dw(const Corners<A>& k, const A v[4]) { return (A(1) - k.lh) * (v[1] - v[0]) + k.lh * (v[3] - v[2]); }
template <typename A>
AO_HD A d_dh(const Corners<A>& k, const A v[4]) { return (A(1) - k.lw) * (v[2] - v[0]) + k.lw * (v[3] - v[1]); }

// One output element out[b, q, c, p]: sums the levels in order l = 0..L-1 (the CPU kernel
// accumulates in the same order, so both give the same result).
template <typename T, typename A = acc_t<T>>
AO_HD A forward_element(const T* feat, const int* shape, const int* start, const T* loc, const T* weights,
                        const Dims& d, int64_t b, int64_t q, int64_t p, int64_t c) {
  const int64_t li = location_index(d, b, q, p);
  const int64_t view = view_index(d, to_acc<A>(loc[li + 2]));
  if (view < 0) return A(0);
  const A x = to_acc<A>(loc[li]), y = to_acc<A>(loc[li + 1]);
  A acc = A(0);
  for (int64_t l = 0; l < d.levels; ++l) {
    Corners<A> k;
    if (!make_corners(x, y, shape[2 * l], shape[2 * l + 1], start[l], d, b, view, k)) continue;
    A val[4];
    gather_corners(feat, k, c, val);
    acc += interpolate(k, val) * to_acc<A>(weights[weight_index(d, b, q, p, l)]);
  }
  return acc;
}

// Gradient terms of one (sample, level, channel): adds to grad_weight and to the pixel-space
// location gradient, and returns through feat_grad[4] what each corner's feature receives.
template <typename T, typename A>
AO_HD void backward_element(const T* feat, const Corners<A>& k, int64_t c, A grad_out, A weight,
                            A feat_grad[4], A& grad_weight, A& grad_w, A& grad_h) {
  A v[4];
  gather_corners(feat, k, c, v);
  const A top = grad_out * weight;
  grad_weight += grad_out * interpolate(k, v);
  grad_w += d_dw(k, v) * top;
  grad_h += d_dh(k, v) * top;
#pragma unroll
  for (int i = 0; i < 4; ++i) feat_grad[i] = k.weight[i] * top;
}

}  // namespace msmv_sampling
}  // namespace ascend_ops
