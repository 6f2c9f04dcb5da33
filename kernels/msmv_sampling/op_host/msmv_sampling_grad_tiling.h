// MsmvSamplingGrad tiling data (host -> kernel). Field meanings: see msmv_sampling_plan.h.
#ifndef ASCEND_KIT_MSMV_SAMPLING_GRAD_TILING_H
#define ASCEND_KIT_MSMV_SAMPLING_GRAD_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(MsmvSamplingGradTilingData)
TILING_DATA_FIELD_DEF(uint32_t, batch);
TILING_DATA_FIELD_DEF(uint32_t, numViews);
TILING_DATA_FIELD_DEF(uint32_t, numFeat);
TILING_DATA_FIELD_DEF(uint32_t, numChannels);
TILING_DATA_FIELD_DEF(uint32_t, numQueries);
TILING_DATA_FIELD_DEF(uint32_t, numPoints);
TILING_DATA_FIELD_DEF(uint32_t, numLevels);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, tasksPerCore);
TILING_DATA_FIELD_DEF(uint32_t, tasksRemainder);
TILING_DATA_FIELD_DEF(uint32_t, cTile);
TILING_DATA_FIELD_DEF(uint32_t, numChunks);
TILING_DATA_FIELD_DEF(uint32_t, cTail);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(MsmvSamplingGrad, MsmvSamplingGradTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_MSMV_SAMPLING_GRAD_TILING_H
