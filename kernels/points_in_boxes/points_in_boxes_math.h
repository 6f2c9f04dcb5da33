// points_in_boxes: per-element math shared by the CPU and CUDA kernels (torch-free).
//
// Three upstream tests of a point against a box (x, y, z, dx, dy, dz, heading) with (x, y, z)
// the box centre (gravity centre for z), transcribed from the upstream source lines:
//
//   bev   Ada3D SparseBEVTools/SparseBEVTools/ops/src/sparse2bev_cuda.cu:90-110
//         (A-suozhang/ada3d @ 9512743): MARGIN = 1e-5 (float), no z test (line 106 commented out).
//   cpu   OpenPCDet pcdet/ops/roiaware_pool3d/src/roiaware_pool3d.cpp:121-140 (points_in_boxes_cpu):
//         MARGIN = 1e-2 (float), z test `fabsf(z - cz) > dz / 2.0` -> outside.
//   gpu   OpenPCDet pcdet/ops/roiaware_pool3d/src/roiaware_pool3d_kernel.cu:16-36 (points_in_boxes_gpu):
//         MARGIN = 1e-5 (float), same z test. (Identical in OpenPCDet 0.5.2 = CVMI-Lab/SparseKD @ 2e00ede,
//         0.6 vendored by Ada3D and open-mmlab/OpenPCDet master.)
//
// All three:  cosa = cos(-heading), sina = sin(-heading)          (float)
//             local_x = (x - cx) * cosa + (y - cy) * (-sina)          (float)
//             local_y = (x - cx) * sina + (y - cy) * cosa             (float)
//             inside  = fabs(local_x) < dx / 2.0 + MARGIN && fabs(local_y) < dy / 2.0 + MARGIN
// where the right-hand sides are DOUBLE (2.0 is a double literal): (double)dx / 2.0 + (double)MARGIN.
// Here the double threshold t is replaced by the float `round_up(t)` (smallest float >= t), which gives
// exactly the same answer for every float |local_x| (f < t <=> f < round_up(t); NaN stays false), and
// the z rejection `|z - cz| > dz / 2.0` by `> round_down(dz / 2.0)` (f > t <=> f > round_down(t)).
// Since the upstream tests are "inside iff both comparisons are true", a NaN coordinate in x / y (point
// or box), in dx / dy or in the heading gives "outside"; a NaN in z / cz / dz makes the z rejection
// false, so the x / y test alone decides (exactly as upstream).
// Zero-size boxes follow the same formulas: dx = 0 keeps points with |local_x| < 1e-5 (1e-2 for cpu),
// dz = 0 keeps only z == cz exactly; negative sizes are not special-cased.
//
// float64 inputs use the same formulas with T = double (MARGIN = (double)1e-5 / 1e-2, cos/sin in
// double). The trigonometry is computed by the caller (per box, once): the CPU kernels call
// std::cos/std::sin on T (glibc cosf/sinf for float, as upstream's CPU build), the CUDA binding uses
// at::cos/at::sin (CUDA's cosf/sinf, as upstream's CUDA kernels).
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace points_in_boxes {

// Margins as written upstream (cast to the element type T before use, like `const float MARGIN`).
constexpr double kBevMargin = 1e-5;   // sparse2bev_cuda.cu:101
constexpr double kCpuMargin = 1e-2;   // roiaware_pool3d.cpp:131
constexpr double kGpuMargin = 1e-5;   // roiaware_pool3d_kernel.cu:27

// Smallest T >= t and largest T <= t (identity for double).
template <typename T>
AO_HD T round_up(double t) { return static_cast<T>(t); }
template <typename T>
AO_HD T round_down(double t) { return static_cast<T>(t); }
template <>
AO_HD float round_up<float>(double t) {
  const float f = static_cast<float>(t);
  return static_cast<double>(f) < t ? nextafterf(f, INFINITY) : f;
}
template <>
AO_HD float round_down<float>(double t) {
  const float f = static_cast<float>(t);
  return static_cast<double>(f) > t ? nextafterf(f, -INFINITY) : f;
}

// One box, ready for point tests: centre, rotation by -heading and the float thresholds.
template <typename T>
struct Frame {
  T cx, cy, cz, cosa, sina;
  T lim_x, lim_y;   // inside iff |local| < lim      (round_up of d / 2.0 + MARGIN)
  T lim_z;          // outside iff |z - cz| > lim_z  (round_down of dz / 2.0)
};

// box = (x, y, z, dx, dy, dz, heading, ...); cosa = cos(-heading), sina = sin(-heading) in T.
template <typename T>
AO_HD Frame<T> make_frame(const T* box, T cosa, T sina, double margin_literal) {
  const double margin = static_cast<double>(static_cast<T>(margin_literal));
  Frame<T> f;
  f.cx = box[0];
  f.cy = box[1];
  f.cz = box[2];
  f.cosa = cosa;
  f.sina = sina;
  f.lim_x = round_up<T>(static_cast<double>(box[3]) / 2.0 + margin);
  f.lim_y = round_up<T>(static_cast<double>(box[4]) / 2.0 + margin);
  f.lim_z = round_down<T>(static_cast<double>(box[5]) / 2.0);
  return f;
}

template <typename T>
AO_HD T abs_of(T v) { return v < T(0) ? -v : v; }

// Ada3D's test: rotation into the box frame, strict comparisons, no z.
template <typename T>
AO_HD bool inside_bev(const Frame<T>& f, T x, T y) {
  const T shift_x = x - f.cx, shift_y = y - f.cy;
  const T local_x = shift_x * f.cosa + shift_y * (-f.sina);
  const T local_y = shift_x * f.sina + shift_y * f.cosa;
  return (abs_of(local_x) < f.lim_x) & (abs_of(local_y) < f.lim_y);
}

// OpenPCDet's test: the z rejection (non-strict inside: |z - cz| <= dz / 2), then the BEV test.
template <typename T>
AO_HD bool inside_3d(const Frame<T>& f, T x, T y, T z) {
  return !(abs_of(z - f.cz) > f.lim_z) & inside_bev(f, x, y);
}

}  // namespace points_in_boxes
}  // namespace ascend_ops
