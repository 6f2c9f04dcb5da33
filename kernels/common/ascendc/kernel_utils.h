// Kernel-side (op_kernel, AIV) helpers shared by the kit's Ascend C sampling kernels: sizes and
// alignment, the per-core task range, and bilinear corner sampling of channels-last feature rows.
// CANN build: kernels/CMakeLists.txt copies this folder to <project>/op_kernel/common/ascendc, so
// `#include "common/ascendc/kernel_utils.h"` resolves next to the kernel sources; the CPU harness
// finds it through the kernels/ include root.
#ifndef ASCEND_KIT_COMMON_ASCENDC_KERNEL_UTILS_H
#define ASCEND_KIT_COMMON_ASCENDC_KERNEL_UTILS_H
#include "kernel_operator.h"

namespace ascend_kit {

// Channel chunks are padded to this many elements in UB (32 B for fp16).
constexpr uint32_t kChanAlign = 16;

__aicore__ inline uint32_t AlignUpU(uint32_t x, uint32_t a) { return (x + a - 1) / a * a; }

// Buffer bytes: 32 B multiple, never 0 (empty dimensions still get a valid buffer).
__aicore__ inline uint32_t Bytes32(uint32_t x) { return x == 0 ? 32 : AlignUpU(x, 32); }

__aicore__ inline int32_t FloorToInt(float x) {
  int32_t i = static_cast<int32_t>(x);
  return (static_cast<float>(i) > x) ? i - 1 : i;
}

// This core's contiguous, balanced range of tasks: the first `tasksRemainder` cores get
// tasksPerCore + 1 tasks, the others tasksPerCore.
__aicore__ inline void CoreTaskRange(uint32_t tasksPerCore, uint32_t tasksRemainder, uint32_t& begin,
                                     uint32_t& count) {
  const uint32_t core = AscendC::GetBlockIdx();
  begin = core * tasksPerCore + (core < tasksRemainder ? core : tasksRemainder);
  count = tasksPerCore + (core < tasksRemainder ? 1 : 0);
}

// Copies `count` contiguous elements GM -> UB (one DataCopyPad block, any count, no 32 B alignment).
template <typename T>
__aicore__ inline void CopyIn(const AscendC::LocalTensor<T>& dst, const AscendC::GlobalTensor<T>& src, uint32_t count) {
  AscendC::DataCopyPad(dst, src, AscendC::DataCopyExtParams{1, static_cast<uint32_t>(count * sizeof(T)), 0, 0, 0},
                       AscendC::DataCopyPadExtParams<T>{false, 0, 0, 0});
}

// The spatial-shape table ([n][2] int32 (H, W)) and start-index table ([n] int32) GM -> UB.
__aicore__ inline void LoadShapeTables(const AscendC::LocalTensor<int32_t>& shapeL,
                                       const AscendC::LocalTensor<int32_t>& startL,
                                       const AscendC::GlobalTensor<int32_t>& shapeGm,
                                       const AscendC::GlobalTensor<int32_t>& startGm, uint32_t n) {
  CopyIn(shapeL, shapeGm, n * 2);
  CopyIn(startL, startGm, n);
}

// The 4 corners of a bilinear sample at pixel coordinates (x, y) of an H x W map whose rows start
// at `start` in a table of numFeat rows; corner k = (x0 + (k & 1), y0 + (k >> 1)).
struct Corners {
  float lx, ly, hx, hy;   // fractional parts and their complements
  float cw[4];            // corner weights
  int64_t pix[4];         // feature row of each corner
  bool ok[4];             // inside the map and the table
};

// Fills k; returns whether any corner is valid.
__aicore__ inline bool MakeCorners(float x, float y, int32_t H, int32_t W, int64_t start, uint32_t numFeat,
                                   Corners& k) {
  const int32_t x0 = FloorToInt(x), y0 = FloorToInt(y);
  k.lx = x - x0;
  k.ly = y - y0;
  k.hx = 1.f - k.lx;
  k.hy = 1.f - k.ly;
  k.cw[0] = k.hy * k.hx;
  k.cw[1] = k.hy * k.lx;
  k.cw[2] = k.ly * k.hx;
  k.cw[3] = k.ly * k.lx;
  bool any = false;
  for (int i = 0; i < 4; ++i) {
    const int32_t xi = x0 + (i & 1), yi = y0 + (i >> 1);
    k.pix[i] = start + static_cast<int64_t>(yi) * W + xi;
    k.ok[i] = xi >= 0 && xi < W && yi >= 0 && yi < H && k.pix[i] >= 0 && k.pix[i] < static_cast<int64_t>(numFeat);
    any = any || k.ok[i];
  }
  return any;
}

// Copies channels [c0, c0 + cLen) of the valid corners' rows feat[(rowBase + pix) * C + c] into
// corner slots of `stride` elements of a tensor from `que`, and returns it dequeued (ready for
// vector use; the caller frees it).
template <typename T, typename Que>
__aicore__ inline AscendC::LocalTensor<T> LoadCorners(Que& que, const AscendC::GlobalTensor<T>& feat, uint64_t rowBase,
                                                      uint32_t C, uint32_t c0, uint32_t cLen, uint32_t stride,
                                                      const Corners& k) {
  AscendC::LocalTensor<T> corners = que.template AllocTensor<T>();
  for (int i = 0; i < 4; ++i) {
    if (!k.ok[i]) continue;
    AscendC::DataCopyPad(corners[i * stride], feat[(rowBase + k.pix[i]) * C + c0],
                         AscendC::DataCopyExtParams{1, static_cast<uint32_t>(cLen * sizeof(T)), 0, 0, 0},
                         AscendC::DataCopyPadExtParams<T>{false, 0, 0, 0});
  }
  que.EnQue(corners);
  return que.template DeQue<T>();
}

// The loaded corners as float32: the tensor itself for fp32, else cast into `featF` (a TBuf of
// 4 * stride floats, only touched for fp16). With zeroInvalid the invalid corners' slots are zeroed.
template <typename T, typename Buf>
__aicore__ inline AscendC::LocalTensor<float> CornersF32(const AscendC::LocalTensor<T>& corners, Buf& featF,
                                                         const Corners& k, uint32_t stride, uint32_t cLen,
                                                         bool zeroInvalid) {
  AscendC::LocalTensor<float> cf;
  if constexpr (sizeof(T) == 4) {
    cf = corners.template ReinterpretCast<float>();
  } else {
    cf = featF.template Get<float>();
  }
  for (int i = 0; i < 4; ++i) {
    if (!k.ok[i]) {
      if (zeroInvalid) AscendC::Duplicate(cf[i * stride], 0.0f, cLen);
    } else if constexpr (sizeof(T) != 4) {
      AscendC::Cast(cf[i * stride], corners[i * stride], AscendC::RoundMode::CAST_NONE, cLen);
    }
  }
  return cf;
}

// val = sum over the valid corners of cw[i] * cf[i] (at least one corner must be valid).
__aicore__ inline void BlendCorners(const AscendC::LocalTensor<float>& val, const AscendC::LocalTensor<float>& cf,
                                    const Corners& k, uint32_t stride, uint32_t cLen) {
  bool first = true;
  for (int i = 0; i < 4; ++i) {
    if (!k.ok[i]) continue;
    if (first) {
      AscendC::Muls(val, cf[i * stride], k.cw[i], cLen);
      first = false;
    } else {
      AscendC::Axpy(val, cf[i * stride], k.cw[i], cLen);
    }
  }
}

// val = sum_i cw[i] * cf[i] over all 4 corner slots (invalid slots zeroed: CornersF32(..., true)).
__aicore__ inline void BlendAllCorners(const AscendC::LocalTensor<float>& val, const AscendC::LocalTensor<float>& cf,
                                       const Corners& k, uint32_t stride, uint32_t cLen) {
  AscendC::Muls(val, cf, k.cw[0], cLen);
  AscendC::Axpy(val, cf[stride], k.cw[1], cLen);
  AscendC::Axpy(val, cf[2 * stride], k.cw[2], cLen);
  AscendC::Axpy(val, cf[3 * stride], k.cw[3], cLen);
}

// Location gradient of one sample, per channel: gxy[c] += sx * top[c] * d/dx and
// gxy[stride + c] += sy * top[c] * d/dy, with d/dx = hy (v1 - v0) + ly (v3 - v2) and
// d/dy = hx (v2 - v0) + lx (v3 - v1) over the corner slots of cf (invalid ones zeroed);
// tmp and scr are scratch tensors of cLen floats.
__aicore__ inline void AddLocationGrad(const AscendC::LocalTensor<float>& gxy, const AscendC::LocalTensor<float>& cf,
                                       const AscendC::LocalTensor<float>& top, const AscendC::LocalTensor<float>& tmp,
                                       const AscendC::LocalTensor<float>& scr, const Corners& k, uint32_t stride,
                                       uint32_t cLen, float sx, float sy) {
  AscendC::Sub(tmp, cf[stride], cf, cLen);
  AscendC::Muls(tmp, tmp, k.hy, cLen);
  AscendC::Sub(scr, cf[3 * stride], cf[2 * stride], cLen);
  AscendC::Axpy(tmp, scr, k.ly, cLen);
  AscendC::Mul(tmp, tmp, top, cLen);
  AscendC::Axpy(gxy, tmp, sx, cLen);
  AscendC::Sub(tmp, cf[2 * stride], cf, cLen);
  AscendC::Muls(tmp, tmp, k.hx, cLen);
  AscendC::Sub(scr, cf[3 * stride], cf[stride], cLen);
  AscendC::Axpy(tmp, scr, k.lx, cLen);
  AscendC::Mul(tmp, tmp, top, cLen);
  AscendC::Axpy(gxy[stride], tmp, sy, cLen);
}

// gradFeat[(rowBase + pix) * C + c0 + c] += cw[i] * top[c] for the valid corners, with atomic
// adds (corners are shared between tasks and cores); `que` holds 4 * stride floats.
template <typename Que>
__aicore__ inline void ScatterCornerGrads(Que& que, const AscendC::GlobalTensor<float>& gradFeat, uint64_t rowBase,
                                          uint32_t C, uint32_t c0, uint32_t cLen, uint32_t stride,
                                          const AscendC::LocalTensor<float>& top, const Corners& k) {
  AscendC::LocalTensor<float> gf = que.template AllocTensor<float>();
  for (int i = 0; i < 4; ++i)
    if (k.ok[i]) AscendC::Muls(gf[i * stride], top, k.cw[i], cLen);
  que.EnQue(gf);
  gf = que.template DeQue<float>();
  AscendC::SetAtomicAdd<float>();
  for (int i = 0; i < 4; ++i) {
    if (!k.ok[i]) continue;
    AscendC::DataCopyPad(gradFeat[(rowBase + k.pix[i]) * C + c0], gf[i * stride],
                         AscendC::DataCopyExtParams{1, static_cast<uint32_t>(cLen * 4), 0, 0, 0});
  }
  AscendC::SetAtomicNone();
  que.FreeTensor(gf);
}

}  // namespace ascend_kit
#endif  // ASCEND_KIT_COMMON_ASCENDC_KERNEL_UTILS_H
