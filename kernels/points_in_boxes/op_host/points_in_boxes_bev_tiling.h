// PointsInBoxesBev tiling data: the shared PointsInBoxesTilingData (field meanings in points_in_boxes_tiling_data.h).
#ifndef ASCEND_KIT_POINTS_IN_BOXES_BEV_TILING_H
#define ASCEND_KIT_POINTS_IN_BOXES_BEV_TILING_H
#include "points_in_boxes_tiling_data.h"

namespace optiling {
REGISTER_TILING_DATA_CLASS(PointsInBoxesBev, PointsInBoxesTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_POINTS_IN_BOXES_BEV_TILING_H
