// sphash / sphash_kernel CPU kernels: one independent hash per output element, rows split over
// the threads (deterministic: integer math, each element written once).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/library.h>

#include "sphash/sphash_check.h"
#include "sphash/sphash_math.h"

namespace ascend_ops {
namespace sphash {
namespace {

constexpr int64_t kGrain = 262144;   // ~0.5 ms of hashing: smaller inputs stay on one thread (a
                                     // parallel region costs more than that on a busy machine)

at::Tensor sphash_cpu(const at::Tensor& coords_in) {
  check_coords("sphash", coords_in);
  const auto coords = coords_in.contiguous();
  const int64_t N = coords.size(0);
  auto out = at::empty({N}, coords.options().dtype(at::kLong));
  const int32_t* C = coords.data_ptr<int32_t>();
  int64_t* O = out.data_ptr<int64_t>();
  at::parallel_for(0, N, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) O[i] = hash_row(C + 4 * i, 0, 0, 0);
  });
  return out;
}

at::Tensor sphash_kernel_cpu(const at::Tensor& coords_in, const at::Tensor& offsets_in) {
  constexpr const char* op = "sphash_kernel";
  check_coords(op, coords_in);
  check_offsets(op, coords_in, offsets_in);
  const auto coords = coords_in.contiguous(), offsets = offsets_in.contiguous();
  const int64_t N = coords.size(0), K = offsets.size(0);
  auto out = at::empty({K, N}, coords.options().dtype(at::kLong));
  const int32_t* C = coords.data_ptr<int32_t>();
  const int32_t* D = offsets.data_ptr<int32_t>();
  int64_t* O = out.data_ptr<int64_t>();
  at::parallel_for(0, K * N, kGrain, [&](int64_t begin, int64_t end) {
    for (int64_t e = begin; e < end; ++e) {
      const int64_t k = e / N, i = e % N;
      O[e] = hash_row(C + 4 * i, D[3 * k], D[3 * k + 1], D[3 * k + 2]);
    }
  });
  return out;
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) {
  m.impl("sphash", &sphash_cpu);
  m.impl("sphash_kernel", &sphash_kernel_cpu);
}

}  // namespace sphash
}  // namespace ascend_ops
