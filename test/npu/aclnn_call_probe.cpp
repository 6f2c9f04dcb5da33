// Compile-only probe of common/npu/aclnn_call.h (test/test_compile_npu_binding.py passes it to
// kernels/common/npu/check_syntax.sh): every argument kind call_aclnn takes maps to the C type of
// the generated aclnn<Op>GetWorkspaceSize parameter, and a call with tensors, optional tensors and
// attributes of every kind instantiates.
#include "common/npu/aclnn_call.h"

namespace aclnn_call_probe {
using ascend_ops::npu::AclArgs;
using ascend_ops::npu::detail::convert;
template <typename T>
using C = decltype(convert(std::declval<AclArgs&>(), std::declval<const T&>()));

static_assert(std::is_same<C<at::Tensor>, aclTensor*>::value, "Tensor -> aclTensor*");
static_assert(std::is_same<C<c10::optional<at::Tensor>>, aclTensor*>::value, "optional input -> aclTensor*");
static_assert(std::is_same<decltype(convert(std::declval<AclArgs&>(), c10::nullopt)), aclTensor*>::value,
              "absent optional input -> aclTensor* (nullptr)");
static_assert(std::is_same<C<int64_t>, int64_t>::value, "Int attr -> int64_t");
static_assert(std::is_same<C<int>, int64_t>::value, "any integer -> int64_t");
static_assert(std::is_same<C<uint32_t>, int64_t>::value, "any integer -> int64_t");
static_assert(std::is_same<C<double>, double>::value, "Float attr -> double");
static_assert(std::is_same<C<float>, double>::value, "float -> double");
static_assert(std::is_same<C<bool>, bool>::value, "Bool attr -> bool");
static_assert(std::is_same<C<at::IntArrayRef>, aclIntArray*>::value, "ListInt attr -> aclIntArray*");
static_assert(std::is_same<C<std::vector<int64_t>>, aclIntArray*>::value, "ListInt attr -> aclIntArray*");
static_assert(std::is_same<C<at::ArrayRef<double>>, aclFloatArray*>::value, "ListFloat attr -> aclFloatArray*");
static_assert(std::is_same<C<std::vector<double>>, aclFloatArray*>::value, "ListFloat attr -> aclFloatArray*");
static_assert(std::is_same<C<at::ArrayRef<bool>>, aclBoolArray*>::value, "ListBool attr -> aclBoolArray*");
static_assert(std::is_same<C<std::string>, char*>::value, "String attr -> char*");
static_assert(std::is_same<C<at::Scalar>, aclScalar*>::value, "Scalar -> aclScalar*");

inline void instantiate(const at::Tensor& x, const c10::optional<at::Tensor>& mask, at::Tensor& y) {
  const std::vector<int64_t> shape = {4, 5};
  const bool flags[] = {true, false};
  ascend_ops::npu::call_aclnn("aclnnProbe", x, mask, c10::nullopt, at::IntArrayRef(shape), int64_t(3), 2, 0.5,
                              1.5f, true, std::vector<double>{1.0, 2.0}, at::ArrayRef<bool>(flags),
                              std::string("mode"), "name", at::Scalar(2.0), y);
}
}  // namespace aclnn_call_probe
