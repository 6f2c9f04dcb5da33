// ForegroundGather (ordered compaction), Ascend C vector kernel (AIV).
//
// Input row i is kept iff positions[i] - positions[i - 1] == 1 (positions = inclusive cumsum of
// keep; positions[-1] = 0); it goes to output row k = positions[i - 1]. Every write is checked
// against K = num_kept, and a row whose positions step is not 0 or 1 is skipped, so inconsistent
// positions never make the kernel write out of bounds.
//
// Work split: core i owns a contiguous, balanced range of input rows; its kept rows map to a
// contiguous range of output rows, which it alone writes (no atomics, deterministic, input
// order). Per tile of tileRows rows: feature rows and coors rows come into UB with one
// DataCopyPad each (rows padded to 32 B), positions with one more; then each run of consecutive
// kept rows (consecutive output rows) leaves with one DataCopyPad per output: features, coors
// and the run's index values (written by the scalar unit into 32 B-aligned slots).
// Rows are moved as words: features as int16 (2-byte dtypes) or int32 (4- and 8-byte dtypes; an
// 8-byte element is two words), coors as int32 (4 or 8 per row), and index int64 values leave
// through an int32 view (two words each); the kernel never interprets feature or coors bytes.
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

// Word type moving elements of `Bytes` bytes: int16 for 2, int32 otherwise.
template <int Bytes>
struct WordOf {
  using type = int32_t;
};
template <>
struct WordOf<2> {
  using type = int16_t;
};

template <typename TF, typename TC>
class ForegroundGatherKernel {
  using TW = typename WordOf<sizeof(TF)>::type;   // feature words
  static constexpr uint32_t kCoorWords = 4 * sizeof(TC) / 4;   // int32 words per coors row

 public:
  __aicore__ inline ForegroundGatherKernel() {}

  __aicore__ inline void Init(GM_ADDR features, GM_ADDR coors, GM_ADDR positions, GM_ADDR outFeatures,
                              GM_ADDR outCoors, GM_ADDR index, const ForegroundGatherTilingData& t, TPipe* pipe) {
    M_ = t.numRows; K_ = t.numKept; C_ = t.channels; tileRows_ = t.tileRows;
    CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    rowWords_ = C_ * static_cast<uint32_t>(sizeof(TF) / sizeof(TW));
    featStride_ = AlignUpU(rowWords_ * sizeof(TW), 32) / sizeof(TW);
    coorStride_ = 8;   // one 32 B block per coors row
    featGm_.SetGlobalBuffer((__gm__ TW*)features, static_cast<uint64_t>(M_) * rowWords_);
    coorsGm_.SetGlobalBuffer((__gm__ int32_t*)coors, static_cast<uint64_t>(M_) * kCoorWords);
    posGm_.SetGlobalBuffer((__gm__ int32_t*)positions, M_);
    outFeatGm_.SetGlobalBuffer((__gm__ TW*)outFeatures, static_cast<uint64_t>(K_) * rowWords_);
    outCoorsGm_.SetGlobalBuffer((__gm__ int32_t*)outCoors, static_cast<uint64_t>(K_) * kCoorWords);
    indexGm_.SetGlobalBuffer((__gm__ int32_t*)index, static_cast<uint64_t>(K_) * 2);
    pipe->InitBuffer(featBuf_, Bytes32(tileRows_ * featStride_ * sizeof(TW)));
    pipe->InitBuffer(coorsBuf_, Bytes32(tileRows_ * coorStride_ * 4));
    pipe->InitBuffer(posBuf_, Bytes32(tileRows_ * 4));
    pipe->InitBuffer(indexBuf_, Bytes32(tileRows_ * 4 * 8));
  }

  __aicore__ inline void Process() {
    if (count_ == 0 || K_ == 0) return;
    feat_ = featBuf_.Get<TW>();
    coors_ = coorsBuf_.Get<int32_t>();
    pos_ = posBuf_.Get<int32_t>();
    index_ = indexBuf_.Get<int64_t>();
    int64_t prev = begin_ == 0 ? 0 : static_cast<int64_t>(posGm_.GetValue(begin_ - 1));
    const uint32_t end = begin_ + count_;
    for (uint32_t r0 = begin_; r0 < end; r0 += tileRows_) {
      const uint32_t n = end - r0 < tileRows_ ? end - r0 : tileRows_;
      LoadTile(r0, n);
      uint32_t slot = 0;   // next free 32 B-aligned slot of index_
      uint32_t j = 0;
      while (j < n) {
        // a run: rows j .. j+len-1 kept, to output rows k0 .. k0+len-1
        const int64_t k0 = prev;
        uint32_t len = 0;
        while (j + len < n) {
          const int64_t cur = static_cast<int64_t>(pos_.GetValue(j + len));
          const bool kept = cur - prev == 1 && prev >= 0 && prev < static_cast<int64_t>(K_);
          if (!kept && len > 0) break;   // the run ends; this row starts the next step
          prev = cur;
          if (!kept) break;              // a dropped (or inconsistent) row: no run here
          ++len;
        }
        if (len == 0) {
          ++j;
          continue;
        }
        StoreRun(r0 + j, j, len, static_cast<uint64_t>(k0), slot);
        j += len;
      }
      // the next tile overwrites every buffer
      SetFlag<HardEvent::MTE3_MTE2>(0);
      WaitFlag<HardEvent::MTE3_MTE2>(0);
      SetFlag<HardEvent::MTE3_S>(0);
      WaitFlag<HardEvent::MTE3_S>(0);
      SetFlag<HardEvent::S_MTE2>(0);
      WaitFlag<HardEvent::S_MTE2>(0);
    }
  }

 private:
  __aicore__ inline void LoadTile(uint32_t r0, uint32_t n) {
    if (C_ > 0)
      DataCopyPad(feat_, featGm_[static_cast<uint64_t>(r0) * rowWords_],
                  DataCopyExtParams{static_cast<uint16_t>(n), static_cast<uint32_t>(rowWords_ * sizeof(TW)), 0, 0, 0},
                  DataCopyPadExtParams<TW>{false, 0, 0, 0});
    DataCopyPad(coors_, coorsGm_[static_cast<uint64_t>(r0) * kCoorWords],
                DataCopyExtParams{static_cast<uint16_t>(n), kCoorWords * 4, 0, 0, 0},
                DataCopyPadExtParams<int32_t>{false, 0, 0, 0});
    CopyIn(pos_, posGm_[r0], n);
    SetFlag<HardEvent::MTE2_S>(0);
    WaitFlag<HardEvent::MTE2_S>(0);
    SetFlag<HardEvent::MTE2_MTE3>(0);
    WaitFlag<HardEvent::MTE2_MTE3>(0);
  }

  // Input rows row0 .. row0+len-1 (tile rows j .. j+len-1) -> output rows k0 .. k0+len-1.
  __aicore__ inline void StoreRun(uint32_t row0, uint32_t j, uint32_t len, uint64_t k0, uint32_t& slot) {
    if (C_ > 0)
      DataCopyPad(outFeatGm_[k0 * rowWords_], feat_[j * featStride_],
                  DataCopyExtParams{static_cast<uint16_t>(len), static_cast<uint32_t>(rowWords_ * sizeof(TW)), 0, 0, 0});
    DataCopyPad(outCoorsGm_[k0 * kCoorWords], coors_[j * coorStride_],
                DataCopyExtParams{static_cast<uint16_t>(len), kCoorWords * 4, 0, 0, 0});
    for (uint32_t q = 0; q < len; ++q) index_.SetValue(slot + q, static_cast<int64_t>(row0 + q));
    SetFlag<HardEvent::S_MTE3>(0);
    WaitFlag<HardEvent::S_MTE3>(0);
    DataCopyPad(indexGm_[2 * k0], index_.template ReinterpretCast<int32_t>()[2 * slot],
                DataCopyExtParams{1, static_cast<uint32_t>(len * 8), 0, 0, 0});
    slot += AlignUpU(len, 4);
  }

  GlobalTensor<TW> featGm_, outFeatGm_;
  GlobalTensor<int32_t> coorsGm_, outCoorsGm_, posGm_, indexGm_;
  TBuf<TPosition::VECCALC> featBuf_, coorsBuf_, posBuf_, indexBuf_;
  LocalTensor<TW> feat_;
  LocalTensor<int32_t> coors_;
  LocalTensor<int32_t> pos_;
  LocalTensor<int64_t> index_;
  uint32_t M_, K_, C_, tileRows_, begin_, count_, rowWords_, featStride_, coorStride_;
};

}  // namespace

extern "C" __global__ __aicore__ void foreground_gather(GM_ADDR features, GM_ADDR coors, GM_ADDR positions,
                                                        GM_ADDR out_features, GM_ADDR out_coors, GM_ADDR index,
                                                        GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  ForegroundGatherKernel<DTYPE_FEATURES, DTYPE_COORS> op;
  op.Init(features, coors, positions, out_features, out_coors, index, tilingData, &pipe);
  op.Process();
}
