// ForegroundGatherGrad (backward row scatter), Ascend C vector kernel (AIV):
//   grad_in[index[k]] = grad_features[k]; other rows are left as the caller zeroed them.
// An index outside [0, M) is skipped (the binding checks index before the launch).
//
// Work split: core i owns a contiguous, balanced range of k; index is strictly increasing, so
// cores write disjoint rows (no atomics). Per tile: gradient rows (padded to 32 B in UB) and
// index values come in with one DataCopyPad each; each run of consecutive index values leaves
// with one DataCopyPad. Rows are moved as int16 (2-byte dtypes) or int32 words (4- and 8-byte).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename TF>
class ForegroundGatherGradKernel {
  using TW = typename std::conditional<sizeof(TF) == 2, int16_t, int32_t>::type;

 public:
  __aicore__ inline ForegroundGatherGradKernel() {}

  __aicore__ inline void Init(GM_ADDR grad, GM_ADDR index, GM_ADDR gradIn, const ForegroundGatherGradTilingData& t,
                              TPipe* pipe) {
    M_ = t.numRows; K_ = t.numKept; C_ = t.channels; tileRows_ = t.tileRows;
    CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    rowWords_ = C_ * static_cast<uint32_t>(sizeof(TF) / sizeof(TW));
    stride_ = AlignUpU(rowWords_ * sizeof(TW), 32) / sizeof(TW);
    gradGm_.SetGlobalBuffer((__gm__ TW*)grad, static_cast<uint64_t>(K_) * rowWords_);
    indexGm_.SetGlobalBuffer((__gm__ int64_t*)index, K_);
    gradInGm_.SetGlobalBuffer((__gm__ TW*)gradIn, static_cast<uint64_t>(M_) * rowWords_);
    pipe->InitBuffer(gradBuf_, Bytes32(tileRows_ * stride_ * sizeof(TW)));
    pipe->InitBuffer(indexBuf_, Bytes32(tileRows_ * 8));
  }

  __aicore__ inline void Process() {
    if (count_ == 0 || C_ == 0) return;
    LocalTensor<TW> grad = gradBuf_.Get<TW>();
    LocalTensor<int64_t> index = indexBuf_.Get<int64_t>();
    const uint32_t end = begin_ + count_;
    for (uint32_t k0 = begin_; k0 < end; k0 += tileRows_) {
      const uint32_t n = end - k0 < tileRows_ ? end - k0 : tileRows_;
      DataCopyPad(grad, gradGm_[static_cast<uint64_t>(k0) * rowWords_],
                  DataCopyExtParams{static_cast<uint16_t>(n), static_cast<uint32_t>(rowWords_ * sizeof(TW)), 0, 0, 0},
                  DataCopyPadExtParams<TW>{false, 0, 0, 0});
      CopyIn(index, indexGm_[k0], n);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      SetFlag<HardEvent::MTE2_MTE3>(0);
      WaitFlag<HardEvent::MTE2_MTE3>(0);
      uint32_t j = 0;
      while (j < n) {
        const int64_t i0 = index.GetValue(j);
        if (i0 < 0 || i0 >= static_cast<int64_t>(M_)) {
          ++j;
          continue;
        }
        uint32_t len = 1;
        while (j + len < n && index.GetValue(j + len) == i0 + len && i0 + len < static_cast<int64_t>(M_)) ++len;
        DataCopyPad(gradInGm_[static_cast<uint64_t>(i0) * rowWords_], grad[j * stride_],
                    DataCopyExtParams{static_cast<uint16_t>(len), static_cast<uint32_t>(rowWords_ * sizeof(TW)), 0, 0, 0});
        j += len;
      }
      SetFlag<HardEvent::MTE3_MTE2>(0);
      WaitFlag<HardEvent::MTE3_MTE2>(0);
      SetFlag<HardEvent::S_MTE2>(0);
      WaitFlag<HardEvent::S_MTE2>(0);
    }
  }

 private:
  GlobalTensor<TW> gradGm_, gradInGm_;
  GlobalTensor<int64_t> indexGm_;
  TBuf<TPosition::VECCALC> gradBuf_, indexBuf_;
  uint32_t M_, K_, C_, tileRows_, begin_, count_, rowWords_, stride_;
};

}  // namespace

extern "C" __global__ __aicore__ void foreground_gather_grad(GM_ADDR grad_features, GM_ADDR index, GM_ADDR grad_in,
                                                             GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  ForegroundGatherGradKernel<DTYPE_GRAD_FEATURES> op;
  op.Init(grad_features, index, grad_in, tilingData, &pipe);
  op.Process();
}
