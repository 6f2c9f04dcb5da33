// spdevoxelize CPU kernels (semantics and torchsparse's CPU backward bug: see
// ascend_ops/ops/spdevoxelize.py). Accumulation in A = acc_t<scalar_t> (float32; float64 for
// float64). Every output element is written by one task in a fixed order: bitwise the same for
// any thread count.
// Forward: per point n, out[n] = sum over k (ascending) of weights[n, k] * feats[indices[n, k]].
// Backward, feats: the (n, k) pairs p = n * K + k are grouped by voxel (stable counting sort,
// common/cpu_group_rows.h); each voxel row sums weights[p] * grad_out[n] over its pairs in pair
// order (a deterministic scatter; missing corners, index < 0, add nowhere).
// Backward, weights: grad_weights[n, k] = <grad_out[n], feats[indices[n, k]]>, 0 for a missing
// corner, computed in the same per-voxel pass (feats[m] stays in cache); the dot product runs in
// 8 lanes reduced in a fixed order.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <tuple>
#include <vector>

#include "common/cpu_group_rows.h"
#include "common/hd.h"
#include "spdevoxelize/spdevoxelize_check.h"

namespace ascend_ops {
namespace spdevoxelize {
namespace {

int64_t grain_rows(int64_t work_per_row) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, work_per_row)); }

template <typename scalar_t, typename Index>
void forward(const scalar_t* F, const Index* I, const scalar_t* W, int64_t N, int64_t K, int64_t C, scalar_t* O) {
  using A = acc_t<scalar_t>;
  at::parallel_for(0, N, grain_rows(K * C), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(C);
    for (int64_t n = begin; n < end; ++n) {
      std::fill(acc.begin(), acc.end(), A(0));
      for (int64_t k = 0; k < K; ++k) {
        const int64_t m = I[n * K + k];
        if (m < 0) continue;
        const A w = to_acc<A>(W[n * K + k]);
        const scalar_t* f = F + m * C;
        for (int64_t c = 0; c < C; ++c) acc[c] += w * to_acc<A>(f[c]);
      }
      for (int64_t c = 0; c < C; ++c) O[n * C + c] = static_cast<scalar_t>(acc[c]);
    }
  });
}

template <typename A, typename scalar_t>
A dot(const scalar_t* a, const scalar_t* b, int64_t n) {
  constexpr int kLanes = 8;
  A acc[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes)
    for (int j = 0; j < kLanes; ++j) acc[j] += to_acc<A>(a[c + j]) * to_acc<A>(b[c + j]);
  for (int j = 0; c < n; ++c, ++j) acc[j] += to_acc<A>(a[c]) * to_acc<A>(b[c]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

template <typename scalar_t, typename Index>
void backward(const scalar_t* G, const scalar_t* F, const Index* I, const scalar_t* W, int64_t M, int64_t N,
              int64_t K, int64_t C, scalar_t* GF, scalar_t* GW) {
  using A = acc_t<scalar_t>;
  const auto groups = cpu_group_rows::group_rows(M, N * K, [&](int64_t p) -> int64_t { return I[p]; });
  // Missing corners (index < 0) belong to no voxel: their weight gradient is 0.
  for (int64_t p = 0; p < N * K; ++p)
    if (I[p] < 0) GW[p] = scalar_t(0);
  // One pass per voxel row m (one task owns it): its feature gradient sums its pairs in pair
  // order, and each pair's weight gradient <grad_out[n], feats[m]> is written here too, while
  // feats[m] is in cache (every pair belongs to exactly one voxel: one writer).
  const int64_t pairs_per_row = 1 + (N * K) / std::max<int64_t>(1, M);
  at::parallel_for(0, M, grain_rows(C * pairs_per_row), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(C);
    for (int64_t m = begin; m < end; ++m) {
      std::fill(acc.begin(), acc.end(), A(0));
      const scalar_t* f = F + m * C;
      for (int64_t q = groups.start[m]; q < groups.start[m + 1]; ++q) {
        const int64_t p = groups.items[q];
        const A w = to_acc<A>(W[p]);
        const scalar_t* g = G + (p / K) * C;
        for (int64_t c = 0; c < C; ++c) acc[c] += w * to_acc<A>(g[c]);
        GW[p] = static_cast<scalar_t>(dot<A>(g, f, C));
      }
      for (int64_t c = 0; c < C; ++c) GF[m * C + c] = static_cast<scalar_t>(acc[c]);
    }
  });
}

at::Tensor forward_cpu(const at::Tensor& feats_in, const at::Tensor& indices_in, const at::Tensor& weights_in) {
  check_inputs("spdevoxelize", feats_in, indices_in, weights_in);
  const auto feats = feats_in.contiguous(), indices = indices_in.contiguous(), weights = weights_in.contiguous();
  const int64_t N = indices.size(0), K = indices.size(1), C = feats.size(1);
  auto out = at::empty({N, C}, feats.options());
  if (N == 0 || C == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feats.scalar_type(), "spdevoxelize", [&] {
    if (indices.scalar_type() == at::kLong)
      forward(feats.data_ptr<scalar_t>(), indices.data_ptr<int64_t>(), weights.data_ptr<scalar_t>(), N, K, C,
              out.data_ptr<scalar_t>());
    else
      forward(feats.data_ptr<scalar_t>(), indices.data_ptr<int32_t>(), weights.data_ptr<scalar_t>(), N, K, C,
              out.data_ptr<scalar_t>());
  });
  return out;
}

std::tuple<at::Tensor, at::Tensor> backward_cpu(const at::Tensor& grad_out, const at::Tensor& feats_in,
                                                const at::Tensor& indices_in, const at::Tensor& weights_in) {
  check_backward(grad_out, feats_in, indices_in, weights_in);
  const auto feats = feats_in.contiguous(), indices = indices_in.contiguous(), weights = weights_in.contiguous();
  const auto grad = grad_out.to(feats.scalar_type()).contiguous();
  const int64_t M = feats.size(0), C = feats.size(1), N = indices.size(0), K = indices.size(1);
  auto grad_feats = at::empty({M, C}, feats.options());
  auto grad_weights = at::empty({N, K}, weights.options());
  if (C == 0) return {grad_feats, grad_weights.zero_()};
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feats.scalar_type(), "spdevoxelize_backward", [&] {
    if (indices.scalar_type() == at::kLong)
      backward(grad.data_ptr<scalar_t>(), feats.data_ptr<scalar_t>(), indices.data_ptr<int64_t>(),
               weights.data_ptr<scalar_t>(), M, N, K, C, grad_feats.data_ptr<scalar_t>(),
               grad_weights.data_ptr<scalar_t>());
    else
      backward(grad.data_ptr<scalar_t>(), feats.data_ptr<scalar_t>(), indices.data_ptr<int32_t>(),
               weights.data_ptr<scalar_t>(), M, N, K, C, grad_feats.data_ptr<scalar_t>(),
               grad_weights.data_ptr<scalar_t>());
  });
  return {grad_feats, grad_weights};
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("spdevoxelize", &forward_cpu);
  m.impl("spdevoxelize_backward", &backward_cpu);
}

}  // namespace spdevoxelize
}  // namespace ascend_ops
