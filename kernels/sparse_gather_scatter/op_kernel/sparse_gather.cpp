// SparseGather, Ascend C vector kernel (AIV): out[p] = features[index[p]] (rows moved as words:
// int16 for 2-byte dtypes, int32 for 4- and 8-byte ones, so float64 is never converted).
// An index outside [0, N) is skipped (its out row is not meaningful; the binding checks index
// before the launch, the kernel only guarantees no out-of-bounds read).
//
// Work split (sparse_gs_plan.h): core i owns a contiguous, balanced range of pairs and writes
// exactly those out rows. Per tile: the index values come in with one DataCopyPad, each source
// run of consecutive source rows with one DataCopyPad (32 B aligned slots in UB), and the tile
// leaves with one DataCopyPad.
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename TF>
class SparseGatherKernel {
  using TW = typename std::conditional<sizeof(TF) == 2, int16_t, int32_t>::type;

 public:
  __aicore__ inline SparseGatherKernel() {}

  __aicore__ inline void Init(GM_ADDR features, GM_ADDR index, GM_ADDR out, const SparseGatherTilingData& t,
                              TPipe* pipe) {
    N_ = t.numRows; P_ = t.numPairs; C_ = t.channels; tileRows_ = t.tileRows;
    CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    rowWords_ = C_ * static_cast<uint32_t>(sizeof(TF) / sizeof(TW));
    stride_ = AlignUpU(rowWords_ * sizeof(TW), 32) / sizeof(TW);
    featGm_.SetGlobalBuffer((__gm__ TW*)features, static_cast<uint64_t>(N_) * rowWords_);
    indexGm_.SetGlobalBuffer((__gm__ int32_t*)index, P_);
    outGm_.SetGlobalBuffer((__gm__ TW*)out, static_cast<uint64_t>(P_) * rowWords_);
    pipe->InitBuffer(rowsBuf_, Bytes32(tileRows_ * stride_ * sizeof(TW)));
    pipe->InitBuffer(indexBuf_, Bytes32(tileRows_ * 4));
  }

  __aicore__ inline void Process() {
    if (count_ == 0 || C_ == 0) return;
    LocalTensor<TW> rows = rowsBuf_.Get<TW>();
    LocalTensor<int32_t> index = indexBuf_.Get<int32_t>();
    const uint32_t rowBytes = rowWords_ * sizeof(TW);
    const uint32_t end = begin_ + count_;
    for (uint32_t p0 = begin_; p0 < end; p0 += tileRows_) {
      const uint32_t n = end - p0 < tileRows_ ? end - p0 : tileRows_;
      CopyIn(index, indexGm_[p0], n);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      uint32_t j = 0;
      while (j < n) {
        const int32_t i = index.GetValue(j);
        if (i < 0 || static_cast<uint32_t>(i) >= N_) {
          ++j;
          continue;
        }
        uint32_t len = 1;   // a run of consecutive source rows (e.g. a submanifold map's centre offset): one copy
        while (j + len < n && index.GetValue(j + len) == i + static_cast<int32_t>(len) &&
               static_cast<uint32_t>(i) + len < N_)
          ++len;
        DataCopyPad(rows[j * stride_], featGm_[static_cast<uint64_t>(i) * rowWords_],
                    DataCopyExtParams{static_cast<uint16_t>(len), rowBytes, 0, 0, 0},
                    DataCopyPadExtParams<TW>{false, 0, 0, 0});
        j += len;
      }
      SetFlag<HardEvent::MTE2_MTE3>(0);
      WaitFlag<HardEvent::MTE2_MTE3>(0);
      DataCopyPad(outGm_[static_cast<uint64_t>(p0) * rowWords_], rows,
                  DataCopyExtParams{static_cast<uint16_t>(n), rowBytes, 0, 0, 0});
      SetFlag<HardEvent::MTE3_MTE2>(0);   // the next tile's rows overwrite this tile's
      WaitFlag<HardEvent::MTE3_MTE2>(0);
      SetFlag<HardEvent::S_MTE2>(0);      // and its index values this tile's
      WaitFlag<HardEvent::S_MTE2>(0);
    }
  }

 private:
  GlobalTensor<TW> featGm_, outGm_;
  GlobalTensor<int32_t> indexGm_;
  TBuf<TPosition::VECCALC> rowsBuf_, indexBuf_;
  uint32_t N_, P_, C_, tileRows_, begin_, count_, rowWords_, stride_;
};

}  // namespace

extern "C" __global__ __aicore__ void sparse_gather(GM_ADDR features, GM_ADDR index, GM_ADDR out, GM_ADDR workspace,
                                                    GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  SparseGatherKernel<DTYPE_FEATURES> op;
  op.Init(features, index, out, tilingData, &pipe);
  op.Process();
}
