// Compile-only probe of common/cuda_binding.h's float32_buffers (included into the bindings'
// syntax check by test/test_compile_cuda.py): the variadic form for 1 and 4 buffers (a tuple of
// as many tensors, the launcher getting one float* each) and the run-time-count form; and
// zeroed_buffers (any dtype, the launcher getting one void* each).
#include "common/cuda_binding.h"

namespace float32_buffers_probe {
inline void instantiate(const at::Tensor& a, const at::Tensor& b) {
  auto one = ascend_ops::float32_buffers(false, [](float*) { return cudaSuccess; }, a);
  static_assert(std::tuple_size<decltype(one)>::value == 1, "one buffer -> a 1-tuple");
  auto four = ascend_ops::float32_buffers(
      true, [](float*, float*, float*, float*) { return cudaSuccess; }, a, b, a, b);
  static_assert(std::tuple_size<decltype(four)>::value == 4, "four buffers -> a 4-tuple");
  static_assert(std::is_same<std::tuple_element<3, decltype(four)>::type, at::Tensor>::value, "tensors");
  std::vector<at::Tensor> many = ascend_ops::float32_buffers(
      true, [](float* const*) { return cudaSuccess; }, std::vector<at::Tensor>{a, b, a});
  (void)many;
  auto acc = ascend_ops::zeroed_buffers(
      ascend_ops::accumulation_dtype(a.scalar_type()), true, [](void*, void*) { return cudaSuccess; }, a, b);
  static_assert(std::tuple_size<decltype(acc)>::value == 2, "two buffers -> a 2-tuple");
}
}  // namespace float32_buffers_probe
