// Sparse2bev forward, Ascend C vector kernel (AIV).
//
//   bev[b, c, y, x] = sum over voxels i with coors[i] = (b, *, y, x) of features[i, c]
//   mask[b, y, x]   = 1 where such a voxel exists, else 0
// (Ada3D SparseBEVTools sparse2bev_cuda.cu lines 3-24 at A-suozhang/ada3d@9512743.)
//
// Work split (sparse2bev_plan.h): task = (b, channel chunk, chunk of `len` consecutive cells of
// plane b). The task zeroes a float32 accumulator [cLen, lenAl] in UB, scans all voxels in coors
// tiles and, for each voxel inside its cells, adds the voxel's feature row slice (one
// DataCopyPad) into the accumulator with scalar adds, in input order. Then it writes its whole
// output block with one strided DataCopyPad (cLen rows of len elements, GM row stride Y * X)
// and, for channel chunk 0, the mask row. Every output element is written by exactly one core:
// no atomics, deterministic, the same float32 summation order as the CPU kernel. Voxels with a
// coordinate out of range are skipped (never used as an address).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class Sparse2bevKernel {
 public:
  __aicore__ inline Sparse2bevKernel() {}

  __aicore__ inline void Init(GM_ADDR features, GM_ADDR coors, GM_ADDR bev, GM_ADDR mask,
                              const Sparse2bevTilingData& t, TPipe* pipe) {
    M_ = t.voxels; C_ = t.channels; B_ = t.batch; Z_ = t.nz; Y_ = t.ny; X_ = t.nx;
    hw_ = static_cast<uint64_t>(Y_) * X_;
    cTile_ = t.cTile; numCC_ = t.numCC; cTail_ = t.cTail;
    len_ = t.len; numChunks_ = t.numChunks; lenTail_ = t.lenTail; lenAl_ = t.lenAl; tileVoxels_ = t.tileVoxels;
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, taskBegin_, taskCount_);

    featGm_.SetGlobalBuffer((__gm__ T*)features, static_cast<uint64_t>(M_) * C_);
    coorsGm_.SetGlobalBuffer((__gm__ int32_t*)coors, static_cast<uint64_t>(M_) * 4);
    bevGm_.SetGlobalBuffer((__gm__ T*)bev, static_cast<uint64_t>(B_) * C_ * hw_);
    maskGm_.SetGlobalBuffer((__gm__ int32_t*)mask, static_cast<uint64_t>(B_) * hw_);

    pipe->InitBuffer(coorsBuf_, Bytes32(tileVoxels_ * 16));
    pipe->InitBuffer(rowBuf_, Bytes32(cTile_ * sizeof(T)));
    pipe->InitBuffer(accBuf_, Bytes32(cTile_ * lenAl_ * 4));
    pipe->InitBuffer(maskBuf_, Bytes32(lenAl_ * 4));
    if constexpr (sizeof(T) != 4) pipe->InitBuffer(outBuf_, Bytes32(cTile_ * lenAl_ * sizeof(T)));
  }

  __aicore__ inline void Process() {
    for (uint32_t i = 0; i < taskCount_; ++i) {
      const uint32_t task = taskBegin_ + i;
      const uint32_t chunk = task % numChunks_;
      const uint32_t cc = (task / numChunks_) % numCC_;
      const uint32_t b = task / (numChunks_ * numCC_);
      ProcessTask(b, cc * cTile_, cc + 1 == numCC_ ? cTail_ : cTile_, cc == 0,
                  static_cast<uint64_t>(chunk) * len_, chunk + 1 == numChunks_ ? lenTail_ : len_);
    }
  }

 private:
  // Accumulates the voxels of cells [cell0, cell0 + len) of batch item b, channels [c0, c0 + cLen).
  __aicore__ inline void ProcessTask(uint32_t b, uint32_t c0, uint32_t cLen, bool writeMask, uint64_t cell0,
                                     uint32_t len) {
    LocalTensor<float> acc = accBuf_.Get<float>();
    LocalTensor<int32_t> maskL = maskBuf_.Get<int32_t>();
    LocalTensor<int32_t> coorsL = coorsBuf_.Get<int32_t>();
    LocalTensor<T> row = rowBuf_.Get<T>();
    PipeBarrier<PIPE_ALL>();   // the previous task's output copies are done
    if (cLen > 0) Duplicate(acc, 0.0f, cLen * lenAl_);
    if (writeMask) Duplicate(maskL, static_cast<int32_t>(0), lenAl_);
    PipeBarrier<PIPE_ALL>();   // vector zeroing -> scalar accumulation
    for (uint32_t v0 = 0; v0 < M_; v0 += tileVoxels_) {
      const uint32_t n = (M_ - v0 < tileVoxels_) ? (M_ - v0) : tileVoxels_;
      CopyIn(coorsL, coorsGm_[static_cast<uint64_t>(v0) * 4], n * 4);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      for (uint32_t k = 0; k < n; ++k) {
        const int32_t vb = coorsL.GetValue(4 * k), vz = coorsL.GetValue(4 * k + 1);
        const int32_t vy = coorsL.GetValue(4 * k + 2), vx = coorsL.GetValue(4 * k + 3);
        if (vb != static_cast<int32_t>(b) || vz < 0 || vz >= static_cast<int32_t>(Z_) || vy < 0 ||
            vy >= static_cast<int32_t>(Y_) || vx < 0 || vx >= static_cast<int32_t>(X_))
          continue;   // another batch item, or out of range: skipped
        const uint64_t cell = static_cast<uint64_t>(vy) * X_ + static_cast<uint64_t>(vx);
        if (cell < cell0 || cell >= cell0 + len) continue;
        const uint32_t j = static_cast<uint32_t>(cell - cell0);
        if (writeMask) maskL.SetValue(j, 1);
        if (cLen == 0) continue;
        CopyIn(row, featGm_[static_cast<uint64_t>(v0 + k) * C_ + c0], cLen);
        SetFlag<HardEvent::MTE2_S>(1);
        WaitFlag<HardEvent::MTE2_S>(1);
        for (uint32_t c = 0; c < cLen; ++c) {
          const uint32_t at = c * lenAl_ + j;
          acc.SetValue(at, acc.GetValue(at) + static_cast<float>(row.GetValue(c)));
        }
      }
    }
    PipeBarrier<PIPE_ALL>();   // scalar accumulation -> vector cast / output copies
    const uint64_t hw = hw_;
    if (cLen > 0) {
      LocalTensor<T> out;
      if constexpr (sizeof(T) == 4) {
        out = acc.template ReinterpretCast<T>();
      } else {
        out = outBuf_.Get<T>();
        Cast(out, acc, RoundMode::CAST_RINT, cLen * lenAl_);
        PipeBarrier<PIPE_ALL>();
      }
      // cLen rows of len elements; UB rows are lenAl elements apart, GM rows Y * X apart.
      const uint32_t rowBytes = len * sizeof(T);
      const uint32_t ubGap = (lenAl_ * sizeof(T) - AlignUpU(rowBytes, 32)) / 32;
      DataCopyPad(bevGm_[(static_cast<uint64_t>(b) * C_ + c0) * hw + cell0], out,
                  DataCopyExtParams{static_cast<uint16_t>(cLen), rowBytes, ubGap,
                                    static_cast<uint32_t>((hw - len) * sizeof(T)), 0});
    }
    if (writeMask) {
      DataCopyPad(maskGm_[static_cast<uint64_t>(b) * hw + cell0], maskL,
                  DataCopyExtParams{1, static_cast<uint32_t>(len * 4), 0, 0, 0});
    }
  }

  GlobalTensor<T> featGm_, bevGm_;
  GlobalTensor<int32_t> coorsGm_, maskGm_;
  TBuf<TPosition::VECCALC> coorsBuf_, rowBuf_, accBuf_, maskBuf_, outBuf_;
  uint32_t M_, C_, B_, Z_, Y_, X_;
  uint64_t hw_;
  uint32_t cTile_, numCC_, cTail_, len_, numChunks_, lenTail_, lenAl_, tileVoxels_;
  uint32_t taskBegin_, taskCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void sparse2bev(GM_ADDR features, GM_ADDR coors, GM_ADDR bev, GM_ADDR mask,
                                                 GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  Sparse2bevKernel<DTYPE_FEATURES> op;
  op.Init(features, coors, bev, mask, tilingData, &pipe);
  op.Process();
}
