// Sparse2bevGrad, Ascend C vector kernel (AIV):
//   grad_features[i, c] = grad_bev[b_i, c, y_i, x_i]   (coors[i] = (b_i, z_i, y_i, x_i))
// (Ada3D SparseBEVTools sparse2bev_cuda.cu lines 26-42 at A-suozhang/ada3d@9512743.)
//
// Work split (sparse2bev_plan.h): each core owns a balanced range of voxels and writes their rows
// whole (no atomics, deterministic). Per voxel and channel chunk one DataCopyPad gathers the
// strided column grad_bev[b, c0 : c0 + cLen, y, x] (cLen blocks of one element, GM stride
// Y * X elements; each lands in its own 32 B UB slot), a Gather over a fixed offset table packs
// the slots into a row, and a DataCopyPad writes it. Voxels with a coordinate out of range get
// a zero row (never used as an address).
#include "kernel_operator.h"
#include "common/ascendc/kernel_utils.h"

using namespace AscendC;
using namespace ascend_kit;

namespace {

template <typename T>
class Sparse2bevGradKernel {
 public:
  __aicore__ inline Sparse2bevGradKernel() {}

  __aicore__ inline void Init(GM_ADDR gradBev, GM_ADDR coors, GM_ADDR gradFeatures, const Sparse2bevGradTilingData& t,
                              TPipe* pipe) {
    M_ = t.voxels; C_ = t.channels; B_ = t.batch; Z_ = t.nz; Y_ = t.ny; X_ = t.nx;
    hw_ = static_cast<uint64_t>(Y_) * X_;
    cTile_ = t.cTile; numCC_ = t.numCC; cTail_ = t.cTail; tileVoxels_ = t.tileVoxels;
    CoreTaskRange(t.tasksPerCore, t.tasksRemainder, voxelBegin_, voxelCount_);

    gradGm_.SetGlobalBuffer((__gm__ T*)gradBev, static_cast<uint64_t>(B_) * C_ * hw_);
    coorsGm_.SetGlobalBuffer((__gm__ int32_t*)coors, static_cast<uint64_t>(M_) * 4);
    outGm_.SetGlobalBuffer((__gm__ T*)gradFeatures, static_cast<uint64_t>(M_) * C_);

    pipe->InitBuffer(coorsBuf_, Bytes32(tileVoxels_ * 16));
    pipe->InitBuffer(stagedQue_, 2, cTile_ * 32);
    pipe->InitBuffer(tableBuf_, Bytes32(cTile_ * 4));
    pipe->InitBuffer(rowQue_, 2, Bytes32(cTile_ * sizeof(T)));
  }

  __aicore__ inline void Process() {
    if (voxelCount_ == 0 || C_ == 0) return;
    LocalTensor<uint32_t> table = tableBuf_.Get<uint32_t>();
    for (uint32_t c = 0; c < cTile_; ++c) table.SetValue(c, c * 32);   // byte offset of slot c
    SetFlag<HardEvent::S_V>(0);   // scalar-written table -> vector Gather
    WaitFlag<HardEvent::S_V>(0);
    LocalTensor<int32_t> coorsL = coorsBuf_.Get<int32_t>();
    for (uint32_t v0 = 0; v0 < voxelCount_; v0 += tileVoxels_) {
      const uint32_t n = (voxelCount_ - v0 < tileVoxels_) ? (voxelCount_ - v0) : tileVoxels_;
      PipeBarrier<PIPE_ALL>();   // the previous tile's scalar reads are done
      CopyIn(coorsL, coorsGm_[static_cast<uint64_t>(voxelBegin_ + v0) * 4], n * 4);
      SetFlag<HardEvent::MTE2_S>(0);
      WaitFlag<HardEvent::MTE2_S>(0);
      for (uint32_t k = 0; k < n; ++k) {
        const int32_t vb = coorsL.GetValue(4 * k), vz = coorsL.GetValue(4 * k + 1);
        const int32_t vy = coorsL.GetValue(4 * k + 2), vx = coorsL.GetValue(4 * k + 3);
        const bool ok = vb >= 0 && vb < static_cast<int32_t>(B_) && vz >= 0 && vz < static_cast<int32_t>(Z_) &&
                        vy >= 0 && vy < static_cast<int32_t>(Y_) && vx >= 0 && vx < static_cast<int32_t>(X_);
        const uint64_t i = voxelBegin_ + v0 + k;
        for (uint32_t cc = 0; cc < numCC_; ++cc) {
          const uint32_t c0 = cc * cTile_, cLen = cc + 1 == numCC_ ? cTail_ : cTile_;
          LocalTensor<T> rowT = rowQue_.AllocTensor<T>();
          if (ok) {
            const uint64_t cell = static_cast<uint64_t>(vy) * X_ + static_cast<uint64_t>(vx);
            LocalTensor<T> staged = stagedQue_.AllocTensor<T>();
            DataCopyPad(staged, gradGm_[(static_cast<uint64_t>(vb) * C_ + c0) * hw_ + cell],
                        DataCopyExtParams{static_cast<uint16_t>(cLen), static_cast<uint32_t>(sizeof(T)),
                                          static_cast<uint32_t>((hw_ - 1) * sizeof(T)), 0, 0},
                        DataCopyPadExtParams<T>{false, 0, 0, 0});
            stagedQue_.EnQue(staged);
            staged = stagedQue_.DeQue<T>();
            Gather(rowT, staged, table, 0u, cLen);
            stagedQue_.FreeTensor(staged);
          } else {
            Duplicate(rowT, static_cast<T>(0), cLen);
          }
          rowQue_.EnQue(rowT);
          rowT = rowQue_.DeQue<T>();
          DataCopyPad(outGm_[i * C_ + c0], rowT, DataCopyExtParams{1, static_cast<uint32_t>(cLen * sizeof(T)), 0, 0, 0});
          rowQue_.FreeTensor(rowT);
        }
      }
    }
  }

 private:
  GlobalTensor<T> gradGm_, outGm_;
  GlobalTensor<int32_t> coorsGm_;
  TBuf<TPosition::VECCALC> coorsBuf_, tableBuf_;
  TQue<TPosition::VECIN, 2> stagedQue_;
  TQue<TPosition::VECOUT, 2> rowQue_;
  uint32_t M_, C_, B_, Z_, Y_, X_;
  uint64_t hw_;
  uint32_t cTile_, numCC_, cTail_, tileVoxels_;
  uint32_t voxelBegin_, voxelCount_;
};

}  // namespace

extern "C" __global__ __aicore__ void sparse2bev_grad(GM_ADDR grad_bev, GM_ADDR coors, GM_ADDR grad_features,
                                                      GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  TPipe pipe;
  Sparse2bevGradKernel<DTYPE_GRAD_BEV> op;
  op.Init(grad_bev, coors, grad_features, tilingData, &pipe);
  op.Process();
}
