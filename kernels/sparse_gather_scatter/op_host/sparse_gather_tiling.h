// SparseGather tiling data (host -> kernel). Field meanings: see sparse_gs_plan.h.
#ifndef ASCEND_KIT_SPARSE_GATHER_TILING_H
#define ASCEND_KIT_SPARSE_GATHER_TILING_H
#include "register/tilingdata_base.h"

namespace optiling {
BEGIN_TILING_DATA_DEF(SparseGatherTilingData)
TILING_DATA_FIELD_DEF(uint32_t, numRows);      // N: rows of features
TILING_DATA_FIELD_DEF(uint32_t, numPairs);     // P
TILING_DATA_FIELD_DEF(uint32_t, channels);     // C (in words of features' dtype)
TILING_DATA_FIELD_DEF(uint32_t, usedCoreNum);
TILING_DATA_FIELD_DEF(uint32_t, rowsPerCore);  // pairs per core
TILING_DATA_FIELD_DEF(uint32_t, rowsRemainder);
TILING_DATA_FIELD_DEF(uint32_t, tileRows);
END_TILING_DATA_DEF;

REGISTER_TILING_DATA_CLASS(SparseGather, SparseGatherTilingData)
}  // namespace optiling
#endif  // ASCEND_KIT_SPARSE_GATHER_TILING_H
