// sparse_gather / sparse_scatter_add / sparse_max_pool CPU kernels (forward and backward).
//
// Gather (and the scatter_add backward): one parallel pass over the pairs, each row a fixed-size
// copy (memcpy of C elements, inlined for the common row widths); the bytes are copied, so
// float64 stays float64.
// Scatter-add (and the gather backward): the block-owner scatter of common/cpu_row_scatter.h:
// output rows are cut into ~64 KiB blocks, the pairs bucketed by block in pair order, and one
// task per block zeroes its rows and adds its pairs in pair order (acc_t: float32 for
// float32 / float16 / bfloat16, float64 for float64). No atomics: every output row is summed in
// pair order by one task, so the result is bitwise the same run to run and for any thread count.
// Max pool: the same plan over out rows; a task keeps, per (o, c), the running max and the first
// pair attaining it (replaces_max); forward writes the max (0 for an out row without pairs).
// The backward recomputes those winners, then a second block-owner scatter over the input rows
// adds grad[o, c] into row in_index[w] of each winner w = winner(o, c), in pair order.
// Every entry point checks shapes, dtypes, devices and index values first (never an
// out-of-bounds access for any input of torch.ops.ascend_ops.*).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "common/cpu_buffer_cache.h"
#include "common/cpu_row_scatter.h"
#include "sparse_gather_scatter/sparse_gather_scatter_check.h"
#include "sparse_gather_scatter/sparse_gather_scatter_math.h"

namespace ascend_ops {
namespace sparse_gather_scatter {
namespace {

// Outputs of gather and scatter_add (and so of their backwards) take recycled memory
// (common/cpu_buffer_cache.h, >= 1 MiB, ASCEND_OPS_CPU_BUFFER_CACHE_MB caps it, 0 disables):
// a fresh 40 MB tensor costs more in page faults than the copy into it (~4x at P = 160k, C = 64).
// Copy work per task: about 256 KiB (smaller inputs run on the calling thread).
constexpr int64_t kCopyGrainBytes = int64_t{1} << 18;

// out[p] = src[index[p]] for p < P, rows of Bytes bytes (Bytes == 0: row_bytes, any size).
template <size_t Bytes, typename Index>
void copy_rows(const char* src, const Index* index, int64_t begin, int64_t end, size_t row_bytes, char* out) {
  const size_t n = Bytes ? Bytes : row_bytes;
  for (int64_t p = begin; p < end; ++p) std::memcpy(out + p * n, src + static_cast<int64_t>(index[p]) * n, n);
}

// src [rows, C] (contiguous, index values checked) -> out [P, C] = src[index].
at::Tensor gather_rows(const at::Tensor& src, const at::Tensor& index) {
  const int64_t P = index.size(0), C = src.size(1);
  auto out = cpu_buffer_cache::empty_recycled({P, C}, src.options());
  const size_t row_bytes = static_cast<size_t>(C) * src.element_size();
  if (P == 0 || row_bytes == 0) return out;
  const char* S = static_cast<const char*>(src.data_ptr());
  char* O = static_cast<char*>(out.data_ptr());
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / static_cast<int64_t>(row_bytes));
  AT_DISPATCH_INDEX_TYPES(index.scalar_type(), "sparse_gather_cpu", [&] {
    const index_t* I = index.data_ptr<index_t>();
    at::parallel_for(0, P, grain, [&](int64_t begin, int64_t end) {
      switch (row_bytes) {   // fixed sizes: the copy is inlined as vector moves
        case 8: return copy_rows<8>(S, I, begin, end, row_bytes, O);
        case 16: return copy_rows<16>(S, I, begin, end, row_bytes, O);   // the first layer's C = 4 float32
        case 32: return copy_rows<32>(S, I, begin, end, row_bytes, O);
        case 64: return copy_rows<64>(S, I, begin, end, row_bytes, O);
        case 128: return copy_rows<128>(S, I, begin, end, row_bytes, O);
        case 256: return copy_rows<256>(S, I, begin, end, row_bytes, O);
        case 512: return copy_rows<512>(S, I, begin, end, row_bytes, O);
        case 1024: return copy_rows<1024>(S, I, begin, end, row_bytes, O);
        default: return copy_rows<0>(S, I, begin, end, row_bytes, O);
      }
    });
  });
  return out;
}

// dst[c] += src[c] for c < n in A (vectorises: distinct arrays).
template <typename A, typename T>
inline void add_row(A* __restrict__ dst, const T* __restrict__ src, int64_t n) {
  for (int64_t c = 0; c < n; ++c) dst[c] += static_cast<A>(src[c]);
}

// The pairs bucketed by the block of rows[p] (a row in [0, num_rows), checked), in pair order:
// the Plan of common/cpu_row_scatter.h (its scatter_rows does the adding) built for samples that
// touch ONE row each, by a parallel counting sort (plan_blocks' general form, for up to 4 rows a
// sample, costs ~20 ns a pair: as much as the scatter itself at C = 16). Blocks are a power of two
// rows (<= block_rows_for(C)), so a pair's block is a shift. The chunking depends on the thread
// count but not the result: chunks are contiguous pair ranges taken in order, so each bucket
// lists its pairs ascending.
template <typename Index>
cpu_row_scatter::Plan plan_by_row(const Index* rows, int64_t P, int64_t num_rows, int64_t C) {
  cpu_row_scatter::Plan plan;
  plan.rows = num_rows;
  plan.channels = C;
  int shift = 0;
  while ((int64_t{2} << shift) <= cpu_row_scatter::block_rows_for(C)) ++shift;
  plan.block_rows = int64_t{1} << shift;
  const int64_t B = plan.num_blocks = (num_rows + plan.block_rows - 1) / plan.block_rows;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>((P + 16383) / 16384, 4 * at::get_num_threads()));
  const int64_t chunk = (P + chunks - 1) / chunks;
  std::vector<int64_t> start(chunks * B, 0);   // [chunk][block]: count, then first slot
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t* n = start.data() + ch * B;
      for (int64_t p = ch * chunk, stop = std::min(P, (ch + 1) * chunk); p < stop; ++p)
        ++n[static_cast<int64_t>(rows[p]) >> shift];
    }
  });
  plan.offsets.assign(B + 1, 0);
  int64_t total = 0;
  for (int64_t b = 0; b < B; ++b) {
    plan.offsets[b] = total;
    for (int64_t ch = 0; ch < chunks; ++ch) {
      const int64_t n = start[ch * B + b];
      start[ch * B + b] = total;
      total += n;
    }
  }
  plan.offsets[B] = total;
  plan.samples.resize(P);
  at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t* next = start.data() + ch * B;
      for (int64_t p = ch * chunk, stop = std::min(P, (ch + 1) * chunk); p < stop; ++p)
        plan.samples[next[static_cast<int64_t>(rows[p]) >> shift]++] = p;
    }
  });
  return plan;
}

// Index arrays made of a few strictly increasing runs (a kernel map's pairs: offset-major, each
// offset's output rows ascending and distinct) need no bucketing: one parallel region over
// blocks of OUTPUT rows, where the task owning rows [lo, hi) finds each run's pairs in that range
// by binary search (the runs are sorted) and adds them run after run. Every row is summed by one
// task, in run order = pair order (inside a run a row appears once): the same result as the
// block plan, for any thread count, with one barrier per call.
constexpr int64_t kMaxRuns = 128;

// Starts of the strictly increasing runs of index[0 .. P), plus P at the end.
template <typename Index>
std::vector<int64_t> increasing_runs(const Index* index, int64_t P) {
  std::vector<int64_t> starts{0};
  for (int64_t p = 1; p < P; ++p) {
    if (index[p] <= index[p - 1]) {
      starts.push_back(p);
      if (static_cast<int64_t>(starts.size()) > kMaxRuns + 1) break;   // too many: the block plan
    }
  }
  starts.push_back(P);
  return starts;
}

template <typename scalar_t, typename Index>
void scatter_add_runs(const scalar_t* V, const Index* I, const std::vector<int64_t>& runs, int64_t num_rows,
                      int64_t C, at::Tensor& out) {
  using A = acc_t<scalar_t>;
  constexpr bool kInPlace = std::is_same<scalar_t, A>::value;
  // float16 / bfloat16: float32 sums in a [num_rows, C] buffer rounded by one (vectorised) copy_
  at::Tensor sums = kInPlace ? out : at::empty({num_rows, C}, out.options().dtype(c10::CppTypeToScalarType<A>::value));
  A* S = sums.data_ptr<A>();
  const int64_t block = cpu_row_scatter::block_rows_for(C);   // ~64 KiB of A per block
  const int64_t nruns = static_cast<int64_t>(runs.size()) - 1;
  at::parallel_for(0, (num_rows + block - 1) / block, 1, [&](int64_t b_begin, int64_t b_end) {
    std::vector<int64_t> cursor(runs.begin(), runs.end() - 1);   // per run: first pair at or after lo
    for (int64_t b = b_begin; b < b_end; ++b) {
      const int64_t lo = b * block, hi = std::min(num_rows, lo + block);
      A* acc = S + lo * C;
      std::fill(acc, acc + (hi - lo) * C, A(0));
      for (int64_t r = 0; r < nruns; ++r) {
        const Index* first = I + (b == b_begin ? runs[r] : cursor[r]);
        const Index* stop = I + runs[r + 1];
        const Index* p0 = b == b_begin ? std::lower_bound(first, stop, lo, [](Index v, int64_t x) {
          return static_cast<int64_t>(v) < x; }) : first;
        const Index* p1 = std::lower_bound(p0, stop, hi, [](Index v, int64_t x) { return static_cast<int64_t>(v) < x; });
        for (const Index* q = p0; q < p1; ++q) {
          const int64_t p = q - I;
          add_row(acc + (static_cast<int64_t>(*q) - lo) * C, V + p * C, C);
        }
        cursor[r] = p1 - I;
      }
    }
  });
  if constexpr (!kInPlace) out.copy_(sums);
}

// values [P, C] (contiguous, index values checked) -> out [num_rows, C], out[r] = sum of
// values[p] with index[p] == r, in pair order; out has values' dtype.
at::Tensor scatter_add_rows(const at::Tensor& values, const at::Tensor& index, int64_t num_rows) {
  const int64_t P = index.size(0), C = values.size(1);
  auto out = cpu_buffer_cache::empty_recycled({num_rows, C}, values.options());
  if (out.numel() == 0) return out;
  if (P == 0) return out.zero_();
  AT_DISPATCH_INDEX_TYPES(index.scalar_type(), "sparse_scatter_add_plan", [&] {
    const index_t* I = index.data_ptr<index_t>();
    const auto runs = increasing_runs(I, P);
    if (static_cast<int64_t>(runs.size()) - 1 <= kMaxRuns) {
      AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, values.scalar_type(), "sparse_scatter_add_runs", [&] {
        scatter_add_runs(values.data_ptr<scalar_t>(), I, runs, num_rows, C, out);
      });
      return;
    }
    const auto plan = plan_by_row(I, P, num_rows, C);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, values.scalar_type(), "sparse_scatter_add_cpu", [&] {
      using A = acc_t<scalar_t>;
      const scalar_t* V = values.data_ptr<scalar_t>();
      cpu_row_scatter::scatter_rows(plan, out.data_ptr<scalar_t>(), [&](int64_t p, int64_t lo, int64_t, A* block) {
        add_row(block + (static_cast<int64_t>(I[p]) - lo) * C, V + p * C, C);
      });
    });
  });
  return out;
}

// Max pool over `plan` (the pairs bucketed by out_index, in pair order): fills best [num_out, C]
// (0 for out rows without pairs) and, when winner != nullptr, winner [num_out, C] = the first
// pair attaining the max (-1 for rows without pairs). One task per block of out rows.
template <typename scalar_t, typename Index>
void max_pool_rows(const cpu_row_scatter::Plan& plan, const scalar_t* F, const Index* in_index, const Index* out_index,
                   int64_t num_out, int64_t C, scalar_t* best, int64_t* winner) {
  using A = acc_t<scalar_t>;
  std::vector<uint8_t> seen(num_out, 0);   // row o is written by its block's task only
  cpu_row_scatter::scatter_rows(plan, best, [&](int64_t p, int64_t lo, int64_t, A* block) {
    const int64_t o = static_cast<int64_t>(out_index[p]);
    A* b = block + (o - lo) * C;
    const scalar_t* f = F + static_cast<int64_t>(in_index[p]) * C;
    int64_t* w = winner ? winner + o * C : nullptr;
    if (!seen[o]) {   // the row's first pair (pairs come in pair order)
      seen[o] = 1;
      for (int64_t c = 0; c < C; ++c) b[c] = static_cast<A>(f[c]);
      if (w) std::fill(w, w + C, p);
      return;
    }
    for (int64_t c = 0; c < C; ++c) {
      const A v = static_cast<A>(f[c]);
      if (replaces_max(v, b[c])) {
        b[c] = v;
        if (w) w[c] = p;
      }
    }
  });
  if (winner) {   // rows without pairs: no winner
    at::parallel_for(0, num_out, 4096, [&](int64_t begin, int64_t end) {
      for (int64_t o = begin; o < end; ++o)
        if (!seen[o]) std::fill(winner + o * C, winner + (o + 1) * C, int64_t{-1});
    });
  }
}

// ---- entry points ---------------------------------------------------------------------------

at::Tensor gather_cpu(const at::Tensor& features_in, const at::Tensor& index_in) {
  constexpr const char* op = "sparse_gather";
  check_gather(op, features_in, index_in);
  const auto features = features_in.contiguous(), index = index_in.contiguous();
  check_index_values_cpu(op, "index", index, features.size(0), "features.shape[0] (N)");
  return gather_rows(features, index);
}

at::Tensor gather_backward_cpu(const at::Tensor& grad, const at::Tensor& features, const at::Tensor& index_in) {
  constexpr const char* op = "sparse_gather_backward";
  check_gather(op, features, index_in);
  check_grad(op, grad, index_in.size(0), features.size(1), features, "features");
  const auto index = index_in.contiguous();
  check_index_values_cpu(op, "index", index, features.size(0), "features.shape[0] (N)");
  return scatter_add_rows(grad.to(features.scalar_type()).contiguous(), index, features.size(0));
}

at::Tensor scatter_add_cpu(const at::Tensor& values_in, const at::Tensor& index_in, int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add";
  check_scatter_add(op, values_in, index_in, num_rows);
  const auto values = values_in.contiguous(), index = index_in.contiguous();
  check_index_values_cpu(op, "index", index, num_rows, "num_rows");
  return scatter_add_rows(values, index, num_rows);
}

at::Tensor scatter_add_backward_cpu(const at::Tensor& grad, const at::Tensor& values, const at::Tensor& index_in,
                                    int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add_backward";
  check_scatter_add(op, values, index_in, num_rows);
  check_grad(op, grad, num_rows, values.size(1), values, "values");
  const auto index = index_in.contiguous();
  check_index_values_cpu(op, "index", index, num_rows, "num_rows");
  return gather_rows(grad.to(values.scalar_type()).contiguous(), index);
}

at::Tensor max_pool_cpu(const at::Tensor& features_in, const at::Tensor& in_index_in, const at::Tensor& out_index_in,
                        int64_t num_out) {
  constexpr const char* op = "sparse_max_pool";
  check_max_pool(op, features_in, in_index_in, out_index_in, num_out);
  const auto features = features_in.contiguous(), in_index = in_index_in.contiguous();
  const auto out_index = out_index_in.contiguous();
  check_index_values_cpu(op, "in_index", in_index, features.size(0), "features.shape[0] (N)");
  check_index_values_cpu(op, "out_index", out_index, num_out, "num_out");
  const int64_t P = in_index.size(0), C = features.size(1);
  auto out = at::empty({num_out, C}, features.options());
  if (out.numel() == 0) return out;
  if (P == 0) return out.zero_();
  AT_DISPATCH_INDEX_TYPES(in_index.scalar_type(), "sparse_max_pool_plan", [&] {
    const index_t* OI = out_index.data_ptr<index_t>();
    const auto plan = plan_by_row(OI, P, num_out, C);
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, features.scalar_type(), "sparse_max_pool_cpu", [&] {
      max_pool_rows<scalar_t, index_t>(plan, features.data_ptr<scalar_t>(), in_index.data_ptr<index_t>(), OI, num_out,
                                       C, out.data_ptr<scalar_t>(), nullptr);
    });
  });
  return out;
}

at::Tensor max_pool_backward_cpu(const at::Tensor& grad_in, const at::Tensor& features_in,
                                 const at::Tensor& in_index_in, const at::Tensor& out_index_in, int64_t num_out) {
  constexpr const char* op = "sparse_max_pool_backward";
  check_max_pool(op, features_in, in_index_in, out_index_in, num_out);
  check_grad(op, grad_in, num_out, features_in.size(1), features_in, "features");
  const auto features = features_in.contiguous(), in_index = in_index_in.contiguous();
  const auto out_index = out_index_in.contiguous();
  check_index_values_cpu(op, "in_index", in_index, features.size(0), "features.shape[0] (N)");
  check_index_values_cpu(op, "out_index", out_index, num_out, "num_out");
  const int64_t N = features.size(0), P = in_index.size(0), C = features.size(1);
  auto grad_features = at::empty({N, C}, features.options());
  if (grad_features.numel() == 0) return grad_features;
  if (P == 0 || num_out == 0) return grad_features.zero_();
  const auto grad = grad_in.to(features.scalar_type()).contiguous();
  AT_DISPATCH_INDEX_TYPES(in_index.scalar_type(), "sparse_max_pool_backward_plan", [&] {
    const index_t* II = in_index.data_ptr<index_t>();
    const index_t* OI = out_index.data_ptr<index_t>();
    AT_DISPATCH_FLOATING_TYPES_AND2(at::kHalf, at::kBFloat16, features.scalar_type(), "sparse_max_pool_backward_cpu",
                                    [&] {
      using A = acc_t<scalar_t>;
      // 1. winners [num_out, C] (the max values themselves are not needed: a scratch output).
      std::unique_ptr<int64_t[]> winner(new int64_t[num_out * C]);   // every entry written below
      {
        auto scratch = at::empty({num_out, C}, features.options());
        const auto plan = plan_by_row(OI, P, num_out, C);
        max_pool_rows<scalar_t, index_t>(plan, features.data_ptr<scalar_t>(), II, OI, num_out, C,
                                         scratch.data_ptr<scalar_t>(), winner.get());
      }
      // 2. grad_features[in_index[p], c] += grad[out_index[p], c] for each pair p that wins its
      //    (out_index[p], c): block owners over the input rows, pairs in pair order.
      const auto plan = plan_by_row(II, P, N, C);
      const scalar_t* G = grad.data_ptr<scalar_t>();
      const int64_t* W = winner.get();
      cpu_row_scatter::scatter_rows(plan, grad_features.data_ptr<scalar_t>(),
                                    [&](int64_t p, int64_t lo, int64_t, A* block) {
        const int64_t o = static_cast<int64_t>(OI[p]);
        A* b = block + (static_cast<int64_t>(II[p]) - lo) * C;
        const int64_t* w = W + o * C;
        const scalar_t* g = G + o * C;
        for (int64_t c = 0; c < C; ++c)
          if (w[c] == p) b[c] += static_cast<A>(g[c]);
      });
    });
  });
  return grad_features;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("sparse_gather", &gather_cpu);
  m.impl("sparse_gather_backward", &gather_backward_cpu);
  m.impl("sparse_scatter_add", &scatter_add_cpu);
  m.impl("sparse_scatter_add_backward", &scatter_add_backward_cpu);
  m.impl("sparse_max_pool", &max_pool_cpu);
  m.impl("sparse_max_pool_backward", &max_pool_backward_cpu);
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
