// MsmvSampling / MsmvSamplingGrad kernels: the view index of a sampling location (as
// msmv_sampling_math.h view_index).
#ifndef ASCEND_KIT_MSMV_SAMPLING_VIEW_H
#define ASCEND_KIT_MSMV_SAMPLING_VIEW_H
#include "kernel_operator.h"

namespace ascend_kit {

// round(z * (N - 1)) half away from zero, or -1 when outside [0, N-1] (NaN included).
__aicore__ inline int32_t ViewIndex(float z, uint32_t views) {
  const float last = static_cast<float>(views - 1);
  const float v = z * last;
  if (!(v > -0.5f && v < last + 0.5f)) return -1;
  const int32_t t = static_cast<int32_t>(v);   // toward zero
  return (v - static_cast<float>(t) >= 0.5f) ? t + 1 : t;
}

}  // namespace ascend_kit
#endif  // ASCEND_KIT_MSMV_SAMPLING_VIEW_H
