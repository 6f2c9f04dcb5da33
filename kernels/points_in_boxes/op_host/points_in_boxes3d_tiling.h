// PointsInBoxes3d tiling data: the shared PointsInBoxesTilingData (field meanings in points_in_boxes_tiling_data.h).
#ifndef ASCEND_KIT_POINTS_IN_BOXES3D_TILING_H
#define ASCEND_KIT_POINTS_IN_BOXES3D_TILING_H
#include "points_in_boxes_tiling_data.h"

namespace optiling {
REGISTER_TILING_DATA_CLASS(PointsInBoxes3d, PointsInBoxesTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_POINTS_IN_BOXES3D_TILING_H
