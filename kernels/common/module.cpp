// Python module of the CPU kernel library. The kernels register themselves with
// TORCH_LIBRARY_IMPL(ascend_ops, CPU, m) in their own translation units.
#include <torch/extension.h>

#include <map>
#include <string>

static std::map<std::string, std::string> build_info() {
  std::map<std::string, std::string> info;
#ifdef _OPENMP
  info["openmp"] = std::to_string(_OPENMP);
#else
  info["openmp"] = "no";
#endif
#if defined(__clang__)
  info["compiler"] = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  info["compiler"] = std::string("gcc ") + __VERSION__;
#endif
  info["torch"] = TORCH_VERSION;
  return info;
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("build_info", &build_info, "Compiler and OpenMP facts of this build");
}
