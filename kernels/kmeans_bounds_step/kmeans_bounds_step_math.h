// kmeans_bounds_step: one point's share of a bounded Lloyd step (ascend_ops/ops/kmeans_bounds_step.py
// documents the arguments). Torch-free and AO_HD so a CUDA kernel can share it; only the CPU
// kernel uses it today.
//
// Per point: label a, upper >= distance to centre a, lower <= distance to every other centre.
// After the centres moved by shift[]:
//   lower' = min(lower - near[a], radius_old[a] - upper - max_shift)   (near: largest shift among
//            a's old neighbours; the other centres were >= radius_old[a] - upper away)
//   upper' = upper + shift[a]
// The point keeps its label when upper' <= max(lower', half[a]) (half: half the gap from a to its
// nearest other centre), first with the bound, then with the exact distance to a. Otherwise it is
// re-assigned exactly: against a's m nearest centres nb[a] when 2 * upper <= radius[a] (every
// centre outside nb[a] is then farther than a), else against all k centres.
#pragma once
#include "common/hd.h"

namespace ascend_ops {
namespace kmeans_bounds_step {

struct Args {
  const double* x;           // [n, dim]
  const double* centers;     // [k, dim] new centres
  const double* shift;       // [k] distance each centre moved
  const double* near;        // [k] largest shift among each centre's old neighbours (self excluded)
  const double* radius_old;  // [k] old neighbourhood radius
  double max_shift;          // largest shift of any centre
  const int64_t* nb;         // [k, m] new neighbour lists, self first
  const double* radius;      // [k] new neighbourhood radius (inf when m == k)
  const double* half;        // [k] half the distance to the nearest other centre
  int64_t k, m, dim;
};

enum Outcome { kKept = 0, kBoundFailed = 1, kReassigned = 2 };

// sum_j (c[j] - p[j])^2, accumulated in order j = 0 .. dim - 1.
AO_HD double sq_dist(const double* p, const double* c, int64_t dim) {
  double s = 0.0;
  for (int64_t j = 0; j < dim; ++j) {
    const double d = c[j] - p[j];
    s += d * d;
  }
  return s;
}

// Nearest and second-nearest squared distance over centres ids[0..count) (ids == nullptr: 0..count).
// Ties keep the first candidate.
AO_HD void two_nearest(const Args& a, const double* p, const int64_t* ids, int64_t count, int64_t& best,
                       double& d1, double& d2) {
  best = ids ? ids[0] : 0;
  d1 = INFINITY;
  d2 = INFINITY;
  for (int64_t t = 0; t < count; ++t) {
    const int64_t c = ids ? ids[t] : t;
    const double d = sq_dist(p, a.centers + c * a.dim, a.dim);
    if (d < d1) {
      d2 = d1;
      d1 = d;
      best = c;
    } else if (d < d2) {
      d2 = d;
    }
  }
}

// Updates label / upper / lower of point i in place; returns the Outcome.
AO_HD int step_point(const Args& a, int64_t i, int64_t& label, double& upper, double& lower) {
  const int64_t c = label;
  const double* p = a.x + i * a.dim;
  double lo = lower - a.near[c];
  const double far_lo = a.radius_old[c] - upper - a.max_shift;
  if (far_lo < lo) lo = far_lo;
  double up = upper + a.shift[c];
  const double bound = lo > a.half[c] ? lo : a.half[c];
  lower = lo;
  upper = up;
  if (up <= bound) return kKept;
  up = sqrt(sq_dist(p, a.centers + c * a.dim, a.dim));
  upper = up;
  if (up <= bound) return kBoundFailed;
  int64_t best;
  double d1, d2;
  if (2.0 * up <= a.radius[c]) {
    two_nearest(a, p, a.nb + c * a.m, a.m, best, d1, d2);
    d2 = sqrt(d2);
    const double outside = a.radius[c] - up;  // every centre outside nb[c] is at least this far
    lower = d2 < outside ? d2 : outside;
  } else {
    two_nearest(a, p, nullptr, a.k, best, d1, d2);
    lower = sqrt(d2);
  }
  label = best;
  upper = sqrt(d1);
  return kReassigned;
}

}  // namespace kmeans_bounds_step
}  // namespace ascend_ops
