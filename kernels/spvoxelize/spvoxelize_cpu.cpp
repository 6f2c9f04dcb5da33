// spvoxelize CPU kernels (semantics: ascend_ops/ops/spvoxelize.py).
// Forward: the points are grouped by voxel (a stable counting sort, common/cpu_group_rows.h);
// then each voxel row, owned by one task, sums its points' shares feats[i] / counts[m] in point
// order, in A = acc_t<scalar_t> (float32; float64 for float64), and is written once. Bitwise the
// same for any thread count.
// Backward: per point, grad_feats[i] = grad_out[idx[i]] / counts[idx[i]] (a gather; rows of
// points in no voxel, or in a voxel of count 0, are 0).
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "common/cpu_group_rows.h"
#include "common/hd.h"
#include "spvoxelize/spvoxelize_check.h"

namespace ascend_ops {
namespace spvoxelize {
namespace {

int64_t grain_rows(int64_t C) { return std::max<int64_t>(1, 32768 / std::max<int64_t>(1, C)); }

template <typename scalar_t, typename Index>
void forward(const scalar_t* F, const Index* I, const int64_t* counts, int64_t N, int64_t M, int64_t C,
             scalar_t* O) {
  using A = acc_t<scalar_t>;
  const auto groups = cpu_group_rows::group_rows(M, N, [&](int64_t i) -> int64_t {
    const int64_t m = I[i];
    return m >= 0 && counts[m] > 0 ? m : -1;
  });
  at::parallel_for(0, M, grain_rows(C), [&](int64_t begin, int64_t end) {
    std::vector<A> acc(C);
    for (int64_t m = begin; m < end; ++m) {
      std::fill(acc.begin(), acc.end(), A(0));
      const A cnt = static_cast<A>(counts[m]);
      for (int64_t p = groups.start[m]; p < groups.start[m + 1]; ++p) {
        const scalar_t* f = F + groups.items[p] * C;
        for (int64_t c = 0; c < C; ++c) acc[c] += to_acc<A>(f[c]) / cnt;
      }
      for (int64_t c = 0; c < C; ++c) O[m * C + c] = static_cast<scalar_t>(acc[c]);
    }
  });
}

template <typename scalar_t, typename Index>
void backward(const scalar_t* G, const Index* I, const int64_t* counts, int64_t N, int64_t C, scalar_t* out) {
  using A = acc_t<scalar_t>;
  at::parallel_for(0, N, grain_rows(C), [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t m = I[i];
      scalar_t* o = out + i * C;
      if (m < 0 || counts[m] <= 0) {
        std::fill(o, o + C, scalar_t(0));
        continue;
      }
      const A cnt = static_cast<A>(counts[m]);
      const scalar_t* g = G + m * C;
      for (int64_t c = 0; c < C; ++c) o[c] = static_cast<scalar_t>(to_acc<A>(g[c]) / cnt);
    }
  });
}

at::Tensor forward_cpu(const at::Tensor& feats_in, const at::Tensor& idx_in, const at::Tensor& counts_in) {
  check_inputs("spvoxelize", feats_in, idx_in, counts_in);
  const auto feats = feats_in.contiguous(), idx = idx_in.contiguous();
  const auto counts = counts_in.to(at::kLong).contiguous();   // widening: lossless
  const int64_t N = feats.size(0), C = feats.size(1), M = counts.size(0);
  auto out = at::empty({M, C}, feats.options());
  if (M == 0 || C == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feats.scalar_type(), "spvoxelize", [&] {
    if (idx.scalar_type() == at::kLong)
      forward(feats.data_ptr<scalar_t>(), idx.data_ptr<int64_t>(), counts.data_ptr<int64_t>(), N, M, C,
              out.data_ptr<scalar_t>());
    else
      forward(feats.data_ptr<scalar_t>(), idx.data_ptr<int32_t>(), counts.data_ptr<int64_t>(), N, M, C,
              out.data_ptr<scalar_t>());
  });
  return out;
}

at::Tensor backward_cpu(const at::Tensor& grad_out, const at::Tensor& feats, const at::Tensor& idx_in,
                        const at::Tensor& counts_in) {
  check_backward(grad_out, feats, idx_in, counts_in);
  const auto grad = grad_out.to(feats.scalar_type()).contiguous(), idx = idx_in.contiguous();
  const auto counts = counts_in.to(at::kLong).contiguous();
  const int64_t N = feats.size(0), C = feats.size(1);
  auto out = at::empty({N, C}, feats.options());
  if (N == 0 || C == 0) return out;
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, feats.scalar_type(), "spvoxelize_backward", [&] {
    if (idx.scalar_type() == at::kLong)
      backward(grad.data_ptr<scalar_t>(), idx.data_ptr<int64_t>(), counts.data_ptr<int64_t>(), N, C,
               out.data_ptr<scalar_t>());
    else
      backward(grad.data_ptr<scalar_t>(), idx.data_ptr<int32_t>(), counts.data_ptr<int64_t>(), N, C,
               out.data_ptr<scalar_t>());
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("spvoxelize", &forward_cpu);
  m.impl("spvoxelize_backward", &backward_cpu);
}

}  // namespace spvoxelize
}  // namespace ascend_ops
