// kmeanspp CPU kernel: greedy k-means++ seeding (ascend_ops/ops/kmeanspp.py documents the
// arguments). Sums over points run in fixed blocks of kBlock points and are added in block
// order, so the result does not depend on the thread count. The point loop is specialised for
// d = 2 and 3 (anchor centres); other d take the generic loop, with the same arithmetic.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ascend_ops {
namespace kmeanspp {
namespace {

constexpr int64_t kBlock = 2048;

// |p - c|^2 summed over the axes in order; DIM = 0: `dim` axes at run time
template <int DIM>
inline double sq_dist(const double* p, const double* c, int64_t dim) {
  const int64_t d_count = DIM > 0 ? DIM : dim;
  double s = 0.0;
  for (int64_t j = 0; j < d_count; ++j) {
    const double t = c[j] - p[j];
    s += t * t;
  }
  return s;
}

struct Seeding {
  const double* x;
  int64_t n, dim, trials, blocks;
  std::vector<double> closest, cum, partial, cand_xyz;  // partial [blocks, trials]; cand_xyz [trials, dim]
  std::vector<int64_t> cand;

  double sum_blocks(int64_t j) const {
    double s = 0.0;
    for (int64_t b = 0; b < blocks; ++b) s += partial[b * trials + j];
    return s;
  }

  // closest_i = |x_i - cand_0|^2 (init) or min(closest_i, |x_i - cand_0|^2) (update); then
  // partial[b, j] = sum over block b of min(closest_i, |x_i - cand_j|^2) for j < count
  template <int DIM>
  void pass(int64_t count, bool init, bool update) {
    for (int64_t j = 0; j < std::max<int64_t>(count, 1); ++j)
      std::copy(x + cand[j] * dim, x + cand[j] * dim + dim, cand_xyz.begin() + j * dim);
    at::parallel_for(0, blocks, 1, [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        double* acc = partial.data() + b * trials;
        std::fill(acc, acc + count, 0.0);
        for (int64_t i = b * kBlock, end = std::min(n, (b + 1) * kBlock); i < end; ++i) {
          const double* p = x + i * dim;
          if (init || update) {
            const double d = sq_dist<DIM>(p, cand_xyz.data(), dim);
            if (init || d < closest[i]) closest[i] = d;
          }
          const double near = closest[i];
          for (int64_t j = 0; j < count; ++j) {
            const double d = sq_dist<DIM>(p, cand_xyz.data() + j * dim, dim);
            acc[j] += d < near ? d : near;
          }
        }
      }
    });
  }

  template <int DIM>
  void run(int64_t first, const double* r, int64_t k, int64_t* chosen) {
    cand[0] = chosen[0] = first;
    pass<DIM>(1, true, false);  // closest = |x - first|^2; partial = its block sums
    double pot = sum_blocks(0);
    for (int64_t c = 1; c < k; ++c) {
      double running = 0.0;  // sampling by D^2: first i with cumsum(closest)[i] >= r * pot
      for (int64_t i = 0; i < n; ++i) cum[i] = running += closest[i];
      for (int64_t j = 0; j < trials; ++j) {
        const double target = r[(c - 1) * trials + j] * pot;
        cand[j] = std::min<int64_t>(std::lower_bound(cum.begin(), cum.end(), target) - cum.begin(), n - 1);
      }
      pass<DIM>(trials, false, false);
      int64_t best = 0;
      double best_pot = sum_blocks(0);
      for (int64_t j = 1; j < trials; ++j) {
        const double s = sum_blocks(j);
        if (s < best_pot) best = j, best_pot = s;
      }
      chosen[c] = cand[best];
      cand[0] = cand[best];
      pass<DIM>(0, false, true);  // closest = min(closest, |x - best|^2); its sum is best_pot
      pot = best_pot;
    }
  }
};

// Largest |coordinate| (small margin for rounding) for which every squared distance (d terms of
// (2 |x|)^2), summed over the n points, is finite; the Python API uses the same bound
// (ascend_ops/ops/kmeanspp.py coordinate_limit).
inline double kmeanspp_coordinate_limit(int64_t dim, int64_t n) {
  return std::sqrt(std::numeric_limits<double>::max() /
                   (4.0 * static_cast<double>(dim > 0 ? dim : 1) * static_cast<double>(n > 0 ? n : 1))) * 0.999;
}

at::Tensor kmeanspp_cpu(const at::Tensor& x, int64_t first, const at::Tensor& r) {
  TORCH_CHECK(x.device().is_cpu() && r.device().is_cpu(), "kmeanspp: x and r must be CPU tensors");
  TORCH_CHECK(x.dim() == 2 && x.scalar_type() == at::kDouble && x.is_contiguous() && x.size(0) >= 1,
              "kmeanspp: x must be a contiguous float64 [n >= 1, d] tensor, got ", x.scalar_type(), " ",
              x.sizes());
  TORCH_CHECK(r.dim() == 2 && r.scalar_type() == at::kDouble && r.is_contiguous() && r.size(1) >= 1,
              "kmeanspp: r must be a contiguous float64 [k - 1, trials >= 1] tensor, got ", r.scalar_type(), " ",
              r.sizes());
  const int64_t n = x.size(0), dim = x.size(1), k = r.size(0) + 1, trials = r.size(1);
  TORCH_CHECK(first >= 0 && first < n, "kmeanspp: first must lie in [0, n = ", n, "), got ", first);
  TORCH_CHECK(k <= n, "kmeanspp: r asks for k = ", k, " centres from n = ", n, " points");
  // Values: every coordinate finite and small enough that squared distances (sums of d squared
  // differences) stay finite, every random number in [0, 1]; NaN fails both comparisons.
  const double limit = kmeanspp_coordinate_limit(dim, n);
  const double* X = x.data_ptr<double>();
  for (int64_t i = 0; i < n * dim; ++i)
    TORCH_CHECK(std::abs(X[i]) <= limit, "kmeanspp: x must be finite with |x| <= ", limit,
                " (squared distances must stay finite), got ", X[i], " at row ", i / (dim > 0 ? dim : 1));
  const double* Rv = r.data_ptr<double>();
  for (int64_t i = 0; i < r.numel(); ++i)
    TORCH_CHECK(Rv[i] >= 0.0 && Rv[i] <= 1.0, "kmeanspp: r must hold numbers in [0, 1], got ", Rv[i]);
  auto out = at::empty({k}, x.options().dtype(at::kLong));
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  Seeding s{x.data_ptr<double>(), n, dim, trials, blocks,
            std::vector<double>(n), std::vector<double>(n), std::vector<double>(blocks * trials),
            std::vector<double>(trials * dim), std::vector<int64_t>(trials)};
  const double* R = r.data_ptr<double>();
  int64_t* chosen = out.data_ptr<int64_t>();
  if (dim == 3) s.run<3>(first, R, k, chosen);
  else if (dim == 2) s.run<2>(first, R, k, chosen);
  else s.run<0>(first, R, k, chosen);
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("kmeanspp", &kmeanspp_cpu); }

}  // namespace kmeanspp
}  // namespace ascend_ops
