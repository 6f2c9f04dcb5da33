// kmeans_bounds_step CPU kernel: every point is independent (kmeans_bounds_step_math.h), so the
// result does not depend on the thread count; the moved points are listed in index order.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <mutex>
#include <tuple>
#include <vector>

#include "kmeans_bounds_step/kmeans_bounds_step_math.h"

namespace ascend_ops {
namespace kmeans_bounds_step {
namespace {

void check(const at::Tensor& t, const char* name, at::ScalarType dtype, at::IntArrayRef shape) {
  TORCH_CHECK(t.device().is_cpu(), "kmeans_bounds_step: ", name, " must be a CPU tensor, got ", t.device());
  TORCH_CHECK(t.scalar_type() == dtype, "kmeans_bounds_step: ", name, " must be ", dtype, ", got ", t.scalar_type());
  TORCH_CHECK(t.sizes() == shape, "kmeans_bounds_step: ", name, " must have shape ", shape, ", got ", t.sizes());
  TORCH_CHECK(t.is_contiguous(), "kmeans_bounds_step: ", name, " must be contiguous");
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> step_cpu(
    const at::Tensor& x, const at::Tensor& labels, const at::Tensor& upper, const at::Tensor& lower,
    const at::Tensor& centers, const at::Tensor& shift, const at::Tensor& near, const at::Tensor& radius_old,
    double max_shift, const at::Tensor& nb, const at::Tensor& radius, const at::Tensor& half) {
  TORCH_CHECK(x.dim() == 2 && centers.dim() == 2 && nb.dim() == 2,
              "kmeans_bounds_step: expected x [n, d], centers [k, d], nb [k, m]");
  const int64_t n = x.size(0), dim = x.size(1), k = centers.size(0), m = nb.size(1);
  TORCH_CHECK(k >= 1 && m >= 1 && m <= k, "kmeans_bounds_step: need 1 <= m <= k, got k = ", k, ", m = ", m);
  check(x, "x", at::kDouble, {n, dim});
  check(labels, "labels", at::kLong, {n});
  check(upper, "upper", at::kDouble, {n});
  check(lower, "lower", at::kDouble, {n});
  check(centers, "centers", at::kDouble, {k, dim});
  for (auto [t, name] : {std::pair{&shift, "shift"}, {&near, "near"}, {&radius_old, "radius_old"},
                         {&radius, "radius"}, {&half, "half"}})
    check(*t, name, at::kDouble, {k});
  check(nb, "nb", at::kLong, {k, m});
  const int64_t* nb_ptr = nb.data_ptr<int64_t>();
  const auto bad_nb = std::find_if(nb_ptr, nb_ptr + k * m, [k](int64_t c) { return c < 0 || c >= k; });
  TORCH_CHECK(bad_nb == nb_ptr + k * m, "kmeans_bounds_step: nb entries must lie in [0, k = ", k, "), got ", *bad_nb);

  const Args a{x.data_ptr<double>(), centers.data_ptr<double>(), shift.data_ptr<double>(), near.data_ptr<double>(),
               radius_old.data_ptr<double>(), max_shift, nb_ptr, radius.data_ptr<double>(),
               half.data_ptr<double>(), k, m, dim};
  int64_t* L = labels.data_ptr<int64_t>();
  double* U = upper.data_ptr<double>();
  double* W = lower.data_ptr<double>();
  for (int64_t i = 0; i < n; ++i) {  // a bad label would read outside the centre tables
    TORCH_CHECK(L[i] >= 0 && L[i] < k, "kmeans_bounds_step: labels must lie in [0, k = ", k, "), got ", L[i],
                " at ", i);
    TORCH_CHECK(!std::isnan(U[i]) && !std::isnan(W[i]), "kmeans_bounds_step: upper and lower must not hold NaN, got ",
                U[i], ", ", W[i], " at ", i);
  }
  // Values: coordinates finite and small enough that squared distances stay finite (the bound of
  // ascend_ops/ops/kmeanspp.py coordinate_limit), bounds and max_shift not NaN (radii may be inf).
  TORCH_CHECK(!std::isnan(max_shift), "kmeans_bounds_step: max_shift must not be NaN");
  const double limit = std::sqrt(std::numeric_limits<double>::max() / (4.0 * static_cast<double>(dim > 0 ? dim : 1) *
                                                                      static_cast<double>(n > 0 ? n : 1))) * 0.999;
  for (auto [t, name] : {std::pair{&shift, "shift"}, {&near, "near"}, {&radius_old, "radius_old"},
                         {&radius, "radius"}, {&half, "half"}}) {
    const double* v = t->data_ptr<double>();
    for (int64_t i = 0; i < k; ++i) TORCH_CHECK(!std::isnan(v[i]), "kmeans_bounds_step: ", name, " holds NaN");
  }
  const double* C = centers.data_ptr<double>();
  for (int64_t i = 0; i < k * dim; ++i)
    TORCH_CHECK(std::abs(C[i]) <= limit, "kmeans_bounds_step: centers must be finite with |value| <= ", limit,
                ", got ", C[i]);
  std::atomic<int64_t> bad_x{-1};
  const double* X = x.data_ptr<double>();
  at::parallel_for(0, n * dim, 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      if (!(std::abs(X[i]) <= limit)) {   // NaN fails too
        bad_x.store(i);
        return;
      }
  });
  TORCH_CHECK(bad_x.load() < 0, "kmeans_bounds_step: x must be finite with |value| <= ", limit,
              " (squared distances must stay finite), got ", X[bad_x.load() < 0 ? 0 : bad_x.load()]);

  struct Chunk {
    int64_t begin;
    std::vector<int64_t> moved, old_label;
    int64_t failed = 0, reassigned = 0;
  };
  std::vector<Chunk> chunks;
  std::mutex mutex;
  at::parallel_for(0, n, 1 << 14, [&](int64_t begin, int64_t end) {
    Chunk ch{begin, {}, {}};
    for (int64_t i = begin; i < end; ++i) {
      const int64_t before = L[i];
      const int outcome = step_point(a, i, L[i], U[i], W[i]);
      ch.failed += outcome != kKept;
      ch.reassigned += outcome == kReassigned;
      if (L[i] != before) {
        ch.moved.push_back(i);
        ch.old_label.push_back(before);
      }
    }
    std::lock_guard<std::mutex> lock(mutex);
    chunks.push_back(std::move(ch));
  });
  std::sort(chunks.begin(), chunks.end(), [](const Chunk& l, const Chunk& r) { return l.begin < r.begin; });
  int64_t total = 0, failed = 0, reassigned = 0;
  for (const Chunk& ch : chunks) {
    total += static_cast<int64_t>(ch.moved.size());
    failed += ch.failed;
    reassigned += ch.reassigned;
  }
  auto moved = at::empty({total}, x.options().dtype(at::kLong));
  auto old_label = at::empty({total}, x.options().dtype(at::kLong));
  int64_t* mv = moved.data_ptr<int64_t>();
  int64_t* ol = old_label.data_ptr<int64_t>();
  for (const Chunk& ch : chunks) {
    mv = std::copy(ch.moved.begin(), ch.moved.end(), mv);
    ol = std::copy(ch.old_label.begin(), ch.old_label.end(), ol);
  }
  auto counts = at::empty({2}, x.options().dtype(at::kLong));
  counts.data_ptr<int64_t>()[0] = failed;
  counts.data_ptr<int64_t>()[1] = reassigned;
  return {moved, old_label, counts};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) { m.impl("kmeans_bounds_step", &step_cpu); }

}  // namespace kmeans_bounds_step
}  // namespace ascend_ops
