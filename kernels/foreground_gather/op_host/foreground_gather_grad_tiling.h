// ForegroundGatherGrad tiling data (host -> kernel). Field meanings: see foreground_gather_plan.h and op_host/foreground_gather_grad.cpp.
#ifndef ASCEND_KIT_FOREGROUND_GATHER_GRAD_TILING_H
#define ASCEND_KIT_FOREGROUND_GATHER_GRAD_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(ForegroundGatherGradTilingData)
TILING_DATA_FIELD_DEF(uint32_t, numRows);
TILING_DATA_FIELD_DEF(uint32_t, numKept);
TILING_DATA_FIELD_DEF(uint32_t, channels);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);
TILING_DATA_FIELD_DEF(uint32_t, rowsRemainder);
TILING_DATA_FIELD_DEF(uint32_t, tileRows);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(ForegroundGatherGrad, ForegroundGatherGradTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_FOREGROUND_GATHER_GRAD_TILING_H
