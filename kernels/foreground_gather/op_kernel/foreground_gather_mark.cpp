// ForegroundGatherMark, Ascend C vector kernel (AIV): status[i] of each voxel row
// coors[i] = (b, z, y, x): 1 keep when valid_mask[b, y, x] > 0, 0 drop, 2 invalid when a
// coordinate is negative or b, y, x lie outside valid_mask [B, Y, X] (the mask is not read then).
//
// Work split: core i owns a contiguous, balanced range of rows and writes their status whole
// (no atomics). Per tile of tileRows rows: one DataCopyPad of the coors rows into UB, a scalar
// pass (mask lookups are scalar GM reads), one DataCopyPad of the statuses out.
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

constexpr int32_t kDrop = 0, kKeep = 1, kInvalid = 2;

template <typename TC>
class ForegroundGatherMarkKernel {
 public:
  __aicore__ inline ForegroundGatherMarkKernel() {}

  __aicore__ inline void Init(GM_ADDR coors, GM_ADDR mask, GM_ADDR status, const ForegroundGatherMarkTilingData& t,
                              TPipe* pipe) {
    M_ = t.numRows; B_ = t.batch; Y_ = t.height; X_ = t.width; tileRows_ = t.tileRows;
    CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    coorsGm_.SetGlobalBuffer((__gm__ TC*)coors, static_cast<uint64_t>(M_) * 4);
    maskGm_.SetGlobalBuffer((__gm__ int32_t*)mask, static_cast<uint64_t>(B_) * Y_ * X_);
    statusGm_.SetGlobalBuffer((__gm__ int32_t*)status, M_);
    pipe->InitBuffer(coorsBuf_, Bytes32(tileRows_ * 4 * sizeof(TC)));
    pipe->InitBuffer(statusBuf_, Bytes32(tileRows_ * 4));
  }

  __aicore__ inline void Process() {
    LocalTensor<TC> coors = coorsBuf_.Get<TC>();
    LocalTensor<int32_t> status = statusBuf_.Get<int32_t>();
    const uint32_t end = begin_ + count_;
    for (uint32_t r0 = begin_; r0 < end; r0 += tileRows_) {
      const uint32_t n = end - r0 < tileRows_ ? end - r0 : tileRows_;
      CopyIn(coors, coorsGm_[static_cast<uint64_t>(r0) * 4], n * 4);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      for (uint32_t j = 0; j < n; ++j) status.SetValue(j, RowStatus(coors, j));
      SetFlag<HardEvent::S_MTE3>(0);
      WaitFlag<HardEvent::S_MTE3>(0);
      DataCopyPad(statusGm_[r0], status, DataCopyExtParams{1, static_cast<uint32_t>(n * 4), 0, 0, 0});
      // the next tile overwrites both buffers
      SetFlag<HardEvent::MTE3_S>(0);
      WaitFlag<HardEvent::MTE3_S>(0);
      SetFlag<HardEvent::S_MTE2>(0);
      WaitFlag<HardEvent::S_MTE2>(0);
    }
  }

 private:
  __aicore__ inline int32_t RowStatus(const LocalTensor<TC>& coors, uint32_t j) {
    const int64_t b = static_cast<int64_t>(coors.GetValue(4 * j)), z = static_cast<int64_t>(coors.GetValue(4 * j + 1));
    const int64_t y = static_cast<int64_t>(coors.GetValue(4 * j + 2)), x = static_cast<int64_t>(coors.GetValue(4 * j + 3));
    if (b < 0 || z < 0 || y < 0 || x < 0 || b >= B_ || y >= Y_ || x >= X_) return kInvalid;
    const uint64_t off = (static_cast<uint64_t>(b) * Y_ + static_cast<uint64_t>(y)) * X_ + static_cast<uint64_t>(x);
    return maskGm_.GetValue(off) > 0 ? kKeep : kDrop;
  }

  GlobalTensor<TC> coorsGm_;
  GlobalTensor<int32_t> maskGm_, statusGm_;
  TBuf<TPosition::VECCALC> coorsBuf_, statusBuf_;
  uint32_t M_, B_, Y_, X_, tileRows_, begin_, count_;
};

}  // namespace

extern "C" __global__ __aicore__ void foreground_gather_mark(GM_ADDR coors, GM_ADDR valid_mask, GM_ADDR status,
                                                             GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  ForegroundGatherMarkKernel<DTYPE_COORS> op;
  op.Init(coors, valid_mask, status, tilingData, &pipe);
  op.Process();
}
