// points_in_boxes Ascend C vector kernels (AIV), shared by the three op_kernel sources.
//
// Semantics (float32, as upstream; kernels/points_in_boxes/points_in_boxes_math.h): per box,
//   local_x = (x - cx) * cosa + (y - cy) * (-sina),  local_y = (x - cx) * sina + (y - cy) * cosa
//   inside  = |local_x| < lim_x && |local_y| < lim_y [&& !(|z - cz| > lim_z)]
// with (cosa, sina) = rotation[box] from the binding, lim = the smallest float >= d / 2 + MARGIN (the
// exact float form of upstream's double comparison, from a two-sum on the scalar unit: exact for
// |d| < 2^37) and lim_z = dz / 2 rounded down.
//
// Work split: task = (batch item, chunk of `chunk` points); core i owns a contiguous range of tasks.
// Per task the chunk's first three point columns come in with one strided DataCopyPad (one 32 B UB
// row per point, any column count), are de-interleaved into x, y, z with Gather, and every box is
// tested with vector ops over the whole chunk (Adds/Muls/Add/Abs, CompareScalar, Select):
//   mask ops:  out[box, chunk] = inside (int32 0/1), one row segment per box;
//   first op:  res = -1, then for boxes in order res = k where res < 0 and inside; out[b, chunk] = res.
// Each output element is written by exactly one core: deterministic, no atomics.
#ifndef ASCEND_KIT_POINTS_IN_BOXES_KERNEL_H
#define ASCEND_KIT_POINTS_IN_BOXES_KERNEL_H
#include "kernel_operator.h"

namespace pib_kernel {

using namespace AscendC;

enum class Mode { kBev, k3d, kFirst };

constexpr uint32_t kRowBytes = 32;   // one point's 3 floats, padded to 32 B by DataCopyPad

__aicore__ inline uint32_t AsBits(float v) {
  union { float f; uint32_t u; } c;
  c.f = v;
  return c.u;
}
__aicore__ inline float FromBits(uint32_t u) {
  union { float f; uint32_t u; } c;
  c.u = u;
  return c.f;
}

// The next float above v (v itself for NaN and +inf).
__aicore__ inline float NextUp(float v) {
  if (!(v == v) || v == FromBits(0x7f800000u)) return v;
  if (v == 0.0f) return FromBits(1u);
  const uint32_t u = AsBits(v);
  return FromBits((u >> 31) ? u - 1 : u + 1);
}
__aicore__ inline float NextDown(float v) { return -NextUp(-v); }

// Smallest float >= a + b (exact real sum), by a two-sum: s = fl(a + b), e = (a + b) - s exactly.
__aicore__ inline float RoundUpSum(float a, float b) {
  const float s = a + b;
  const float bv = s - a;
  const float av = s - bv;
  const float e = (a - av) + (b - bv);
  return e > 0.0f ? NextUp(s) : s;
}

// Largest float <= d / 2.
__aicore__ inline float HalfDown(float d) {
  const float h = d * 0.5f;
  return h + h > d ? NextDown(h) : h;
}

struct Frame {
  float cx, cy, cz, cosa, sina, limX, limY, limZ;
};

template <Mode M>
class PointsInBoxesKernel {
 public:
  __aicore__ inline PointsInBoxesKernel() {}

  __aicore__ inline void Init(GM_ADDR points, GM_ADDR boxes, GM_ADDR rotation, GM_ADDR out,
                              const PointsInBoxesTilingData& t, TPipe* pipe, float margin) {
    bs_ = t.bs; n_ = t.n; c1_ = t.c1; m_ = t.m; c2_ = t.c2; chunk_ = t.chunk; numChunks_ = t.numChunks;
    margin_ = margin;
    const uint32_t core = GetBlockIdx();
    taskBegin_ = core * t.tasksPerCore + (core < t.tasksRemainder ? core : t.tasksRemainder);
    taskCount_ = t.tasksPerCore + (core < t.tasksRemainder ? 1 : 0);
    pointsGm_.SetGlobalBuffer((__gm__ float*)points, static_cast<uint64_t>(bs_) * n_ * c1_);
    boxesGm_.SetGlobalBuffer((__gm__ float*)boxes, static_cast<uint64_t>(bs_) * m_ * c2_);
    rotGm_.SetGlobalBuffer((__gm__ float*)rotation, static_cast<uint64_t>(bs_) * m_ * 2);
    const uint64_t outSize = M == Mode::kFirst ? static_cast<uint64_t>(bs_) * n_ : static_cast<uint64_t>(m_) * n_;
    outGm_.SetGlobalBuffer((__gm__ int32_t*)out, outSize);

    const uint32_t vec = chunk_ * 4;
    pipe->InitBuffer(rowsBuf_, chunk_ * kRowBytes);
    pipe->InitBuffer(offsBuf_, vec);
    pipe->InitBuffer(xBuf_, vec);
    pipe->InitBuffer(yBuf_, vec);
    pipe->InitBuffer(zBuf_, vec);
    pipe->InitBuffer(sxBuf_, vec);
    pipe->InitBuffer(syBuf_, vec);
    pipe->InitBuffer(t1Buf_, vec);
    pipe->InitBuffer(t2Buf_, vec);
    pipe->InitBuffer(resBuf_, vec);
    pipe->InitBuffer(onesBuf_, vec);
    pipe->InitBuffer(zerosBuf_, vec);
    pipe->InitBuffer(kBuf_, vec);
    pipe->InitBuffer(maskBuf_, 3 * MaskBytes());
    pipe->InitBuffer(outQue_, 2, vec);
  }

  __aicore__ inline void Process() {
    if (taskCount_ == 0 || n_ == 0) return;
    LocalTensor<uint32_t> offs = offsBuf_.Get<uint32_t>();
    for (uint32_t j = 0; j < chunk_; ++j) offs.SetValue(j, j * kRowBytes);
    SetFlag<HardEvent::S_V>(0);   // scalar-written offset table -> vector Gather
    WaitFlag<HardEvent::S_V>(0);
    Duplicate(onesBuf_.Get<float>(), 1.0f, chunk_);
    Duplicate(zerosBuf_.Get<float>(), 0.0f, chunk_);
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      const uint32_t b = task / numChunks_, c = task % numChunks_;
      const uint32_t j0 = c * chunk_;
      const uint32_t len = (j0 + chunk_ <= n_) ? chunk_ : n_ - j0;
      ProcessChunk(b, j0, len, (len + 63) / 64 * 64);
    }
  }

 private:
  __aicore__ inline uint32_t MaskBytes() const { return (chunk_ / 8 + 31) / 32 * 32; }

  // x, y, z of points [j0, j0 + len) of batch item b; vectors of lenAligned elements (the tail
  // beyond len holds stale values, never written out).
  __aicore__ inline void LoadPoints(uint32_t b, uint32_t j0, uint32_t len, uint32_t lenAligned) {
    LocalTensor<float> rows = rowsBuf_.Get<float>();
    PipeBarrier<PIPE_ALL>();   // the previous chunk's vector reads are done
    DataCopyPad(rows, pointsGm_[(static_cast<uint64_t>(b) * n_ + j0) * c1_],
                DataCopyExtParams{static_cast<uint16_t>(len), 3 * 4, (c1_ - 3) * 4, 0, 0},
                DataCopyPadExtParams<float>{false, 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
    LocalTensor<uint32_t> offs = offsBuf_.Get<uint32_t>();
    Gather(xBuf_.Get<float>(), rows, offs, 0u, lenAligned);
    Gather(yBuf_.Get<float>(), rows, offs, 4u, lenAligned);
    if (M != Mode::kBev) Gather(zBuf_.Get<float>(), rows, offs, 8u, lenAligned);
    PipeBarrier<PIPE_V>();
  }

  __aicore__ inline Frame MakeFrame(uint64_t box) {
    const uint64_t o = box * c2_;
    Frame f;
    f.cx = boxesGm_.GetValue(o);
    f.cy = boxesGm_.GetValue(o + 1);
    f.cz = boxesGm_.GetValue(o + 2);
    f.limX = RoundUpSum(boxesGm_.GetValue(o + 3) * 0.5f, margin_);
    f.limY = RoundUpSum(boxesGm_.GetValue(o + 4) * 0.5f, margin_);
    f.limZ = HalfDown(boxesGm_.GetValue(o + 5));
    f.cosa = rotGm_.GetValue(box * 2);
    f.sina = rotGm_.GetValue(box * 2 + 1);
    return f;
  }

  // res = 1.0 where the point is inside the box, else 0.0 (count elements).
  __aicore__ inline void Inside(const LocalTensor<float>& res, const Frame& f, uint32_t count) {
    LocalTensor<float> x = xBuf_.Get<float>(), y = yBuf_.Get<float>();
    LocalTensor<float> sx = sxBuf_.Get<float>(), sy = syBuf_.Get<float>();
    LocalTensor<float> t1 = t1Buf_.Get<float>(), t2 = t2Buf_.Get<float>();
    LocalTensor<uint8_t> masks = maskBuf_.Get<uint8_t>();
    LocalTensor<uint8_t> mx = masks, my = masks[MaskBytes()], mz = masks[2 * MaskBytes()];
    Adds(sx, x, -f.cx, count);            // x - cx (a + (-b) == a - b in IEEE arithmetic)
    Adds(sy, y, -f.cy, count);
    PipeBarrier<PIPE_V>();
    Muls(t1, sx, f.cosa, count);
    Muls(t2, sy, -f.sina, count);
    PipeBarrier<PIPE_V>();
    Add(t1, t1, t2, count);               // local_x
    PipeBarrier<PIPE_V>();
    Abs(t1, t1, count);
    PipeBarrier<PIPE_V>();
    CompareScalar(mx, t1, f.limX, CMPMODE::LT, count);
    PipeBarrier<PIPE_V>();
    Muls(t1, sx, f.sina, count);
    Muls(t2, sy, f.cosa, count);
    PipeBarrier<PIPE_V>();
    Add(t1, t1, t2, count);               // local_y
    PipeBarrier<PIPE_V>();
    Abs(t1, t1, count);
    PipeBarrier<PIPE_V>();
    CompareScalar(my, t1, f.limY, CMPMODE::LT, count);
    PipeBarrier<PIPE_V>();
    Select(res, mx, onesBuf_.Get<float>(), 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, count);
    PipeBarrier<PIPE_V>();
    Select(res, my, res, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, count);
    if (M != Mode::kBev) {                // outside iff |z - cz| > lim_z (NaN: not rejected)
      Adds(t1, zBuf_.Get<float>(), -f.cz, count);
      PipeBarrier<PIPE_V>();
      Abs(t1, t1, count);
      PipeBarrier<PIPE_V>();
      CompareScalar(mz, t1, f.limZ, CMPMODE::GT, count);
      PipeBarrier<PIPE_V>();
      Select(res, mz, zerosBuf_.Get<float>(), res, SELMODE::VSEL_TENSOR_TENSOR_MODE, count);
    }
    PipeBarrier<PIPE_V>();
  }

  __aicore__ inline void WriteOut(const LocalTensor<float>& res, uint64_t dst, uint32_t len, uint32_t count) {
    LocalTensor<int32_t> o = outQue_.AllocTensor<int32_t>();
    Cast(o, res, RoundMode::CAST_ROUND, count);
    outQue_.EnQue(o);
    o = outQue_.DeQue<int32_t>();
    DataCopyPad(outGm_[dst], o, DataCopyExtParams{1, len * 4, 0, 0, 0});
    outQue_.FreeTensor(o);
  }

  __aicore__ inline void ProcessChunk(uint32_t b, uint32_t j0, uint32_t len, uint32_t count) {
    LoadPoints(b, j0, len, count);
    LocalTensor<float> res = resBuf_.Get<float>();
    if (M != Mode::kFirst) {
      for (uint32_t i = 0; i < m_; ++i) {
        Inside(res, MakeFrame(i), count);
        WriteOut(res, static_cast<uint64_t>(i) * n_ + j0, len, count);
      }
      return;
    }
    LocalTensor<float> hit = t2Buf_.Get<float>();   // free again once Inside returns
    LocalTensor<float> kv = kBuf_.Get<float>();
    LocalTensor<uint8_t> masks = maskBuf_.Get<uint8_t>();
    Duplicate(res, -1.0f, count);
    for (uint32_t k = 0; k < m_; ++k) {
      PipeBarrier<PIPE_V>();
      Inside(hit, MakeFrame(static_cast<uint64_t>(b) * m_ + k), count);
      CompareScalar(masks, res, 0.0f, CMPMODE::LT, count);          // not yet assigned
      PipeBarrier<PIPE_V>();
      Select(hit, masks, hit, 0.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, count);
      PipeBarrier<PIPE_V>();
      CompareScalar(masks, hit, 0.5f, CMPMODE::GT, count);
      Duplicate(kv, static_cast<float>(k), count);
      PipeBarrier<PIPE_V>();
      Select(res, masks, kv, res, SELMODE::VSEL_TENSOR_TENSOR_MODE, count);
    }
    PipeBarrier<PIPE_V>();
    WriteOut(res, static_cast<uint64_t>(b) * n_ + j0, len, count);
  }

  GlobalTensor<float> pointsGm_, boxesGm_, rotGm_;
  GlobalTensor<int32_t> outGm_;
  TBuf<TPosition::VECCALC> rowsBuf_, offsBuf_, xBuf_, yBuf_, zBuf_, sxBuf_, syBuf_, t1Buf_, t2Buf_, resBuf_,
      onesBuf_, zerosBuf_, kBuf_, maskBuf_;
  TQue<TPosition::VECOUT, 2> outQue_;
  uint32_t bs_, n_, c1_, m_, c2_, chunk_, numChunks_, taskBegin_, taskCount_;
  float margin_;
};

}  // namespace pib_kernel
#endif  // ASCEND_KIT_POINTS_IN_BOXES_KERNEL_H
