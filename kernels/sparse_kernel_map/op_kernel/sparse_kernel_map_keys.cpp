// SparseKernelMapKeys: Ascend C vector kernel (AIV); semantics and work split in sparse_kernel_map_kernel.h.
#include "kernel_operator.h"
#include "sparse_kernel_map_kernel.h"

extern "C" __global__ __aicore__ void sparse_kernel_map_keys(GM_ADDR coords, GM_ADDR in_keys, GM_ADDR cand,
                                                             GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  AscendC::TPipe pipe;
  skm_kernel::KeysKernel<decltype(tilingData)> op;
  op.Init(coords, in_keys, cand, tilingData, &pipe);
  op.Process();
}
