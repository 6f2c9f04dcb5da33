// SparseScatterAdd, Ascend C vector kernel (AIV): out[r] = sum of values[order[j]] over
// row_ptr[r] <= j < row_ptr[r + 1], in j order (= pair order: the binding sorts the pairs
// by (row, pair number)), accumulated in float32 and written once (float16 rounded once).
//
// Work split (sparse_gs_plan.h): core i owns a contiguous, balanced range of OUTPUT rows, so
// every out element has one writer (no atomics, deterministic). Per tile of tileRows rows: the
// tile's row_ptr entries come in with one DataCopyPad and the float32 accumulator is zeroed; per
// row, order is read in chunks of orderChunk entries and each value row comes in with one
// DataCopyPad and is added (Cast to float32 first for float16); the tile leaves with one
// DataCopyPad. order entries outside [0, P) are skipped and row_ptr ranges clamped to [0, P]
// (the binding builds them; the kernel never reads out of bounds).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class SparseScatterAddKernel {
  static constexpr bool kF32 = sizeof(T) == 4;

 public:
  __aicore__ inline SparseScatterAddKernel() {}

  __aicore__ inline void Init(GM_ADDR values, GM_ADDR order, GM_ADDR rowPtr, GM_ADDR out,
                              const SparseScatterAddTilingData& t, TPipe* pipe) {
    R_ = t.numRows; P_ = t.numPairs; C_ = t.channels; tileRows_ = t.tileRows; chunk_ = t.orderChunk;
    CoreTaskRange(t.rowsPerCore, t.rowsRemainder, begin_, count_);
    strideF_ = AlignUpU(C_ * 4, 32) / 4;
    strideT_ = AlignUpU(C_ * sizeof(T), 32) / sizeof(T);
    valGm_.SetGlobalBuffer((__gm__ T*)values, static_cast<uint64_t>(P_) * C_);
    orderGm_.SetGlobalBuffer((__gm__ int32_t*)order, P_);
    rowPtrGm_.SetGlobalBuffer((__gm__ int32_t*)rowPtr, static_cast<uint64_t>(R_) + 1);
    outGm_.SetGlobalBuffer((__gm__ T*)out, static_cast<uint64_t>(R_) * C_);
    pipe->InitBuffer(accBuf_, Bytes32(tileRows_ * strideF_ * 4));
    if constexpr (!kF32) pipe->InitBuffer(outBuf_, Bytes32(tileRows_ * strideT_ * sizeof(T)));
    pipe->InitBuffer(rowPtrBuf_, Bytes32((tileRows_ + 1) * 4));
    pipe->InitBuffer(valBuf_, Bytes32(C_ * sizeof(T)));
    if constexpr (!kF32) pipe->InitBuffer(valFBuf_, Bytes32(C_ * 4));
    pipe->InitBuffer(orderBuf_, Bytes32(chunk_ * 4));
  }

  __aicore__ inline void Process() {
    if (count_ == 0 || C_ == 0) return;
    LocalTensor<float> acc = accBuf_.Get<float>();
    LocalTensor<int32_t> rowPtr = rowPtrBuf_.Get<int32_t>();
    LocalTensor<int32_t> order = orderBuf_.Get<int32_t>();
    LocalTensor<T> val = valBuf_.Get<T>();
    const uint32_t end = begin_ + count_;
    for (uint32_t r0 = begin_; r0 < end; r0 += tileRows_) {
      const uint32_t n = end - r0 < tileRows_ ? end - r0 : tileRows_;
      CopyIn(rowPtr, rowPtrGm_[r0], n + 1);
      Duplicate(acc, 0.0f, n * strideF_);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      for (uint32_t k = 0; k < n; ++k) AddRow(acc[k * strideF_], Clamp(rowPtr.GetValue(k)), Clamp(rowPtr.GetValue(k + 1)),
                                              order, val);
      LocalTensor<T> outT;
      if constexpr (kF32) {
        outT = acc.template ReinterpretCast<T>();
      } else {
        outT = outBuf_.Get<T>();
        for (uint32_t k = 0; k < n; ++k) Cast(outT[k * strideT_], acc[k * strideF_], RoundMode::CAST_RINT, C_);
      }
      SetFlag<HardEvent::V_MTE3>(0);
      WaitFlag<HardEvent::V_MTE3>(0);
      DataCopyPad(outGm_[static_cast<uint64_t>(r0) * C_], outT,
                  DataCopyExtParams{static_cast<uint16_t>(n), static_cast<uint32_t>(C_ * sizeof(T)), 0, 0, 0});
      SetFlag<HardEvent::MTE3_V>(0);    // the next tile zeroes acc / casts into outT
      WaitFlag<HardEvent::MTE3_V>(0);
      SetFlag<HardEvent::S_MTE2>(0);    // the next tile's row_ptr overwrites this tile's
      WaitFlag<HardEvent::S_MTE2>(0);
    }
  }

 private:
  __aicore__ inline uint32_t Clamp(int32_t j) const {
    return j < 0 ? 0u : (static_cast<uint32_t>(j) > P_ ? P_ : static_cast<uint32_t>(j));
  }

  // accRow += values[order[j]] for j0 <= j < j1, in j order.
  __aicore__ inline void AddRow(const LocalTensor<float>& accRow, uint32_t j0, uint32_t j1,
                                const LocalTensor<int32_t>& order, const LocalTensor<T>& val) {
    for (uint32_t jc = j0; jc < j1; jc += chunk_) {
      const uint32_t m = j1 - jc < chunk_ ? j1 - jc : chunk_;
      CopyIn(order, orderGm_[jc], m);
      SetFlag<HardEvent::MTE2_S>(1);
      WaitFlag<HardEvent::MTE2_S>(1);
      for (uint32_t q = 0; q < m; ++q) {
        const int32_t p = order.GetValue(q);
        if (p < 0 || static_cast<uint32_t>(p) >= P_) continue;
        DataCopyPad(val, valGm_[static_cast<uint64_t>(p) * C_],
                    DataCopyExtParams{1, static_cast<uint32_t>(C_ * sizeof(T)), 0, 0, 0},
                    DataCopyPadExtParams<T>{false, 0, 0, 0});
        SetFlag<HardEvent::MTE2_V>(0);
        WaitFlag<HardEvent::MTE2_V>(0);
        if constexpr (kF32) {
          Add(accRow, accRow, val, C_);
        } else {
          LocalTensor<float> valF = valFBuf_.Get<float>();
          Cast(valF, val, RoundMode::CAST_NONE, C_);
          Add(accRow, accRow, valF, C_);
        }
        SetFlag<HardEvent::V_MTE2>(0);   // the next value row overwrites val
        WaitFlag<HardEvent::V_MTE2>(0);
      }
      SetFlag<HardEvent::S_MTE2>(1);     // the next chunk overwrites order
      WaitFlag<HardEvent::S_MTE2>(1);
    }
  }

  GlobalTensor<T> valGm_, outGm_;
  GlobalTensor<int32_t> orderGm_, rowPtrGm_;
  TBuf<TPosition::VECCALC> accBuf_, outBuf_, rowPtrBuf_, valBuf_, valFBuf_, orderBuf_;
  uint32_t R_, P_, C_, tileRows_, chunk_, begin_, count_, strideF_, strideT_;
};

}  // namespace

extern "C" __global__ __aicore__ void sparse_scatter_add(GM_ADDR values, GM_ADDR order, GM_ADDR row_ptr, GM_ADDR out,
                                                         GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  SparseScatterAddKernel<DTYPE_VALUES> op;
  op.Init(values, order, row_ptr, out, tilingData, &pipe);
  op.Process();
}
