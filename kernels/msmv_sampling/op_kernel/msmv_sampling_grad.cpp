// MsmvSamplingGrad (SparseBEV), Ascend C vector kernel (AIV).
//
// Inputs feat, spatial_shapes, level_start_index, sampling_locations, scale_weights (fp32|fp16) and
// grad_output [B, Q, C, P] (same dtype). Outputs, all float32 whatever the input dtype:
//   grad_feat [B, N, num_feat, C]          accumulated with SetAtomicAdd: the CALLER MUST ZERO IT;
//   grad_sampling_locations [B, Q, P, 3]   (x, y, 0) -- the view coordinate gets no gradient;
//   grad_scale_weights [B, Q, P, L];       both written whole by the core owning the (b, q) row.
// Math = msmv_sampling_math.h backward_element: top = grad_out * w_l;
//   grad_w[l] = sum_c grad_out[c] * bilinear_l[c];
//   grad_loc.x = sum_l (W_l - 1) sum_c top * d/dw, grad_loc.y = sum_l (H_l - 1) sum_c top * d/dh;
//   grad_feat[corner k] += corner_weight_k * top.
//
// Work split: as the forward. Per task and channel chunk the grad_output slab [chunk][P] is loaded
// with one DataCopyPad and transposed to [P][chunk] with one Gather.
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"
#include "msmv_sampling_view.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class MsmvSamplingGradKernel {
 public:
  __aicore__ inline MsmvSamplingGradKernel() {}

  __aicore__ inline void Init(GM_ADDR feat, GM_ADDR shape, GM_ADDR start, GM_ADDR loc, GM_ADDR weights,
                              GM_ADDR gradOut, GM_ADDR gradFeat, GM_ADDR gradLoc, GM_ADDR gradW,
                              const MsmvSamplingGradTilingData& t, TPipe* pipe) {
    B_ = t.batch; N_ = t.numViews; numFeat_ = t.numFeat; C_ = t.numChannels; Q_ = t.numQueries; P_ = t.numPoints;
    L_ = t.numLevels; cTile_ = t.cTile; numChunks_ = t.numChunks; cTail_ = t.cTail;
    cTA_ = AlignUpU(cTile_, kChanAlign);
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, taskBegin_, taskCount_);

    const uint64_t featN = static_cast<uint64_t>(B_) * N_ * numFeat_ * C_;
    featGm_.SetGlobalBuffer((__gm__ T*)feat, featN);
    shapeGm_.SetGlobalBuffer((__gm__ int32_t*)shape, L_ * 2);
    startGm_.SetGlobalBuffer((__gm__ int32_t*)start, L_);
    locGm_.SetGlobalBuffer((__gm__ T*)loc, static_cast<uint64_t>(B_) * Q_ * P_ * 3);
    wGm_.SetGlobalBuffer((__gm__ T*)weights, static_cast<uint64_t>(B_) * Q_ * P_ * L_);
    goGm_.SetGlobalBuffer((__gm__ T*)gradOut, static_cast<uint64_t>(B_) * Q_ * C_ * P_);
    gFeatGm_.SetGlobalBuffer((__gm__ float*)gradFeat, featN);
    gLocGm_.SetGlobalBuffer((__gm__ float*)gradLoc, static_cast<uint64_t>(B_) * Q_ * P_ * 3);
    gWGm_.SetGlobalBuffer((__gm__ float*)gradW, static_cast<uint64_t>(B_) * Q_ * P_ * L_);

    pipe->InitBuffer(shapeBuf_, AlignUpU(L_ * 2 * 4, 32));
    pipe->InitBuffer(startBuf_, AlignUpU(L_ * 4, 32));
    pipe->InitBuffer(locBuf_, AlignUpU(P_ * 3 * sizeof(T), 32));
    pipe->InitBuffer(wBuf_, AlignUpU(P_ * L_ * sizeof(T), 32));
    pipe->InitBuffer(redOutBuf_, AlignUpU((L_ + 2) * 8 * 4, 32));
    pipe->InitBuffer(gwAccBuf_, AlignUpU(P_ * L_ * 4, 32));
    pipe->InitBuffer(glAccBuf_, AlignUpU(P_ * 3 * 4, 32));
    pipe->InitBuffer(goBuf_, AlignUpU(cTile_ * P_ * sizeof(T), 32));
    if constexpr (!IsFloat()) {
      pipe->InitBuffer(goFBuf_, AlignUpU(cTile_ * P_ * 4, 32));
      pipe->InitBuffer(featFBuf_, 4 * cTA_ * 4);
    }
    pipe->InitBuffer(goTBuf_, P_ * cTA_ * 4);
    pipe->InitBuffer(tableBuf_, P_ * cTA_ * 4);
    pipe->InitBuffer(featQue_, 2, 4 * cTA_ * sizeof(T));
    pipe->InitBuffer(topBuf_, cTA_ * 4);
    pipe->InitBuffer(valBuf_, cTA_ * 4);
    pipe->InitBuffer(tmpBuf_, cTA_ * 4);
    pipe->InitBuffer(scrBuf_, cTA_ * 4);
    pipe->InitBuffer(gxyBuf_, 2 * cTA_ * 4);
    pipe->InitBuffer(gfQue_, 2, 4 * cTA_ * 4);
    pipe->InitBuffer(redWorkBuf_, cTA_ * 4);
    pipe->InitBuffer(prodBuf_, cTA_ * 4);
  }

  __aicore__ inline void Process() {
    if (taskCount_ == 0 || P_ == 0) return;
    shapeL_ = shapeBuf_.Get<int32_t>();
    startL_ = startBuf_.Get<int32_t>();
    LoadShapeTables(shapeL_, startL_, shapeGm_, startGm_, L_);
    // Transpose table: goT[p][c] <- slab[c][p] (columns c >= cLen of a tail chunk are never read).
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    for (uint32_t p = 0; p < P_; ++p)
      for (uint32_t c = 0; c < cTA_; ++c) table.SetValue(p * cTA_ + c, c < cTile_ ? (c * P_ + p) * 4 : 0);
    SetFlag<HardEvent::S_V>(0);   // scalar-written table -> vector Gather
    WaitFlag<HardEvent::S_V>(0);
    PipeBarrier<PIPE_ALL>();
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      LoadTask(task);
      for (uint32_t chunk = 0; chunk < numChunks_ && C_ > 0; ++chunk) {
        const uint32_t cLen = (chunk + 1 == numChunks_) ? cTail_ : cTile_;
        ProcessChunk(task, chunk * cTile_, cLen);
      }
      StoreTask(task);
    }
  }

 private:
  static constexpr bool IsFloat() { return sizeof(T) == 4; }

  __aicore__ inline void LoadTask(uint32_t task) {
    PipeBarrier<PIPE_ALL>();
    CopyIn(locBuf_.Get<T>(), locGm_[static_cast<uint64_t>(task) * P_ * 3], P_ * 3);
    CopyIn(wBuf_.Get<T>(), wGm_[static_cast<uint64_t>(task) * P_ * L_], P_ * L_);
    Duplicate(gwAccBuf_.Get<float>(), 0.0f, P_ * L_);
    Duplicate(glAccBuf_.Get<float>(), 0.0f, P_ * 3);
    PipeBarrier<PIPE_ALL>();
  }

  __aicore__ inline void StoreTask(uint32_t task) {
    PipeBarrier<PIPE_ALL>();
    DataCopyPad(gLocGm_[static_cast<uint64_t>(task) * P_ * 3], glAccBuf_.Get<float>(),
                DataCopyExtParams{1, static_cast<uint32_t>(P_ * 3 * 4), 0, 0, 0});
    DataCopyPad(gWGm_[static_cast<uint64_t>(task) * P_ * L_], gwAccBuf_.Get<float>(),
                DataCopyExtParams{1, static_cast<uint32_t>(P_ * L_ * 4), 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
  }

  __aicore__ inline void ProcessChunk(uint32_t task, uint32_t c0, uint32_t cLen) {
    const uint32_t b = task / Q_;
    // grad_output slab [cLen][P] -> fp32 -> goT [P][cTA]
    LocalTensor<T> goRaw = goBuf_.Get<T>();
    LocalTensor<float> goT = goTBuf_.Get<float>();
    PipeBarrier<PIPE_ALL>();
    DataCopyPad(goRaw, goGm_[(static_cast<uint64_t>(task) * C_ + c0) * P_],
                DataCopyExtParams{1, static_cast<uint32_t>(cLen * P_ * sizeof(T)), 0, 0, 0},
                DataCopyPadExtParams<T>{false, 0, 0, 0});
    PipeBarrier<PIPE_ALL>();
    LocalTensor<float> slab;
    if constexpr (IsFloat()) {
      slab = goRaw.template ReinterpretCast<float>();
    } else {
      slab = goFBuf_.Get<float>();
      Cast(slab, goRaw, RoundMode::CAST_NONE, cLen * P_);
    }
    Gather(goT, slab, tableBuf_.Get<uint32_t>(), 0u, P_ * cTA_);

    LocalTensor<T> locL = locBuf_.Get<T>();
    LocalTensor<T> wL = wBuf_.Get<T>();
    LocalTensor<float> top = topBuf_.Get<float>(), val = valBuf_.Get<float>(), tmp = tmpBuf_.Get<float>();
    LocalTensor<float> scr = scrBuf_.Get<float>(), gxy = gxyBuf_.Get<float>(), prod = prodBuf_.Get<float>();
    LocalTensor<float> redOut = redOutBuf_.Get<float>(), redWork = redWorkBuf_.Get<float>();
    LocalTensor<float> gwAcc = gwAccBuf_.Get<float>(), glAcc = glAccBuf_.Get<float>();

    for (uint32_t p = 0; p < P_; ++p) {
      const float x = static_cast<float>(locL.GetValue(p * 3));
      const float y = static_cast<float>(locL.GetValue(p * 3 + 1));
      const int32_t view = ViewIndex(static_cast<float>(locL.GetValue(p * 3 + 2)), N_);
      if (view < 0) continue;
      const uint64_t viewBase = (static_cast<uint64_t>(b) * N_ + view) * numFeat_;
      LocalTensor<float> go = goT[p * cTA_];
      Duplicate(gxy, 0.0f, 2 * cTA_);
      Duplicate(redOut, 0.0f, (L_ + 2) * 8);
      for (uint32_t l = 0; l < L_; ++l) {
        const int32_t H = shapeL_.GetValue(2 * l), W = shapeL_.GetValue(2 * l + 1);
        const float h = y * static_cast<float>(H - 1), w = x * static_cast<float>(W - 1);
        if (!(h > -1.f && w > -1.f && h < static_cast<float>(H) && w < static_cast<float>(W))) continue;
        const int64_t startIdx = startL_.GetValue(l);
        Corners cr;
        if (!MakeCorners(w, h, H, W, startIdx, numFeat_, cr)) continue;
        const float wl = static_cast<float>(wL.GetValue(p * L_ + l));
        LocalTensor<T> corners = LoadCorners(featQue_, featGm_, viewBase, C_, c0, cLen, cTA_, cr);
        LocalTensor<float> cf = CornersF32(corners, featFBuf_, cr, cTA_, cLen, true);
        Muls(top, go, wl, cLen);
        BlendAllCorners(val, cf, cr, cTA_, cLen);
        Mul(prod, go, val, cLen);
        ReduceSum(redOut[l * 8], prod, redWork, cLen);
        AddLocationGrad(gxy, cf, top, tmp, scr, cr, cTA_, cLen, static_cast<float>(W - 1), static_cast<float>(H - 1));
        featQue_.FreeTensor(corners);
        ScatterCornerGrads(gfQue_, gFeatGm_, viewBase, C_, c0, cLen, cTA_, top, cr);
      }
      ReduceSum(redOut[L_ * 8], gxy, redWork, cLen);
      ReduceSum(redOut[(L_ + 1) * 8], gxy[cTA_], redWork, cLen);
      SetFlag<HardEvent::V_S>(0);
      WaitFlag<HardEvent::V_S>(0);
      for (uint32_t l = 0; l < L_; ++l) gwAcc.SetValue(p * L_ + l, gwAcc.GetValue(p * L_ + l) + redOut.GetValue(l * 8));
      glAcc.SetValue(p * 3, glAcc.GetValue(p * 3) + redOut.GetValue(L_ * 8));
      glAcc.SetValue(p * 3 + 1, glAcc.GetValue(p * 3 + 1) + redOut.GetValue((L_ + 1) * 8));
      SetFlag<HardEvent::S_V>(0);
      WaitFlag<HardEvent::S_V>(0);
    }
  }

  GlobalTensor<T> featGm_, locGm_, wGm_, goGm_;
  GlobalTensor<float> gFeatGm_, gLocGm_, gWGm_;
  GlobalTensor<int32_t> shapeGm_, startGm_;
  TBuf<TPosition::VECCALC> shapeBuf_, startBuf_, locBuf_, wBuf_, redOutBuf_, gwAccBuf_, glAccBuf_, goBuf_, goFBuf_,
      featFBuf_, goTBuf_, tableBuf_, topBuf_, valBuf_, tmpBuf_, scrBuf_, gxyBuf_, redWorkBuf_, prodBuf_;
  TQue<TPosition::VECIN, 2> featQue_;
  TQue<TPosition::VECOUT, 2> gfQue_;
  LocalTensor<int32_t> shapeL_, startL_;
  uint32_t B_, N_, numFeat_, C_, Q_, P_, L_, cTile_, cTA_, numChunks_, cTail_;
  uint32_t taskBegin_, taskCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void msmv_sampling_grad(GM_ADDR feat, GM_ADDR spatial_shapes,
                                                         GM_ADDR level_start_index, GM_ADDR sampling_locations,
                                                         GM_ADDR scale_weights, GM_ADDR grad_output, GM_ADDR grad_feat,
                                                         GM_ADDR grad_sampling_locations, GM_ADDR grad_scale_weights,
                                                         GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  MsmvSamplingGradKernel<DTYPE_FEAT> op;
  op.Init(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights, grad_output, grad_feat,
          grad_sampling_locations, grad_scale_weights, tilingData, &pipe);
  op.Process();
}
