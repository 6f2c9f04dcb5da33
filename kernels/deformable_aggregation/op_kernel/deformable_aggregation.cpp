// DeformableAggregation forward, Ascend C vector kernel (AIV).
//
//   out[b, a, c] = sum_{p, cam, l} weights[b, a, p, cam, l, c / (C/G)]
//                  * bilinear(map (b, cam, l), x = u * W - 0.5, y = v * H - 0.5)[c]
// A (b, a, p, cam) sample is skipped unless 0 < u < 1 and 0 < v < 1; corners outside the map (or
// outside num_feat) read 0; accumulation in fp32 in the order p, cam, l (as the shared math header).
//
// Work split: task = one output row (b, a); core i owns a contiguous, balanced range of rows and
// writes them whole, so there are no atomics and the result is deterministic. Per task: channel
// chunks of cTile (tail cTail) x point blocks of ptsPerBlock points. Per (p, cam, l) sample the valid
// corner rows are fetched with DataCopyPad (any C, no 32 B alignment needed in GM) through a 2-deep
// queue, blended with scalar bilinear weights (Muls/Axpy), and multiplied by the per-channel group
// weight, which is expanded from the G weights with one Gather over a channel->group offset table
// (any G dividing C; no per-group loops, no 32 B constraint on C/G).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class DeformableAggregationKernel {
 public:
  __aicore__ inline DeformableAggregationKernel() {}

  __aicore__ inline void Init(GM_ADDR feat, GM_ADDR shape, GM_ADDR start, GM_ADDR loc, GM_ADDR weights, GM_ADDR out,
                              const DeformableAggregationTilingData& t, TPipe* pipe) {
    bs_ = t.bs; numFeat_ = t.numFeat; C_ = t.numEmbeds; A_ = t.numAnchors; P_ = t.numPoints;
    cams_ = t.numCams; scales_ = t.numScales; G_ = t.numGroups;
    cTile_ = t.cTile; numChunks_ = t.numChunks; cTail_ = t.cTail;
    ptsPerBlock_ = t.ptsPerBlock; numPtBlocks_ = t.numPtBlocks; ptsTail_ = t.ptsTail; gAlign_ = t.gAlign;
    cg_ = C_ / G_;
    cTA_ = AlignUpU(cTile_, kChanAlign);
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, taskBegin_, taskCount_);

    featGm_.SetGlobalBuffer((__gm__ T*)feat, static_cast<uint64_t>(bs_) * numFeat_ * C_);
    shapeGm_.SetGlobalBuffer((__gm__ int32_t*)shape, cams_ * scales_ * 2);
    startGm_.SetGlobalBuffer((__gm__ int32_t*)start, cams_ * scales_);
    locGm_.SetGlobalBuffer((__gm__ T*)loc, static_cast<uint64_t>(bs_) * A_ * P_ * cams_ * 2);
    wGm_.SetGlobalBuffer((__gm__ T*)weights, static_cast<uint64_t>(bs_) * A_ * P_ * cams_ * scales_ * G_);
    outGm_.SetGlobalBuffer((__gm__ T*)out, static_cast<uint64_t>(bs_) * A_ * C_);

    const uint32_t rows = ptsPerBlock_ * cams_ * scales_;
    pipe->InitBuffer(shapeBuf_, Bytes32(cams_ * scales_ * 2 * 4));
    pipe->InitBuffer(startBuf_, Bytes32(cams_ * scales_ * 4));
    pipe->InitBuffer(locBuf_, Bytes32(ptsPerBlock_ * cams_ * 2 * sizeof(T)));
    pipe->InitBuffer(wBuf_, Bytes32(rows * gAlign_ * sizeof(T)));
    if constexpr (!IsFloat()) {
      pipe->InitBuffer(wFBuf_, Bytes32(rows * gAlign_ * 4));
      pipe->InitBuffer(featFBuf_, 4 * cTA_ * 4);
      pipe->InitBuffer(accBuf_, cTA_ * 4);
    }
    pipe->InitBuffer(featQue_, 2, 4 * cTA_ * sizeof(T));
    pipe->InitBuffer(valBuf_, cTA_ * 4);
    pipe->InitBuffer(wvecBuf_, cTA_ * 4);
    pipe->InitBuffer(tableBuf_, cTA_ * 4);
    pipe->InitBuffer(outQue_, 2, cTA_ * sizeof(T));
  }

  __aicore__ inline void Process() {
    if (taskCount_ == 0 || C_ == 0) return;
    shapeL_ = shapeBuf_.Get<int32_t>();
    startL_ = startBuf_.Get<int32_t>();
    if (cams_ * scales_ > 0) {
      LoadShapeTables(shapeL_, startL_, shapeGm_, startGm_, cams_ * scales_);
    }
    PipeBarrier<PIPE_ALL>();
    if (numChunks_ == 1) BuildGroupTable(0, cTail_);   // one table for every task
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      for (uint32_t chunk = 0; chunk < numChunks_; ++chunk) {
        const uint32_t c0 = chunk * cTile_;
        const uint32_t cLen = (chunk + 1 == numChunks_) ? cTail_ : cTile_;
        ProcessChunk(task, c0, cLen, numChunks_ > 1);
      }
    }
  }

 private:
  static constexpr bool IsFloat() { return sizeof(T) == 4; }

  // Channel -> byte offset of its group's weight inside one padded weight row.
  __aicore__ inline void BuildGroupTable(uint32_t c0, uint32_t cLen) {
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    PipeBarrier<PIPE_ALL>();
    for (uint32_t i = 0; i < cLen; ++i) table.SetValue(i, ((c0 + i) / cg_) * 4);
    SetFlag<HardEvent::S_V>(0);   // scalar-written table -> vector Gather
    WaitFlag<HardEvent::S_V>(0);
  }

  __aicore__ inline void LoadPointBlock(uint32_t task, uint32_t p0, uint32_t np) {
    const uint64_t locOff = (static_cast<uint64_t>(task) * P_ + p0) * cams_ * 2;
    const uint64_t wOff = (static_cast<uint64_t>(task) * P_ + p0) * cams_ * scales_ * G_;
    LocalTensor<T> locL = locBuf_.Get<T>();
    LocalTensor<T> wL = wBuf_.Get<T>();
    PipeBarrier<PIPE_ALL>();   // previous block's readers are done
    if (np * cams_ == 0) return;   // no cameras: nothing to sample
    DataCopyPad(locL, locGm_[locOff], DataCopyExtParams{1, static_cast<uint32_t>(np * cams_ * 2 * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    // One padded UB row of gAlign elements per (p, cam, l), so every row starts 32 B aligned.
    if (scales_ > 0 && G_ > 0)
      DataCopyPad(wL, wGm_[wOff],
                DataCopyExtParams{static_cast<uint16_t>(np * cams_ * scales_), static_cast<uint32_t>(G_ * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
    if constexpr (!IsFloat()) {
      Cast(wFBuf_.Get<float>(), wL, RoundMode::CAST_NONE, np * cams_ * scales_ * gAlign_);
      PipeBarrier<PIPE_V>();
    }
  }

  __aicore__ inline LocalTensor<float> WeightsF32() {
    if constexpr (IsFloat()) {
      return wBuf_.Get<T>().template ReinterpretCast<float>();
    } else {
      return wFBuf_.Get<float>();
    }
  }

  __aicore__ inline void ProcessChunk(uint32_t task, uint32_t c0, uint32_t cLen, bool rebuildTable) {
    const uint32_t b = task / A_;
    if (rebuildTable) BuildGroupTable(c0, cLen);
    LocalTensor<T> outT = outQue_.AllocTensor<T>();
    LocalTensor<float> acc;
    if constexpr (IsFloat()) {
      acc = outT.template ReinterpretCast<float>();
    } else {
      acc = accBuf_.Get<float>();
    }
    Duplicate(acc, 0.0f, cLen);
    LocalTensor<float> val = valBuf_.Get<float>();
    LocalTensor<float> wvec = wvecBuf_.Get<float>();
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    const uint64_t batchFeat = static_cast<uint64_t>(b) * numFeat_;

    for (uint32_t blk = 0; blk < numPtBlocks_; ++blk) {
      const uint32_t p0 = blk * ptsPerBlock_;
      const uint32_t np = (blk + 1 == numPtBlocks_) ? ptsTail_ : ptsPerBlock_;
      LoadPointBlock(task, p0, np);
      LocalTensor<T> locL = locBuf_.Get<T>();
      LocalTensor<float> wF = WeightsF32();
      for (uint32_t pl = 0; pl < np; ++pl) {
        for (uint32_t cam = 0; cam < cams_; ++cam) {
          const float u = static_cast<float>(locL.GetValue((pl * cams_ + cam) * 2));
          const float v = static_cast<float>(locL.GetValue((pl * cams_ + cam) * 2 + 1));
          if (!(u > 0.f && u < 1.f && v > 0.f && v < 1.f)) continue;
          for (uint32_t l = 0; l < scales_; ++l) {
            const uint32_t cs = cam * scales_ + l;
            const int32_t H = shapeL_.GetValue(2 * cs), W = shapeL_.GetValue(2 * cs + 1);
            const int64_t startIdx = startL_.GetValue(cs);
            Corners k;
            if (!MakeCorners(u * W - 0.5f, v * H - 0.5f, H, W, startIdx, numFeat_, k)) continue;
            LocalTensor<T> corners = LoadCorners(featQue_, featGm_, batchFeat, C_, c0, cLen, cTA_, k);
            BlendCorners(val, CornersF32(corners, featFBuf_, k, cTA_, cLen, false), k, cTA_, cLen);
            featQue_.FreeTensor(corners);
            const uint32_t row = (pl * cams_ + cam) * scales_ + l;
            Gather(wvec, wF[row * gAlign_], table, 0u, cLen);   // wvec[c] = weight of c's group
            Mul(wvec, wvec, val, cLen);
            Add(acc, acc, wvec, cLen);
          }
        }
      }
    }
    if constexpr (!IsFloat()) Cast(outT, acc, RoundMode::CAST_RINT, cLen);
    outQue_.EnQue(outT);
    outT = outQue_.DeQue<T>();
    DataCopyPad(outGm_[static_cast<uint64_t>(task) * C_ + c0], outT,
                DataCopyExtParams{1, static_cast<uint32_t>(cLen * sizeof(T)), 0, 0, 0});
    outQue_.FreeTensor(outT);
  }

  GlobalTensor<T> featGm_, locGm_, wGm_, outGm_;
  GlobalTensor<int32_t> shapeGm_, startGm_;
  TBuf<TPosition::VECCALC> shapeBuf_, startBuf_, locBuf_, wBuf_, wFBuf_, featFBuf_, accBuf_, valBuf_, wvecBuf_, tableBuf_;
  TQue<TPosition::VECIN, 2> featQue_;
  TQue<TPosition::VECOUT, 2> outQue_;
  LocalTensor<int32_t> shapeL_, startL_;
  uint32_t bs_, numFeat_, C_, A_, P_, cams_, scales_, G_, cg_;
  uint32_t cTile_, cTA_, numChunks_, cTail_, ptsPerBlock_, numPtBlocks_, ptsTail_, gAlign_;
  uint32_t taskBegin_, taskCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void deformable_aggregation(GM_ADDR mc_ms_feat, GM_ADDR spatial_shape,
                                                             GM_ADDR scale_start_index, GM_ADDR sampling_location,
                                                             GM_ADDR weights, GM_ADDR out, GM_ADDR workspace,
                                                             GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  DeformableAggregationKernel<DTYPE_MC_MS_FEAT> op;
  op.Init(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights, out, tilingData, &pipe);
  op.Process();
}
