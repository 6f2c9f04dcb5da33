// DeformableAggregationGrad, Ascend C vector kernel (AIV).
//
// Inputs mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights (fp32|fp16) and
// grad_output [bs, A, C] (same dtype); outputs, all float32 whatever the input dtype:
//   grad_mc_ms_feat [bs, num_feat, C]   accumulated with SetAtomicAdd: the CALLER MUST ZERO IT;
//   grad_sampling_location [bs, A, P, cams, 2] and grad_weights [bs, A, P, cams, scales, G]:
//   every element of a task's rows is written exactly once by the core that owns the task.
// Math = deformable_aggregation_math.h backward_element: top = grad_out * w[g(c)];
//   grad_w[.., l, g] = sum_{c in g} grad_out[c] * bilinear[c];
//   grad_loc[.., 0] = sum_l W_l * sum_c top[c] * d(bilinear)/dx, [.., 1] likewise with H_l and d/dy;
//   grad_feat[corner k] += corner_weight_k * top.
//
// Work split: as the forward (contiguous balanced ranges of (b, a) rows per core). Per task: point
// blocks x channel chunks, a chunk holding whole channel groups (groupsPerChunk of them). The
// per-group reduction of grad_out*bilinear is done for all levels of a (p, cam) at once: one Gather
// transposes the [scales][chunk] products into [C/G rows][scales*groups] and log2(C/G) Adds fold
// the rows, which works for any C/G (no 32 B constraint on the group size).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class DeformableAggregationGradKernel {
 public:
  __aicore__ inline DeformableAggregationGradKernel() {}

  __aicore__ inline void Init(GM_ADDR feat, GM_ADDR shape, GM_ADDR start, GM_ADDR loc, GM_ADDR weights,
                              GM_ADDR gradOut, GM_ADDR gradFeat, GM_ADDR gradLoc, GM_ADDR gradW,
                              const DeformableAggregationGradTilingData& t, TPipe* pipe) {
    bs_ = t.bs; numFeat_ = t.numFeat; C_ = t.numEmbeds; A_ = t.numAnchors; P_ = t.numPoints;
    cams_ = t.numCams; scales_ = t.numScales; G_ = t.numGroups;
    cTile_ = t.cTile; numChunks_ = t.numChunks; cTail_ = t.cTail; gpc_ = t.groupsPerChunk; permCols_ = t.permCols;
    ptsPerBlock_ = t.ptsPerBlock; numPtBlocks_ = t.numPtBlocks; ptsTail_ = t.ptsTail; gAlign_ = t.gAlign;
    cg_ = C_ / G_;
    cTA_ = AlignUpU(cTile_, kChanAlign);
    gwRowA_ = AlignUpU(scales_ * G_, 8);
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, taskBegin_, taskCount_);

    const uint64_t locN = static_cast<uint64_t>(bs_) * A_ * P_ * cams_ * 2;
    const uint64_t wN = static_cast<uint64_t>(bs_) * A_ * P_ * cams_ * scales_ * G_;
    featGm_.SetGlobalBuffer((__gm__ T*)feat, static_cast<uint64_t>(bs_) * numFeat_ * C_);
    shapeGm_.SetGlobalBuffer((__gm__ int32_t*)shape, cams_ * scales_ * 2);
    startGm_.SetGlobalBuffer((__gm__ int32_t*)start, cams_ * scales_);
    locGm_.SetGlobalBuffer((__gm__ T*)loc, locN);
    wGm_.SetGlobalBuffer((__gm__ T*)weights, wN);
    goGm_.SetGlobalBuffer((__gm__ T*)gradOut, static_cast<uint64_t>(bs_) * A_ * C_);
    gFeatGm_.SetGlobalBuffer((__gm__ float*)gradFeat, static_cast<uint64_t>(bs_) * numFeat_ * C_);
    gLocGm_.SetGlobalBuffer((__gm__ float*)gradLoc, locN);
    gWGm_.SetGlobalBuffer((__gm__ float*)gradW, wN);

    const uint32_t rows = ptsPerBlock_ * cams_ * scales_;
    pipe->InitBuffer(shapeBuf_, Bytes32(cams_ * scales_ * 2 * 4));
    pipe->InitBuffer(startBuf_, Bytes32(cams_ * scales_ * 4));
    pipe->InitBuffer(redOutBuf_, 64);
    pipe->InitBuffer(locBuf_, Bytes32(ptsPerBlock_ * cams_ * 2 * sizeof(T)));
    pipe->InitBuffer(wBuf_, Bytes32(rows * gAlign_ * sizeof(T)));
    pipe->InitBuffer(gwAccBuf_, Bytes32(ptsPerBlock_ * cams_ * gwRowA_ * 4));
    pipe->InitBuffer(glAccBuf_, Bytes32(ptsPerBlock_ * cams_ * 2 * 4));
    if constexpr (!IsFloat()) {
      pipe->InitBuffer(wFBuf_, Bytes32(rows * gAlign_ * 4));
      pipe->InitBuffer(featFBuf_, 4 * cTA_ * 4);
      pipe->InitBuffer(goFBuf_, cTA_ * 4);
    }
    pipe->InitBuffer(featQue_, 2, 4 * cTA_ * sizeof(T));
    pipe->InitBuffer(goBuf_, cTA_ * sizeof(T));
    pipe->InitBuffer(wvecBuf_, cTA_ * 4);
    pipe->InitBuffer(topBuf_, cTA_ * 4);
    pipe->InitBuffer(valBuf_, cTA_ * 4);
    pipe->InitBuffer(tmpBuf_, cTA_ * 4);
    pipe->InitBuffer(gxyBuf_, 2 * cTA_ * 4);
    pipe->InitBuffer(gfQue_, 2, 4 * cTA_ * 4);
    pipe->InitBuffer(tableBuf_, cTA_ * 4);
    pipe->InitBuffer(redWorkBuf_, cTA_ * 4);
    pipe->InitBuffer(prodBuf_, Bytes32(scales_ * cTA_ * 4));
    pipe->InitBuffer(permBuf_, Bytes32(cg_ * permCols_ * 4));
    pipe->InitBuffer(permTableBuf_, Bytes32(cg_ * permCols_ * 4));
  }

  __aicore__ inline void Process() {
    if (taskCount_ == 0) return;
    shapeL_ = shapeBuf_.Get<int32_t>();
    startL_ = startBuf_.Get<int32_t>();
    if (cams_ * scales_ > 0) {
      LoadShapeTables(shapeL_, startL_, shapeGm_, startGm_, cams_ * scales_);
    }
    BuildPermTable();
    if (numChunks_ == 1) BuildGroupTable(0, cTail_);
    SetFlag<HardEvent::S_V>(0);
    WaitFlag<HardEvent::S_V>(0);
    PipeBarrier<PIPE_ALL>();
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      for (uint32_t blk = 0; blk < numPtBlocks_; ++blk) {
        const uint32_t p0 = blk * ptsPerBlock_;
        const uint32_t np = (blk + 1 == numPtBlocks_) ? ptsTail_ : ptsPerBlock_;
        LoadPointBlock(task, p0, np);
        for (uint32_t chunk = 0; chunk < numChunks_ && C_ > 0; ++chunk) {
          const uint32_t c0 = chunk * cTile_;
          const uint32_t cLen = (chunk + 1 == numChunks_) ? cTail_ : cTile_;
          ProcessChunk(task, np, c0, cLen);
        }
        StorePointBlock(task, p0, np);
      }
    }
  }

 private:
  static constexpr bool IsFloat() { return sizeof(T) == 4; }

  // Destination (row j of C/G, column l*gpc + k) <- product of level l, channel k*cg + j of the chunk.
  __aicore__ inline void BuildPermTable() {
    LocalTensor<uint32_t> tab = permTableBuf_.Get<uint32_t>();
    for (uint32_t j = 0; j < cg_; ++j) {
      for (uint32_t col = 0; col < permCols_; ++col) {
        uint32_t off = 0;
        if (col < scales_ * gpc_) {
          const uint32_t l = col / gpc_, k = col % gpc_;
          off = (l * cTA_ + k * cg_ + j) * 4;
        }
        tab.SetValue(j * permCols_ + col, off);
      }
    }
  }

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
    PipeBarrier<PIPE_ALL>();
    if (np * cams_ == 0) return;   // no cameras: nothing to sample (outputs stay as initialised)
    DataCopyPad(locL, locGm_[locOff], DataCopyExtParams{1, static_cast<uint32_t>(np * cams_ * 2 * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    if (scales_ > 0 && G_ > 0)
      DataCopyPad(wL, wGm_[wOff],
                DataCopyExtParams{static_cast<uint16_t>(np * cams_ * scales_), static_cast<uint32_t>(G_ * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    Duplicate(gwAccBuf_.Get<float>(), 0.0f, np * cams_ * gwRowA_);
    Duplicate(glAccBuf_.Get<float>(), 0.0f, np * cams_ * 2);
    PipeBarrier<PIPE_ALL>();
    if constexpr (!IsFloat()) {
      Cast(wFBuf_.Get<float>(), wL, RoundMode::CAST_NONE, np * cams_ * scales_ * gAlign_);
      PipeBarrier<PIPE_V>();
    }
  }

  __aicore__ inline void StorePointBlock(uint32_t task, uint32_t p0, uint32_t np) {
    PipeBarrier<PIPE_ALL>();
    if (np * cams_ == 0) return;
    const uint64_t locOff = (static_cast<uint64_t>(task) * P_ + p0) * cams_ * 2;
    const uint64_t wOff = (static_cast<uint64_t>(task) * P_ + p0) * cams_ * scales_ * G_;
    DataCopyPad(gLocGm_[locOff], glAccBuf_.Get<float>(),
                DataCopyExtParams{1, static_cast<uint32_t>(np * cams_ * 2 * 4), 0, 0, 0});
    if (scales_ * G_ > 0)
      DataCopyPad(gWGm_[wOff], gwAccBuf_.Get<float>(),
                DataCopyExtParams{static_cast<uint16_t>(np * cams_), static_cast<uint32_t>(scales_ * G_ * 4), 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
  }

  __aicore__ inline LocalTensor<float> WeightsF32() {
    if constexpr (IsFloat()) {
      return wBuf_.Get<T>().template ReinterpretCast<float>();
    } else {
      return wFBuf_.Get<float>();
    }
  }

  __aicore__ inline void ProcessChunk(uint32_t task, uint32_t np, uint32_t c0, uint32_t cLen) {
    const uint32_t b = task / A_;
    const uint32_t g0 = c0 / cg_, nGc = cLen / cg_;
    if (numChunks_ > 1) BuildGroupTable(c0, cLen);
    // grad_output chunk, as fp32.
    LocalTensor<T> goRaw = goBuf_.Get<T>();
    PipeBarrier<PIPE_ALL>();
    DataCopyPad(goRaw, goGm_[static_cast<uint64_t>(task) * C_ + c0],
                DataCopyExtParams{1, static_cast<uint32_t>(cLen * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
    LocalTensor<float> go;
    if constexpr (IsFloat()) {
      go = goRaw.template ReinterpretCast<float>();
    } else {
      go = goFBuf_.Get<float>();
      Cast(go, goRaw, RoundMode::CAST_NONE, cLen);
    }
    LocalTensor<T> locL = locBuf_.Get<T>();
    LocalTensor<float> wF = WeightsF32();
    LocalTensor<float> wvec = wvecBuf_.Get<float>(), top = topBuf_.Get<float>(), val = valBuf_.Get<float>();
    LocalTensor<float> tmp = tmpBuf_.Get<float>(), gxy = gxyBuf_.Get<float>(), prod = prodBuf_.Get<float>();
    LocalTensor<float> perm = permBuf_.Get<float>(), redOut = redOutBuf_.Get<float>(), redWork = redWorkBuf_.Get<float>();
    LocalTensor<float> gwAcc = gwAccBuf_.Get<float>(), glAcc = glAccBuf_.Get<float>();
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>(), permTable = permTableBuf_.Get<uint32_t>();
    const uint64_t batchFeat = static_cast<uint64_t>(b) * numFeat_;

    for (uint32_t pl = 0; pl < np; ++pl) {
      for (uint32_t cam = 0; cam < cams_; ++cam) {
        const uint32_t pc = pl * cams_ + cam;
        const float u = static_cast<float>(locL.GetValue(pc * 2));
        const float v = static_cast<float>(locL.GetValue(pc * 2 + 1));
        if (!(u > 0.f && u < 1.f && v > 0.f && v < 1.f)) continue;
        Duplicate(gxy, 0.0f, 2 * cTA_);
        for (uint32_t l = 0; l < scales_; ++l) {
          const uint32_t cs = cam * scales_ + l;
          const int32_t H = shapeL_.GetValue(2 * cs), W = shapeL_.GetValue(2 * cs + 1);
          const int64_t startIdx = startL_.GetValue(cs);
          Corners cr;
          const bool any = MakeCorners(u * W - 0.5f, v * H - 0.5f, H, W, startIdx, numFeat_, cr);
          LocalTensor<float> prodL = prod[l * cTA_];
          if (!any) {
            Duplicate(prodL, 0.0f, cLen);
            continue;
          }
          LocalTensor<T> corners = LoadCorners(featQue_, featGm_, batchFeat, C_, c0, cLen, cTA_, cr);
          LocalTensor<float> cf = CornersF32(corners, featFBuf_, cr, cTA_, cLen, true);
          // top = grad_out * w[group(c)]
          Gather(wvec, wF[(pc * scales_ + l) * gAlign_], table, 0u, cLen);
          Mul(top, go, wvec, cLen);
          // bilinear value and grad-weight products
          BlendAllCorners(val, cf, cr, cTA_, cLen);
          Mul(prodL, go, val, cLen);
          AddLocationGrad(gxy, cf, top, tmp, wvec, cr, cTA_, cLen, static_cast<float>(W), static_cast<float>(H));
          featQue_.FreeTensor(corners);
          // grad_feat[corner k] += cw[k] * top (atomic: corners are shared between tasks and cores)
          ScatterCornerGrads(gfQue_, gFeatGm_, batchFeat, C_, c0, cLen, cTA_, top, cr);
        }
        // grad_weights of this (p, cam): per-group sums of the level products.
        if (scales_ > 0) {
          Gather(perm, prod, permTable, 0u, cg_ * permCols_);
          for (uint32_t r = cg_; r > 1;) {
            const uint32_t h = r / 2, keep = r - h;
            Add(perm, perm, perm[keep * permCols_], h * permCols_);
            r = keep;
          }
        }
        // grad_location partial sums of this (p, cam) over the chunk.
        ReduceSum(redOut, gxy, redWork, cLen);
        ReduceSum(redOut[8], gxy[cTA_], redWork, cLen);
        if (numChunks_ == 1 && scales_ > 0) {
          Add(gwAcc[pc * gwRowA_], gwAcc[pc * gwRowA_], perm, scales_ * G_);
        }
        SetFlag<HardEvent::V_S>(0);
        WaitFlag<HardEvent::V_S>(0);
        if (numChunks_ > 1) {
          for (uint32_t l = 0; l < scales_; ++l)
            for (uint32_t k = 0; k < nGc; ++k) {
              const uint32_t idx = pc * gwRowA_ + l * G_ + g0 + k;
              gwAcc.SetValue(idx, gwAcc.GetValue(idx) + perm.GetValue(l * gpc_ + k));
            }
        }
        glAcc.SetValue(pc * 2, glAcc.GetValue(pc * 2) + redOut.GetValue(0));
        glAcc.SetValue(pc * 2 + 1, glAcc.GetValue(pc * 2 + 1) + redOut.GetValue(8));
        SetFlag<HardEvent::S_V>(0);
        WaitFlag<HardEvent::S_V>(0);
      }
    }
  }

  GlobalTensor<T> featGm_, locGm_, wGm_, goGm_;
  GlobalTensor<float> gFeatGm_, gLocGm_, gWGm_;
  GlobalTensor<int32_t> shapeGm_, startGm_;
  TBuf<TPosition::VECCALC> shapeBuf_, startBuf_, redOutBuf_, locBuf_, wBuf_, gwAccBuf_, glAccBuf_, wFBuf_, featFBuf_,
      goFBuf_, goBuf_, wvecBuf_, topBuf_, valBuf_, tmpBuf_, gxyBuf_, tableBuf_, redWorkBuf_, prodBuf_, permBuf_,
      permTableBuf_;
  TQue<TPosition::VECIN, 2> featQue_;
  TQue<TPosition::VECOUT, 2> gfQue_;
  LocalTensor<int32_t> shapeL_, startL_;
  uint32_t bs_, numFeat_, C_, A_, P_, cams_, scales_, G_, cg_, gwRowA_;
  uint32_t cTile_, cTA_, numChunks_, cTail_, gpc_, permCols_, ptsPerBlock_, numPtBlocks_, ptsTail_, gAlign_;
  uint32_t taskBegin_, taskCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void deformable_aggregation_grad(GM_ADDR mc_ms_feat, GM_ADDR spatial_shape,
                                                                  GM_ADDR scale_start_index, GM_ADDR sampling_location,
                                                                  GM_ADDR weights, GM_ADDR grad_output,
                                                                  GM_ADDR grad_mc_ms_feat, GM_ADDR grad_sampling_location,
                                                                  GM_ADDR grad_weights, GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  DeformableAggregationGradKernel<DTYPE_MC_MS_FEAT> op;
  op.Init(mc_ms_feat, spatial_shape, scale_start_index, sampling_location, weights, grad_output, grad_mc_ms_feat,
          grad_sampling_location, grad_weights, tilingData, &pipe);
  op.Process();
}
