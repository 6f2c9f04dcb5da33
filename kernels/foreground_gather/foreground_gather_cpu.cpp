// foreground_gather CPU kernels.
// Forward, in three passes over fixed chunks of rows: (1, parallel) each chunk marks its rows
// keep / drop / invalid and counts its kept rows; (2) an exclusive prefix sum over the chunk
// counts gives each chunk's first output row; (3, parallel) each chunk copies its kept rows, in
// input order, into its output range. The result does not depend on the thread count.
// Backward: grad_in[index[k]] = grad_features[k], every other row 0, written in one pass over
// grad_in's rows (index is checked strictly increasing, so one writer per row). Rows are copied as bytes: float64 stays float64, int64
// coors stay int64.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "foreground_gather/foreground_gather_check.h"

namespace ascend_ops {
namespace foreground_gather {
namespace {

constexpr int64_t kChunk = 4096;   // rows per chunk
// Parallel grains: a task is worth a thread only with enough work (about 4 MiB of copies, or
// 8 chunks of the cheap flag pass); smaller inputs run on the calling thread.
constexpr int64_t kMarkGrainChunks = 8;
constexpr int64_t kCopyGrainBytes = int64_t(1) << 22;
constexpr const char* kOp = "foreground_gather";

// Pass 1 for one (coors, valid_mask) dtype pair: status[i] per row, kept rows per chunk and the
// first invalid row of each chunk (-1 if none).
template <typename Index, typename Mask>
void mark_rows(const Index* coors, const Mask* mask, const Grid& g, int64_t M, uint8_t* status,
               std::vector<int64_t>& counts, std::vector<int64_t>& first_invalid) {
  at::parallel_for(0, static_cast<int64_t>(counts.size()), kMarkGrainChunks, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t kept = 0, bad = -1;
      for (int64_t i = ch * kChunk, stop = std::min(M, (ch + 1) * kChunk); i < stop; ++i) {
        const int s = row_status(coors, mask, g, i);
        status[i] = static_cast<uint8_t>(s);
        kept += s == kKeep;
        if (s == kInvalid && bad < 0) bad = i;
      }
      counts[ch] = kept;
      first_invalid[ch] = bad;
    }
  });
}

template <typename Index>
void mark_rows_typed(const at::Tensor& coors, const at::Tensor& mask, const Grid& g, uint8_t* status,
                     std::vector<int64_t>& counts, std::vector<int64_t>& first_invalid) {
  const Index* C = coors.data_ptr<Index>();
  const int64_t M = coors.size(0);
  switch (mask.scalar_type()) {
    case at::kInt: return mark_rows(C, mask.data_ptr<int32_t>(), g, M, status, counts, first_invalid);
    case at::kLong: return mark_rows(C, mask.data_ptr<int64_t>(), g, M, status, counts, first_invalid);
    case at::kByte: return mark_rows(C, mask.data_ptr<uint8_t>(), g, M, status, counts, first_invalid);
    case at::kBool: return mark_rows(C, mask.data_ptr<bool>(), g, M, status, counts, first_invalid);
    default: TORCH_CHECK(false, kOp, ": valid_mask must be int32, int64, uint8 or bool, got ", mask.scalar_type());
  }
}

std::tuple<at::Tensor, at::Tensor, at::Tensor> forward_cpu(const at::Tensor& features_in, const at::Tensor& coors_in,
                                                           const at::Tensor& valid_mask) {
  check_inputs(kOp, features_in, coors_in, valid_mask);
  const auto features = features_in.contiguous(), coors = coors_in.contiguous(), mask = valid_mask.contiguous();
  const int64_t M = features.size(0), C = features.size(1);
  const Grid g = grid_of(mask);
  const int64_t chunks = (M + kChunk - 1) / kChunk;
  std::vector<int64_t> counts(chunks), first_invalid(chunks), offsets(chunks);
  std::vector<uint8_t> status(M);
  if (coors.scalar_type() == at::kLong)
    mark_rows_typed<int64_t>(coors, mask, g, status.data(), counts, first_invalid);
  else
    mark_rows_typed<int32_t>(coors, mask, g, status.data(), counts, first_invalid);
  int64_t K = 0;
  for (int64_t ch = 0; ch < chunks; ++ch) {
    TORCH_CHECK_VALUE(first_invalid[ch] < 0, invalid_row_message(kOp, first_invalid[ch], coors, mask));
    offsets[ch] = K;
    K += counts[ch];
  }
  auto out_features = at::empty({K, C}, features.options());
  auto out_coors = at::empty({K, 4}, coors.options());
  auto index = at::empty({K}, coors.options().dtype(at::kLong));
  if (K == 0) return {out_features, out_coors, index};
  const size_t row_bytes = static_cast<size_t>(C) * features.element_size();
  const size_t coor_bytes = 4 * coors.element_size();
  const char* F = static_cast<const char*>(features.data_ptr());
  const char* Q = static_cast<const char*>(coors.data_ptr());
  char* OF = static_cast<char*>(out_features.data_ptr());
  char* OQ = static_cast<char*>(out_coors.data_ptr());
  int64_t* I = index.data_ptr<int64_t>();
  const int64_t grain = std::max<int64_t>(1, kCopyGrainBytes / (kChunk * static_cast<int64_t>(row_bytes + coor_bytes + 8)));
  at::parallel_for(0, chunks, grain, [&](int64_t begin, int64_t end) {
    for (int64_t ch = begin; ch < end; ++ch) {
      int64_t k = offsets[ch];
      for (int64_t i = ch * kChunk, stop = std::min(M, (ch + 1) * kChunk); i < stop; ++i) {
        if (status[i] != kKeep) continue;
        int64_t n = 1;   // a run of consecutive kept rows: one copy per output
        while (i + n < stop && status[i + n] == kKeep) ++n;
        if (row_bytes) std::memcpy(OF + k * row_bytes, F + i * row_bytes, n * row_bytes);
        std::memcpy(OQ + k * coor_bytes, Q + i * coor_bytes, n * coor_bytes);
        for (int64_t q = 0; q < n; ++q) I[k + q] = i + q;
        k += n;
        i += n - 1;
      }
    }
  });
  return {out_features, out_coors, index};
}

at::Tensor backward_cpu(const at::Tensor& grad_features, const at::Tensor& features, const at::Tensor& coors,
                        const at::Tensor& valid_mask, const at::Tensor& index_in) {
  constexpr const char* op = "foreground_gather_backward";
  check_backward(grad_features, features, coors, valid_mask, index_in);
  const int64_t M = features.size(0), C = features.size(1), K = index_in.size(0);
  const auto index = index_in.contiguous();
  const int64_t* I = index.data_ptr<int64_t>();
  for (int64_t k = 0; k < K; ++k) {
    TORCH_CHECK(I[k] >= 0 && I[k] < M, op, ": index[", k, "] = ", I[k], " is outside [0, M = ", M,
                ") (features.shape[0])");
    TORCH_CHECK(k == 0 || I[k] > I[k - 1], op, ": index must be strictly increasing (as foreground_gather "
                "returns it), got index[", k - 1, "] = ", I[k - 1], ", index[", k, "] = ", I[k]);
  }
  auto grad_in = at::empty({M, C}, features.options());
  if (M == 0 || C == 0) return grad_in.zero_();
  const auto grad = grad_features.to(features.scalar_type()).contiguous();
  const size_t row_bytes = static_cast<size_t>(C) * grad.element_size();
  const char* G = static_cast<const char*>(grad.data_ptr());
  char* O = static_cast<char*>(grad_in.data_ptr());
  // One pass over grad_in's rows (written once, no separate zero fill): task t owns input rows
  // [first(t), first(t + 1)) and the index entries falling there, found by binary search.
  const int64_t grain = std::max<int64_t>(kChunk, kCopyGrainBytes / static_cast<int64_t>(row_bytes));
  at::parallel_for(0, M, grain, [&](int64_t begin, int64_t end) {
    int64_t k = std::lower_bound(I, I + K, begin) - I;
    int64_t row = begin;
    for (; k < K && I[k] < end; ++k) {
      if (I[k] > row) std::memset(O + row * row_bytes, 0, (I[k] - row) * row_bytes);
      std::memcpy(O + I[k] * row_bytes, G + k * row_bytes, row_bytes);
      row = I[k] + 1;
    }
    if (end > row) std::memset(O + row * row_bytes, 0, (end - row) * row_bytes);
  });
  return grad_in;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("foreground_gather", &forward_cpu);
  m.impl("foreground_gather_backward", &backward_cpu);
}

}  // namespace foreground_gather
}  // namespace ascend_ops
