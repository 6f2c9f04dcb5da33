// sparse_gather / sparse_scatter_add / sparse_max_pool NPU binding: checks (shapes, dtypes,
// devices; index values on the device with one flag read back, the host copy only to name a bad
// entry), then the Ascend C operators through aclnn:
//   SparseGather(features as words, index int32) -> out [P, C]                (any float dtype)
//   SparseScatterAdd(values f32|f16, order int32, row_ptr int32) -> out [num_rows, C]
//     with order = the pairs sorted by (row, pair) and row_ptr = where each row starts in it:
//     every output row is summed in pair order on one core (deterministic); bfloat16 values are
//     summed in float32 (converted before, rounded once after).
//   sparse_max_pool: aten ops on the NPU (amax / amin scatter_reduce: order-independent, so
//     deterministic), its backward's sums through SparseScatterAdd (pair order).
// float64 sums and max pools (no float64 vector arithmetic on the AI core) run the CPU kernels
// on host copies, through the dispatcher.
#include <ATen/ATen.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <c10/core/DeviceGuard.h>
#include <torch/library.h>

#include <limits>
#include <type_traits>

#include "sparse_gather_scatter/sparse_gather_scatter_check.h"

#include "common/npu/aclnn_call.h"

namespace ascend_ops {
namespace sparse_gather_scatter {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

// The integer view of a float tensor's element width (SparseGather moves words, not values).
at::Tensor as_words(const at::Tensor& t) {
  switch (t.element_size()) {
    case 2: return t.view(at::kShort);
    case 4: return t.view(at::kInt);
    default: return t.view(at::kLong);
  }
}

// `index` (contiguous, int32) after checking its values lie in [0, limit) on the device; a bad
// entry is named with the CPU check's message.
at::Tensor checked_index32(const char* op, const char* name, const at::Tensor& index, int64_t limit,
                           const char* limit_name) {
  TORCH_CHECK(index.numel() <= kInt32Max, op, ": at most 2^31 - 1 pairs on the NPU, got ", index.numel());
  if (index.numel() > 0 && index.lt(0).logical_or(index.ge(limit)).any().item<bool>())
    check_index_values_cpu(op, name, index.cpu().contiguous(), limit, limit_name);
  return index.to(at::kInt).contiguous();
}

// Calls the CPU kernel of `name` (schema name, signature Sig as registered: tensors by const
// reference, ints by value) on host copies of the tensors and returns the result on `device`.
template <typename Sig, typename... Args>
at::Tensor on_cpu(const char* name, const at::Device& device, const Args&... args) {
  auto to_cpu = [](const auto& a) {
    if constexpr (std::is_same<std::decay_t<decltype(a)>, at::Tensor>::value) return a.cpu().contiguous();
    else return a;
  };
  const auto op = c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Sig>();
  return op.call(to_cpu(args)...).to(device);
}
using Sig3 = at::Tensor(const at::Tensor&, const at::Tensor&, int64_t);
using Sig4 = at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t);
using Sig5 = at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&, const at::Tensor&, int64_t);

// src [rows, C] -> src[index] [P, C] (index int32, values checked).
at::Tensor gather(const at::Tensor& src, const at::Tensor& index32) {
  auto out = at::empty({index32.size(0), src.size(1)}, src.options());
  if (out.numel() > 0) npu::call_aclnn("aclnnSparseGather", as_words(src), index32, as_words(out));
  return out;
}

// values [P, C] (float32 / float16 / bfloat16) -> [num_rows, C] sums at index32 (values checked).
at::Tensor scatter_add(const at::Tensor& values, const at::Tensor& index32, int64_t num_rows) {
  const int64_t P = values.size(0), C = values.size(1);
  TORCH_CHECK(num_rows < kInt32Max, "sparse_scatter_add: at most 2^31 - 2 output rows on the NPU, got ", num_rows);
  const auto vals = values.scalar_type() == at::kBFloat16 ? values.to(at::kFloat) : values.contiguous();
  auto out = at::empty({num_rows, C}, vals.options());
  if (out.numel() == 0) return out.to(values.scalar_type());
  if (P == 0) return out.zero_().to(values.scalar_type());
  // Pairs sorted by (row, pair number): unique int64 keys row * P + p (< 2^62), so any sort
  // gives pair order inside a row; row r's pairs start where the keys reach r * P.
  const auto keys = std::get<0>(at::sort(index32.to(at::kLong) * P + at::arange(P, index32.options().dtype(at::kLong))));
  const auto order = keys.remainder(P).to(at::kInt).contiguous();
  const auto row_ptr = at::searchsorted(keys, at::arange(num_rows + 1, keys.options()) * P, /*out_int32=*/true,
                                        /*right=*/false).contiguous();
  npu::call_aclnn("aclnnSparseScatterAdd", vals, order, row_ptr, out);
  return out.to(values.scalar_type());
}

at::Tensor gather_npu(const at::Tensor& features, const at::Tensor& index) {
  constexpr const char* op = "sparse_gather";
  check_gather(op, features, index);
  const c10::DeviceGuard guard(features.device());
  TORCH_CHECK(features.size(0) <= kInt32Max, op, ": at most 2^31 - 1 feature rows on the NPU, got ", features.size(0));
  return gather(features.contiguous(), checked_index32(op, "index", index, features.size(0), "features.shape[0] (N)"));
}

at::Tensor gather_backward_npu(const at::Tensor& grad, const at::Tensor& features, const at::Tensor& index) {
  constexpr const char* op = "sparse_gather_backward";
  check_gather(op, features, index);
  check_grad(op, grad, index.size(0), features.size(1), features, "features");
  const c10::DeviceGuard guard(features.device());
  const auto index32 = checked_index32(op, "index", index, features.size(0), "features.shape[0] (N)");
  const auto g = grad.to(features.scalar_type()).contiguous();
  if (g.scalar_type() == at::kDouble) return on_cpu<Sig3>("ascend_ops::sparse_scatter_add", g.device(), g, index32,
                                                    features.size(0));
  return scatter_add(g, index32, features.size(0));
}

at::Tensor scatter_add_npu(const at::Tensor& values, const at::Tensor& index, int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add";
  check_scatter_add(op, values, index, num_rows);
  const c10::DeviceGuard guard(values.device());
  const auto index32 = checked_index32(op, "index", index, num_rows, "num_rows");
  if (values.scalar_type() == at::kDouble) return on_cpu<Sig3>("ascend_ops::sparse_scatter_add", values.device(), values,
                                                         index32, num_rows);
  return scatter_add(values, index32, num_rows);
}

at::Tensor scatter_add_backward_npu(const at::Tensor& grad, const at::Tensor& values, const at::Tensor& index,
                                    int64_t num_rows) {
  constexpr const char* op = "sparse_scatter_add_backward";
  check_scatter_add(op, values, index, num_rows);
  check_grad(op, grad, num_rows, values.size(1), values, "values");
  const c10::DeviceGuard guard(values.device());
  return gather(grad.to(values.scalar_type()).contiguous(), checked_index32(op, "index", index, num_rows, "num_rows"));
}

// The max pool on the NPU: (max [num_out, C] with 0 where no pair and NaN where a NaN is pooled,
// first [num_out, C] int64 = the first pair attaining it, P where no pair).
std::tuple<at::Tensor, at::Tensor> max_and_first(const at::Tensor& features, const at::Tensor& in32,
                                                 const at::Tensor& out32, int64_t num_out, bool want_first) {
  const int64_t P = in32.size(0), C = features.size(1);
  const auto g = features.index_select(0, in32);                                    // [P, C]
  const auto oc = out32.to(at::kLong).unsqueeze(1).expand({P, C});
  const auto zeros = at::zeros({num_out, C}, features.options());
  const auto mx = zeros.scatter_reduce(0, oc, g, "amax", /*include_self=*/false);
  const auto nan = g.isnan();
  const auto has_nan = zeros.scatter_reduce(0, oc, nan.to(features.scalar_type()), "amax", false).gt(0);
  const auto out = at::where(has_nan, at::full({}, std::numeric_limits<double>::quiet_NaN(), features.options()), mx);
  if (!want_first) return {out, at::Tensor()};
  const auto at_max = at::where(has_nan.index_select(0, out32), nan, g.eq(mx.index_select(0, out32)));
  const auto p = at::arange(P, in32.options().dtype(at::kLong)).unsqueeze(1).expand({P, C});
  const auto first = at::full({num_out, C}, P, p.options())
                         .scatter_reduce(0, oc, at::where(at_max, p, at::full({}, P, p.options())), "amin", true);
  return {out, first};
}

at::Tensor max_pool_npu(const at::Tensor& features_in, const at::Tensor& in_index, const at::Tensor& out_index,
                        int64_t num_out) {
  constexpr const char* op = "sparse_max_pool";
  check_max_pool(op, features_in, in_index, out_index, num_out);
  const c10::DeviceGuard guard(features_in.device());
  const auto features = features_in.contiguous();
  const auto in32 = checked_index32(op, "in_index", in_index, features.size(0), "features.shape[0] (N)");
  const auto out32 = checked_index32(op, "out_index", out_index, num_out, "num_out");
  if (features.scalar_type() == at::kDouble)
    return on_cpu<Sig4>("ascend_ops::sparse_max_pool", features.device(), features, in32, out32, num_out);
  return std::get<0>(max_and_first(features, in32, out32, num_out, false));
}

at::Tensor max_pool_backward_npu(const at::Tensor& grad, const at::Tensor& features_in, const at::Tensor& in_index,
                                 const at::Tensor& out_index, int64_t num_out) {
  constexpr const char* op = "sparse_max_pool_backward";
  check_max_pool(op, features_in, in_index, out_index, num_out);
  check_grad(op, grad, num_out, features_in.size(1), features_in, "features");
  const c10::DeviceGuard guard(features_in.device());
  const auto features = features_in.contiguous();
  const auto in32 = checked_index32(op, "in_index", in_index, features.size(0), "features.shape[0] (N)");
  const auto out32 = checked_index32(op, "out_index", out_index, num_out, "num_out");
  const auto g = grad.to(features.scalar_type()).contiguous();
  if (features.scalar_type() == at::kDouble)
    return on_cpu<Sig5>("ascend_ops::sparse_max_pool_backward", features.device(), g, features, in32, out32, num_out);
  const int64_t P = in32.size(0);
  if (P == 0 || features.numel() == 0) return at::zeros(features.sizes(), features.options());
  const auto first = std::get<1>(max_and_first(features, in32, out32, num_out, true));
  // each pair's contribution: grad[o, c] where it is (o, c)'s winner, else 0; summed per input
  // row in pair order by SparseScatterAdd
  const auto p = at::arange(P, first.options()).unsqueeze(1);
  const auto wins = first.index_select(0, out32).eq(p);
  const auto contrib = at::where(wins, g.index_select(0, out32), at::zeros({}, g.options()));
  return scatter_add(contrib, in32, features.size(0));
}

}  // namespace

TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) {
  m.impl("sparse_gather", &gather_npu);
  m.impl("sparse_gather_backward", &gather_backward_npu);
  m.impl("sparse_scatter_add", &scatter_add_npu);
  m.impl("sparse_scatter_add_backward", &scatter_add_backward_npu);
  m.impl("sparse_max_pool", &max_pool_npu);
  m.impl("sparse_max_pool_backward", &max_pool_backward_npu);
}

}  // namespace sparse_gather_scatter
}  // namespace ascend_ops
