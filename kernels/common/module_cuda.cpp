// Python module of the CUDA kernel library; kernels register with TORCH_LIBRARY_IMPL(ascend_ops, CUDA, m).
#include <torch/extension.h>

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.attr("cuda_build") = true;
}
