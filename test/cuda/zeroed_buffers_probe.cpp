// Compile-only probe of common/cuda_binding.h's zeroed_buffers (included into the bindings'
// syntax check by test/test_compile_cuda.py): 1, 2 and 4 buffers (a tuple of as many tensors,
// the launcher getting one void* each), in float32 and in the accumulation dtype.
#include "common/cuda_binding.h"

namespace zeroed_buffers_probe {
inline void instantiate(const at::Tensor& a, const at::Tensor& b) {
  auto one = ascend_ops::zeroed_buffers(at::kFloat, false, [](void*) { return cudaSuccess; }, a);
  static_assert(std::tuple_size<decltype(one)>::value == 1, "one buffer -> a 1-tuple");
  auto acc = ascend_ops::zeroed_buffers(
      ascend_ops::accumulation_dtype(a.scalar_type()), true, [](void*, void*) { return cudaSuccess; }, a, b);
  static_assert(std::tuple_size<decltype(acc)>::value == 2, "two buffers -> a 2-tuple");
  auto four = ascend_ops::zeroed_buffers(
      at::kFloat, true, [](void*, void*, void*, void*) { return cudaSuccess; }, a, b, a, b);
  static_assert(std::tuple_size<decltype(four)>::value == 4, "four buffers -> a 4-tuple");
  static_assert(std::is_same<std::tuple_element<3, decltype(four)>::type, at::Tensor>::value, "tensors");
}
}  // namespace zeroed_buffers_probe
