// Python module of the NPU binding library; bindings register with
// TORCH_LIBRARY_IMPL(ascend_ops, PrivateUse1, m) and call the Ascend C kernels through aclnn.
#include <torch/extension.h>

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.attr("npu_build") = true;
}
