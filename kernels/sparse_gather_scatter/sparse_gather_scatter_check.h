// sparse_gather / sparse_scatter_add / sparse_max_pool: argument checks shared by the CPU, CUDA
// and NPU bindings (ATen, host only). The Python API (ascend_ops/ops/sparse_*.py) checks first;
// these guard direct torch.ops.ascend_ops.* calls: every message names the argument. Index
// VALUES are checked by each backend where it reads them (CPU: check_index_values below; CUDA /
// NPU: on the device, one flag read back), before any kernel uses them.
#pragma once
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sparse_gather_scatter/sparse_gather_scatter_math.h"

namespace ascend_ops {
namespace sparse_gather_scatter {

inline bool is_float(at::ScalarType t) {
  return t == at::kFloat || t == at::kDouble || t == at::kHalf || t == at::kBFloat16;
}

// `name` is a float [rows, C] tensor.
inline void check_float2d(const char* op, const char* name, const at::Tensor& t) {
  TORCH_CHECK(t.dim() == 2, op, ": ", name, " must be [rows, C] (2 dims), got shape ", t.sizes());
  TORCH_CHECK(is_float(t.scalar_type()), op, ": ", name, " must be float32, float64, float16 or bfloat16, got ",
              t.scalar_type());
}

// `name` is an int32 / int64 [P] index tensor on `like`'s device.
inline void check_index(const char* op, const char* name, const at::Tensor& index, const at::Tensor& like,
                        const char* like_name) {
  TORCH_CHECK(index.dim() == 1, op, ": ", name, " must be [P] (1 dim), got shape ", index.sizes());
  TORCH_CHECK(index.scalar_type() == at::kInt || index.scalar_type() == at::kLong, op, ": ", name,
              " must be int32 or int64, got ", index.scalar_type());
  TORCH_CHECK(index.device() == like.device(), op, ": ", name, " must be on ", like_name, "'s device ", like.device(),
              ", got ", index.device());
}

// grad [rows, C] of the op's output, float, on `like`'s device (its dtype may differ: the
// bindings convert it to `like`'s dtype).
inline void check_grad(const char* op, const at::Tensor& grad, int64_t rows, int64_t channels, const at::Tensor& like,
                       const char* like_name) {
  TORCH_CHECK(grad.dim() == 2 && grad.size(0) == rows && grad.size(1) == channels, op, ": grad_out must be [", rows,
              ", ", channels, "] (the op's output shape), got ", grad.sizes());
  TORCH_CHECK(is_float(grad.scalar_type()), op, ": grad_out must be a float tensor, got ", grad.scalar_type());
  TORCH_CHECK(grad.device() == like.device(), op, ": grad_out must be on ", like_name, "'s device ", like.device(),
              ", got ", grad.device());
}

// sparse_gather(features [N, C] float, index [P] int32|int64).
inline void check_gather(const char* op, const at::Tensor& features, const at::Tensor& index) {
  check_float2d(op, "features", features);
  check_index(op, "index", index, features, "features");
}

// sparse_scatter_add(values [P, C] float, index [P] int32|int64, num_rows >= 0).
inline void check_scatter_add(const char* op, const at::Tensor& values, const at::Tensor& index, int64_t num_rows) {
  check_float2d(op, "values", values);
  check_index(op, "index", index, values, "values");
  TORCH_CHECK(index.size(0) == values.size(0), op, ": index.shape[0] = ", index.size(0),
              " must equal values.shape[0] = ", values.size(0), " (one index per row of values)");
  TORCH_CHECK(num_rows >= 0, op, ": num_rows must be >= 0, got ", num_rows);
}

// sparse_max_pool(features [N, C] float, in_index [P], out_index [P] (one dtype), num_out >= 0).
inline void check_max_pool(const char* op, const at::Tensor& features, const at::Tensor& in_index,
                           const at::Tensor& out_index, int64_t num_out) {
  check_float2d(op, "features", features);
  check_index(op, "in_index", in_index, features, "features");
  check_index(op, "out_index", out_index, features, "features");
  TORCH_CHECK(out_index.size(0) == in_index.size(0), op, ": out_index.shape[0] = ", out_index.size(0),
              " must equal in_index.shape[0] = ", in_index.size(0), " (one (in, out) pair per entry)");
  TORCH_CHECK(out_index.scalar_type() == in_index.scalar_type(), op,
              ": in_index and out_index must have one dtype, got ", in_index.scalar_type(), " and ",
              out_index.scalar_type());
  TORCH_CHECK(num_out >= 0, op, ": num_out must be >= 0, got ", num_out);
}

// CPU: raises naming `name` for the first entry of a contiguous CPU index tensor outside
// [0, limit) (`limit_name` says what limit is). Parallel over fixed chunks; the message does not
// depend on the thread count.
inline void check_index_values_cpu(const char* op, const char* name, const at::Tensor& index, int64_t limit,
                                   const char* limit_name) {
  const int64_t n = index.numel();
  if (n == 0) return;
  TORCH_CHECK(index.device().is_cpu() && index.is_contiguous(), op, ": internal: ", name,
              " value check needs a contiguous CPU tensor");
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<int64_t> first_bad(chunks, -1);
  AT_DISPATCH_INDEX_TYPES(index.scalar_type(), "sparse_index_check", [&] {
    const index_t* I = index.data_ptr<index_t>();
    at::parallel_for(0, chunks, 4, [&](int64_t begin, int64_t end) {
      for (int64_t ch = begin; ch < end; ++ch) {
        const int64_t lo = ch * kChunk, hi = std::min(n, lo + kChunk);
        bool ok = true;
        for (int64_t p = lo; p < hi; ++p) ok &= index_in_range(I[p], limit);   // branch-free scan
        if (ok) continue;
        for (int64_t p = lo; p < hi; ++p)
          if (!index_in_range(I[p], limit)) {
            first_bad[ch] = p;
            break;
          }
      }
    });
    for (int64_t ch = 0; ch < chunks; ++ch)
      TORCH_CHECK_VALUE(first_bad[ch] < 0, op, ": ", name, "[", first_bad[ch], "] = ",
                        static_cast<int64_t>(I[first_bad[ch]]), " is outside [0, ", limit_name, " = ", limit, ")");
  });
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
