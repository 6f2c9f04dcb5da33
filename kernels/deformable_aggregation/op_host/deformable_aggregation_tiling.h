// DeformableAggregation tiling data (host -> kernel). Field meanings: see deformable_aggregation_plan.h.
#ifndef ASCEND_KIT_DEFORMABLE_AGGREGATION_TILING_H
#define ASCEND_KIT_DEFORMABLE_AGGREGATION_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(DeformableAggregationTilingData)
TILING_DATA_FIELD_DEF(uint32_t, bs);
TILING_DATA_FIELD_DEF(uint32_t, numFeat);
TILING_DATA_FIELD_DEF(uint32_t, numEmbeds);
TILING_DATA_FIELD_DEF(uint32_t, numAnchors);
TILING_DATA_FIELD_DEF(uint32_t, numPoints);
TILING_DATA_FIELD_DEF(uint32_t, numCams);
TILING_DATA_FIELD_DEF(uint32_t, numScales);
TILING_DATA_FIELD_DEF(uint32_t, numGroups);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, tasksPerCore);
TILING_DATA_FIELD_DEF(uint32_t, tasksRemainder);
TILING_DATA_FIELD_DEF(uint32_t, cTile);
TILING_DATA_FIELD_DEF(uint32_t, numChunks);
TILING_DATA_FIELD_DEF(uint32_t, cTail);
TILING_DATA_FIELD_DEF(uint32_t, ptsPerBlock);
TILING_DATA_FIELD_DEF(uint32_t, numPtBlocks);
TILING_DATA_FIELD_DEF(uint32_t, ptsTail);
TILING_DATA_FIELD_DEF(uint32_t, gAlign);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(DeformableAggregation, DeformableAggregationTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_DEFORMABLE_AGGREGATION_TILING_H
