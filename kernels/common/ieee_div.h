// Correctly rounded division for kernels shared by the CPU and CUDA builds (torch-free). The kit
// compiles CUDA with --use_fast_math, which turns float `/` into an approximate division; ops
// whose results must match the CPU kernels and the reference bit for bit (a voxel index, a mean)
// divide with div_rn instead. Double division is IEEE under every flag.
#pragma once
#include "common/hd.h"

namespace ascend_ops {

AO_HD float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}

AO_HD double div_rn(double a, double b) { return a / b; }

}  // namespace ascend_ops
