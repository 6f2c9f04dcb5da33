// MsmvSampling forward (SparseBEV), Ascend C vector kernel (AIV).
//
//   out[b, q, c, p] = sum_l scale_weights[b, q, p, l] * bilinear(level l of view v)(w, h)[c]
// with (x, y, z) = sampling_locations[b, q, p], v = round(z * (N - 1)) (half away from zero; a view
// outside [0, N-1] or NaN contributes 0), w = x * (W_l - 1), h = y * (H_l - 1) (align_corners=True);
// a level is skipped unless -1 < h < H_l and -1 < w < W_l; corners outside the map (or outside
// num_feat) read 0; fp32 accumulation over l = 0..L-1 (as msmv_sampling_math.h).
//
// Work split: task = one (b, q) row; core i owns a contiguous balanced range of rows and writes each
// row's [C, P] slab whole (no atomics, deterministic). Per task and channel chunk (cTile, tail cTail)
// the P sampled vectors are accumulated as [P][chunk] in UB and turned into the [chunk][P] output
// layout by one Gather over a precomputed transpose table, then written with one DataCopyPad.
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"
#include "msmv_sampling_view.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class MsmvSamplingKernel {
 public:
  __aicore__ inline MsmvSamplingKernel() {}

  __aicore__ inline void Init(GM_ADDR feat, GM_ADDR shape, GM_ADDR start, GM_ADDR loc, GM_ADDR weights, GM_ADDR out,
                              const MsmvSamplingTilingData& t, TPipe* pipe) {
    B_ = t.batch; N_ = t.numViews; numFeat_ = t.numFeat; C_ = t.numChannels; Q_ = t.numQueries; P_ = t.numPoints;
    L_ = t.numLevels; cTile_ = t.cTile; numChunks_ = t.numChunks; cTail_ = t.cTail;
    cTA_ = AlignUpU(cTile_, kChanAlign);
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, taskBegin_, taskCount_);

    featGm_.SetGlobalBuffer((__gm__ T*)feat, static_cast<uint64_t>(B_) * N_ * numFeat_ * C_);
    shapeGm_.SetGlobalBuffer((__gm__ int32_t*)shape, L_ * 2);
    startGm_.SetGlobalBuffer((__gm__ int32_t*)start, L_);
    locGm_.SetGlobalBuffer((__gm__ T*)loc, static_cast<uint64_t>(B_) * Q_ * P_ * 3);
    wGm_.SetGlobalBuffer((__gm__ T*)weights, static_cast<uint64_t>(B_) * Q_ * P_ * L_);
    outGm_.SetGlobalBuffer((__gm__ T*)out, static_cast<uint64_t>(B_) * Q_ * C_ * P_);

    pipe->InitBuffer(shapeBuf_, AlignUpU(L_ * 2 * 4, 32));
    pipe->InitBuffer(startBuf_, AlignUpU(L_ * 4, 32));
    pipe->InitBuffer(locBuf_, AlignUpU(P_ * 3 * sizeof(T), 32));
    pipe->InitBuffer(wBuf_, AlignUpU(P_ * L_ * sizeof(T), 32));
    pipe->InitBuffer(featQue_, 2, 4 * cTA_ * sizeof(T));
    if constexpr (!IsFloat()) {
      pipe->InitBuffer(featFBuf_, 4 * cTA_ * 4);
      pipe->InitBuffer(outFBuf_, AlignUpU(cTile_ * P_ * 4, 32));
    }
    pipe->InitBuffer(valBuf_, cTA_ * 4);
    pipe->InitBuffer(resBuf_, P_ * cTA_ * 4);
    pipe->InitBuffer(tableBuf_, AlignUpU(cTile_ * P_ * 4, 32));
    pipe->InitBuffer(outQue_, 2, AlignUpU(cTile_ * P_ * sizeof(T), 32));
  }

  __aicore__ inline void Process() {
    if (taskCount_ == 0 || C_ == 0 || P_ == 0) return;
    shapeL_ = shapeBuf_.Get<int32_t>();
    startL_ = startBuf_.Get<int32_t>();
    LoadShapeTables(shapeL_, startL_, shapeGm_, startGm_, L_);
    // Transpose table: out element (c, p) <- res[p][c].
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    for (uint32_t c = 0; c < cTile_; ++c)
      for (uint32_t p = 0; p < P_; ++p) table.SetValue(c * P_ + p, (p * cTA_ + c) * 4);
    SetFlag<HardEvent::S_V>(0);   // scalar-written table -> vector Gather
    WaitFlag<HardEvent::S_V>(0);
    PipeBarrier<PIPE_ALL>();
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      LoadTask(task);
      for (uint32_t chunk = 0; chunk < numChunks_; ++chunk) {
        const uint32_t cLen = (chunk + 1 == numChunks_) ? cTail_ : cTile_;
        ProcessChunk(task, chunk * cTile_, cLen);
      }
    }
  }

 private:
  static constexpr bool IsFloat() { return sizeof(T) == 4; }

  __aicore__ inline void LoadTask(uint32_t task) {
    PipeBarrier<PIPE_ALL>();
    CopyIn(locBuf_.Get<T>(), locGm_[static_cast<uint64_t>(task) * P_ * 3], P_ * 3);
    CopyIn(wBuf_.Get<T>(), wGm_[static_cast<uint64_t>(task) * P_ * L_], P_ * L_);
    PipeBarrier<PIPE_ALL>();
  }

  __aicore__ inline void ProcessChunk(uint32_t task, uint32_t c0, uint32_t cLen) {
    const uint32_t b = task / Q_;
    LocalTensor<T> locL = locBuf_.Get<T>();
    LocalTensor<T> wL = wBuf_.Get<T>();
    LocalTensor<float> res = resBuf_.Get<float>();
    LocalTensor<float> val = valBuf_.Get<float>();
    Duplicate(res, 0.0f, P_ * cTA_);
    for (uint32_t p = 0; p < P_; ++p) {
      const float x = static_cast<float>(locL.GetValue(p * 3));
      const float y = static_cast<float>(locL.GetValue(p * 3 + 1));
      const int32_t view = ViewIndex(static_cast<float>(locL.GetValue(p * 3 + 2)), N_);
      if (view < 0) continue;
      const uint64_t viewBase = (static_cast<uint64_t>(b) * N_ + view) * numFeat_;
      for (uint32_t l = 0; l < L_; ++l) {
        const int32_t H = shapeL_.GetValue(2 * l), W = shapeL_.GetValue(2 * l + 1);
        const float h = y * static_cast<float>(H - 1), w = x * static_cast<float>(W - 1);
        if (!(h > -1.f && w > -1.f && h < static_cast<float>(H) && w < static_cast<float>(W))) continue;
        const int64_t startIdx = startL_.GetValue(l);
        Corners k;
        if (!MakeCorners(w, h, H, W, startIdx, numFeat_, k)) continue;
        LocalTensor<T> corners = LoadCorners(featQue_, featGm_, viewBase, C_, c0, cLen, cTA_, k);
        BlendCorners(val, CornersF32(corners, featFBuf_, k, cTA_, cLen, false), k, cTA_, cLen);
        featQue_.FreeTensor(corners);
        Axpy(res[p * cTA_], val, static_cast<float>(wL.GetValue(p * L_ + l)), cLen);
      }
    }
    // [P][chunk] -> [chunk][P], then one contiguous store of the slab.
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    LocalTensor<T> outT = outQue_.AllocTensor<T>();
    if constexpr (IsFloat()) {
      Gather(outT.template ReinterpretCast<float>(), res, table, 0u, cLen * P_);
    } else {
      LocalTensor<float> outF = outFBuf_.Get<float>();
      Gather(outF, res, table, 0u, cLen * P_);
      Cast(outT, outF, RoundMode::CAST_RINT, cLen * P_);
    }
    outQue_.EnQue(outT);
    outT = outQue_.DeQue<T>();
    DataCopyPad(outGm_[(static_cast<uint64_t>(task) * C_ + c0) * P_], outT,
                DataCopyExtParams{1, static_cast<uint32_t>(cLen * P_ * sizeof(T)), 0, 0, 0});
    outQue_.FreeTensor(outT);
  }

  GlobalTensor<T> featGm_, locGm_, wGm_, outGm_;
  GlobalTensor<int32_t> shapeGm_, startGm_;
  TBuf<TPosition::VECCALC> shapeBuf_, startBuf_, locBuf_, wBuf_, featFBuf_, outFBuf_, valBuf_, resBuf_, tableBuf_;
  TQue<TPosition::VECIN, 2> featQue_;
  TQue<TPosition::VECOUT, 2> outQue_;
  LocalTensor<int32_t> shapeL_, startL_;
  uint32_t B_, N_, numFeat_, C_, Q_, P_, L_, cTile_, cTA_, numChunks_, cTail_;
  uint32_t taskBegin_, taskCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void msmv_sampling(GM_ADDR feat, GM_ADDR spatial_shapes, GM_ADDR level_start_index,
                                                    GM_ADDR sampling_locations, GM_ADDR scale_weights, GM_ADDR out,
                                                    GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  MsmvSamplingKernel<DTYPE_FEAT> op;
  op.Init(feat, spatial_shapes, level_start_index, sampling_locations, scale_weights, out, tilingData, &pipe);
  op.Process();
}
