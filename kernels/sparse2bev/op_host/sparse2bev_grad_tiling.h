// Sparse2bevGrad tiling data (host -> kernel). Field meanings: see sparse2bev_plan.h.
#ifndef ASCEND_KIT_SPARSE2BEV_GRAD_TILING_H
#define ASCEND_KIT_SPARSE2BEV_GRAD_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(Sparse2bevGradTilingData)
TILING_DATA_FIELD_DEF(uint32_t, voxels);
TILING_DATA_FIELD_DEF(uint32_t, channels);
TILING_DATA_FIELD_DEF(uint32_t, batch);
TILING_DATA_FIELD_DEF(uint32_t, nz);
TILING_DATA_FIELD_DEF(uint32_t, ny);
TILING_DATA_FIELD_DEF(uint32_t, nx);
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, tasksPerCore);
TILING_DATA_FIELD_DEF(uint32_t, tasksRemainder);
TILING_DATA_FIELD_DEF(uint32_t, cTile);
TILING_DATA_FIELD_DEF(uint32_t, numCC);
TILING_DATA_FIELD_DEF(uint32_t, cTail);
TILING_DATA_FIELD_DEF(uint32_t, tileVoxels);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(Sparse2bevGrad, Sparse2bevGradTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE2BEV_GRAD_TILING_H
