// scatter_mean CPU kernels (semantics: ascend_ops/ops/scatter_mean.py).
// Forward: one task per block of output rows scans the rows in input order and sums those whose
// index falls in its block, in acc_t (float32 for float32 / float16 / bfloat16, float64 for
// float64), then divides by max(1, count): one writer per output row, every sum in input order,
// the same bits for any thread count (and the reference's index_add order).
// Backward: grad_src[i] = grad_out[index[i]] / max(1, count[index[i]]), parallel over rows.
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "common/hd.h"
#include "scatter_mean/scatter_mean_check.h"

namespace ascend_ops {
namespace scatter_mean {
namespace {

constexpr int64_t kChunk = 16384;   // rows per task of the index check
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

at::Tensor forward_cpu(const at::Tensor& src_in, const at::Tensor& index, int64_t dim_size) {
  constexpr const char* op = "scatter_mean";
  check_args(op, src_in, index, dim_size);
  const auto src = src_in.contiguous();
  const int64_t N = src.size(0), C = src.size(1);
  const auto idx = index_values(op, index, dim_size);
  auto out = at::empty({dim_size, C}, src.options());
  if (dim_size == 0 || C == 0) return out;
  // Blocks of output rows; block t scans every index in input order and adds the rows that fall
  // in it (reading the index once per block is cheap next to the rows).
  const int64_t T = std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), (N * C) / kGrainElems));
  const int64_t blocks = std::min<int64_t>(T, dim_size);
  AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, src.scalar_type(), "scatter_mean_cpu", [&] {
    using A = acc_t<scalar_t>;
    const scalar_t* S = src.data_ptr<scalar_t>();
    scalar_t* O = out.data_ptr<scalar_t>();
    at::parallel_for(0, blocks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t) {
        const int64_t r0 = dim_size * t / blocks, r1 = dim_size * (t + 1) / blocks;
        // float32 / float64 accumulate in out's own rows; float16 / bfloat16 in a float32 buffer
        constexpr bool in_place = std::is_same<A, scalar_t>::value;
        std::vector<A> buffer(in_place ? 0 : (r1 - r0) * C);
        A* acc = in_place ? reinterpret_cast<A*>(O + r0 * C) : buffer.data();
        std::fill(acc, acc + (r1 - r0) * C, A(0));
        std::vector<int64_t> count(r1 - r0, 0);
        for (int64_t i = 0; i < N; ++i) {
          const int64_t r = idx[i];
          if (r < r0 || r >= r1) continue;
          ++count[r - r0];
          A* a = acc + (r - r0) * C;
          const scalar_t* row = S + i * C;
          for (int64_t c = 0; c < C; ++c) a[c] += static_cast<A>(row[c]);
        }
        for (int64_t r = r0; r < r1; ++r) {
          const A n = static_cast<A>(std::max<int64_t>(1, count[r - r0]));
          const A* a = acc + (r - r0) * C;
          for (int64_t c = 0; c < C; ++c) O[r * C + c] = static_cast<scalar_t>(a[c] / n);
        }
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
