// SparseKernelMapLookup: Ascend C vector kernel (AIV); semantics and work split in sparse_kernel_map_kernel.h.
#include "kernel_operator.h"
#include "sparse_kernel_map_kernel.h"

extern "C" __global__ __aicore__ void sparse_kernel_map_lookup(GM_ADDR out_coords, GM_ADDR sorted_keys, GM_ADDR lo,
                                                               GM_ADDR count, GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  AscendC::TPipe pipe;
  skm_kernel::LookupKernel<decltype(tilingData)> op;
  op.Init(out_coords, sorted_keys, lo, count, tilingData, &pipe);
  op.Process();
}
