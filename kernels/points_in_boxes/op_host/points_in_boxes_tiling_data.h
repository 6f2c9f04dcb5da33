// Tiling data shared by the three points_in_boxes Ascend C ops (PointsInBoxesBev, PointsInBoxes3d,
// PointsInBoxesFirst); each op's <snake>_tiling.h registers it for its OpType.
//   bs        batch items (1 for the mask ops)
//   n         points per batch item;  c1: point columns (the kernels read the first 3)
//   m         boxes per batch item;   c2: box columns (the kernels read the first 7)
//   chunk     points per vector pass (multiple of 64); numChunks = ceil(n / chunk) per batch item
//   tasks     bs * numChunks, split over usedCoreNum cores: tasksPerCore (+1 for the first
//             tasksRemainder cores), contiguous ranges
#ifndef ASCEND_KIT_POINTS_IN_BOXES_TILING_DATA_H
#define ASCEND_KIT_POINTS_IN_BOXES_TILING_DATA_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(PointsInBoxesTilingData)
TILING_DATA_FIELD_DEF(uint32_t, bs);
TILING_DATA_FIELD_DEF(uint32_t, n);
TILING_DATA_FIELD_DEF(uint32_t, c1);
TILING_DATA_FIELD_DEF(uint32_t, m);
TILING_DATA_FIELD_DEF(uint32_t, c2);
TILING_DATA_FIELD_DEF(uint32_t, chunk);
TILING_DATA_FIELD_DEF(uint32_t, numChunks);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, tasksPerCore);
TILING_DATA_FIELD_DEF(uint32_t, tasksRemainder);
END_TILING_DATA_DEF;
}  // namespace optiling
#endif  // ASCEND_KIT_POINTS_IN_BOXES_TILING_DATA_H
