// Value checks of index tensors for the ATen bindings (host only): an index tensor that a kernel
// would otherwise trust to stay in bounds. Each raises ValueError (TORCH_CHECK_VALUE) naming the
// argument, the first offending position (as name[i] or name[i, j]) and its value, in the words of
// the Python references (ascend_ops/ops/_index_values.py). CPU tensors are scanned in place;
// tensors on other devices are reduced there and only the first bad position is copied back.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace ascend_ops {
namespace index_values {

namespace detail {
template <typename Index, typename Bad>
int64_t first_bad_cpu(const at::Tensor& t, const Bad& bad) {
  const Index* p = t.data_ptr<Index>();
  const int64_t n = t.numel();
  for (int64_t i = 0; i < n; ++i)
    if (bad(static_cast<int64_t>(p[i]))) return i;
  return -1;
}

template <typename Bad>
int64_t first_bad(const at::Tensor& t_in, const Bad& bad, const at::Tensor& bad_mask_if_not_cpu) {
  if (!t_in.is_cpu()) {
    if (!bad_mask_if_not_cpu.any().item<bool>()) return -1;
    return bad_mask_if_not_cpu.reshape({-1}).nonzero().select(1, 0)[0].item<int64_t>();
  }
  const auto t = t_in.contiguous();
  return t.scalar_type() == at::kLong ? first_bad_cpu<int64_t>(t, bad) : first_bad_cpu<int32_t>(t, bad);
}

inline int64_t value_at(const at::Tensor& t, int64_t flat) {
  return t.reshape({-1})[flat].item<int64_t>();
}

// "name[i]" / "name[i, j]": the position of flat element `flat` of `t` (as Python prints it).
inline std::string position(const char* name, const at::Tensor& t, int64_t flat) {
  std::vector<int64_t> index(t.dim());
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    index[d] = flat % t.size(d);
    flat /= t.size(d);
  }
  std::ostringstream s;
  s << name << "[";
  for (size_t d = 0; d < index.size(); ++d) s << (d ? ", " : "") << index[d];
  s << "]";
  return s.str();
}
}  // namespace detail

// Every entry of the int32 / int64 tensor `t` is < upper (negative entries allowed).
inline void check_below(const char* op, const char* name, const at::Tensor& t, int64_t upper,
                        const char* upper_name) {
  if (t.numel() == 0) return;
  const int64_t i = detail::first_bad(t, [upper](int64_t v) { return v >= upper; },
                                      t.is_cpu() ? at::Tensor() : t.ge(upper));
  if (i < 0) return;
  TORCH_CHECK_VALUE(false, op, ": ", detail::position(name, t, i), " = ", detail::value_at(t, i), " must be < ",
                    upper_name, " = ", upper, " (negative entries mean none)");
}

// Every entry of the int32 / int64 tensor `t` is >= 0.
inline void check_non_negative(const char* op, const char* name, const at::Tensor& t) {
  if (t.numel() == 0) return;
  const int64_t i = detail::first_bad(t, [](int64_t v) { return v < 0; }, t.is_cpu() ? at::Tensor() : t.lt(0));
  if (i < 0) return;
  TORCH_CHECK_VALUE(false, op, ": ", detail::position(name, t, i), " = ", detail::value_at(t, i), " must be >= 0");
}

inline bool is_index(const at::Tensor& t) {
  return t.scalar_type() == at::kInt || t.scalar_type() == at::kLong;
}

}  // namespace index_values
}  // namespace ascend_ops
