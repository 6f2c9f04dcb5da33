// deformable_aggregation: per-element math shared by the CPU and CUDA kernels (torch-free).
//
// Semantics (Sparse4D): a sample (b, a, p, cam) at normalised (u, v) contributes only when
// 0 < u < 1 and 0 < v < 1; on map (cam, l) of size H x W it reads the bilinear value at
// x = u * W - 0.5, y = v * H - 0.5, with corners outside the map (or outside num_feat, a guard
// against inconsistent start indices) reading 0. Accumulation is in A = acc_t<T> (common/hd.h):
// float32 for float32, float16 and bfloat16 elements, float64 for float64.
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace deformable_aggregation {

struct Dims {
  int64_t bs, num_feat, channels, anchors, points, cams, scales, groups;
};

// The four bilinear corners of one sample on one (cam, level) map, in accumulation type A.
template <typename A>
struct Corners {
  int64_t offset[4];  // element offset of each corner's channel 0 inside one batch item
  A weight[4];        // bilinear weight, 0 for an invalid corner
  bool valid[4];
  A lx, ly;           // fractional position inside the cell
};

template <typename A>
AO_HD bool location_inside(A u, A v) { return u > A(0) && u < A(1) && v > A(0) && v < A(1); }

AO_HD int64_t location_index(const Dims& d, int64_t b, int64_t a, int64_t p, int64_t cam) {
  return (((b * d.anchors + a) * d.points + p) * d.cams + cam) * 2;
}

AO_HD int64_t weight_index(const Dims& d, int64_t b, int64_t a, int64_t p, int64_t cam, int64_t l, int64_t g) {
  return (((((b * d.anchors + a) * d.points + p) * d.cams + cam) * d.scales + l) * d.groups) + g;
}

template <typename A>
AO_HD void make_corners(A u, A v, int H, int W, int64_t start, const Dims& d, Corners<A>& k) {
  const A x = u * static_cast<A>(W) - A(0.5), y = v * static_cast<A>(H) - A(0.5);
  const A fx = floor_acc(x), fy = floor_acc(y);
  const int x0 = static_cast<int>(fx), y0 = static_cast<int>(fy);
  k.lx = x - fx;
  k.ly = y - fy;
  const A hx = A(1) - k.lx, hy = A(1) - k.ly;
  const A w[4] = {hy * hx, hy * k.lx, k.ly * hx, k.ly * k.lx};
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int xi = x0 + (i & 1), yi = y0 + (i >> 1);
    const int64_t pixel = start + static_cast<int64_t>(yi) * W + xi;
    const bool ok = xi >= 0 && xi < W && yi >= 0 && yi < H && pixel >= 0 && pixel < d.num_feat;
    k.valid[i] = ok;
    k.weight[i] = ok ? w[i] : A(0);
    k.offset[i] = ok ? pixel * d.channels : 0;
  }
}

template <typename T, typename A>
AO_HD void gather_corners(const T* batch_feat, const Corners<A>& k, int64_t c, A v[4]) {
#pragma unroll
  for (int i = 0; i < 4; ++i) v[i] = k.valid[i] ? to_acc<A>(batch_feat[k.offset[i] + c]) : A(0);
}

template <typename A>
AO_HD A interpolate(const Corners<A>& k, const A v[4]) {
  return k.weight[0] * v[0] + k.weight[1] * v[1] + k.weight[2] * v[2] + k.weight[3] * v[3];
}

// d(bilinear value)/dx and /dy in pixel units (invalid corners have v = 0).
template <typename A>
AO_HD A d_dx(const Corners<A>& k, const A v[4]) { return (A(1) - k.ly) * (v[1] - v[0]) + k.ly * (v[3] - v[2]); }
template <typename A>
AO_HD A d_dy(const Corners<A>& k, const A v[4]) { return (A(1) - k.lx) * (v[2] - v[0]) + k.lx * (v[3] - v[1]); }

// One output element out[b, a, c]: loops points, cameras, scales in that fixed order (the CPU
// kernel accumulates in the same order, so both give the same result).
template <typename T, typename A = acc_t<T>>
AO_HD A forward_element(const T* feat, const int* shape, const int* start, const T* loc, const T* weights,
                        const Dims& d, int64_t b, int64_t a, int64_t c) {
  const int64_t g = c / (d.channels / d.groups);
  const T* batch_feat = feat + b * d.num_feat * d.channels;
  A acc = A(0);
  for (int64_t p = 0; p < d.points; ++p) {
    for (int64_t cam = 0; cam < d.cams; ++cam) {
      const int64_t li = location_index(d, b, a, p, cam);
      const A u = to_acc<A>(loc[li]), v = to_acc<A>(loc[li + 1]);
      if (!location_inside(u, v)) continue;
      for (int64_t l = 0; l < d.scales; ++l) {
        const int64_t cs = cam * d.scales + l;
        Corners<A> k;
        make_corners(u, v, shape[2 * cs], shape[2 * cs + 1], start[cs], d, k);
        A val[4];
        gather_corners(batch_feat, k, c, val);
        acc += interpolate(k, val) * to_acc<A>(weights[weight_index(d, b, a, p, cam, l, g)]);
      }
    }
  }
  return acc;
}

// Gradient terms of one (sample, map, channel): adds to grad_weight and to the pixel-space
// location gradient, and returns through feat_grad[4] what each corner's feature receives.
template <typename T, typename A>
AO_HD void backward_element(const T* batch_feat, const Corners<A>& k, int64_t c, A grad_out, A weight,
                            A feat_grad[4], A& grad_weight, A& grad_x, A& grad_y) {
  A v[4];
  gather_corners(batch_feat, k, c, v);
  const A top = grad_out * weight;
  grad_weight += grad_out * interpolate(k, v);
  grad_x += d_dx(k, v) * top;
  grad_y += d_dy(k, v) * top;
#pragma unroll
  for (int i = 0; i < 4; ++i) feat_grad[i] = k.weight[i] * top;
}

}  // namespace deformable_aggregation
}  // namespace ascend_ops
