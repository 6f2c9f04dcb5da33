// PointsInBoxesBev: Ascend C vector kernel (AIV); semantics and work split in points_in_boxes_kernel.h.
// MARGIN = 1e-5f as upstream (Ada3D sparse2bev_cuda.cu:101).
#include "kernel_operator.h"
#include "points_in_boxes_kernel.h"

extern "C" __global__ __aicore__ void points_in_boxes_bev(GM_ADDR points, GM_ADDR boxes, GM_ADDR rotation, GM_ADDR mask,
                                         GM_ADDR workspace, GM_ADDR tiling) {
  KERNEL_TASK_TYPE_DEFAULT(KERNEL_TYPE_AIV_ONLY);
  GET_TILING_DATA(tilingData, tiling);
  AscendC::TPipe pipe;
  pib_kernel::PointsInBoxesKernel<pib_kernel::Mode::kBev> op;
  op.Init(points, boxes, rotation, mask, tilingData, &pipe, 1e-5f);
  op.Process();
}
