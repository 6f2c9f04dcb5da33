// scatter_mean CPU kernels (semantics: ascend_ops/ops/scatter_mean.py).
// Forward: a stable counting sort of the rows by index (per-chunk histograms in parallel, one
// prefix sum, per-chunk placement in parallel) gives each output row its input rows in input
// order; then one task per block of output rows sums them in that order in acc_t (float32 for
// float32 / float16 / bfloat16, float64 for float64) and divides by max(1, count): one writer
// per output row, a fixed summation order, the same bits for any thread count.
// Backward: grad_src[i] = grad_out[index[i]] / max(1, count[index[i]]), parallel over rows.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <vector>

#include "common/hd.h"
#include "scatter_mean/scatter_mean_check.h"

namespace ascend_ops {
namespace scatter_mean {
namespace {

constexpr int64_t kChunk = 16384;   // rows per chunk of the counting sort
constexpr int64_t kGrainElems = 32768;

// Checks every index value (TORCH_CHECK naming the first bad row) and returns the index as
// int64 values in `idx`.
template <typename I>
void read_index(const char* op, const I* index, int64_t N, int64_t dim_size, std::vector<int64_t>& idx) {
  idx.resize(N);
  std::vector<int64_t> bad((N + kChunk - 1) / kChunk, -1);
  at::parallel_for(0, static_cast<int64_t>(bad.size()), 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch)
      for (int64_t i = ch * kChunk, stop = std::min(N, (ch + 1) * kChunk); i < stop; ++i) {
        const int64_t r = static_cast<int64_t>(index[i]);
        idx[i] = r;
        if ((r < 0 || r >= dim_size) && bad[ch] < 0) bad[ch] = i;
      }
  });
  for (int64_t b : bad)
    TORCH_CHECK_VALUE(b < 0, op, ": index[", b, "] = ", idx[b], " is outside [0, dim_size = ", dim_size, ")");
}

std::vector<int64_t> index_values(const char* op, const at::Tensor& index, int64_t dim_size) {
  std::vector<int64_t> idx;
  const auto contiguous = index.contiguous();
  if (contiguous.scalar_type() == at::kLong)
    read_index(op, contiguous.data_ptr<int64_t>(), contiguous.size(0), dim_size, idx);
  else
    read_index(op, contiguous.data_ptr<int32_t>(), contiguous.size(0), dim_size, idx);
  return idx;
}

// Stable counting sort: offsets [dim_size + 1] and order [N] (rows grouped by index, input order).
void group_rows(const std::vector<int64_t>& idx, int64_t dim_size, std::vector<int64_t>& offsets,
                std::vector<int64_t>& order) {
  const int64_t N = static_cast<int64_t>(idx.size());
  offsets.assign(dim_size + 1, 0);
  order.resize(N);
  for (int64_t i = 0; i < N; ++i) ++offsets[idx[i] + 1];
  for (int64_t r = 0; r < dim_size; ++r) offsets[r + 1] += offsets[r];
  std::vector<int64_t> next(offsets.begin(), offsets.end() - 1);
  for (int64_t i = 0; i < N; ++i) order[next[idx[i]]++] = i;
}

at::Tensor forward_cpu(const at::Tensor& src_in, const at::Tensor& index, int64_t dim_size) {
  constexpr const char* op = "scatter_mean";
  check_args(op, src_in, index, dim_size);
  const auto src = src_in.contiguous();
  const int64_t C = src.size(1);
  const auto idx = index_values(op, index, dim_size);
  auto out = at::empty({dim_size, C}, src.options());
  if (dim_size == 0 || C == 0) return out;
  std::vector<int64_t> offsets, order;
  group_rows(idx, dim_size, offsets, order);
  const int64_t N = src.size(0);
  const int64_t grain = std::max<int64_t>(1, kGrainElems / std::max<int64_t>(1, C * std::max<int64_t>(1, N / dim_size)));
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, src.scalar_type(), "scatter_mean_cpu", [&] {
    using A = acc_t<scalar_t>;
    const scalar_t* S = src.data_ptr<scalar_t>();
    scalar_t* O = out.data_ptr<scalar_t>();
    at::parallel_for(0, dim_size, grain, [&](int64_t begin, int64_t end) {
      std::vector<A> acc(C);
      for (int64_t r = begin; r < end; ++r) {
        std::fill(acc.begin(), acc.end(), A(0));
        const int64_t lo = offsets[r], hi = offsets[r + 1];
        for (int64_t j = lo; j < hi; ++j) {
          const scalar_t* row = S + order[j] * C;
          for (int64_t c = 0; c < C; ++c) acc[c] += static_cast<A>(row[c]);
        }
        const A count = static_cast<A>(std::max<int64_t>(1, hi - lo));
        for (int64_t c = 0; c < C; ++c) O[r * C + c] = static_cast<scalar_t>(acc[c] / count);
      }
    });
  });
  return out;
}

at::Tensor backward_cpu(const at::Tensor& grad_out_in, const at::Tensor& src, const at::Tensor& index,
                        int64_t dim_size) {
  constexpr const char* op = "scatter_mean_backward";
  check_args(op, src, index, dim_size);
  check_grad(grad_out_in, src, dim_size);
  const auto grad_out = grad_out_in.contiguous();
  const int64_t N = src.size(0), C = src.size(1);
  const auto idx = index_values(op, index, dim_size);
  auto grad_src = at::empty({N, C}, src.options());
  if (N == 0 || C == 0) return grad_src;
  std::vector<int64_t> count(dim_size, 0);
  for (int64_t i = 0; i < N; ++i) ++count[idx[i]];
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, src.scalar_type(), "scatter_mean_backward_cpu", [&] {
    using A = acc_t<scalar_t>;
    const scalar_t* G = grad_out.data_ptr<scalar_t>();
    scalar_t* O = grad_src.data_ptr<scalar_t>();
    at::parallel_for(0, N, std::max<int64_t>(1, kGrainElems / C), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const int64_t r = idx[i];
        const A n = static_cast<A>(std::max<int64_t>(1, count[r]));
        const scalar_t* g = G + r * C;
        scalar_t* o = O + i * C;
        for (int64_t c = 0; c < C; ++c) o[c] = static_cast<scalar_t>(static_cast<A>(g[c]) / n);
      }
    });
  });
  return grad_src;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("scatter_mean", &forward_cpu);
  m.impl("scatter_mean_backward", &backward_cpu);
}

}  // namespace scatter_mean
}  // namespace ascend_ops
